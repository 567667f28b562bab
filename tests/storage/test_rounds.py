"""Rounds, as the facts every piece of input reads about its round."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from storage.records import Store
from storage.rounds import RoundFacts
from tests.storage.world import make_world


def test_a_rounds_facts_read_like_its_row_and_follow_what_the_transaction_changes(
    store: Store,
) -> None:
    """What every piece of input reads about its round, as plain values: the closing time a
    date in UTC on either store, and never older than the round written in the same
    transaction."""
    world = make_world(store)
    closes = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    with store.transaction() as records:
        row = records.rounds.latest(world.consultation_id)
        assert row is not None
        row.state, row.closes_at = "open", closes
        records.save(row)
    with store.transaction() as records:
        facts = records.rounds.facts(world.consultation_id)
        assert facts == RoundFacts(
            world.round_id, world.consultation_id, world.version_id, 1, "open", closes
        )
        assert facts.closes_at is not None and facts.closes_at.utcoffset() == timedelta(0)
        assert records.rounds.facts_by_id(world.round_id) == facts
        assert records.rounds.facts_by_id(world.round_id + 1000) is None
        row = records.rounds.latest(world.consultation_id)
        assert row is not None
        row.state = "closed"  # not flushed yet: the next read flushes it
        assert records.rounds.facts(world.consultation_id) == replace(facts, state="closed")
        assert records.rounds.facts_by_id(world.round_id) == replace(facts, state="closed")
        newer = records.rounds.add(world.consultation_id, world.version_id)
        latest = records.rounds.facts(world.consultation_id)
        assert latest is not None and (latest.id, latest.number) == (newer.id, 2)


def test_what_the_metrics_read_rounds_by_state_and_the_outbox_depth(store: Store) -> None:
    world = make_world(store)
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with store.transaction() as records:
        before = records.rounds.count_by_state()
        row = records.rounds.latest(world.consultation_id)
        assert row is not None
        row.state = "open"
        records.save(row)
        records.rounds.add(world.consultation_id, world.version_id)  # scheduled, next
        ids = records.outbox.queue([("telegram:1", "Round 1 is open"), ("matrix:@a:x", "…")], now)
    with store.transaction() as records:
        after = records.rounds.count_by_state()
        assert records.outbox.depth() == 2
        records.outbox.delivered(ids[:1])
    with store.transaction() as records:
        assert records.outbox.depth() == 1
    assert sum(after.values()) == sum(before.values()) + 1
    assert after["open"] == before.get("open", 0) + 1
