"""The draft as a document: title, sections, the paragraphs delegates review, and notes.

A diplomatic draft is more than its paragraphs. It has a title; sometimes a date line, a
reference, signatures, links, tables and footnotes that nobody votes on (notes); headings
that divide it into sections; and the paragraphs to review, which may be preambular
("Recognizing...") or operative ("Calls upon..."), each perhaps with a number its author
typed ("3.", "(a)"), kept as its label. A `Document` holds all of it in document order,
each part with an id that stays the same while the draft is edited and across versions:

    Document(title, parts)    parts: Heading | DraftParagraph | Note, in order
        Heading         starts a section ("s1"...); the text before the first heading is
                        the opening section, "s0", which has no heading of its own
        DraftParagraph  reviewable ("p1"...); numbered 1..N in order by the bot
        Note            not reviewed ("n1"...): a date, reference, signature, link, table,
                        footnote, or a paragraph the facilitator excluded

Before the first round on a version, the facilitator may fix how the draft was split
(`exclude`, `include`, `merge`, `split`, `edit`); each returns a new document and raises
a `DraftEditError` (with its catalog key) where the change cannot be made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from consultations.errors import ConsultationError, EmptyText, TextTooLong, UnknownParagraph
from consultations.submissions import MAX_AMENDMENT_CHARS, clean_text

OPENING_SECTION = "s0"  # the section before the first heading


class Clause(StrEnum):
    """The two kinds of paragraph of a resolution-style text."""

    PREAMBULAR = "preambular"  # "Recalling...", "Concerned that..."
    OPERATIVE = "operative"  # "Calls upon...", "Decides..."


class NoteKind(StrEnum):
    """What a part that nobody votes on is."""

    DATE = "date"
    REFERENCE = "reference"
    SIGNATURE = "signature"
    LINK = "link"
    TABLE = "table"  # rows on lines, cells separated by tabs
    FOOTNOTE = "footnote"
    TEXT = "text"  # a paragraph the facilitator excluded from review


@dataclass(frozen=True)
class Link:
    """A link as its text reads, and where it points."""

    text: str
    url: str


@dataclass(frozen=True)
class Heading:
    uid: str
    text: str
    level: int = 1  # as the author wrote it: 1 for "#" or Heading 1


@dataclass(frozen=True)
class DraftParagraph:
    """A paragraph delegates review."""

    uid: str
    text: str
    label: str | None = None  # the number its author typed: "3.", "(a)"
    clause: Clause | None = None
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Note:
    """A part of the document that nobody votes on, kept where it was."""

    uid: str
    text: str
    kind: NoteKind = NoteKind.TEXT
    links: tuple[Link, ...] = ()


Part = Heading | DraftParagraph | Note


@dataclass(frozen=True)
class Remark:
    """Something the reader of a file noticed and the facilitator should know (tracked
    changes taken as accepted, images left out...): a catalog key and its values."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    """A heading and what follows it up to the next heading (a view of the parts)."""

    uid: str
    heading: Heading | None  # None for the opening section
    parts: tuple[DraftParagraph | Note, ...]

    @property
    def paragraphs(self) -> tuple[DraftParagraph, ...]:
        return tuple(p for p in self.parts if isinstance(p, DraftParagraph))


@dataclass(frozen=True)
class Document:
    title: str | None
    parts: tuple[Part, ...]
    remarks: tuple[Remark, ...] = ()  # from reading the file; not stored

    @property
    def paragraphs(self) -> tuple[DraftParagraph, ...]:
        """The reviewable paragraphs in order: paragraph N is `paragraphs[N - 1]`."""
        return tuple(p for p in self.parts if isinstance(p, DraftParagraph))

    @property
    def notes(self) -> tuple[Note, ...]:
        """The notes in order: note N is `notes[N - 1]`."""
        return tuple(p for p in self.parts if isinstance(p, Note))

    @property
    def headings(self) -> tuple[Heading, ...]:
        return tuple(p for p in self.parts if isinstance(p, Heading))

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(p.text for p in self.paragraphs)

    def sections(self) -> tuple[Section, ...]:
        """The sections in order; the opening one only where something comes before the
        first heading."""
        found: list[Section] = []
        heading: Heading | None = None
        body: list[DraftParagraph | Note] = []
        for part in self.parts:
            if isinstance(part, Heading):
                if heading is not None or body:
                    found.append(_section(heading, body))
                heading, body = part, []
            else:
                body.append(part)
        if heading is not None or body:
            found.append(_section(heading, body))
        return tuple(found)

    def section_of(self, uid: str) -> Section | None:
        return next((s for s in self.sections() if any(p.uid == uid for p in s.parts)), None)


def _section(heading: Heading | None, body: list[DraftParagraph | Note]) -> Section:
    return Section(heading.uid if heading else OPENING_SECTION, heading, tuple(body))


def from_texts(title: str | None, texts: Iterable[str]) -> Document:
    """A document of plain paragraphs, uids p1..pN (a draft stored before documents)."""
    return Document(title, tuple(DraftParagraph(f"p{i}", t) for i, t in enumerate(texts, start=1)))


# --- what a paragraph is ------------------------------------------------------------------

_PREAMBULAR = re.compile(
    r"^(?:recalling|recognizing|recognising|reaffirming|noting|welcoming|acknowledging"
    r"|bearing in mind|considering|emphasizing|emphasising|stressing|expressing|affirming"
    r"|taking note|mindful|convinced|aware|guided by|deeply concerned|concerned|alarmed"
    r"|rappelant|reconnaissant|réaffirmant|notant|prenant note|considérant|soulignant"
    r"|conscients?|convaincus?|préoccupée?s?|profondément|se félicitant|ayant à l'esprit"
    r"|recordando|reconociendo|reafirmando|observando|tomando nota|considerando"
    r"|subrayando|teniendo presente|conscientes?|convencid[oa]s?|preocupad[oa]s?)\b",
    re.IGNORECASE,
)
_OPERATIVE = re.compile(
    r"^(?:calls upon|calls on|urges|decides|requests|encourages|invites|affirms|reaffirms"
    r"|condemns|welcomes|recommends|underlines|demands|appeals|commits|resolves"
    r"|demande|invite|décide|prie|exhorte|engage|encourage|condamne|se félicite"
    r"|recommande|exige|exhorta|insta|decide|pide|solicita|alienta|invita|condena"
    r"|acoge con beneplácito|recomienda|exige)\b",
    re.IGNORECASE,
)


def clause_of(text: str) -> Clause | None:
    """Preambular or operative, where the paragraph opens as such paragraphs do."""
    if _PREAMBULAR.match(text):
        return Clause.PREAMBULAR
    if _OPERATIVE.match(text):
        return Clause.OPERATIVE
    return None


def links_in(text: str, links: Iterable[Link]) -> tuple[Link, ...]:
    """The links whose text still reads in `text` (after an edit or an amendment)."""
    return tuple(link for link in links if link.text in text)


# --- fixing the split before the first round -------------------------------------------


class DraftEditError(ConsultationError):
    """A change to the draft that cannot be made; `key` says why."""

    key = "draft.edit_refused"


class UnknownNote(DraftEditError):
    """values: number, last."""

    key = "draft.unknown_note"


class LastParagraph(DraftEditError):
    key = "draft.last_paragraph"


class TableNote(DraftEditError):
    """values: number."""

    key = "draft.include_table"


class MergeOrder(DraftEditError):
    """values: first, last."""

    key = "draft.merge_order"


class MergeAcrossSections(DraftEditError):
    """values: first, last."""

    key = "draft.merge_sections"


class SplitNotFound(DraftEditError):
    """values: number, text."""

    key = "draft.split_not_found"


def _paragraph(document: Document, number: int) -> DraftParagraph:
    paragraphs = document.paragraphs
    if not 1 <= number <= len(paragraphs):
        raise UnknownParagraph(number=number, count=len(paragraphs))
    return paragraphs[number - 1]


def _checked(text: str) -> str:
    cleaned = clean_text(text)
    if not cleaned:
        raise EmptyText()
    if len(cleaned) > MAX_AMENDMENT_CHARS:
        # No amendment could ever replace a paragraph longer than an amendment may be.
        raise TextTooLong(length=len(cleaned), limit=MAX_AMENDMENT_CHARS)
    return cleaned


def _replaced(document: Document, old: Part, *new: Part) -> Document:
    parts: list[Part] = []
    for part in document.parts:
        parts.extend(new if part is old else (part,))
    return replace(document, parts=tuple(parts))


def _next_uid(document: Document, prefix: str) -> str:
    used = [int(p.uid[1:]) for p in document.parts if p.uid[:1] == prefix and p.uid[1:].isdigit()]
    return f"{prefix}{max(used, default=0) + 1}"


def exclude(document: Document, number: int) -> Document:
    """Paragraph `number` becomes a note: kept in place, no longer reviewed."""
    paragraph = _paragraph(document, number)
    if len(document.paragraphs) == 1:
        raise LastParagraph()
    note = Note(paragraph.uid, paragraph.text, NoteKind.TEXT, paragraph.links)
    return _replaced(document, paragraph, note)


def include(document: Document, number: int) -> Document:
    """Note `number` becomes a paragraph to review (an excluded one gets its id back)."""
    notes = document.notes
    if not 1 <= number <= len(notes):
        raise UnknownNote(number=number, last=len(notes))
    note = notes[number - 1]
    if note.kind is NoteKind.TABLE:
        raise TableNote(number=number)
    uid = note.uid if note.uid.startswith("p") else _next_uid(document, "p")
    text = _checked(note.text)
    return _replaced(document, note, DraftParagraph(uid, text, None, clause_of(text), note.links))


def merge(document: Document, first: int, last: int) -> Document:
    """Paragraphs `first` to `last` become one (with the first one's id and label); notes
    between them follow it."""
    if last <= first:
        raise MergeOrder(first=first, last=last)
    start, end = _paragraph(document, first), _paragraph(document, last)
    parts = list(document.parts)
    i, j = parts.index(start), parts.index(end)
    between = parts[i : j + 1]
    if any(isinstance(p, Heading) for p in between):
        raise MergeAcrossSections(first=first, last=last)
    joined = [p for p in between if isinstance(p, DraftParagraph)]
    text = _checked(" ".join(p.text for p in joined))
    merged = replace(start, text=text, links=tuple(x for p in joined for x in p.links))
    notes = [p for p in between if isinstance(p, Note)]
    return replace(document, parts=(*parts[:i], merged, *notes, *parts[j + 1 :]))


def split(document: Document, number: int, at: str) -> Document:
    """Paragraph `number` becomes two, the second starting at the first `at` after its
    opening words."""
    paragraph = _paragraph(document, number)
    wanted = " ".join(at.split())
    index = paragraph.text.find(wanted, 1) if wanted else -1
    head = paragraph.text[:index].rstrip() if index > 0 else ""
    if not head:
        raise SplitNotFound(number=number, text=wanted)
    tail = paragraph.text[index:]
    first = replace(paragraph, text=head, links=links_in(head, paragraph.links))
    second = DraftParagraph(
        _next_uid(document, "p"), tail, None, clause_of(tail), links_in(tail, paragraph.links)
    )
    return _replaced(document, paragraph, first, second)


def edit(document: Document, number: int, text: str) -> Document:
    """Paragraph `number` reads `text` instead (its id, label and kind stay)."""
    paragraph = _paragraph(document, number)
    cleaned = _checked(text)
    return _replaced(
        document,
        paragraph,
        replace(paragraph, text=cleaned, links=links_in(cleaned, paragraph.links)),
    )


def with_texts(document: Document, texts: Mapping[str, str]) -> Document:
    """The document with some paragraphs' text replaced (uid -> text): the next version."""
    parts: list[Part] = []
    for part in document.parts:
        if isinstance(part, DraftParagraph) and part.uid in texts:
            text = texts[part.uid]
            part = replace(part, text=text, links=links_in(text, part.links))
        parts.append(part)
    return replace(document, parts=tuple(parts))


def first_words(text: str, limit: int = 60) -> str:
    """The opening of a text, cut at a word, for a compact listing."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:") + "…"
