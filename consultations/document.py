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
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from consultations.errors import (
    ConsultationError,
    EmptyDraft,
    EmptyText,
    NothingToReview,
    TextTooLong,
    UnknownParagraph,
    UnreadableDraftFile,
)
from consultations.submissions import MAX_AMENDMENT_CHARS, clean_text

OPENING_SECTION = "s0"  # the section before the first heading
MAX_PARAGRAPHS = 500


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


# --- what a line is ---------------------------------------------------------------------

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre"
    "|novembre|décembre|decembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto"
    "|septiembre|setiembre|octubre|noviembre|diciembre"
)
_DATE = re.compile(
    rf"(?i)^(?:[\w .'-]{{0,40}},\s*)?(?:(?:\d{{1,2}}(?:st|nd|rd|th|er)?\s+(?:de\s+)?)?"
    rf"(?:{_MONTHS})\.?\s+(?:de\s+)?(?:\d{{1,2}},?\s+)?(?:19|20)\d\d"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[./]\d{{1,2}}[./](?:19|20)\d\d)\.?$"
)
_REFERENCE = re.compile(
    r"(?i)^(?:(?:our\s+)?ref(?:erence)?\.?|réf(?:érence)?\.?|referencia|doc(?:ument)?\.?"
    r"|symbol|original|distr\.?|cote)\s*(?:no\.?|n°)?\s*:"
    r"|^[A-Z]{1,6}(?:/[A-Z0-9.()-]+){2,}$"
)
_SIGNATURE = re.compile(
    r"(?i)^(?:signed|signatories|signature|signé|signataires|firmado|firmantes"
    r"|on behalf of|au nom de|en nombre de|endorsed by)\b"
)
# A web address alone: "https://...", "www.example.org", or a bare "example.org/path".
_URL = re.compile(r"(?i)^(?:https?://\S+|(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/\S*)?)$")
_NOT_WORDS = re.compile(r"[\s|·•,;/–—-]+")


def note_kind(text: str, links: Sequence[Link] = ()) -> NoteKind | None:
    """The kind of note a paragraph of body text is, or None if it is one to review."""
    if _URL.match(text) or (links and not _NOT_WORDS.sub("", _without(text, links))):
        return NoteKind.LINK
    if len(text) <= 60 and _DATE.match(text):
        return NoteKind.DATE
    if len(text) <= 80 and _REFERENCE.match(text):
        return NoteKind.REFERENCE
    if len(text) <= 300 and _SIGNATURE.match(text):
        return NoteKind.SIGNATURE
    return None


def _without(text: str, links: Sequence[Link]) -> str:
    for link in links:
        text = text.replace(link.text, "", 1)
    return text


# The words that open preambular and operative paragraphs in UN-style texts, in the
# languages the bot speaks. A paragraph opening otherwise is neither (a statement's prose).
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


