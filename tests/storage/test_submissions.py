"""Submissions: stored once per source, stances superseded, comments kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consultations.model import Kind
from storage.records import Store
from storage.tables import Submission
from storage.unit_of_work import Duplicate
from tests.storage.world import make_stakeholder, make_world, new_submission


def test_the_same_submission_source_is_stored_once(store: Store, clock) -> None:
    world = make_world(store)
    ana = make_stakeholder(store, "telegram:100")
    with store.transaction() as records:
        first = records.submissions.add(
            new_submission(
                world, ana, Kind.COMMENT, text="Too broad.", source="telegram:100:55", at=clock()
            )
        )
        with pytest.raises(Duplicate):
            records.submissions.add(
                new_submission(
                    world,
                    ana,
                    Kind.COMMENT,
                    text="Too broad.",
                    source="telegram:100:55",
                    at=clock(),
                )
            )
    # a redelivery handled in a later unit of work is refused as well
    with pytest.raises(Duplicate), store.transaction() as records:
        records.submissions.add(
            new_submission(
                world, ana, Kind.COMMENT, text="Too broad.", source="telegram:100:55", at=clock()
            )
        )
    with store.transaction() as records:
        stored = records.submissions.in_rounds([world.round_id], live_only=False)
        assert [(s.id, s.text, s.source) for s in stored] == [
            (first, "Too broad.", records.events.identity("telegram:100:55"))
        ]


def test_a_new_stance_supersedes_the_earlier_one_while_comments_accumulate(
    store: Store, clock
) -> None:
    world = make_world(store)
    ana = make_stakeholder(store, "telegram:100")
    bo = make_stakeholder(store, "telegram:200")
    with store.transaction() as records:
        support = records.submissions.add(new_submission(world, ana, Kind.SUPPORT, at=clock()))
        records.submissions.add(new_submission(world, ana, Kind.COMMENT, text="One.", at=clock()))
        records.submissions.add(new_submission(world, ana, Kind.SUPPORT, "u2", at=clock()))
        records.submissions.add(new_submission(world, bo, Kind.SUPPORT, at=clock()))
    clock.advance(hours=1)
    with store.transaction() as records:
        records.submissions.add(new_submission(world, ana, Kind.OPPOSE, at=clock()))
        records.submissions.add(new_submission(world, ana, Kind.COMMENT, text="Two.", at=clock()))
    clock.advance(hours=1)
    with store.transaction() as records:
        records.submissions.add(new_submission(world, ana, Kind.ABSTAIN, at=clock()))

    with store.transaction() as records:
        live = [
            (s.person_id, s.paragraph_uid, s.kind, s.text)
            for s in records.submissions.in_rounds([world.round_id])
        ]
        assert live == [
            (ana, "u1", "comment", "One."),
            (ana, "u2", "support", None),
            (bo, "u1", "support", None),
            (ana, "u1", "comment", "Two."),
            (ana, "u1", "abstain", None),
        ]
        everything = records.submissions.in_rounds([world.round_id], live_only=False)
        assert len(everything) == 7
        superseded = {s.kind: s.superseded_at for s in everything if s.superseded_at is not None}
        assert superseded == {
            "support": clock.now - timedelta(hours=1),
            "oppose": clock.now,
        }
        assert records.session.get(Submission, support).superseded_at == clock.now - timedelta(
            hours=1
        )
        assert records.submissions.responders(world.round_id) == {ana, bo}


def test_when_a_person_gave_their_nth_latest_input(store: Store, clock) -> None:
    """What the pace limit reads: the time of a person's nth latest input, theirs only."""
    world = make_world(store)
    ana = make_stakeholder(store, "telegram:100")
    bo = make_stakeholder(store, "telegram:200")
    times = []
    with store.transaction() as records:
        for n in range(3):
            times.append(clock())
            records.submissions.add(
                new_submission(world, ana, Kind.COMMENT, text=f"Point {n}.", at=times[-1])
            )
            clock.advance(seconds=10)
        records.submissions.add(new_submission(world, bo, Kind.SUPPORT, at=clock()))
    with store.transaction() as records:
        assert records.submissions.given_at(ana, 1) == times[2]
        assert records.submissions.given_at(ana, 3) == times[0]
        assert records.submissions.given_at(ana, 4) is None
