"""The record's submissions as CSV, one row per submission, safe to open in a spreadsheet.

Analysts open this in Excel or LibreOffice Calc, where a cell that starts with `=`, `+`,
`-` or `@` (or a tab or carriage return, which some importers strip first) is run as a
formula: a comment like `=HYPERLINK("http://evil.example", "click")` would become a live
link. Such cells get a leading apostrophe, which spreadsheets read as "this is text".
Cells that start with an apostrophe get one more, so `from_csv` can take exactly one off
and give back what was said, character for character.

The file is UTF-8 with a byte order mark, which Excel needs to read accents correctly.
Column names are identifiers, not prose: they stay the same in every language.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from consultations.exports.record import Record, Status, SubmissionRecord, Text
from consultations.ids import SubmissionId
from consultations.model import Kind

COLUMNS = (
    "id",
    "round",
    "version",
    "paragraph",
    "paragraph_uid",
    "group",
    "group_name",
    "author",
    "kind",
    "text",
    "created_at",
    "status",
    "target",
    "decision",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """The cell as a spreadsheet will show it as text, never run it as a formula."""
    return "'" + cell if cell.startswith((*FORMULA_STARTS, "'")) else cell


def restore(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def to_csv(record: Record, t: Text | None = None) -> bytes:
    """Every submission of the record, live or not, with its status."""
    decisions = {d.amendment_id: d.decision for d in record.decisions}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for s in record.submissions:
        row = (
            s.id,
            s.round,
            s.version,
            s.paragraph,
            s.paragraph_uid,
            s.group or "",
            record.group_name(s.group) or "",
            s.author,
            s.kind.value,
            s.text or "",
            s.created_at.isoformat(),
            s.status.value,
            "" if s.target is None else s.target,
            decisions.get(s.id, ""),
        )
        writer.writerow([neutralise(str(cell)) for cell in row])
    return out.getvalue().encode("utf-8-sig")


def from_csv(data: bytes) -> tuple[SubmissionRecord, ...]:
    """The submissions back from `to_csv`'s output (derived columns are ignored)."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    result = []
    for raw in reader:
        row = {key: restore(value) for key, value in raw.items()}
        result.append(
            SubmissionRecord(
                id=SubmissionId(int(row["id"])),
                round=int(row["round"]),
                version=int(row["version"]),
                paragraph=int(row["paragraph"]),
                paragraph_uid=row["paragraph_uid"],
                group=row["group"] or None,
                author=row["author"],
                kind=Kind(row["kind"]),
                text=row["text"] or None,
                created_at=datetime.fromisoformat(row["created_at"]),
                status=Status(row["status"]),
                target=SubmissionId(int(row["target"])) if row.get("target") else None,
            )
        )
    return tuple(result)
