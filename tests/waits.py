"""Waiting in tests: on the condition itself, never on the clock alone.

    await eventually(lambda: ben.user_id in room.users, "ben's join")
    eventually_blocking(survivor.acquire, "the lock freed after the leader died")

A fixed sleep is too short on a loaded machine, where the test then fails for nothing,
and too long everywhere else. These look at the condition every `POLL` seconds, return
as soon as it holds (with what it returned), and fail after `timeout` seconds with a
message that names what never happened. The timeout is how long to hope, not a pace:
a passing test never waits for it.

The few tests that do measure time (the Telegram adapter's pacing at 30 messages a
second) allow for the time a busy machine kept them off the CPU: `MachineLoad`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

POLL = 0.05  # seconds between looks: quick enough to hear of a change, light on the CPU
TIMEOUT = 10.0  # seconds before giving up, when the caller says nothing


def _gave_up(what: str, timeout: float) -> AssertionError:
    return AssertionError(f"waited {timeout:g}s for {what}, in vain")


async def eventually(condition: Callable[[], T], what: str, *, timeout: float = TIMEOUT) -> T:  # noqa: ASYNC109
    """`condition()` once it is truthy, looked at every `POLL` seconds; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise _gave_up(what, timeout)
        await asyncio.sleep(POLL)
    return value


def eventually_blocking(condition: Callable[[], T], what: str, *, timeout: float = TIMEOUT) -> T:
    """`eventually` for a test without an event loop: it blocks this thread while it waits."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise _gave_up(what, timeout)
        time.sleep(POLL)
    return value


class MachineLoad:
    """How long this thread has waited for a CPU since it was made: ready to run, kept off
    by the other processes of a busy machine.

    A bound on elapsed time adds it, so that it holds the code to its pace and not to the
    machine's. It counts none of the test's own work, nor its waits on the network or on
    timers: on an idle machine it stays near zero and the bound as tight as written.
    Read from Linux's scheduler statistics; zero where there are none (the bound is then
    as written)."""

    SCHEDSTAT = Path("/proc/thread-self/schedstat")  # CPU time, run-queue wait, slices (ns)

    def __init__(self) -> None:
        self._start = self._run_queue_wait()

    def _run_queue_wait(self) -> float:
        try:
            return int(self.SCHEDSTAT.read_text().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return 0.0

    def waited(self) -> float:
        """Seconds spent waiting for a CPU since this was made."""
        return self._run_queue_wait() - self._start
