"""The store and its records: the only way the bot layer reads and writes the database.

`Store.transaction()` opens one unit of work (`storage.unit_of_work`) and hands out its
`Records`: one repository per subject (`storage.people`, `storage.rounds`...), each a
small class over that unit of work. Everything the bot does for one inbound event
happens inside one transaction, so an event's effects (its submission, the person's
dialog step, the mark that the event was handled) commit together or not at all.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from consultations.ids import VersionId
from storage.audit import Audit
from storage.consultations import Consultations
from storage.dialogs import Dialogs
from storage.drafts import Drafts
from storage.engine import is_shared, truncate_log
from storage.events import Events
from storage.invites import Invites
from storage.outbox import Outbox
from storage.people import People
from storage.rounds import Rounds
from storage.submissions import Submissions
from storage.tables import Consultation, ParagraphRow, Person, id_of
from storage.unit_of_work import Contention, Duplicate, UnitOfWork
from storage.values import Values

ERASED = "erased"  # in the unit of work's info: someone was erased, clean up after the commit


class Store:
    """The database behind the bot: hands out units of work."""

    def __init__(self, engine: Engine, event_key: bytes | None = None) -> None:
        """`event_key` keys the pseudonyms of handled events (`storage.events`); every
        process on one database needs the same (`bot.app.open_store` reads it from the
        settings or the data directory). Without one, this store makes its own, which
        serves one process until it stops."""
        self.engine = engine
        self.event_key = event_key or secrets.token_bytes(32)
        # Draft versions never change once a round opened on them: their paragraphs, and
        # the language of their master text, are read once per process.
        self.version_cache: dict[VersionId, tuple[ParagraphRow, ...]] = {}
        self.version_languages: dict[VersionId, str] = {}

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
        `Duplicate`, so callers treat it like a redelivery they spotted themselves; a
        deadlock or serialization failure as `Contention`, a `Duplicate` too: the unit of
        work is done again.
        """
        with UnitOfWork(self.engine) as session:
            try:
                records = Records(
                    session, self.version_cache, self.version_languages, self.event_key
                )
                yield records
                session.commit()
                if session.info.get(ERASED):
                    truncate_log(self.engine)
            except IntegrityError as exc:
                session.rollback()
                raise Duplicate(str(exc.orig)) from exc
            except OperationalError as exc:
                session.rollback()
                if getattr(exc.orig, "sqlstate", None) in Contention.SQLSTATES:
                    raise Contention(type(exc.orig).__name__) from exc
                raise
            except BaseException:
                session.rollback()
                raise


class Records:
    """One transaction's reads and writes, by subject:

        records.people          people, their accounts, who sent an event (`Sender`)
        records.consultations   consultations, stakeholder groups, memberships, consent
        records.drafts          draft versions as documents, their translations
        records.rounds          rounds, and the latest one as plain values (`RoundFacts`)
        records.submissions     submissions, flags, amendment decisions
        records.dialogs         where a person is in a dialog with the bot, per chat
        records.outbox          messages to others, kept until delivered
        records.audit           the audit chain
        records.invites         invite codes
        records.values          small named values
        records.events          inbound events claimed

    and what spans them: a row changed by a handler is saved with `save`, a person
    erased with `erase`, a consultation that never ran deleted with `delete`;
    `savepoint`, `mark` and `wrote_since` let a turn undo what it wrote before a refusal.
    """

    def __init__(
        self,
        session: UnitOfWork,
        version_cache: dict[VersionId, tuple[ParagraphRow, ...]],
        version_languages: dict[VersionId, str],
        event_key: bytes,
    ) -> None:
        self.session = session  # for the repositories (and tests); the bot goes through them
        self.events = Events(session, event_key)
        self.rounds = Rounds(session)
        self.people = People(session, self.rounds)
        self.consultations = Consultations(session, self.rounds)
        self.drafts = Drafts(session, version_cache, version_languages)
        self.submissions = Submissions(session, self.events)
        self.dialogs = Dialogs(session)
        self.outbox = Outbox(session)
        self.audit = Audit(session)
        self.invites = Invites(session)
        self.values = Values(session)

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
        shares the repositories and what they know of the transaction (versions cut,
        events claimed), and starts its own `people` from this one's. What the event
        before changed is flushed, so nothing read ahead of it is used stale."""
        self.session.flush()
        sibling = Records.__new__(Records)  # built by hand: copy.copy took four times as long
        vars(sibling).update(vars(self))
        sibling.people = self.people.sibling()
        return sibling

    def save(self, *rows: Any) -> None:
        """Write rows a handler created or changed (a person, a round, a decision...)."""
        for row in rows:
            self.session.add(row)
        self.session.flush()

    def delete(self, consultation: Consultation) -> None:
        """Remove a consultation no round ever opened on, with its scheduled rounds,
        drafts (and their translations), groups, members and invites. The audit trail
        keeps what was done in it (by id)."""
        consultation_id = id_of(consultation)
        self.rounds.delete_all(consultation_id)
        self.drafts.delete_all([id_of(v) for v in self.drafts.versions(consultation_id)])
        self.consultations.delete(consultation)

    def erase(self, person: Person, *, delete_submissions: bool) -> int:
        """Erase a person, in this transaction: their platform accounts and what waits for
        them there, the buttons offered in their chats, their dialogs, their name and
        details; their submissions deleted or left without an author
        (`Submissions.disown`). Returns how many submissions were deleted. After the
        commit, SQLite's log is folded into the database and emptied (`Store.transaction`),
        so the erased values do not linger there."""
        person_id = id_of(person)
        chats = self.people.forget_accounts(person_id)
        self.outbox.drop(chats)  # messages still waiting for them name their account
        for chat in chats:  # keyed by chat and message id
            self.values.delete_prefix(f"choices:{chat}:")
        self.dialogs.clear_all(person_id)
        self.session.info[ERASED] = True  # shared with the batch's siblings
        deleted = self.submissions.disown(person_id, delete=delete_submissions)
        self.people.anonymise(person)
        return deleted
