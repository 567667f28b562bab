"""What the bot keeps, as a user of the bot would notice it: on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from consultations.model import Kind, Role
from storage.audit import GENESIS_HASH, audit_hash
from storage.consultations import Member
from storage.engine import current_revision, head_revision, upgrade
from storage.records import (
    Records,
    Store,
)
from storage.rounds import RoundFacts
from storage.submissions import NewSubmission
from storage.tables import (
    AmendmentDecision,
    AuditEvent,
    Identity,
    Invite,
    Person,
    ProcessedEvent,
    Submission,
)
from storage.unit_of_work import Duplicate

# --- helpers ---------------------------------------------------------------------------


class Refused(Exception):
    """A turn's refusal, as far as the store can tell."""


@dataclass(frozen=True)
class World:
    person_id: int
    consultation_id: int
    version_id: int
    round_id: int


def _world(store: Store) -> World:
    """A facilitator, a consultation with the default groups, a version and a round."""
    with store.transaction() as records:
        facilitator = records.people.person_for("telegram:1", display_name="Fac", language="en")
        assert facilitator.id is not None
        consultation = records.consultations.create(
            "Surveillance exports", created_by=facilitator.id
        )
        assert consultation.id is not None
        version = records.drafts.add_version(
            consultation.id,
            title="Draft",
            paragraphs=[("u1", "First.", []), ("u2", "Second.", [])],
            parent_id=None,
            created_by=facilitator.id,
        )
        assert version.id is not None
        round_ = records.rounds.add(consultation.id, version.id)
        assert round_.id is not None
        return World(facilitator.id, consultation.id, version.id, round_.id)


def _stakeholder(store: Store, platform_id: str, **fields: str) -> int:
    with store.transaction() as records:
        person = records.people.person_for(
            platform_id, display_name=fields.get("name"), language="en"
        )
        if "organisation" in fields:
            person.organisation = fields["organisation"]
            records.save(person)
        assert person.id is not None
        return person.id


def _submission(
    world: World,
    person_id: int | None,
    kind: Kind,
    uid: str = "u1",
    *,
    at: datetime,
    text: str | None = None,
    source: str | None = None,
) -> NewSubmission:
    return NewSubmission(
        round_id=world.round_id,
        person_id=person_id,
        paragraph_uid=uid,
        kind=kind,
        created_at=at,
        text=text,
        source=source,
    )


def _count_submissions(store: Store, world: World) -> int:
    with store.transaction() as records:
        return len(records.submissions.in_rounds([world.round_id], live_only=False))


# --- schema --------------------------------------------------------------------------


def test_the_schema_is_at_head_and_upgrading_again_is_harmless(store: Store) -> None:
    head = head_revision()
    assert head is not None
    assert current_revision(store.engine) == head
    with store.transaction() as records:
        records.values.set("sync", "s-42")

    upgrade(store.engine)
    upgrade(store.engine)

    assert current_revision(store.engine) == head
    with store.transaction() as records:
        assert records.values.get("sync") == "s-42"


# --- people --------------------------------------------------------------------------


def test_a_platform_identity_maps_to_one_person(store: Store, clock) -> None:
    with store.transaction() as records:
        ana = records.people.person_for("telegram:100", display_name="Ana", language="pt")
        again = records.people.person_for(
            "telegram:100", display_name="Someone else", language="en"
        )
        assert again.id == ana.id
    with store.transaction() as records:
        later = records.people.person_for("telegram:100", display_name="Changed", language="de")
        other = records.people.person_for(
            "matrix:@ana:example.org", display_name="Ana", language="pt"
        )
        assert later.id == ana.id
        assert later.display_name == "Ana"  # first contact decided it
        assert later.language == "pt"
        assert later.pseudonym == ana.pseudonym and later.pseudonym.startswith("p-")
        assert other.id != ana.id
        assert [i.platform_id for i in records.people.identities(ana.id)] == ["telegram:100"]
        assert len(records.session.exec(select(Person)).all()) == 2


# --- inbound events ---------------------------------------------------------------------


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
        assert sorted(sources) == ["telegram:update:7", "telegram:update:8"]


def test_what_a_transaction_remembers_follows_its_own_writes_and_rollbacks(store: Store) -> None:
    """Memberships and the latest round are read once per transaction, yet a membership
    added, a round opened or a savepoint rolled back shows at the next lookup."""
    world = _world(store)
    ana = _stakeholder(store, "telegram:100", name="Ana")
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
    world = _world(store)
    ana = _stakeholder(store, "telegram:100", name="Ana")
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
    world = _world(store)
    ana = _stakeholder(store, "telegram:100", name="Ana")
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
        assert records.session.exec(select(ProcessedEvent.source)).all() == ["telegram:update:1"]


