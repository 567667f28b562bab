"""One transaction per event: what it remembers, its savepoints, a batch's turns, and
what is left of it when it fails."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from consultations.model import Kind, Role
from storage.records import Store
from storage.tables import ProcessedEvent
from storage.unit_of_work import Contention, Duplicate
from tests.storage.world import make_stakeholder, make_world, new_submission


class Refused(Exception):
    """A turn's refusal, as far as the store can tell."""


def test_what_a_transaction_remembers_follows_its_own_writes_and_rollbacks(store: Store) -> None:
    """Memberships and the latest round are read once per transaction, yet a membership
    added, a round opened or a savepoint rolled back shows at the next lookup."""
    world = make_world(store)
    ana = make_stakeholder(store, "telegram:100", name="Ana")
    with store.transaction() as records:
        assert records.consultations.memberships(world.consultation_id, ana) == []
        records.consultations.add_member(world.consultation_id, ana, Role.STAKEHOLDER)
        assert [m.role for m in records.consultations.memberships(world.consultation_id, ana)] == [
            "stakeholder"
        ]

        first = records.rounds.latest(world.consultation_id)
        assert first is not None and first.id == world.round_id
        second = records.rounds.add(world.consultation_id, world.version_id)
        assert records.rounds.latest(world.consultation_id) is second

        with pytest.raises(Refused), records.savepoint():
            records.consultations.add_member(world.consultation_id, ana, Role.FACILITATOR)
            assert len(records.consultations.memberships(world.consultation_id, ana)) == 2
            raise Refused
        assert [m.role for m in records.consultations.memberships(world.consultation_id, ana)] == [
            "stakeholder"
        ]
    with store.transaction() as records:
        assert [m.role for m in records.consultations.memberships(world.consultation_id, ana)] == [
            "stakeholder"
        ]
        latest = records.rounds.latest(world.consultation_id)
        assert latest is not None and latest.number == 2


def test_a_savepoint_keeps_what_its_block_wrote_unless_the_block_raised(store: Store) -> None:
    world = make_world(store)
    ana = make_stakeholder(store, "telegram:100", name="Ana")
    with store.transaction() as records:
        with records.savepoint():
            records.consultations.add_member(world.consultation_id, ana, Role.STAKEHOLDER)
        with pytest.raises(Refused), records.savepoint():
            records.consultations.add_member(world.consultation_id, ana, Role.SECRETARIAT)
            raise Refused
        records.consultations.add_member(world.consultation_id, ana, Role.FACILITATOR)
    with store.transaction() as records:
        roles = {m.role for m in records.consultations.memberships(world.consultation_id, ana)}
        assert roles == {"stakeholder", "facilitator"}


def test_a_batch_reads_its_senders_ahead_and_each_event_claims_once(store: Store) -> None:
    world = make_world(store)
    ana = make_stakeholder(store, "telegram:100", name="Ana")
    with store.transaction() as records:
        records.consultations.add_member(world.consultation_id, ana, Role.STAKEHOLDER)
        person = records.people.person(ana)
        person.current_consultation_id = world.consultation_id
        records.save(person)
    with store.transaction() as batch:
        batch.people.read_ahead(["telegram:100", "telegram:404"])
        first, second = batch.sibling(), batch.sibling()
        assert first.people.person_for("telegram:100", display_name=None, language=None).id == ana
        assert [m.role for m in first.consultations.memberships(world.consultation_id, ana)] == [
            "stakeholder"
        ]
        newcomer = second.people.person_for("telegram:404", display_name="New", language=None)
        assert newcomer.id not in (None, ana)
        latest = first.rounds.latest(world.consultation_id)  # read ahead with the sender
        assert latest is not None and latest.id == world.round_id
        # a turn can tell whether it has written, or changed what is not yet written
        mark = batch.mark()
        assert not batch.wrote_since(mark)
        first.people.person(ana).display_name = "Ana L."
        assert batch.wrote_since(mark)
        mark = batch.mark()
        first.events.claim("telegram:update:1")
        assert batch.wrote_since(mark)
        with pytest.raises(Duplicate):
            second.events.claim("telegram:update:1")
        newer = first.rounds.add(world.consultation_id, world.version_id)
        assert second.rounds.latest(world.consultation_id) is newer
    with store.transaction() as records:
        assert records.people.identity("telegram:404") is not None
        assert records.session.exec(select(ProcessedEvent.source)).all() == [
            records.events.identity("telegram:update:1")
        ]


