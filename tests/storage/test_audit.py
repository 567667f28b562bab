"""The audit trail: a chain of hashes that shows a record changed behind the bot's back."""

from __future__ import annotations

from storage.audit import GENESIS_HASH, audit_hash
from storage.records import Store
from storage.tables import AuditEvent
from tests.storage.world import make_world


def _recomputed(event: AuditEvent) -> str:
    return audit_hash(
        event.prev_hash, event.at, event.consultation_id, event.actor, event.action, event.detail
    )


def test_the_audit_chain_links_and_each_hash_covers_the_stored_fields(store: Store) -> None:
    world = make_world(store)
    with store.transaction() as records:
        records.audit.append(
            world.consultation_id, "p-aaa", "round.open", {"round": 1, "hours": 72}
        )
        records.audit.append(
            None, "p-bbb", "admin.grant", {"who": "p-ccc", "roles": ["facilitator"]}
        )
    with store.transaction() as records:
        records.audit.append(
            world.consultation_id,
            "p-aaa",
            "amendment.accept",
            {"id": 5, "note": "Agreed «as is»", "nested": {"b": 2, "a": 1}},
        )

    with Store(store.engine).transaction() as records:
        trail = records.audit.trail()
        assert [e.action for e in trail] == ["round.open", "admin.grant", "amendment.accept"]
        assert trail[0].prev_hash == GENESIS_HASH
        assert [e.prev_hash for e in trail[1:]] == [e.hash for e in trail[:-1]]
        assert len({e.hash for e in trail}) == 3
        for event in trail:
            assert event.at.tzinfo is not None
            assert _recomputed(event) == event.hash
        assert [e.action for e in records.audit.trail(world.consultation_id)] == [
            "round.open",
            "amendment.accept",
        ]

    # someone edits a stored detail behind the bot's back
    with store.transaction() as records:
        tampered = records.audit.trail()[1]
        tampered.detail = {"who": "p-zzz", "roles": ["facilitator"]}
        records.save(tampered)
    with store.transaction() as records:
        trail = records.audit.trail()
        assert trail[1].detail == {"who": "p-zzz", "roles": ["facilitator"]}
        assert _recomputed(trail[1]) != trail[1].hash
        assert _recomputed(trail[0]) == trail[0].hash
        assert _recomputed(trail[2]) == trail[2].hash
