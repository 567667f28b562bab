"""What every platform adapter needs the same way, written once.

* `split_text`: a long text in parts that each fit one platform message, cut where a
  reader would (paragraphs, else lines, else words, else characters). Each platform
  brings its own measure and limit: Telegram counts UTF-16 units, Matrix bytes of the event.

These are mechanics, not policy: what to say and to whom is decided in `bot/`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Measure = Callable[[str], int]

SEPARATORS = ("\n\n", "\n", " ")  # where a text is cut, best first


def split_text(text: str, limit: int, measure: Measure) -> list[str]:
    """`text` in parts of at most `limit` by `measure`, each stripped, none blank.

    `measure` must add up: the measure of two strings joined is the sum of theirs (a
    count of units or bytes, character by character), so a part is measured as it grows.
    """
    text = text.strip()
    if measure(text) <= limit:
        return [text] if text else []
    for separator in SEPARATORS:
        pieces = text.split(separator)
        if len(pieces) > 1:
            return _pack(pieces, separator, limit, measure)
    return _cut(text, limit, measure)


def _pack(pieces: Sequence[str], separator: str, limit: int, measure: Measure) -> list[str]:
    """Pieces joined by `separator` into parts as long as the limit allows; a piece too
    long on its own is cut finer."""
    gap = measure(separator)
    parts: list[str] = []
    current, size = "", 0
    for piece in pieces:
        piece_size = measure(piece)
        if current and size + gap + piece_size <= limit:
            current, size = f"{current}{separator}{piece}", size + gap + piece_size
            continue
        if current:
            parts.append(current)
        current, size = piece, piece_size
        if piece_size > limit:
            *whole, current = split_text(piece, limit, measure) or [""]
            parts.extend(whole)
            size = measure(current)
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _cut(text: str, limit: int, measure: Measure) -> list[str]:
    """One unbroken word longer than the limit, cut between characters."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        units = measure(char)
        if current and size + units > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += units
    return [*parts, "".join(current)]