def test_a_transaction_that_raises_rolls_back_everything(store: Store, clock) -> None:
    world = make_world(store)
    with pytest.raises(RuntimeError, match="boom"), store.transaction() as records:
        person = records.people.person_for("telegram:555", display_name="Bo", language=None)
        records.events.claim("telegram:update:555")
        records.values.set("k", "v")
        records.submissions.add(
            new_submission(world, person.id, Kind.SUPPORT, source="telegram:555:1", at=clock())
        )
        records.audit.append(world.consultation_id, "p-x", "round.open", {})
        raise RuntimeError("boom")
    with store.transaction() as records:
        assert records.people.identity("telegram:555") is None
        assert (
            records.session.get(ProcessedEvent, records.events.identity("telegram:update:555"))
            is None
        )
        assert records.values.get("k") is None
        assert records.submissions.in_rounds([world.round_id], live_only=False) == []
        assert records.audit.trail() == []
    # and the same event can be handled now, since it never was
    with store.transaction() as records:
        records.events.claim("telegram:update:555")


def test_an_insert_refused_by_a_constraint_is_a_duplicate_and_keeps_the_first(
    store: Store, clock
) -> None:
    """The insert runs on the driver's cursor: a conflict there still rolls the unit of
    work back as a duplicate, and the row stored first stays as it was."""
    world = make_world(store)
    ana = make_stakeholder(store, "telegram:100")
    first = new_submission(
        world, ana, Kind.COMMENT, text="First.", source="telegram:100:55", at=clock()
    )
    with store.transaction() as records:
        kept = records.submissions.add(first)
    with pytest.raises(Duplicate), store.transaction() as records:
        records.events.claim("telegram:100:55")  # claimed here, so not looked up first
        records.values.set("k", "v")
        records.submissions.add(replace(first, text="Second."))
    with store.transaction() as records:
        stored = records.submissions.in_rounds([world.round_id], live_only=False)
        assert [(s.id, s.text) for s in stored] == [(kept, "First.")]
        assert records.values.get("k") is None


@pytest.mark.postgres
def test_a_connection_lost_mid_transaction_is_replaced_for_the_next_one(
    postgres_store: Store, clock
) -> None:
    """The server drops the connection (a restart, a failover) just before an insert: that
    unit of work fails as a database error, nothing of it is kept, and the next one runs
    on a new connection."""
    store = postgres_store
    world = make_world(store)
    ana = make_stakeholder(store, "telegram:100")
    with pytest.raises(DBAPIError), store.transaction() as records:
        records.events.claim("telegram:update:9")
        pid = records.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with store.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        records.submissions.add(
            new_submission(
                world, ana, Kind.COMMENT, text="Lost.", source="telegram:100:9", at=clock()
            )
        )
    with store.transaction() as records:
        records.events.claim("telegram:update:9")  # never stored: it can be handled now
        records.submissions.add(
            new_submission(
                world, ana, Kind.COMMENT, text="Kept.", source="telegram:100:9", at=clock()
            )
        )
    with store.transaction() as records:
        stored = records.submissions.in_rounds([world.round_id], live_only=False)
        assert [s.text for s in stored] == ["Kept."]


NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
NOW_LATER = NOW + timedelta(days=1)


@pytest.mark.postgres
def test_two_workers_deadlocked_one_is_told_to_try_again_and_nothing_of_it_stays(
    postgres_store: Store,
) -> None:
    """Two transactions that lock the same two rows in opposite orders: PostgreSQL ends
    one; it surfaces as `Contention`, a `Duplicate` (the dispatcher does the turn again),
    not as an error the person would be apologised to for."""
    store = postgres_store
    with store.transaction() as records:
        first, second = records.outbox.queue([("memory:a", "one"), ("memory:b", "two")], at=NOW)
    barrier = threading.Barrier(2)
    outcomes: list[BaseException | None] = []

    def lock(one: int, other: int, text_: str) -> None:
        try:
            with store.transaction() as records:
                records.session.execute(
                    text("UPDATE outbox SET text = :t WHERE id = :i"), {"t": text_, "i": one}
                )
                barrier.wait(timeout=10)
                records.session.execute(
                    text("UPDATE outbox SET text = :t WHERE id = :i"), {"t": text_, "i": other}
                )
            outcomes.append(None)
        except Exception as error:
            outcomes.append(error)

    threads = [
        threading.Thread(target=lock, args=(first, second, "left")),
        threading.Thread(target=lock, args=(second, first, "right")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    [failure] = [o for o in outcomes if o is not None]
    assert isinstance(failure, Contention) and isinstance(failure, Duplicate)
    assert len(outcomes) == 2
    with store.transaction() as records:
        texts = {m.text for m in records.outbox.undelivered(before=NOW_LATER, limit=10)}
    assert texts in ({"left"}, {"right"})  # the winner's two writes, none of the other's
