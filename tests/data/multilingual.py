"""The multilingual comments fixture (surveillance-comments.tsv): each comment with the
language it is written in and the subject it is about, as its author meant it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FIXTURE = Path(__file__).with_name("surveillance-comments.tsv")


@dataclass(frozen=True)
class Written:
    id: int
    language: str
    subject: str
    text: str


def comments(language: str | None = None) -> list[Written]:
    """The fixture's comments (in `language` only, if given), numbered from 1 in file order."""
    rows = [
        line.rstrip("\n").split("\t")
        for line in FIXTURE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    found = [Written(i, lang, subject, text) for i, (lang, subject, text) in enumerate(rows, 1)]
    return [w for w in found if language is None or w.language == language]