def test_a_sender_read_ahead_follows_what_the_transaction_changes_later(store: Store) -> None:
    """A batch reads each sender once, yet the next event sees what an earlier one changed
    about them: their language, their roles."""
    world = _world(store)
    ana = _stakeholder(store, "telegram:100", name="Ana")
    with store.transaction() as records:
        group = records.consultations.groups(world.consultation_id)[0]
        records.consultations.add_member(world.consultation_id, ana, Role.STAKEHOLDER, group.id)
        person = records.people.person(ana)
        person.current_consultation_id = world.consultation_id
        records.save(person)
    with store.transaction() as batch:
        batch.people.read_ahead(["telegram:100", "telegram:404"])
        assert batch.people.sender("telegram:404") is None
        sender = batch.people.sender("telegram:100")
        assert sender is not None
        assert (sender.person_id, sender.language, sender.consultation_id) == (
            ana,
            "en",
            world.consultation_id,
        )
        assert sender.members == (Member("stakeholder", group.id),)
        assert not sender.blocked and not sender.language_chosen

        first = batch.sibling()
        first.people.person(ana).language = "fr"  # not flushed: the next event flushes it
        second = batch.sibling()
        changed = second.people.sender("telegram:100")
        assert changed is not None and changed.language == "fr"
        second.consultations.add_member(world.consultation_id, ana, Role.FACILITATOR)
        third = batch.sibling()
        again = third.people.sender("telegram:100")
        assert again is not None
        assert {m.role for m in again.members} == {"stakeholder", "facilitator"}


def test_a_rounds_facts_read_like_its_row_and_follow_what_the_transaction_changes(
    store: Store,
) -> None:
    """What every piece of input reads about its round, as plain values: the closing time a
    date in UTC on either store, and never older than the round written in the same
    transaction."""
    world = _world(store)
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
        assert records.session.exec(select(ProcessedEvent.source)).all() == ["matrix:$event:1"]
        assert records.values.get("winner") in {"a", "b"}


def test_a_transaction_that_raises_rolls_back_everything(store: Store, clock) -> None:
    world = _world(store)
    with pytest.raises(RuntimeError, match="boom"), store.transaction() as records:
        person = records.people.person_for("telegram:555", display_name="Bo", language=None)
        records.events.claim("telegram:update:555")
        records.values.set("k", "v")
        records.submissions.add(
            _submission(world, person.id, Kind.SUPPORT, source="telegram:555:1", at=clock())
        )
        records.audit.append(world.consultation_id, "p-x", "round.open", {})
        raise RuntimeError("boom")
    with store.transaction() as records:
        assert records.people.identity("telegram:555") is None
        assert records.session.get(ProcessedEvent, "telegram:update:555") is None
        assert records.values.get("k") is None
        assert records.submissions.in_rounds([world.round_id], live_only=False) == []
        assert records.audit.trail() == []
    # and the same event can be handled now, since it never was
    with store.transaction() as records:
        records.events.claim("telegram:update:555")


# --- submissions -----------------------------------------------------------------------


