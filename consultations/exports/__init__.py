"""Exports of a consultation's record: Word, HTML, CSV, JSON and Markdown.

`Record` (in `record.py`) is everything an export shows, already attributed as the
policy allows; each format's module only lays it out and returns bytes, without touching
files, so the chat command and the command line share them. Headings come through `t`
(the bot's message catalog), so an export reads in the language of whoever asked for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from consultations.exports import html, jsonrecord, tabular
from consultations.exports.markdown import to_markdown
from consultations.exports.record import (
    DecisionRecord,
    Record,
    RoundRecord,
    Status,
    SubmissionRecord,
    Text,
    VersionRecord,
)

__all__ = [
    "ALIASES",
    "EXPORTERS",
    "DecisionRecord",
    "Exporter",
    "Record",
    "RoundRecord",
    "Status",
    "SubmissionRecord",
    "Text",
    "VersionRecord",
    "export_format",
    "filename",
    "render",
    "to_markdown",
]


@dataclass(frozen=True)
class Exporter:
    extension: str
    media_type: str
    render: Callable[[Record, Text], bytes]


def _markdown(record: Record, t: Text) -> bytes:
    return to_markdown(record, t).encode()


def _docx(record: Record, t: Text) -> bytes:
    # python-docx and lxml cost memory in every worker; load them when a Word file is asked for
    from consultations.exports.docx import to_docx

    return to_docx(record, t)


EXPORTERS: dict[str, Exporter] = {
    "docx": Exporter(
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _docx,
    ),
    "html": Exporter("html", "text/html", html.to_html),
    "csv": Exporter("csv", "text/csv", tabular.to_csv),
    "json": Exporter("json", "application/json", jsonrecord.to_json),
    "markdown": Exporter("md", "text/markdown", _markdown),
}

ALIASES: dict[str, str] = {"md": "markdown", "word": "docx", "htm": "html"}


def export_format(name: str) -> str | None:
    """The format `name` means (`md`, `.docx`, `Word`...), or None if there is none."""
    name = name.lower().lstrip(".")
    name = ALIASES.get(name, name)
    return name if name in EXPORTERS else None


def filename(record: Record, fmt: str) -> str:
    slug = (
        "".join(ch if ch.isalnum() else "-" for ch in record.title.lower()).strip("-")[:40]
        or "consultation"
    )
    number = record.version.number if record.version else 0
    return f"{slug}-v{number}.{EXPORTERS[fmt].extension}"


def render(record: Record, fmt: str, t: Text) -> tuple[str, str, bytes]:
    """(filename, media type, content) of the record in format `fmt`."""
    exporter = EXPORTERS[fmt]
    return filename(record, fmt), exporter.media_type, exporter.render(record, t)
