"""What makes a stakeholder's input acceptable: an open round, a real paragraph, real text.

Text is cleaned the same way everywhere before it is stored: control and zero-width
characters go, runs of white space fold, and the length limit is checked on the result,
so what a person sees echoed back is exactly what was recorded.
"""

from __future__ import annotations

import re
import unicodedata

from consultations.errors import AmendmentUnchanged, EmptyText, TextTooLong, UnknownParagraph
from consultations.model import Kind

MAX_COMMENT_CHARS = 2000
MAX_AMENDMENT_CHARS = 4000

_INVISIBLE = {
    "\u200b",
    "\u200e",
    "\u200f",
    "\u061c",
    "\u2060",
    "\ufeff",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
}
# Separators that must keep the words on either side apart.
_BREAKS = str.maketrans(dict.fromkeys("\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029", " "))
_SPACES = re.compile(r"\s+")
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff\ufe20-\ufe2f"
# What is dropped: the invisible marks above, and controls (Unicode's Cc) and lone
# surrogates (Cs) but tab and newline. Cc and Cs are fixed ranges, so one pattern does it.
_DROPPED = re.compile(
    "["
    + "".join(re.escape(ch) for ch in sorted(_INVISIBLE))
    + "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]"
)
_COMBINING_RUN = re.compile(f"([{_MARKS}]{{3}})[{_MARKS}]+")


def clean_text(text: str) -> str:
    """Text as it will be stored and shown: visible characters, single spaces."""
    text = unicodedata.normalize("NFC", text.translate(_BREAKS))  # first: whole characters
    kept = _DROPPED.sub("", text)
    kept = _COMBINING_RUN.sub(r"\1", kept)  # stacked diacritics beyond three are noise
    kept = unicodedata.normalize("NFC", kept)  # and last, so cleaning twice changes nothing
    # Joiners are kept inside words (Persian, emoji) but mean nothing at either end.
    return _SPACES.sub(" ", kept).strip(" \u200c\u200d")


def check_paragraph(number: int, count: int) -> int:
    """The 0-based index of paragraph `number` (1-based, as people count)."""
    if not 1 <= number <= count:
        raise UnknownParagraph(number=number, count=count)
    return number - 1


def check_text(kind: Kind, text: str, paragraph_text: str | None = None) -> str:
    """The cleaned text of a comment or amendment, or the error to show the person."""
    cleaned = clean_text(text)
    if not cleaned:
        raise EmptyText()
    limit = MAX_AMENDMENT_CHARS if kind is Kind.AMENDMENT else MAX_COMMENT_CHARS
    if len(cleaned) > limit:
        raise TextTooLong(count=len(cleaned), limit=limit)
    if (
        kind is Kind.AMENDMENT
        and paragraph_text is not None
        and cleaned == clean_text(paragraph_text)
    ):
        raise AmendmentUnchanged()
    return cleaned