def test_the_same_submission_source_is_stored_once(store: Store, clock) -> None:
    world = _world(store)
    ana = _stakeholder(store, "telegram:100")
    with store.transaction() as records:
        first = records.submissions.add(
            _submission(
                world, ana, Kind.COMMENT, text="Too broad.", source="telegram:100:55", at=clock()
            )
        )
        with pytest.raises(Duplicate):
            records.submissions.add(
                _submission(
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
            _submission(
                world, ana, Kind.COMMENT, text="Too broad.", source="telegram:100:55", at=clock()
            )
        )
    with store.transaction() as records:
        stored = records.submissions.in_rounds([world.round_id], live_only=False)
        assert [(s.id, s.text, s.source) for s in stored] == [
            (first, "Too broad.", "telegram:100:55")
        ]


def test_an_insert_refused_by_a_constraint_is_a_duplicate_and_keeps_the_first(
    store: Store, clock
) -> None:
    """The insert runs on the driver's cursor: a conflict there still rolls the unit of
    work back as a duplicate, and the row stored first stays as it was."""
    world = _world(store)
    ana = _stakeholder(store, "telegram:100")
    first = _submission(
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
    world = _world(store)
    ana = _stakeholder(store, "telegram:100")
    with pytest.raises(DBAPIError), store.transaction() as records:
        records.events.claim("telegram:update:9")
        pid = records.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with store.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        records.submissions.add(
            _submission(world, ana, Kind.COMMENT, text="Lost.", source="telegram:100:9", at=clock())
        )
    with store.transaction() as records:
        records.events.claim("telegram:update:9")  # never stored: it can be handled now
        records.submissions.add(
            _submission(world, ana, Kind.COMMENT, text="Kept.", source="telegram:100:9", at=clock())
        )
    with store.transaction() as records:
        stored = records.submissions.in_rounds([world.round_id], live_only=False)
        assert [s.text for s in stored] == ["Kept."]


def test_a_new_stance_supersedes_the_earlier_one_while_comments_accumulate(
    store: Store, clock
) -> None:
    world = _world(store)
    ana = _stakeholder(store, "telegram:100")
    bo = _stakeholder(store, "telegram:200")
    with store.transaction() as records:
        support = records.submissions.add(_submission(world, ana, Kind.SUPPORT, at=clock()))
        records.submissions.add(_submission(world, ana, Kind.COMMENT, text="One.", at=clock()))
        records.submissions.add(_submission(world, ana, Kind.SUPPORT, "u2", at=clock()))
        records.submissions.add(_submission(world, bo, Kind.SUPPORT, at=clock()))
    clock.advance(hours=1)
    with store.transaction() as records:
        records.submissions.add(_submission(world, ana, Kind.OPPOSE, at=clock()))
        records.submissions.add(_submission(world, ana, Kind.COMMENT, text="Two.", at=clock()))
    clock.advance(hours=1)
    with store.transaction() as records:
        records.submissions.add(_submission(world, ana, Kind.ABSTAIN, at=clock()))

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


# --- invites ---------------------------------------------------------------------------


def _invite(store: Store, world: World, code: str, *, uses: int, expires_at) -> None:
    with store.transaction() as records:
        group = next(
            g
            for g in records.consultations.groups(world.consultation_id)
            if g.key == "civil-society"
        )
        records.invites.add(
            code,
            Invite(
                code_hash="",
                consultation_id=world.consultation_id,
                group_id=group.id,
                role=Role.STAKEHOLDER.value,
                uses_left=uses,
                expires_at=expires_at,
            ),
        )


def test_a_two_use_invite_admits_exactly_two_people(store: Store, clock) -> None:
    world = _world(store)
    _invite(store, world, "JOIN-CSO-2", uses=2, expires_at=clock() + timedelta(days=7))
    admitted = []
    for _person in range(3):
        with store.transaction() as records:
            invite = records.invites.use("JOIN-CSO-2", clock())
            admitted.append(None if invite is None else invite.uses_left)
    assert admitted == [1, 0, None]
    with store.transaction() as records:
        invite = records.session.exec(select(Invite)).one()
        assert invite.uses_left == 0
        assert invite.code_hash != "JOIN-CSO-2"  # only the hash is kept
        assert len(invite.code_hash) == 64


def test_an_expired_invite_admits_nobody(store: Store, clock) -> None:
    world = _world(store)
    _invite(store, world, "LATE", uses=5, expires_at=clock() + timedelta(hours=1))
    with store.transaction() as records:
        assert records.invites.use("LATE", clock() + timedelta(hours=1)) is None  # at expiry
        assert records.invites.use("LATE", clock() + timedelta(days=1)) is None
        assert records.session.exec(select(Invite)).one().uses_left == 5
        # just before expiry it still works
        assert records.invites.use("LATE", clock() + timedelta(minutes=59)) is not None


def test_an_unknown_invite_admits_nobody(store: Store, clock) -> None:
    world = _world(store)
    _invite(store, world, "REAL", uses=1, expires_at=None)
    with store.transaction() as records:
        assert records.invites.use("FAKE", clock()) is None
        assert records.invites.use("", clock()) is None
        assert records.session.exec(select(Invite)).one().uses_left == 1
        used = records.invites.use(" REAL ", clock())  # pasted with spaces around
        assert used is not None and used.consultation_id == world.consultation_id


# --- versions ---------------------------------------------------------------------------


def test_versions_are_numbered_per_consultation_and_keep_paragraph_order(store: Store) -> None:
    world = _world(store)  # its version 1 exists already
    with store.transaction() as records:
        other = records.consultations.create("Another", created_by=world.person_id)
        assert other.id is not None
        second = records.drafts.add_version(
            world.consultation_id,
            title="Draft v2",
            paragraphs=[
                ("zz", "Zeta first.", []),
                ("aa", "Alpha second.", [11, 12]),
                ("mm", "Mu third.", [13]),
            ],
            parent_id=world.version_id,
            created_by=world.person_id,
        )
        first_of_other = records.drafts.add_version(
            other.id, title="Other", paragraphs=[("q", "Q.", [])], parent_id=None, created_by=None
        )
        assert (second.number, first_of_other.number) == (2, 1)
    with store.transaction() as records:
        assert [v.number for v in records.drafts.versions(world.consultation_id)] == [1, 2]
        latest = records.drafts.version(world.consultation_id)
        assert latest is not None and latest.number == 2 and latest.parent_id == world.version_id
        assert latest.id is not None
        rows = records.drafts.paragraphs(latest.id)
        assert [(p.position, p.uid, p.text, p.sources) for p in rows] == [
            (1, "zz", "Zeta first.", []),
            (2, "aa", "Alpha second.", [11, 12]),
            (3, "mm", "Mu third.", [13]),
        ]
        assert [p.uid for p in records.drafts.paragraphs(world.version_id)] == ["u1", "u2"]


# --- dialogs ---------------------------------------------------------------------------


def test_dialog_state_round_trips_json_and_survives_a_new_store(store: Store) -> None:
    ana = _stakeholder(store, "telegram:100")
    data = {
        "paragraph": 3,
        "pending": {"kind": "amendment", "text": "Déclaration «conjointe» 中文"},
        "seen": [1, 2, 3],
        "ratio": 0.5,
        "done": False,
        "note": None,
    }
    with store.transaction() as records:
        records.dialogs.set(ana, "telegram:100", "review.amend", data)
        records.dialogs.set(ana, "telegram:999", "other", {"x": 1})

    restarted = Store(store.engine)
    with restarted.transaction() as records:
        dialog = records.dialogs.get(ana, "telegram:100")
        assert dialog is not None
        assert (dialog.step, dialog.data) == ("review.amend", data)
        records.dialogs.set(ana, "telegram:100", "review", {"paragraph": 4})
    with restarted.transaction() as records:
        dialog = records.dialogs.get(ana, "telegram:100")
        assert dialog is not None and (dialog.step, dialog.data) == ("review", {"paragraph": 4})
        records.dialogs.clear(ana, "telegram:100")
        records.dialogs.clear(ana, "telegram:100")  # clearing twice is harmless
    with restarted.transaction() as records:
        assert records.dialogs.get(ana, "telegram:100") is None
        other = records.dialogs.get(ana, "telegram:999")
        assert other is not None and other.data == {"x": 1}


# --- audit -----------------------------------------------------------------------------


def _recomputed(event: AuditEvent) -> str:
    return audit_hash(
        event.prev_hash, event.at, event.consultation_id, event.actor, event.action, event.detail
    )


def test_the_audit_chain_links_and_each_hash_covers_the_stored_fields(store: Store) -> None:
    world = _world(store)
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


# --- erasure ---------------------------------------------------------------------------


def _erasable(store: Store, world: World, clock) -> tuple[int, list[int]]:
    ana = _stakeholder(store, "telegram:100", name="Ana Lima", organisation="Access Now")
    with store.transaction() as records:
        records.session.add(Identity(platform_id="matrix:@ana:example.org", person_id=ana))
        records.dialogs.set(ana, "telegram:100", "review", {"paragraph": 1})
        comment = records.submissions.add(
            _submission(world, ana, Kind.COMMENT, text="Too broad.", source="t:100:1", at=clock())
        )
        stance = records.submissions.add(
            _submission(world, ana, Kind.SUPPORT, source="t:100:2", at=clock())
        )
        bo = records.people.person_for("telegram:200", display_name="Bo", language=None)
        records.submissions.add(
            _submission(world, bo.id, Kind.OPPOSE, source="t:200:1", at=clock())
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
    world = _world(store)
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
    world = _world(store)
    ana, _ = _erasable(store, world, clock)
    with store.transaction() as records:
        accepted = records.submissions.add(
            _submission(
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
            _submission(
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
            (left[0].id, left[0].person_id, "oppose", None, "t:200:1"),
            (accepted, None, "amendment", "Second, better.", None),
        ]
        assert left[0].person_id is not None
        assert records.submissions.decision(rejected) is None
        decision = records.submissions.decision(accepted)
        assert decision is not None and decision.decision == "accepted"
