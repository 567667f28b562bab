"""One scheduler leader among workers sharing PostgreSQL, and takeover when it dies."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from sqlalchemy.engine import Engine

from storage.engine import make_engine
from storage.leadership import LOCK_KEY, Leadership
from tests.waits import eventually_blocking

pytestmark = pytest.mark.postgres


def test_exactly_one_worker_leads(postgres_engine: Engine) -> None:
    url = postgres_engine.url.render_as_string(hide_password=False)
    first, second = Leadership(make_engine(url)), Leadership(make_engine(url))
    try:
        assert first.acquire() is True
        assert second.acquire() is False
        assert first.acquire() is True  # still leading on the next poll
        first.release()
        assert second.acquire() is True
    finally:
        first.release()
        second.release()


def test_a_killed_leader_is_replaced(postgres_engine: Engine) -> None:
    url = postgres_engine.url.render_as_string(hide_password=False)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, sys\n"
            "from storage.leadership import Leadership\n"
            "from storage.engine import make_engine\n"
            "assert Leadership(make_engine(sys.argv[1])).acquire()\n"
            "print('leading', flush=True)\n"
            "signal.pause()\n",  # leading until it is killed
            url,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    survivor = Leadership(make_engine(url))
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "leading"
        assert survivor.acquire() is False
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        # the server notices the dead connection and frees the lock
        eventually_blocking(survivor.acquire, f"lock {LOCK_KEY} freed after the leader died")
    finally:
        worker.kill()
        survivor.release()
