"""The consultation's record: everything an export shows, as plain frozen data.

The bot assembles a `Record` from the store, already attributed as the consultation's
policy allows (by stakeholder group unless the consultation says more, and never more
than "a member of GROUP" for someone who erased their data). The renderers in this
package only lay it out, so none of them can reveal more than the record holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from consultations.document import OPENING_SECTION, Link, NoteKind
from consultations.ids import ConsultationId, SubmissionId
from consultations.model import Kind, StakeholderGroup
from consultations.summary import Paragraph, Summary

Text = Callable[..., str]  # t(key, **values) -> text in the reader's language


class Status(StrEnum):
    """Where a submission stands; only live input counts in tallies."""

    LIVE = "live"
    SUPERSEDED = "superseded"  # a later stance of the same person replaced it
    WITHDRAWN = "withdrawn"  # its author took it back
    HIDDEN = "hidden"  # a facilitator hid it; its text is not exported


@dataclass(frozen=True)
class NoteRecord:
    """A part of the draft nobody votes on: a date, reference, signature, link, table
    (rows on lines, cells apart by tabs), footnote, or a paragraph excluded from review."""

    uid: str
    kind: NoteKind
    text: str
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class SectionRecord:
    """A heading and the parts under it (paragraph and note uids, in document order).
    The text before the first heading is the section "s0", without a heading."""

    uid: str
    heading: str | None
    level: int  # as written (1 for "#" or Heading 1); 0 for the opening section
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """The accepted amendments that changed a paragraph's text in one version."""

    version: int
    amendments: tuple[SubmissionId, ...]


@dataclass(frozen=True)
class VersionRecord:
    number: int
    title: str
    created_at: datetime
    paragraphs: tuple[Paragraph, ...]
    sources: dict[str, tuple[SubmissionId, ...]]  # paragraph uid -> amendments that made its text
    parent: int | None = None  # the version this one was cut from
    # The document: its sections in order, and its notes. A version without them (one
    # read from an older record) is its paragraphs alone, in one untitled section.
    sections: tuple[SectionRecord, ...] = ()
    notes: tuple[NoteRecord, ...] = ()
    language: str | None = None  # of the master text
    # paragraph uid -> every change that shaped its text since version 1, oldest first
    # (`sources` holds the last version's alone)
    provenance: dict[str, tuple[Change, ...]] = field(default_factory=dict)

    def layout(self) -> list[tuple[SectionRecord, list[Paragraph | NoteRecord]]]:
        """The document in order: each section with its paragraphs and notes."""
        sections = self.sections or (
            SectionRecord(OPENING_SECTION, None, 0, tuple(p.uid for p in self.paragraphs)),
        )
        parts: dict[str, Paragraph | NoteRecord] = {p.uid: p for p in self.paragraphs}
        parts.update((n.uid, n) for n in self.notes)
        return [(s, [parts[uid] for uid in s.parts if uid in parts]) for s in sections]

    def heading_level(self, section: SectionRecord) -> int:
        """A section heading's level counted from the draft's highest (1), at most 3."""
        levels = [s.level for s in self.sections if s.heading is not None]
        return min(3, section.level - min(levels, default=1) + 1)


@dataclass(frozen=True)
class DecisionRecord:
    amendment_id: SubmissionId
    paragraph: int
    author: str
    text: str
    decision: str
    note: str | None
    version: int | None  # the version it was applied in
    group: str | None = None  # the stakeholder group key of the amendment's author
    decided_at: datetime | None = None


@dataclass(frozen=True)
class RoundRecord:
    number: int
    version: int
    state: str
    opened_at: datetime | None
    closed_at: datetime | None
    summary: Summary


@dataclass(frozen=True)
class SubmissionRecord:
    """One piece of input, live or not, as an analyst sees it."""

    id: SubmissionId
    round: int
    version: int  # the version the round reviewed
    paragraph: int  # the paragraph's number in that version
    paragraph_uid: str
    group: str | None  # stakeholder group key
    author: str  # the attribution label the policy allows
    kind: Kind
    text: str | None  # None for stances, and for hidden input
    created_at: datetime
    status: Status
    target: SubmissionId | None = None  # an endorsement: the submission it backs


@dataclass(frozen=True)
class Record:
    consultation_id: ConsultationId
    title: str
    attribution: str
    versions: tuple[VersionRecord, ...]
    rounds: tuple[RoundRecord, ...]
    decisions: tuple[DecisionRecord, ...]
    generated_at: datetime
    groups: tuple[StakeholderGroup, ...] = ()
    submissions: tuple[SubmissionRecord, ...] = ()

    @property
    def version(self) -> VersionRecord | None:
        """The draft this record presents: its latest version."""
        return self.versions[-1] if self.versions else None

    def parent_of(self, version: VersionRecord) -> VersionRecord | None:
        wanted = version.parent if version.parent is not None else version.number - 1
        return next((v for v in self.versions if v.number == wanted), None)

    def group_name(self, key: str | None) -> str | None:
        return next((g.name for g in self.groups if g.key == key), None)


def with_provenance(versions: Sequence[VersionRecord]) -> tuple[VersionRecord, ...]:
    """The versions (in order, each after its parent), each with its paragraphs'
    cumulative provenance: the parent's changes, then its own `sources`."""
    done: dict[int, VersionRecord] = {}
    result = []
    for v in versions:
        parent = done.get(v.parent if v.parent is not None else v.number - 1)
        inherited = parent.provenance if parent is not None else {}
        provenance = {
            p.uid: inherited.get(p.uid, ())
            + ((Change(v.number, v.sources[p.uid]),) if v.sources.get(p.uid) else ())
            for p in v.paragraphs
        }
        done[v.number] = replace(v, provenance={k: c for k, c in provenance.items() if c})
        result.append(done[v.number])
    return tuple(result)


def when(value: datetime | None) -> str:
    """A time as the record prints it: minutes, in UTC."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"
