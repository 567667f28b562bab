"""Exports of a consultation's record: Word, HTML, CSV, JSON and Markdown.

`Record` (in `record.py`) is everything an export shows, already attributed as the
policy allows; each format's module only lays it out and returns bytes, without touching
files, so the chat command and the command line share them. Headings come through `t`
(the bot's message catalog), so an export reads in the language of whoever asked for it.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from consultations.exports.record import (
    Change,
    DecisionRecord,
    NoteRecord,
    Record,
    RoundRecord,
    SectionRecord,
    Status,
    SubmissionRecord,
    Text,
    VersionRecord,
    with_provenance,
)

__all__ = [
    "ALIASES",
    "EXPORTERS",
    "Change",
    "DecisionRecord",
    "Exporter",
    "NoteRecord",
    "Record",
    "RoundRecord",
    "SectionRecord",
    "Status",
    "SubmissionRecord",
    "Text",
    "VersionRecord",
    "export_format",
    "filename",
    "render",
    "slug",
    "to_markdown",
    "with_provenance",
]


@dataclass(frozen=True)
class Exporter:
    extension: str
    media_type: str
    render: Callable[[Record, Text], bytes]


# Each format's module is loaded when a file in that format is asked for: a running bot
# that never exports pays for none of them (python-docx and lxml above all).


def to_markdown(record: Record, t: Text) -> str:
    from consultations.exports.markdown import to_markdown as markdown

    return markdown(record, t)


def _markdown(record: Record, t: Text) -> bytes:
    return to_markdown(record, t).encode()


def _docx(record: Record, t: Text) -> bytes:
    from consultations.exports.docx import to_docx

    return to_docx(record, t)


def _html(record: Record, t: Text) -> bytes:
    from consultations.exports.html import to_html

    return to_html(record, t)


def _csv(record: Record, t: Text) -> bytes:
    from consultations.exports.tabular import to_csv

    return to_csv(record, t)


def _json(record: Record, t: Text) -> bytes:
    from consultations.exports.jsonrecord import to_json

    return to_json(record, t)


EXPORTERS: dict[str, Exporter] = {
    "docx": Exporter(
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _docx,
    ),
    "html": Exporter("html", "text/html", _html),
    "csv": Exporter("csv", "text/csv", _csv),
    "json": Exporter("json", "application/json", _json),
    "markdown": Exporter("md", "text/markdown", _markdown),
}

ALIASES: dict[str, str] = {"md": "markdown", "word": "docx", "htm": "html"}


def zipped(files: Mapping[str, bytes]) -> bytes:
    """The files, by path, in one zip archive: how a chat sends a folder, or a large file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def export_format(name: str) -> str | None:
    """The format `name` means (`md`, `.docx`, `Word`...), or None if there is none."""
    name = name.lower().lstrip(".")
    name = ALIASES.get(name, name)
    return name if name in EXPORTERS else None


SLUG_LENGTH = 40  # characters of the title in a file name, at most


def slug(title: str, length: int = SLUG_LENGTH) -> str:
    """The title as a file name's words: lower case, accents dropped, words joined by "-",
    cut at the last whole word that fits in `length` ("consultation" for an empty one)."""
    plain = unicodedata.normalize("NFKD", title.lower())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    words = "".join(ch if ch.isalnum() else " " for ch in plain).split()
    kept: list[str] = []
    for word in words:
        if len("-".join([*kept, word])) > length:
            break
        kept.append(word)
    if not kept and words:  # one word longer than the whole: cut it, there is no boundary
        kept = [words[0][:length]]
    return "-".join(kept) or "consultation"


def filename(record: Record, fmt: str) -> str:
    """`foc-joint-statement-v3-2026-12-05.docx`: the title, the version and its date."""
    version = record.version
    stamp = f"-v{version.number}-{version.created_at:%Y-%m-%d}" if version else "-v0"
    return f"{slug(record.title)}{stamp}.{EXPORTERS[fmt].extension}"


def render(record: Record, fmt: str, t: Text) -> tuple[str, str, bytes]:
    """(filename, media type, content) of the record in format `fmt`."""
    exporter = EXPORTERS[fmt]
    return filename(record, fmt), exporter.media_type, exporter.render(record, t)
