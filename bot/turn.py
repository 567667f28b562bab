"""A turn: one inbound event being handled, and everything a handler needs for it.

Handlers are plain functions `handler(turn, **arguments)`. They read and write through
`turn.records` (one database transaction for the whole turn), decide what to answer with
`turn.say(...)`, and queue messages to other people with `turn.notify(...)`. The
dispatcher sends all of it only after the transaction has committed, so nobody is told
about something that was then rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.catalog import Catalog, localise
from bot.commands import Command
from bot.events import (
    Attachment,
    Capability,
    ChatId,
    Choice,
    Inbound,
    MessageId,
    Outbound,
    Styled,
)
from bot.messages import ENGLISH
from bot.summary_options import SummaryOptions
from consultations.document import Document
from consultations.errors import ConsultationError
from consultations.ids import ConsultationId, GroupId, PersonId, RoundId
from consultations.model import Attribution, Role
from storage.consultations import Member
from storage.people import Sender
from storage.records import Records
from storage.tables import Consultation, Person, id_of


class Refusal(Exception):
    """Stop handling and tell the person why, from the catalog; nothing is committed."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


INPUT_PER_MINUTE = 60  # the default of the input_per_minute setting


@dataclass(frozen=True)
class Notice:
    person_id: PersonId
    key: str
    values: dict[str, Any]
    via: str | None = None  # this account of theirs (a platform id), not any reachable one
    while_open: RoundId | None = None  # true only while this round is open: else dropped


