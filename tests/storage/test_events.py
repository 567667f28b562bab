"""Inbound events claimed once: a redelivery, or two workers at once, is a duplicate."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import select

from storage.records import Store
from storage.tables import ProcessedEvent
from storage.unit_of_work import Duplicate


def test_claiming_an_event_twice_is_a_duplicate_and_the_first_claim_survives(store: Store) -> None:
    with store.transaction() as records:
        records.events.claim("telegram:update:7")
    with pytest.raises(Duplicate), store.transaction() as records:
        records.events.claim("telegram:update:7")
    with store.transaction() as records:
        with pytest.raises(Duplicate):
            records.events.claim("telegram:update:7")
        records.events.claim("telegram:update:8")
    with store.transaction() as records:
        sources = records.session.exec(select(ProcessedEvent.source)).all()
        # stored as keyed pseudonyms, never as the chat and message they name
        identities = [records.events.identity(f"telegram:update:{n}") for n in (7, 8)]
        assert sorted(sources) == sorted(identities)
        assert not any("telegram" in source for source in sources)


def test_two_workers_claiming_the_same_event_at_once_exactly_one_wins(store: Store) -> None:
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        try:
            barrier.wait()
            with store.transaction() as records:
                records.events.claim("matrix:$event:1")
                # keep the transaction open while the other one tries; on a slow machine the
                # other may come after the commit instead, and must lose all the same
                time.sleep(0.05)
                records.values.set("winner", name)
            result = "won"
        except Duplicate:
            result = "duplicate"
        except Exception as error:  # anything else is a failure of the store
            result = f"error: {error!r}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(outcomes) == ["duplicate", "won"]
    with store.transaction() as records:
        assert records.session.exec(select(ProcessedEvent.source)).all() == [
            records.events.identity("matrix:$event:1")
        ]
        assert records.values.get("winner") in {"a", "b"}
