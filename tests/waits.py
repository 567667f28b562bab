"""Waiting in tests: on the condition itself, never on the clock alone.

    await eventually(lambda: ben.user_id in room.users, "ben's join")
    eventually_blocking(survivor.acquire, "the lock freed after the leader died")

A fixed sleep is too short on a loaded machine, where the test then fails for nothing,
and too long everywhere else. These look at the condition every `POLL` seconds, return
as soon as it holds (with what it returned), and fail after `timeout` seconds with a
message that names what never happened. The timeout is how long to hope, not a pace:
a passing test never waits for it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
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
