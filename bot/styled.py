"""Styled text: what the bot says, with the few marks a platform can show.

A `Styled` text is a tuple of spans, each plain or marked: deleted (shown struck
through), inserted (shown in bold), or code (a text to copy: monospace, which Telegram
copies with one tap and Matrix shows as a code block). That is the whole markup:
people's words are only ever a span's text, never markup, and each adapter writes the
marks in its platform's terms (Telegram HTML, Matrix's formatted body) with every span
escaped. Where nothing can be styled (the console, a notice in the outbox) `plain()` is
the text to show, with the marks written out so a change still reads (code as it is):

    We will refuse licences where there is a [clear → substantial] risk.
    Urges companies to act [+without delay].     The Coalition[−,] welcomes the steps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Mark(StrEnum):
    DELETED = "deleted"  # text taken out: struck through
    INSERTED = "inserted"  # text put in: bold
    CODE = "code"  # text to copy, edit and send back: monospace, copied with one tap


@dataclass(frozen=True)
class Span:
    text: str
    mark: Mark | None = None


@dataclass(frozen=True)
class Styled:
    """Text with marks; `+` and `join` build it from strings and other styled texts."""

    spans: tuple[Span, ...] = ()

    @classmethod
    def of(cls, text: str, mark: Mark | None = None) -> Styled:
        return cls((Span(text, mark),) if text else ())

    @classmethod
    def join(cls, separator: str, parts: Iterable[str | Styled]) -> Styled:
        joined = cls()
        for index, part in enumerate(parts):
            joined = joined + (separator if index else "") + part
        return joined

    def __add__(self, other: str | Styled) -> Styled:
        spans = list(self.spans)
        for span in _spans(other):
            if spans and spans[-1].mark == span.mark:  # neighbours alike become one span
                spans[-1] = Span(spans[-1].text + span.text, span.mark)
            elif span.text:
                spans.append(span)
        return Styled(tuple(spans))

    def __radd__(self, other: str) -> Styled:
        return Styled.of(other) + self

    @property
    def text(self) -> str:
        """The characters shown, without the marks (what a platform's limits count)."""
        return "".join(span.text for span in self.spans)

    @property
    def marked(self) -> bool:
        return any(span.mark is not None for span in self.spans)

    def slice(self, start: int, end: int) -> Styled:
        """The spans between two offsets of `text`."""
        out: list[Span] = []
        offset = 0
        for span in self.spans:
            low, high = max(start - offset, 0), min(end - offset, len(span.text))
            if low < high:
                out.append(Span(span.text[low:high], span.mark))
            offset += len(span.text)
        return Styled(tuple(out))

    def plain(self) -> str:
        """The text with each change written out: [old → new], [+added], [−removed]."""
        out: list[str] = []
        spans = list(self.spans)
        index = 0
        while index < len(spans):
            span = spans[index]
            following = spans[index + 1] if index + 1 < len(spans) else None
            if span.mark is None or span.mark is Mark.CODE:
                out.append(span.text)
            elif span.mark is Mark.DELETED and following and following.mark is Mark.INSERTED:
                out.append(_bracketed(span.text, following.text, "{} → {}"))
                index += 1
            else:
                sign = "+" if span.mark is Mark.INSERTED else "−"
                out.append(_bracketed(span.text, "", sign + "{}"))
            index += 1
        return "".join(out)


def _spans(part: str | Styled) -> tuple[Span, ...]:
    return Styled.of(part).spans if isinstance(part, str) else part.spans


def _bracketed(first: str, second: str, pattern: str) -> str:
    """A change in brackets, with the white space around it left outside them."""
    whole = first + second
    before = whole[: len(whole) - len(whole.lstrip())]
    after = whole[len(whole.rstrip()) :]
    inside = pattern.format(first.strip(), second.strip())
    return f"{before}[{inside}]{after}"
