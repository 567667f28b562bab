"""The consultation every export test reads: see `played`."""

from __future__ import annotations

import pytest

from adapters.memory import MemoryAdapter
from storage.records import Store
from tests.exports.played import Clock, Played, play


@pytest.fixture
async def played(chat: MemoryAdapter, sqlite_store: Store, clock: Clock) -> Played:
    return await play(chat, sqlite_store, clock)
