"""People and their platform accounts (`Identity`): who wrote, created on first contact,
where they can be reached, accounts linked together, and what erasure leaves of them.

Who sent an event is read as a `Sender`, plain values on the driver (`storage.driver`):
for a batch, every sender in one statement (`read_ahead`), with the latest round of each
consultation they are in (`Rounds.facts`). A turn that changes the person loads their
`Person` row (`person`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

import sqlalchemy
from sqlalchemy import String, and_, bindparam
from sqlalchemy.sql import Select
from sqlmodel import col, select

from consultations.ids import ConsultationId, PersonId
from storage.consultations import Member
from storage.rounds import Rounds
from storage.tables import Identity, Membership, Person, id_of, utcnow
from storage.unit_of_work import SENDERS, Repository, UnitOfWork

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
    through their `Person` row (`People.person`)."""

    platform_id: str
    person_id: PersonId
    pseudonym: str
    language: str | None
    language_chosen: bool
    timezone: str | None
    consultation_id: ConsultationId | None  # their current consultation
    members: tuple[Member, ...]  # their roles there
    dm_chat: str | None
    blocked: bool


class People(Repository):
    def __init__(self, session: UnitOfWork, rounds: Rounds) -> None:
        super().__init__(session)
        self.rounds = rounds
        self._identities: dict[str, Identity] = {}  # accounts this event looked up

    def sibling(self) -> People:
        """The same, for the next event of a batch, which starts from what this one knew."""
        sibling = People(self.session, self.rounds)
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
            identity = Identity(platform_id=platform_id, person_id=id_of(person))
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

    def person(self, person_id: PersonId) -> Person:
        person = self.session.row(Person, person_id)
        if person is None:
            raise LookupError(f"no person {person_id}")
        return person

    def persons(self, person_ids: Iterable[PersonId]) -> dict[PersonId, Person]:
        ids = set(person_ids)
        found = self.session.exec(select(Person).where(col(Person.id).in_(ids))).all()
        return {id_of(person): person for person in found}

    def identities_of(self, person_ids: Iterable[PersonId]) -> dict[PersonId, list[Identity]]:
        """Each person's platform accounts, oldest first."""
        ids = set(person_ids)
        out: dict[PersonId, list[Identity]] = {}
        for identity in self.session.exec(
            select(Identity).where(col(Identity.person_id).in_(ids)).order_by(col(Identity.id))
        ):
            out.setdefault(identity.person_id, []).append(identity)
        return out

    def identities(self, person_id: PersonId) -> Sequence[Identity]:
        return self.identities_of([person_id]).get(person_id, [])

    def note_dm_chat(self, sender: Sender, chat: str) -> None:
        """They wrote to the bot in private: reachable there (again, if they had blocked it)."""
        if sender.dm_chat == chat and not sender.blocked:
            return
        identity = self.identity(sender.platform_id)
        if identity is not None and (identity.dm_chat != chat or identity.blocked_at is not None):
            identity.dm_chat, identity.blocked_at = chat, None
            self.session.add(identity)

    def move_identity(self, platform_id: str, person_id: PersonId) -> None:
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

    def forget_accounts(self, person_id: PersonId) -> set[str]:
        """Delete a person's platform accounts (erasure); the chats they were reached in."""
        chats: set[str] = set()
        for identity in self.identities(person_id):
            self._identities.pop(identity.platform_id, None)
            chats |= {identity.platform_id, *([identity.dm_chat] if identity.dm_chat else [])}
            self.session.delete(identity)
        return chats

    def anonymise(self, person: Person) -> None:
        """Blank what names or describes a person (erasure); the pseudonym stays."""
        person.display_name = None
        person.organisation = None
        person.language = None
        person.timezone = None
        person.erased_at = utcnow()
        self.session.add(person)
        self.session.flush()
