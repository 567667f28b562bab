"""SQLite's write-ahead log, folded into the database by a thread while the bot serves.

What is in the database file itself is what a backup that copies only that file (not
its `-wal`) would hold; these tests read such copies.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine

from storage.engine import Checkpoints, make_engine, upgrade
from storage.records import Store
from tests.waits import eventually_blocking

PAGE_AND_A_HALF = "x" * 6000  # two pages of the log per value


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'consultbot.db'}")
    upgrade(engine)
    return engine


def _rows_in_database_file(engine: Engine, copy: Path) -> int:
    shutil.copyfile(str(engine.url.database), copy)
    with sqlite3.connect(copy) as connection:
        return int(connection.execute("SELECT count(*) FROM key_value").fetchone()[0])


def _write(engine: Engine, count: int) -> None:
    store = Store(engine)
    for i in range(count):
        with store.transaction() as records:
            records.values.set(f"k{i}", PAGE_AND_A_HALF)


def test_no_commit_pays_for_folding_the_log_the_thread_does_it(
    engine: Engine, tmp_path: Path
) -> None:
    """600 commits take the log well past SQLite's 1,000 pages, where one of them would
    have folded it; with the thread in charge none does, and stopping folds it all."""
    checkpoints = Checkpoints(engine, interval=3600)  # not in this test's lifetime
    checkpoints.start()
    _write(engine, 600)
    assert _rows_in_database_file(engine, tmp_path / "serving.db") == 0
    checkpoints.stop()
    assert _rows_in_database_file(engine, tmp_path / "stopped.db") == 600
    engine.dispose()


def test_the_thread_folds_the_log_every_interval(engine: Engine, tmp_path: Path) -> None:
    checkpoints = Checkpoints(engine, interval=0.05)
    checkpoints.start()
    try:
        _write(engine, 20)
        eventually_blocking(
            lambda: _rows_in_database_file(engine, tmp_path / "copy.db") >= 20,
            "the log folded into the database file",
        )
    finally:
        checkpoints.stop()
        engine.dispose()
