"""Erasing a person: their identity gone from every subject, their input pseudonymised
or deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from consultations.model import Kind
from storage.records import Records, Store
from storage.tables import AmendmentDecision, Identity
from tests.storage.world import World, make_stakeholder, make_world, new_submission


def _erasable(store: Store, world: World, clock) -> tuple[int, list[int]]:
    ana = make_stakeholder(store, "telegram:100", name="Ana Lima", organisation="Access Now")
    with store.transaction() as records:
        records.session.add(Identity(platform_id="matrix:@ana:example.org", person_id=ana))
        records.dialogs.set(ana, "telegram:100", "review", {"paragraph": 1})
        comment = records.submissions.add(
            new_submission(
                world, ana, Kind.COMMENT, text="Too broad.", source="t:100:1", at=clock()
            )
        )
        stance = records.submissions.add(
            new_submission(world, ana, Kind.SUPPORT, source="t:100:2", at=clock())
        )
        bo = records.people.person_for("telegram:200", display_name="Bo", language=None)
        records.submissions.add(
            new_submission(world, bo.id, Kind.OPPOSE, source="t:200:1", at=clock())
        )
        records.outbox.queue(
            [("telegram:100", "Round 2 is open."), ("telegram:200", "Round 2 is open.")], clock()
        )
        return ana, [comment, stance]


def _assert_identity_gone(records: Records, ana: int) -> None:
    person = records.people.person(ana)
    assert person.display_name is None
    assert person.organisation is None
    assert person.language is None
    assert person.erased_at is not None
    assert person.pseudonym.startswith("p-")
    assert records.people.identities(ana) == []
    assert records.people.identity("telegram:100") is None
    assert records.people.identity("matrix:@ana:example.org") is None
    assert records.dialogs.get(ana, "telegram:100") is None
    waiting = records.outbox.undelivered(before=datetime.now(UTC) + timedelta(days=400), limit=10)
    assert [m.chat for m in waiting] == ["telegram:200"]  # nothing queued names her account


def test_erasure_pseudonymises_submissions_by_default(store: Store, clock) -> None:
    world = make_world(store)
    ana, ids = _erasable(store, world, clock)
    with store.transaction() as records:
        assert records.erase(records.people.person(ana), delete_submissions=False) == 0
    with store.transaction() as records:
        _assert_identity_gone(records, ana)
        kept = {s.id: s for s in records.submissions.in_rounds([world.round_id], live_only=False)}
        assert len(kept) == 3
        for submission_id in ids:
            assert kept[submission_id].person_id is None
            assert kept[submission_id].source is None
        assert kept[ids[0]].text == "Too broad."
        assert records.submissions.by_person(ana, [world.round_id]) == []
        # the same account writing again is a new person
        again = records.people.person_for("telegram:100", display_name="Ana", language=None)
        assert again.id != ana


def test_erasure_can_delete_submissions_but_keeps_published_amendments(store: Store, clock) -> None:
    world = make_world(store)
    ana, _ = _erasable(store, world, clock)
    with store.transaction() as records:
        accepted = records.submissions.add(
            new_submission(
                world,
                ana,
                Kind.AMENDMENT,
                "u2",
                text="Second, better.",
                source="t:100:3",
                at=clock(),
            )
        )
        rejected = records.submissions.add(
            new_submission(
                world, ana, Kind.AMENDMENT, "u1", text="First, worse.", source="t:100:4", at=clock()
            )
        )
        records.save(
            AmendmentDecision(submission_id=accepted, decision="accepted"),
            AmendmentDecision(submission_id=rejected, decision="rejected"),
        )
    with store.transaction() as records:
        assert records.erase(records.people.person(ana), delete_submissions=True) == 3
    with store.transaction() as records:
        _assert_identity_gone(records, ana)
        left = records.submissions.in_rounds([world.round_id], live_only=False)
        assert [(s.id, s.person_id, s.kind, s.text, s.source) for s in left] == [
            (left[0].id, left[0].person_id, "oppose", None, records.events.identity("t:200:1")),
            (accepted, None, "amendment", "Second, better.", None),
        ]
        assert left[0].person_id is not None
        assert records.submissions.decision(rejected) is None
        decision = records.submissions.decision(accepted)
        assert decision is not None and decision.decision == "accepted"
