"""Repositories: the only place the bot layer reads and writes the database.

`Store.transaction()` opens one unit of work; everything the bot does for one inbound
event happens inside one, so an event's effects (its submission, the person's dialog
step, the mark that the event was handled) commit together or not at all.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

import sqlalchemy
from sqlalchemy import String, and_, bindparam, delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select
from sqlmodel import col, select

from storage.audit import Audit
from storage.consultations import Consultations, Member
from storage.dialogs import Dialogs
from storage.drafts import Drafts
from storage.engine import is_shared
from storage.events import Events
from storage.invites import Invites
from storage.outbox import OUTBOX, Outbox
from storage.rounds import Rounds
from storage.submissions import Submissions
from storage.tables import (
    DialogState,
    Flag,
    Identity,
    Membership,
    ParagraphRow,
    Person,
    Submission,
    utcnow,
)
from storage.unit_of_work import SENDERS, Duplicate, UnitOfWork
from storage.values import Values

# The lookups every inbound event makes, built once: building a statement costs more
# than running it on SQLite.
IDENTITY_BY_PLATFORM_ID = select(Identity).where(Identity.platform_id == bindparam("platform_id"))
# Inbound events' senders: their accounts, people and roles in their current
# consultations, as plain values (`Sender`), in one statement per batch size run on the
# driver (see `storage.driver`). Building row objects for them cost four times the
# statement; their rounds follow as plain values too (`RoundFacts`).
SENDER_COLUMNS = (
    col(Identity.platform_id),
    col(Identity.person_id),
    col(Identity.dm_chat),
    col(Identity.blocked_at).is_not(None),
    col(Person.pseudonym),
    col(Person.language),
    col(Person.language_chosen),
    col(Person.timezone),
    col(Person.current_consultation_id),
    col(Membership.role),
    col(Membership.group_id),
)


@cache
def senders_statement(count: int) -> Select[*tuple[Any, ...]]:
    """The senders of `count` accounts (parameters `p0`...): one row per membership in
    their current consultation, or one without a role."""
    accounts = [bindparam(f"p{i}", type_=String) for i in range(count)]
    return (
        sqlalchemy.select(*SENDER_COLUMNS)
        .select_from(Identity)
        .join(Person, col(Person.id) == col(Identity.person_id))
        .outerjoin(
            Membership,
            and_(
                col(Membership.person_id) == col(Person.id),
                col(Membership.consultation_id) == col(Person.current_consultation_id),
            ),
        )
        .where(col(Identity.platform_id).in_(accounts))
        .order_by(col(Membership.id))
    )


@dataclass(frozen=True, slots=True)
class Sender:
    """The account an event came from and the person behind it, as read when the event
    arrived: what a turn reads about them, without a row object. Changing the person goes
    through their `Person` row (`Records.person`)."""

    platform_id: str
    person_id: int
    pseudonym: str
    language: str | None
    language_chosen: bool
    timezone: str | None
    consultation_id: int | None  # their current consultation
    members: tuple[Member, ...]  # their roles there
    dm_chat: str | None
    blocked: bool


class Store:
    """The database behind the bot: hands out units of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Draft versions never change once cut: their paragraphs are read once per process.
        self.version_cache: dict[int, tuple[ParagraphRow, ...]] = {}

    @property
    def shared(self) -> bool:
        """Whether several processes may share this store (PostgreSQL); SQLite is one
        process's own."""
        return is_shared(self.engine)

    @property
    def writers(self) -> int:
        """How many transactions may write at once: SQLite has one writer; PostgreSQL
        takes a few, so one slow command does not hold up everybody."""
        return 4 if self.shared else 1

    @contextmanager
    def transaction(self) -> Iterator[Records]:
        """One unit of work; commits on success, rolls back on any error.

        A unique-constraint violation at commit (a concurrent duplicate) surfaces as
        `Duplicate`, so callers treat it like a redelivery they spotted themselves.
        """
        with UnitOfWork(self.engine) as session:
            try:
                yield Records(session, self.version_cache)
                session.commit()
            except IntegrityError as exc:
                session.rollback()
                raise Duplicate(str(exc.orig)) from exc
            except BaseException:
                session.rollback()
                raise


