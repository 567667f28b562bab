"""CSV and JSON: what goes out reads back to the same record, and opens safely."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.catalog import Catalog
from consultations.exports import Status, SubmissionRecord, render
from consultations.exports.jsonrecord import SCHEMA, RecordFormatError, from_json, to_json
from consultations.exports.tabular import COLUMNS, from_csv, neutralise, to_csv
from consultations.model import Kind
from tests.exports.played import HIDDEN, INJECTIONS, WITHDRAWN, Played

SCHEMA_FILE = Path(__file__).parents[2] / "docs" / "export-schema.json"


def t(key: str, **values: object) -> str:
    return Catalog().text(key, None, **values)


def rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


async def test_csv_has_one_row_per_submission_and_reads_back(played: Played) -> None:
    record = played.record()
    filename, media_type, content = render(record, "csv", t)
    assert filename.endswith(".csv") and media_type == "text/csv"
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheets need for UTF-8
    table = rows(content)
    assert list(table[0]) == list(COLUMNS)
    assert len(table) == len(record.submissions) == 19
    assert from_csv(content) == record.submissions
    by_id = {int(r["id"]): r for r in table}
    assert by_id[played.hidden]["status"] == "hidden" and by_id[played.hidden]["text"] == ""
    assert by_id[played.withdrawn]["status"] == "withdrawn"
    assert by_id[played.withdrawn]["text"] == WITHDRAWN
    assert by_id[played.amendment_cs]["decision"] == "accepted"
    assert by_id[played.amendment_rejected]["decision"] == "rejected"
    assert sum(r["status"] == "superseded" for r in table) == 1
    assert HIDDEN.encode() not in content


async def test_csv_neutralises_what_a_spreadsheet_would_run_as_a_formula(played: Played) -> None:
    content = to_csv(played.record())
    cells = [r["text"] for r in rows(content)]
    for injection in INJECTIONS:
        assert "'" + injection in cells, injection
        assert injection not in cells
    # and the raw bytes never put a formula at the start of a cell
    for line in csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")):
        for cell in line:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-A1", "'-A1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'quoted", "''quoted"),
        ("plain = fine", "plain = fine"),
        ("", ""),
    ],
)
def test_neutralise(cell: str, shown: str) -> None:
    assert neutralise(cell) == shown


texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1
)


@given(st.lists(st.tuples(texts, texts), max_size=5))
def test_any_text_survives_the_csv_round_trip(pairs: list[tuple[str, str]]) -> None:
    from consultations.exports import Record

    submissions = tuple(
        SubmissionRecord(
            id=n,
            round=1,
            version=1,
            paragraph=1,
            paragraph_uid="p1",
            group="civil-society",
            author=author,
            kind=Kind.COMMENT,
            text=text,
            created_at=datetime(2026, 12, 1, 9, n % 60, tzinfo=UTC),
            status=Status.LIVE,
        )
        for n, (author, text) in enumerate(pairs, start=1)
    )
    record = Record(1, "T", "group", (), (), (), datetime(2027, 1, 1, tzinfo=UTC), (), submissions)
    assert from_csv(to_csv(record)) == submissions


async def test_json_is_the_whole_record_and_reads_back_equal(played: Played) -> None:
    record = played.record()
    filename, media_type, content = render(record, "json", t)
    assert filename.endswith(".json") and media_type == "application/json"
    document = json.loads(content)
    assert document["schema"] == SCHEMA == "consultbot.record/2"
    assert [v["number"] for v in document["versions"]] == [1, 2]
    assert len(document["submissions"]) == 19 and len(document["rounds"]) == 2
    assert from_json(content) == record
    assert from_json(to_json(from_json(content))) == record
    assert HIDDEN not in content.decode()


async def test_json_follows_the_documented_json_schema(played: Played) -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(to_json(played.record()))
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    for version in (1, 2):
        jsonschema.validate(json.loads(to_json(played.record(version))), schema)


def test_json_that_is_not_a_record_is_refused_with_a_reason() -> None:
    with pytest.raises(RecordFormatError, match=r"not a consultbot\.record/2"):
        from_json(b'{"schema": "something/2"}')
    with pytest.raises(RecordFormatError, match="not JSON"):
        from_json(b"<html>")
    with pytest.raises(RecordFormatError, match="title is missing"):
        from_json(json.dumps({"schema": SCHEMA, "consultation_id": 1}))
