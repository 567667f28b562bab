"""The tables: what consultbot keeps, and the constraints that keep it consistent.

Constraints do the work that luck would otherwise do with several workers: a platform
message is stored once (unique source), a person has one dialog per chat (primary key),
a version number is cut once per consultation (unique), an amendment is decided once.
Times are aware datetimes in UTC; SQLModel stores them as UTC on SQLite and PostgreSQL.
A column that points at another row has that row's id type (`consultations.ids`); a
row's own `id` is None until it is written, and `id_of` gives it typed after.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import JSON, Column, Index, Integer, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from consultations.ids import (
    ConsultationId,
    GroupId,
    PersonId,
    RoundId,
    SubmissionId,
    VersionId,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Person(SQLModel, table=True):
    """Someone the bot knows. Erasure blanks every identifying field, keeps the pseudonym."""

    id: int | None = Field(default=None, primary_key=True)
    pseudonym: str = Field(unique=True, max_length=32)
    display_name: str | None = Field(default=None, max_length=200)
    organisation: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=16)
    timezone: str | None = Field(default=None, max_length=64)
    # Set by the `language` command: the platform's language no longer overrides `language`.
    language_chosen: bool = False
    # Which consultation bare commands act on; no foreign key (person <-> consultation cycle).
    current_consultation_id: ConsultationId | None = Field(default=None, sa_type=Integer)
    created_at: datetime = Field(default_factory=utcnow)
    erased_at: datetime | None = None


class Identity(SQLModel, table=True):
    """One platform account of a person: `telegram:12345`, `matrix:@ana:example.org`."""

    id: int | None = Field(default=None, primary_key=True)
    platform_id: str = Field(unique=True, max_length=300)
    person_id: PersonId = Field(foreign_key="person.id", index=True, sa_type=Integer)
    dm_chat: str | None = Field(default=None, max_length=300)
    blocked_at: datetime | None = None


class Consultation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    attribution: str = Field(default="group", max_length=16)
    erasure: str = Field(default="pseudonymise", max_length=16)
    timezone: str = Field(default="UTC", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: PersonId | None = Field(default=None, sa_type=Integer)
    # Days raw submission text is kept after the last round closed; None keeps it.
    retention_days: int | None = None
    # The language of the draft's master text; translations are of it, and only text in
    # it enters the next version.
    language: str = Field(default="en", max_length=16, sa_column_kwargs={"server_default": "en"})
    # Hidden from every list of consultations (`consultation archive`); kept whole.
    archived_at: datetime | None = None
    # Delphi feedback: delegates receive the digest of each closed round (`feedback on`).
    feedback: bool = False


class StakeholderGroupRow(SQLModel, table=True):
    __tablename__ = "stakeholder_group"
    __table_args__ = (UniqueConstraint("consultation_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: ConsultationId = Field(
        foreign_key="consultation.id", index=True, sa_type=Integer
    )
    key: str = Field(max_length=64)
    name: str = Field(max_length=200)
    aliases: str = Field(default="", max_length=300)  # comma-separated


class Membership(SQLModel, table=True):
    """A person's role in one consultation; stakeholders belong to one group."""

    __table_args__ = (UniqueConstraint("consultation_id", "person_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: ConsultationId = Field(
        foreign_key="consultation.id", index=True, sa_type=Integer
    )
    person_id: PersonId = Field(foreign_key="person.id", index=True, sa_type=Integer)
    role: str = Field(max_length=16)
    group_id: GroupId | None = Field(
        default=None, foreign_key="stakeholder_group.id", sa_type=Integer
    )
    joined_at: datetime = Field(default_factory=utcnow)
    # Agreed to be shown by organisation or name where the consultation's policy says so.
    named_consent: bool = False


class DraftVersion(SQLModel, table=True):
    """An immutable version of the draft position."""

    __tablename__ = "draft_version"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: ConsultationId = Field(
        foreign_key="consultation.id", index=True, sa_type=Integer
    )
    number: int
    title: str = Field(max_length=300)
    parent_id: VersionId | None = Field(
        default=None, foreign_key="draft_version.id", sa_type=Integer
    )
    created_at: datetime = Field(default_factory=utcnow)
    created_by: PersonId | None = Field(default=None, foreign_key="person.id", sa_type=Integer)
    # When the first round opened on it: from then on it never changes (before, the
    # facilitator may still fix its split with `draft ...`).
    frozen_at: datetime | None = None


class ParagraphRow(SQLModel, table=True):
    """One reviewable paragraph of one version. `uid` stays the same across versions;
    `position` numbers the paragraphs 1..N, `place` orders them among the version's
    other parts (`DraftPart`)."""

    __tablename__ = "paragraph"
    __table_args__ = (
        UniqueConstraint("version_id", "position"),
        UniqueConstraint("version_id", "uid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: VersionId = Field(foreign_key="draft_version.id", index=True, sa_type=Integer)
    uid: str = Field(max_length=32)
    position: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    # The accepted amendments (submission ids) that produced this text in this version.
    sources: list[SubmissionId] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    place: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    label: str | None = Field(default=None, max_length=32)  # the number its author typed
    clause: str | None = Field(default=None, max_length=16)  # preambular, operative
    # [{"text", "url"}]: the links in its text
    links: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class DraftPart(SQLModel, table=True):
    """A part of a version that is not reviewed: a heading (which starts a section) or a
    note (a date, reference, signature, link, table, footnote, excluded paragraph)."""

    __tablename__ = "draft_part"

    version_id: VersionId = Field(foreign_key="draft_version.id", primary_key=True, sa_type=Integer)
    uid: str = Field(max_length=32, primary_key=True)
    place: int
    kind: str = Field(max_length=16)  # "heading", or the kind of note
    level: int | None = None  # a heading's
    text: str = Field(sa_column=Column(Text, nullable=False))
    links: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class ParagraphTranslation(SQLModel, table=True):
    """A part of one version in another language, aligned with the original by uid (a
    paragraph, heading or note; "title" for the title)."""

    __tablename__ = "paragraph_translation"

    version_id: VersionId = Field(foreign_key="draft_version.id", primary_key=True, sa_type=Integer)
    uid: str = Field(max_length=32, primary_key=True)
    language: str = Field(max_length=16, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    # The master text it translates: where that has changed since, it is out of date.
    original: str | None = Field(default=None, sa_column=Column(Text))


class Round(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: ConsultationId = Field(
        foreign_key="consultation.id", index=True, sa_type=Integer
    )
    version_id: VersionId = Field(foreign_key="draft_version.id", sa_type=Integer)
    number: int
    state: str = Field(default="scheduled", max_length=16)
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    # When the round reminds those who have not answered, in minutes before its close, as
    # the facilitator set it (`round reminders`); None: the default, by the round's length.
    reminders: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Who took part, fixed at the close (group key -> [answered, invited]): an erasure
    # after it does not rewrite the round's history. None until then.
    participation: dict[str, list[int]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )


class Submission(SQLModel, table=True):
    """One piece of input. `source` (platform, chat, message id) makes redelivery harmless."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: RoundId = Field(foreign_key="round.id", index=True, sa_type=Integer)
    person_id: PersonId | None = Field(
        default=None, foreign_key="person.id", index=True, sa_type=Integer
    )
    group_id: GroupId | None = Field(
        default=None, foreign_key="stakeholder_group.id", sa_type=Integer
    )
    paragraph_uid: str = Field(max_length=32)
    kind: str = Field(max_length=16)
    text: str | None = Field(default=None, sa_column=Column(Text))
    source: str | None = Field(default=None, max_length=400, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None
    superseded_at: datetime | None = None
    hidden_at: datetime | None = None
    hidden_reason: str | None = Field(default=None, max_length=500)
    # An endorsement: the amendment (or comment) it backs. No foreign key, on purpose: a
    # person erased under the delete policy takes their amendment with them, and others'
    # endorsements of it must not stop that (they simply point at nothing any more).
    target_id: SubmissionId | None = Field(default=None, index=True, sa_type=Integer)
    # The language the person worked in when they gave it (en, fr, es), if known.
    language: str | None = Field(default=None, max_length=16)
    # The language of the draft text it was made on: the master's, or a translation's.
    draft_language: str | None = Field(default=None, max_length=16)


Index("ix_submission_live", Submission.round_id, Submission.paragraph_uid, Submission.kind)  # type: ignore[arg-type]

# One live stance per person and paragraph in a round, whatever two workers do at once.
LIVE_STANCE = (
    "kind IN ('support', 'oppose', 'abstain') AND superseded_at IS NULL"
    " AND withdrawn_at IS NULL AND person_id IS NOT NULL"
)
Index(
    "uq_submission_live_stance",
    Submission.round_id,  # type: ignore[arg-type]
    Submission.person_id,  # type: ignore[arg-type]
    Submission.paragraph_uid,
    unique=True,
    sqlite_where=text(LIVE_STANCE),
    postgresql_where=text(LIVE_STANCE),
)


class AmendmentDecision(SQLModel, table=True):
    __tablename__ = "amendment_decision"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: SubmissionId = Field(foreign_key="submission.id", unique=True, sa_type=Integer)
    decision: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=2000)
    decided_by: PersonId | None = Field(default=None, foreign_key="person.id", sa_type=Integer)
    decided_at: datetime = Field(default_factory=utcnow)
    applied_in_version_id: VersionId | None = Field(
        default=None, foreign_key="draft_version.id", sa_type=Integer
    )
    # For an amendment made on a translation: its wording in the master language, which
    # is what the next version takes.
    text: str | None = Field(default=None, sa_column=Column(Text))


class Flag(SQLModel, table=True):
    """A participant's report that a quote they were shown should not be there."""

    __table_args__ = (UniqueConstraint("submission_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: SubmissionId = Field(foreign_key="submission.id", index=True, sa_type=Integer)
    person_id: PersonId | None = Field(default=None, foreign_key="person.id", sa_type=Integer)
    reason: str | None = Field(default=None, max_length=500)
    at: datetime = Field(default_factory=utcnow)


class Invite(SQLModel, table=True):
    """An invite code, kept only as its SHA-256 so a copy of the database admits nobody."""

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(unique=True, max_length=64)
    consultation_id: ConsultationId = Field(
        foreign_key="consultation.id", index=True, sa_type=Integer
    )
    group_id: GroupId | None = Field(
        default=None, foreign_key="stakeholder_group.id", sa_type=Integer
    )
    role: str = Field(default="stakeholder", max_length=16)
    uses_left: int = 1
    expires_at: datetime | None = None
    created_by: PersonId | None = Field(default=None, foreign_key="person.id", sa_type=Integer)
    created_at: datetime = Field(default_factory=utcnow)


class DialogState(SQLModel, table=True):
    """Where a person is in a conversation with the bot, per chat; survives restarts."""

    __tablename__ = "dialog_state"

    person_id: PersonId = Field(foreign_key="person.id", primary_key=True, sa_type=Integer)
    chat: str = Field(primary_key=True, max_length=300)
    step: str = Field(max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class ProcessedEvent(SQLModel, table=True):
    """Inbound platform events already handled, so a redelivered one is not acted on twice."""

    __tablename__ = "processed_event"

    source: str = Field(primary_key=True, max_length=400)
    at: datetime = Field(default_factory=utcnow)


class OutboxMessage(SQLModel, table=True):
    """A message to another person (a round opened, a decision), written with the change
    it announces and deleted once the platform took it or refused it for good; what a
    crash interrupted is sent after the restart."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    chat: str = Field(max_length=300)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    attempts: int = 0  # sends that failed; bounded (bot.outbox.OUTBOX_ATTEMPTS)
    tried_at: datetime | None = None  # the last failed send, for the back-off
    while_open: int | None = None  # a round: the notice is true only while it is open
    # When a worker took it to send; NULL: nobody is sending it (queued by a worker that
    # does not serve its platform, or its send failed), and a worker that does may take it.
    claimed_at: datetime | None = None


class AuditEvent(SQLModel, table=True):
    """A facilitator or secretariat action, hash-chained; actors appear by pseudonym only."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    consultation_id: ConsultationId | None = Field(default=None, index=True, sa_type=Integer)
    actor: str = Field(max_length=32)
    action: str = Field(max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64, unique=True)  # a chain, never a fork
    hash: str = Field(max_length=64, unique=True)


class KeyValue(SQLModel, table=True):
    """Small named values a component must keep across restarts (e.g. a sync position)."""

    __tablename__ = "key_value"

    key: str = Field(primary_key=True, max_length=200)
    value: str = Field(sa_column=Column(Text, nullable=False))


@overload
def id_of(row: Person) -> PersonId: ...
@overload
def id_of(row: Consultation) -> ConsultationId: ...
@overload
def id_of(row: StakeholderGroupRow) -> GroupId: ...
@overload
def id_of(row: DraftVersion) -> VersionId: ...
@overload
def id_of(row: Round) -> RoundId: ...
@overload
def id_of(row: Submission) -> SubmissionId: ...
def id_of(
    row: Person | Consultation | StakeholderGroupRow | DraftVersion | Round | Submission,
) -> int:
    """The id of a row read from the database or written to it (flushed), as its type."""
    assert row.id is not None, "a row has an id once it is written"
    return row.id