class Records:
    """Reads and writes within one unit of work."""

    def __init__(
        self, session: UnitOfWork, version_cache: dict[int, tuple[ParagraphRow, ...]] | None = None
    ) -> None:
        self.session = session
        self.events = Events(session)
        self.rounds = Rounds(session)
        self.consultations = Consultations(session, self.rounds)
        self.submissions = Submissions(session, self.events)
        self.drafts = Drafts(session, {} if version_cache is None else version_cache)
        self.audit = Audit(session)
        self.dialogs = Dialogs(session)
        self.outbox = Outbox(session)
        self.invites = Invites(session)
        self.values = Values(session)
        self._identities: dict[str, Identity] = {}  # looked up in this unit of work

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Run the block inside a savepoint: if it raises, what it wrote is rolled back
        (the rest of the transaction stays) and the exception goes on; else it is kept."""
        with self.session.begin_nested():
            yield

    def mark(self) -> int:
        """Flush what is pending and return a mark for `wrote_since`."""
        self.session.flush()
        return self.session.writes

    def wrote_since(self, mark: int) -> bool:
        """Whether anything was written, or is waiting to be, since `mark`."""
        session = self.session
        return session.writes != mark or bool(session.new or session.dirty or session.deleted)

    def sibling(self) -> Records:
        """Another `Records` on the same transaction, for the next event of a batch: it
        shares what is known of the transaction (versions cut, events claimed). What the
        event before changed is flushed, so nothing read ahead of it is used stale."""
        self.session.flush()
        sibling = copy.copy(self)
        sibling._identities = dict(self._identities)
        return sibling

    def read_ahead(self, platform_ids: Iterable[str]) -> None:
        """Who these accounts are, for the events from them that this transaction is about
        to handle: each one's `Sender`, in one statement, then the latest round of each
        consultation they are in, as `RoundFacts` (each later lookup is then free)."""
        wanted = sorted({p for p in platform_ids if p not in self.session.memo.get(SENDERS, {})})
        if not wanted:
            return
        parameters = {f"p{i}": platform_id for i, platform_id in enumerate(wanted)}
        rows = self.session.read(senders_statement(len(wanted)), parameters)
        people: dict[str, tuple[Any, ...]] = {}
        members: dict[str, list[Member]] = {}
        for account, *person, role, group_id in rows:
            people[account] = tuple(person)
            held = members.setdefault(account, [])
            if role is not None:
                held.append(Member(role, group_id))
        # What the memo holds now: the read flushed, which may have dropped it.
        senders = cast(dict[str, Sender], self.session.memo.setdefault(SENDERS, {}))
        for account, values in people.items():
            person_id, dm_chat, blocked, pseudonym, language, chosen, timezone, current = values
            senders[account] = Sender(
                account,
                person_id,
                pseudonym,
                language,
                chosen,
                timezone,
                consultation_id=current,
                members=tuple(members[account]),
                dm_chat=dm_chat,
                blocked=blocked,
            )
        for consultation_id in {s.consultation_id for s in senders.values()} - {None}:
            assert consultation_id is not None
            self.rounds.facts(consultation_id)

    def sender(self, platform_id: str) -> Sender | None:
        """The account and its person (read ahead, or read now); None for a stranger."""
        self.read_ahead([platform_id])
        return cast(dict[str, Sender], self.session.memo.get(SENDERS, {})).get(platform_id)

    # ---- people ---------------------------------------------------------------------

    def identity(self, platform_id: str) -> Identity | None:
        found = self._identities.get(platform_id)
        if found is None:
            found = self.session.exec(
                IDENTITY_BY_PLATFORM_ID, params={"platform_id": platform_id}
            ).first()
            if found is not None:
                self._identities[platform_id] = found
        return found

    def sender_for(
        self, platform_id: str, *, display_name: str | None, language: str | None
    ) -> Sender:
        """The person behind a platform account, created on first contact."""
        found = self.sender(platform_id)
        if found is None:
            person = Person(
                pseudonym="p-" + secrets.token_hex(6), display_name=display_name, language=language
            )
            self.session.add(person)
            self.session.flush()
            assert person.id is not None
            identity = Identity(platform_id=platform_id, person_id=person.id)
            self.session.add(identity)
            self.session.flush()
            self._identities[platform_id] = identity
            found = self.sender(platform_id)
            assert found is not None
        return found

    def person_for(
        self, platform_id: str, *, display_name: str | None, language: str | None
    ) -> Person:
        """`sender_for`, as the person's row."""
        sender = self.sender_for(platform_id, display_name=display_name, language=language)
        return self.person(sender.person_id)

    def person(self, person_id: int) -> Person:
        person = self.session.row(Person, person_id)
        if person is None:
            raise LookupError(f"no person {person_id}")
        return person

    def people(self, person_ids: Iterable[int]) -> dict[int, Person]:
        ids = set(person_ids)
        found = self.session.exec(select(Person).where(col(Person.id).in_(ids))).all()
        return {person.id: person for person in found if person.id is not None}

    def identities_of(self, person_ids: Iterable[int]) -> dict[int, list[Identity]]:
        """Each person's platform accounts, oldest first."""
        ids = set(person_ids)
        out: dict[int, list[Identity]] = {}
        for identity in self.session.exec(
            select(Identity).where(col(Identity.person_id).in_(ids)).order_by(col(Identity.id))
        ):
            out.setdefault(identity.person_id, []).append(identity)
        return out

    def identities(self, person_id: int) -> Sequence[Identity]:
        return self.identities_of([person_id]).get(person_id, [])

    def note_dm_chat(self, sender: Sender, chat: str) -> None:
        """They wrote to the bot in private: reachable there (again, if they had blocked it)."""
        if sender.dm_chat == chat and not sender.blocked:
            return
        identity = self.identity(sender.platform_id)
        if identity is not None and (identity.dm_chat != chat or identity.blocked_at is not None):
            identity.dm_chat, identity.blocked_at = chat, None
            self.session.add(identity)

    def move_identity(self, platform_id: str, person_id: int) -> None:
        """Attach a platform account to another person (linking two accounts)."""
        identity = self.identity(platform_id)
        if identity is not None:
            identity.person_id = person_id
            self.session.add(identity)
            self.session.flush()

    def mark_chat_blocked(self, chat: str, at: datetime) -> None:
        """The person in this private chat blocked the bot: skip them in fan-outs."""
        for identity in self.session.exec(select(Identity).where(Identity.dm_chat == chat)):
            identity.blocked_at = at
            self.session.add(identity)

    def save(self, *rows: Any) -> None:
        for row in rows:
            self.session.add(row)
        self.session.flush()

    def erase_person(self, person: Person, *, delete_submissions: bool) -> int:
        """Erase identity and platform accounts; returns how many submissions were deleted."""
        assert person.id is not None
        chats: set[str] = set()
        for identity in self.identities(person.id):
            self._identities.pop(identity.platform_id, None)
            chats |= {identity.platform_id, *([identity.dm_chat] if identity.dm_chat else [])}
            self.session.delete(identity)
        # Messages still waiting for them name their account: gone with it.
        self.session.execute(delete(OUTBOX).where(OUTBOX.c.chat.in_(chats)))
        for dialog in self.session.exec(
            select(DialogState).where(DialogState.person_id == person.id)
        ):
            self.session.delete(dialog)
        deleted = 0
        submissions = self.session.exec(
            select(Submission).where(Submission.person_id == person.id)
        ).all()
        for submission in submissions:
            if delete_submissions:
                decision = self.submissions.decision(submission.id)
                if decision is not None and decision.decision == "accepted":
                    # text already in a published version: keep it, unattributed
                    submission.person_id = None
                    submission.source = None
                    self.session.add(submission)
                    continue
                if decision is not None:
                    self.session.delete(decision)
                for flag in self.session.exec(
                    select(Flag).where(Flag.submission_id == submission.id)
                ):
                    self.session.delete(flag)
                self.session.delete(submission)
                deleted += 1
            else:
                submission.person_id = None
                submission.source = None
                self.session.add(submission)
        self.session.execute(
            update(Flag).where(col(Flag.person_id) == person.id).values(person_id=None)
        )
        person.display_name = None
        person.organisation = None
        person.language = None
        person.timezone = None
        person.erased_at = utcnow()
        self.session.add(person)
        self.session.flush()
        return deleted
