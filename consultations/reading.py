"""What every reader of a draft file does the same way: clean the text, tell a note
from a paragraph to review, find headings in plain text, and collect the parts in order.

The readers (`consultations.drafts` for Markdown and plain text, `consultations.word`
for Word) walk their format and tell a `Builder` what they meet; it gives the parts their
ids in document order, checks the limits, and says what the facilitator should know
(`Remark`: restarted numbering, right-to-left text...).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import replace

from consultations.document import (
    Document,
    DraftParagraph,
    Heading,
    Link,
    Note,
    NoteKind,
    Part,
    Remark,
    clause_of,
    links_in,
)
from consultations.errors import EmptyDraft, NothingToReview, UnreadableDraftFile
from consultations.submissions import MAX_AMENDMENT_CHARS

MAX_PARAGRAPHS = 500

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


# --- cleaning, and collecting the parts ----------------------------------------------

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
