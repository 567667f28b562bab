"""The Word export: the draft with real tracked changes, and the annex of what was said."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import docx
from docx.oxml.ns import qn

from bot.catalog import Catalog
from consultations.diffing import word_diff
from consultations.exports import render
from tests.exports.played import DRAFT, V2_P2, V2_P3, Played

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def t(key: str, **values: object) -> str:
    return Catalog().text(key, None, **values)


def reopen(played: Played, version: int | None = None) -> docx.document.Document:
    _, media_type, content = render(played.record(version), "docx", t)
    assert media_type.endswith("wordprocessingml.document")
    return docx.Document(io.BytesIO(content))


def text_of(element) -> str:  # type: ignore[no-untyped-def]
    # lxml's itertext() repeats text under python-docx's custom run class: read w:t nodes
    return "".join(n.text or "" for n in element.iter(f"{W}t", f"{W}delText"))


def draft_paragraph(document: docx.document.Document, number: int):  # type: ignore[no-untyped-def]
    return next(p._p for p in document.paragraphs if text_of(p._p).startswith(f"{number}. "))


def ops_of(p) -> list[tuple[str, str, str | None]]:  # type: ignore[no-untyped-def]
    """(kind, text, author) for each stretch of the paragraph, in document order."""
    result: list[tuple[str, str, str | None]] = []
    for child in p:
        if child.tag == qn("w:r"):
            result.append(("equal", text_of(child), None))
        elif child.tag in (qn("w:ins"), qn("w:del")):
            kind = "insert" if child.tag == qn("w:ins") else "delete"
            result.append((kind, text_of(child), child.get(qn("w:author"))))
    # the paragraph number is a plain run of its own; fold equal runs together
    merged: list[tuple[str, str, str | None]] = []
    for item in result:
        if merged and merged[-1][0] == item[0] == "equal":
            merged[-1] = ("equal", merged[-1][1] + item[1], None)
        else:
            merged.append(item)
    return merged


async def test_changes_are_tracked_where_the_word_diff_says_by_the_amending_group(
    played: Played,
) -> None:
    document = reopen(played)
    old = [p for p in DRAFT.split("\n\n")[1:]]
    old = [p.strip() for p in old]

    p2 = ops_of(draft_paragraph(document, 2))
    expected = [(op.kind, op.text) for op in word_diff(old[1], V2_P2)]
    assert [(k, text) for k, text, _ in p2][1:] == expected[1:]
    assert p2[0] == ("equal", "2. " + expected[0][1], None)
    assert ("delete", "clear", f"Civil society (amendment #{played.amendment_cs})") in p2
    assert ("insert", "substantial", f"Civil society (amendment #{played.amendment_cs})") in p2

    p3 = ops_of(draft_paragraph(document, 3))
    expected = [(op.kind, op.text) for op in word_diff(old[2], V2_P3)]
    assert [(k, text) for k, text, _ in p3][1:] == expected[1:]
    authors = {author for kind, _, author in p3 if kind != "equal"}
    assert authors == {f"Private sector (amendment #{played.amendment_ps})"}

    # paragraph 1 did not change: no revision marks at all
    p1 = draft_paragraph(document, 1)
    assert not p1.findall(f"{W}ins") and not p1.findall(f"{W}del")


async def test_deleted_text_is_deltext_and_accepting_or_rejecting_gives_each_version(
    played: Played,
) -> None:
    document = reopen(played)
    body = document.element.body
    for deleted in body.iter(f"{W}del"):
        assert deleted.findall(f".//{W}t") == [], "deleted text must be w:delText"
        assert deleted.findall(f".//{W}delText")
    ids = [int(e.get(qn("w:id"))) for e in body.iter() if e.tag in (f"{W}ins", f"{W}del")]
    assert len(ids) == len(set(ids)) == 3  # unique, as the format requires
    for element in body.iter(f"{W}ins", f"{W}del"):
        date = element.get(qn("w:date"))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", date), date
        assert datetime.strptime(date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)

    def text(p, accept: bool) -> str:  # type: ignore[no-untyped-def]
        parts = []
        for node in p.iter(f"{W}t", f"{W}delText"):
            inside = {a.tag for a in node.iterancestors()}
            if f"{W}del" in inside if accept else f"{W}ins" in inside:
                continue
            parts.append(node.text or "")
        return "".join(parts).split(". ", 1)[1]

    assert text(draft_paragraph(document, 2), accept=True) == V2_P2
    assert text(draft_paragraph(document, 2), accept=False) == (
        "We will refuse export licences where there is a clear risk of misuse."
    )
    assert text(draft_paragraph(document, 3), accept=True) == V2_P3
    # Only these changes are tracked: the file does not switch Track Changes on, which
    # makes LibreOffice record the whole document as changes by an unknown author.
    assert document.settings.element.find(qn("w:trackRevisions")) is None
    # Each change is dated with its version's date, and the file describes itself.
    created = played.record().versions[-1].created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {e.get(qn("w:date")) for e in body.iter(f"{W}ins", f"{W}del")} == {created}
    properties = document.core_properties
    assert "python-docx" not in " ".join(
        str(getattr(properties, name) or "")
        for name in ("author", "title", "subject", "comments", "keywords", "category")
    )
    assert properties.title == "Spyware statement" and properties.author == "consultbot"


async def test_the_annex_has_the_tallies_as_tables_and_the_quotes(played: Played) -> None:
    document = reopen(played)
    texts = [p.text for p in document.paragraphs]
    assert "Annex: what the stakeholder groups said" in texts
    assert "Round 1 (on version 1)" in texts and "Round 2 (on version 2)" in texts
    tally = document.tables[0]  # round 1, paragraph 1
    rows = [[c.text for c in row.cells] for row in tally.rows]
    assert rows[0] == ["Group", "Support", "Oppose", "Abstain"]
    assert ["Government", "1", "0", "0"] in rows
    assert ["Civil society", "1", "0", "0"] in rows
    assert ["Private sector", "0", "0", "1"] in rows
    assert rows[-1] == ["Total", "2", "0", "1"]
    assert any('#3 a member of Government: “=HYPERLINK("http://evil' in x for x in texts)
    decisions = document.tables[-1]
    cells = [[c.text for c in row.cells] for row in decisions.rows]
    assert cells[1][0] == f"#{played.amendment_cs}\n“{V2_P2}”"
    assert cells[1][1:] == ["2", "Civil society", "accepted", "Agreed in the drafting group", "2"]
    assert any(row[3] == "rejected" and row[4] == "Too vague" and row[5] == "—" for row in cells)
    # in a landscape section of its own, with fixed column widths
    section = document.sections[-1]
    assert section.page_width > section.page_height
    assert len(document.sections) == 2 and document.sections[0].page_width < section.page_width
    widths = [column.width for column in decisions.columns]
    assert sum(widths) <= section.page_width - section.left_margin - section.right_margin
    assert min(widths) > 0


async def test_the_first_version_has_no_tracked_changes(played: Played) -> None:
    document = reopen(played, version=1)
    assert not list(document.element.body.iter(f"{W}ins", f"{W}del"))
    assert "Draft position, version 1" in [p.text for p in document.paragraphs]
    assert "Round 2 (on version 2)" not in [p.text for p in document.paragraphs]


async def test_a_paragraph_nobody_voted_on_has_no_table_of_zeros(played: Played) -> None:
    """Round 1 had votes on ¶1 and ¶2, round 2 on ¶2 only: three vote tables, and the
    paragraphs without votes say who was not heard instead."""
    document = reopen(played)
    header = [t("export.group"), t("button.support"), t("button.oppose"), t("export.abstain")]
    votes = [tb for tb in document.tables if [c.text for c in tb.rows[0].cells] == header]
    assert len(votes) == 3
    assert all(any(c.text != "0" for c in tb.rows[-1].cells[1:]) for tb in votes)  # totals
    texts = [p.text for p in document.paragraphs]
    assert sum(text.startswith("Not heard:") for text in texts) >= 3, texts