def right_to_left(texts: Iterable[str]) -> bool:
    """Whether any text is written right to left (Arabic, Hebrew, Persian...)."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for text in texts for ch in text)


_CLOSING = tuple(".;:,!?…")


def heading_like(text: str) -> bool:
    return (
        len(text) <= 100
        and len(text.split()) <= 12
        and text[0].isupper()
        and not text.endswith(_CLOSING)
    )


def links_in(text: str, links: Iterable[Link]) -> tuple[Link, ...]:
    """The links whose text still reads in `text` (after an edit or an amendment)."""
    return tuple(link for link in links if link.text in text)


# --- fixing the split before the first round -------------------------------------------


class DraftEditError(ConsultationError):
    """A change to the draft that cannot be made; `key` says why."""

    key = "draft.edit_refused"


class UnknownNote(DraftEditError):
    """values: number, count."""

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
        raise UnknownNote(number=number, count=len(notes))
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


# --- reading: what every reader of a draft file does the same way ----------------------

# Line breaks other than "\n": Word writes a manual line break as "\v" in plain text, so
# these must separate words rather than vanish with the other control characters.
_LINE_BREAKS = str.maketrans(
    {"\r": "\n", "\v": "\n", "\f": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n\n"}
)
# Control characters (Unicode category Cc) other than tab and newline, invisible
# characters that would make two identical-looking paragraphs differ, bidirectional
# overrides and isolates (they can make text read reversed), and lone surrogates (not
# text at all). ZWNJ and ZWJ are kept: Persian and Indic spelling and emoji need them.
_UNWANTED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u180e\u200b\u200e\u200f\u061c\u2060\ufeff"
    "\u202a-\u202e\u2066-\u2069\ud800-\udfff]+"
)


def clean_lines(text: str) -> str:
    """Unify line breaks; drop control characters (bar newline and tab) and invisibles."""
    return _UNWANTED.sub("", text.replace("\r\n", "\n").translate(_LINE_BREAKS))


def collapse(text: str) -> str:
    return " ".join(clean_lines(text).split())


_BULLET = "[-*+•◦▪‣]"
_ROMAN = "[ivxlcIVXLC]{1,6}"
# "1." "1)" "(1)" "(a)" "(iv)" "a)" "iv)": not "a." or "V.", which open names ("V. Smith").
_ORDINAL = rf"(?:\d{{1,3}}[.)]|\((?:\d{{1,3}}|[A-Za-z]|{_ROMAN})\)|(?:[A-Za-z]|{_ROMAN})\))"
LIST_ITEM = re.compile(rf"(?P<marker>{_BULLET}|{_ORDINAL})(?:[ \t]+(?P<rest>.*))?")
FIRST_ORDINAL = re.compile(r"\(?(?:0*1|[aAiI])[.)]?\)?")
_TYPED = re.compile(rf"^(?P<marker>{_ORDINAL}|{_BULLET})(?:\s+|$)")
_NUMBER = re.compile(r"^\(?(\d{1,3})[.)]?\)?$")


class Builder:
    """Collects a document's parts as a reader meets them, in order, and hands out ids.

    Body text is told apart here, the same for every format: a line that is a date, a
    reference, a signature or only links becomes a note; any other, a paragraph to review,
    with the number or bullet its author typed taken off the text and kept as its label.
    """

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.title: str | None = None
        self.parts: list[Part] = []
        self.remarks: dict[str, Remark] = {}
        self.blocks = 0  # what was met so far: a title must come first
        self._counts = {"p": 0, "s": 0, "n": 0}

    def _uid(self, prefix: str) -> str:
        return prefix  # given for good by `build`, in document order

    def marked_up(self) -> bool:
        """Whether the author marked headings (or a title) up; if not, `build` looks
        for them in plain lines."""
        return self.title is not None or any(isinstance(p, Heading) for p in self.parts)

    def heading(self, text: str, level: int, *, title: bool | None = None) -> None:
        """A heading; the document's title when it opens the document at level 1 (or
        when the reader says it is one: Word's Title style)."""
        text = collapse(text)
        self.blocks += 1
        if not text:
            return
        is_title = (self.blocks == 1 and level == 1) if title is None else title
        if is_title and self.title is None and not self.parts:
            self.title = text
        else:
            self.parts.append(Heading(self._uid("s"), text, level))

    def body(
        self,
        text: str,
        links: Sequence[Link] = (),
        *,
        label: str | None = None,
        listed: bool = False,
    ) -> None:
        """Body text: a paragraph to review, or a note where it is one."""
        text = collapse(text)
        self.blocks += 1
        if not text:
            return
        kind = None if listed else note_kind(text, links)
        if kind is NoteKind.LINK and not links:  # a bare address: it points where it says
            links = (Link(text, text if "://" in text else f"https://{text}"),)
        if kind is not None:
            self.note(kind, text, links)
            return
        if typed := _TYPED.match(text):  # a number typed before Word's own is dropped
            marker = typed["marker"]
            if label is None and not (len(marker) == 1 and not marker.isalnum()):
                label = marker
            text = text[typed.end() :]
            if not text:
                return
        self.parts.append(
            DraftParagraph(self._uid("p"), text, label, clause_of(text), links_in(text, links))
        )

    def note(self, kind: NoteKind, text: str, links: Sequence[Link] = ()) -> None:
        text = text.strip() if kind is NoteKind.TABLE else collapse(text)
        if text:
            self.parts.append(Note(self._uid("n"), text, kind, tuple(links)))

    def remark(self, key: str, **values: object) -> None:
        self.remarks.setdefault(key, Remark(key, values))

    def build(self) -> Document:
        """The document, or the error that says why there is nothing to review."""
        if not self.marked_up():
            self._find_headings()
        counts = {"p": 0, "s": 0, "n": 0}
        numbered: list[Part] = []
        for part in self.parts:
            counts[part.uid] += 1
            numbered.append(replace(part, uid=f"{part.uid}{counts[part.uid]}"))
        document = Document(self.title, tuple(numbered))
        paragraphs = document.paragraphs
        if not paragraphs:
            if document.headings or document.notes or self.title:
                raise NothingToReview(
                    headings=len(document.headings) + (1 if self.title else 0),
                    notes=len(document.notes),
                )
            raise EmptyDraft()
        if len(paragraphs) > MAX_PARAGRAPHS:
            raise UnreadableDraftFile(
                filename=self.filename,
                reason=f"it has {len(paragraphs)} paragraphs; the limit is {MAX_PARAGRAPHS}",
            )
        for number, paragraph in enumerate(paragraphs, start=1):
            # No amendment could ever replace a paragraph longer than an amendment may be.
            if len(paragraph.text) > MAX_AMENDMENT_CHARS:
                raise UnreadableDraftFile(
                    filename=self.filename,
                    reason=f"paragraph {number} has {len(paragraph.text)} characters; the "
                    f"limit is {MAX_AMENDMENT_CHARS}, so split it with blank lines",
                )
        self._restarts(paragraphs)
        if right_to_left(p.text for p in document.parts):
            self.remark("draft.remark.right_to_left")
        return replace(document, remarks=tuple(self.remarks.values()))

    def _find_headings(self) -> None:
        """In plain text, a short line without closing punctuation is the title when it
        opens the text, and a heading when paragraphs follow it; unless that would leave
        nothing to review."""
        candidates = [
            i
            for i, part in enumerate(self.parts)
            if isinstance(part, DraftParagraph) and part.label is None and heading_like(part.text)
        ]
        body = sum(isinstance(p, DraftParagraph) for p in self.parts)
        if not candidates or len(candidates) >= body:
            return
        parts: list[Part] = []
        for i, part in enumerate(self.parts):
            if i == candidates[0] == 0:
                self.title = part.text
            elif i in candidates and any(isinstance(p, DraftParagraph) for p in self.parts[i:][1:]):
                parts.append(Heading("s", part.text, 2))
            else:
                parts.append(part)
        self.parts = parts

    def _restarts(self, paragraphs: Sequence[DraftParagraph]) -> None:
        """Say where typed numbers start again: the bot's own numbers are the ones to use."""
        previous: int | None = None
        for number, paragraph in enumerate(paragraphs, start=1):
            typed = _NUMBER.match(paragraph.label or "")
            if typed is None:
                continue
            value = int(typed[1])
            if previous is not None and value <= previous:
                self.remark("draft.remark.numbering_restarts", number=number, label=paragraph.label)
                return
            previous = value


# Words so common in each language that a page of text is full of them.
_COMMON = {
    "en": "the and of to in that is for on with as by its are be this which",
    "fr": "le la les des et du que une est dans pour sur au aux qui ce par",
    "es": "el la los las y del que una es por para con se al lo como su",
}
_FUNCTION_WORDS = {code: frozenset(words.split()) for code, words in _COMMON.items()}


def guess_language(texts: Iterable[str]) -> str | None:
    """The language (en, fr, es) the texts are plainly written in, or None if unsure."""
    words = re.findall(r"\w+", " ".join(texts).lower())
    scores = sorted(
        ((sum(w in common for w in words), code) for code, common in _FUNCTION_WORDS.items()),
        reverse=True,
    )
    (best, code), (second, _) = scores[0], scores[1]
    return code if best >= 3 and best > 1.5 * second else None