@dataclass
class Turn:
    records: Records
    event: Inbound
    sender: Sender  # who sent the event, as read when it arrived
    now: datetime
    catalog: Catalog
    capabilities: Capability
    admin: bool
    command_prefix: str = "/"  # before command names in usage lines: "!" on Matrix
    invite_links: Callable[[str], list[str]] = lambda code: []  # deep links, per platform
    replies: list[Outbound] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    menu_changed: bool = False  # roles or consultation changed: refresh the command menu
    schedule_changed: bool = False  # a round's times or state changed: re-plan the scheduler
    summary_options: SummaryOptions | None = None  # embeddings, abstractive layer, as configured
    input_per_minute: int = INPUT_PER_MINUTE  # input one person may give in a minute; 0: any
    # The Word file the event carries, read ahead in a child process (bot/isolation.py),
    # or why it could not be; None where nothing was read ahead.
    draft_file: Document | ConsultationError | None = None
    _person: Person | None = field(default=None, init=False, repr=False)
    _membership_cache: dict[tuple[PersonId, ConsultationId], Sequence[Member]] = field(
        default_factory=dict, repr=False
    )

    # ---- who, and where ------------------------------------------------------------------

    @property
    def person(self) -> Person:
        """The person's row, read on first use, for a handler that changes them (and saves
        it). What a turn only reads (`language`, `timezone`, `consultation()`) comes from
        `sender` until then, and from the row after."""
        if self._person is None:
            self._person = self.records.people.person(self.sender.person_id)
        return self._person

    def become(self, person: Person) -> None:
        """Go on as `person`: the account has just been linked to them."""
        self._person = person

    @property
    def person_id(self) -> PersonId:
        return self.sender.person_id if self._person is None else id_of(self._person)

    @property
    def language(self) -> str | None:
        return self.sender.language if self._person is None else self._person.language

    @property
    def timezone(self) -> str | None:
        return self.sender.timezone if self._person is None else self._person.timezone

    @property
    def pseudonym(self) -> str:
        return self.sender.pseudonym if self._person is None else self._person.pseudonym

    @property
    def consultation_id(self) -> ConsultationId | None:
        """The consultation bare commands act on."""
        if self._person is None:
            return self.sender.consultation_id
        return self._person.current_consultation_id

    @property
    def chat(self) -> ChatId:
        return self.event.chat

    def t(self, key: str, **values: Any) -> str:
        """The catalog's text for this person: their language, time zone and platform."""
        return self.catalog.text(
            key,
            self.language,
            command_prefix=self.command_prefix,
            **localise(values, self.timezone),
        )

    def usage(self, command: Command) -> str:
        """The command's usage line as this person types it: '/comment N TEXTE...'."""
        return self.command_prefix + command.usage(self.label)

    def label(self, argument: str) -> str:
        """An argument's name in this person's language ('TEXTE'), upper case if the
        catalog has none for it."""
        key = f"arg.{argument}"
        return self.t(key) if key in ENGLISH else argument.upper()

    def styled(self, key: str, **values: Any) -> Styled:
        """`t`, keeping the marks of styled values (a diff) for platforms that show them."""
        return self.catalog.styled(
            key,
            self.language,
            command_prefix=self.command_prefix,
            **localise(values, self.timezone),
        )

    def consultation(self) -> Consultation | None:
        cid = self.consultation_id
        return self.records.consultations.get(cid) if cid is not None else None  # identity-mapped

    def require_consultation(self) -> Consultation:
        consultation = self.consultation()
        if consultation is None:
            raise Refusal("no_consultation")
        return consultation

    def require_consultation_id(self) -> ConsultationId:
        """The current consultation's id, without reading the consultation."""
        if self.consultation_id is None:
            raise Refusal("no_consultation")
        return self.consultation_id

    def roles(self, consultation: Consultation | None = None) -> set[Role]:
        """The person's roles in `consultation` (the current one by default), read once a turn."""
        consultation_id = self.consultation_id if consultation is None else id_of(consultation)
        if consultation_id is None:
            return set()
        roles = {Role(m.role) for m in self._memberships(consultation_id)}
        return roles | ({Role.FACILITATOR} if self.admin else set())

    def _memberships(self, consultation_id: ConsultationId) -> Sequence[Member]:
        """The person's roles in a consultation, read once a turn (in their current one,
        read with the sender)."""
        key = (self.person_id, consultation_id)
        if key not in self._membership_cache:
            if key == (self.sender.person_id, self.sender.consultation_id):
                self._membership_cache[key] = self.sender.members
            else:
                self._membership_cache[key] = self.records.consultations.roles(
                    consultation_id, self.person_id
                )
        return self._membership_cache[key]

    def group_id(self, consultation_id: ConsultationId) -> GroupId | None:
        """The stakeholder group the person speaks for in a consultation, if any."""
        for member in self._memberships(consultation_id):
            if member.role == Role.STAKEHOLDER and member.group_id is not None:
                return member.group_id
        return None

    # ---- what to answer ------------------------------------------------------------------

    def say(
        self,
        key: str,
        *,
        choices: tuple[tuple[Choice, ...], ...] = (),
        attachment: Attachment | None = None,
        edit_of: MessageId | None = None,
        expects_reply: bool = False,
        **values: Any,
    ) -> None:
        styled = any(isinstance(value, Styled) for value in values.values())
        self.say_text(
            self.styled(key, **values) if styled else self.t(key, **values),
            choices=choices,
            attachment=attachment,
            edit_of=edit_of,
            expects_reply=expects_reply,
        )

    def say_text(
        self,
        text: str | Styled,
        *,
        choices: tuple[tuple[Choice, ...], ...] = (),
        attachment: Attachment | None = None,
        edit_of: MessageId | None = None,
        expects_reply: bool = False,
    ) -> None:
        self.replies.append(
            Outbound.of(
                self.chat,
                text,
                choices=choices,
                attachment=attachment,
                edit_of=edit_of,
                expects_reply=expects_reply,
            )
        )

    def notify(
        self, person_id: PersonId, key: str, while_open: RoundId | None = None, **values: Any
    ) -> None:
        """Tell another person, after the commit (kept in the outbox until delivered, or
        until the round `while_open`, if given, is no longer open)."""
        self.notices.append(Notice(person_id, key, values, while_open=while_open))

    def notify_account(self, person_id: PersonId, account: str, key: str, **values: Any) -> None:
        """Tell a person on one account of theirs (a platform id), after the commit."""
        self.notices.append(Notice(person_id, key, values, via=account))

    def audit(self, consultation: Consultation | None, action: str, **detail: Any) -> None:
        self.records.audit.append(
            id_of(consultation) if consultation else None, self.pseudonym, action, detail
        )


def attribution_label(
    catalog: Catalog,
    language: str | None,
    policy: Attribution,
    *,
    group: str | None,
    person: Person | None,
    consented: bool = False,
) -> str:
    """How a submission's author is shown to others: by group, unless the policy says more
    and the person agreed to it (`consent yes`); an erased person is only ever their group."""
    group_name = group or catalog.text("group.unknown", language)
    if (
        person is None
        or person.erased_at is not None
        or policy is Attribution.GROUP
        or not consented
    ):
        return catalog.text("attribution.group", language, group=group_name)
    if policy is Attribution.ORGANISATION and person.organisation:
        return catalog.text(
            "attribution.organisation", language, organisation=person.organisation, group=group_name
        )
    if policy is Attribution.NAME and person.display_name:
        return catalog.text(
            "attribution.name", language, name=person.display_name, group=group_name
        )
    return catalog.text("attribution.group", language, group=group_name)
