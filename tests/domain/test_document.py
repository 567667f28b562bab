"""The draft as a document: its structure read from Markdown, pasted text and Word, and
the facilitator's fixes to its split."""

from __future__ import annotations

import io

import docx
import pytest
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls

from consultations import document as draft
from consultations.document import (
    Clause,
    DraftParagraph,
    Link,
    NoteKind,
    Remark,
)
from consultations.drafts import parse_docx, parse_text
from consultations.errors import NothingToReview, TextTooLong, UnknownParagraph
from tests.statements import FOC_BACKGROUND, FOC_MARKDOWN, FOC_TITLE, foc_docx, foc_pasted

FOC_OPENINGS = (
    "The Freedom Online Coalition is concerned",
    "In particular, the Coalition",
    "The Coalition notes that",
    "In addressing new and emerging challenges",
    "The Freedom Online Coalition is a cross-regional group",
    "The mission and vision",
    "The FOC seeks to identify",
    "The FOC, through the Digital Defenders Partnership",
)


@pytest.mark.parametrize(
    "read",
    [
        lambda: parse_text(FOC_MARKDOWN),
        lambda: parse_text(foc_pasted()),
        lambda: parse_docx(foc_docx()),
    ],
    ids=["markdown", "pasted", "word"],
)
def test_the_foc_statement_reads_as_eight_paragraphs_in_two_sections_and_three_notes(
    read,
) -> None:
    statement = read()
    assert statement.title == FOC_TITLE
    assert len(statement.paragraphs) == 8
    for paragraph, opening in zip(statement.paragraphs, FOC_OPENINGS, strict=True):
        assert paragraph.text.startswith(opening)
    sections = statement.sections()
    assert [s.heading.text if s.heading else None for s in sections] == [None, FOC_BACKGROUND]
    assert [len(s.paragraphs) for s in sections] == [4, 4]
    assert [(n.kind, n.text) for n in statement.notes] == [
        (NoteKind.DATE, "October 2014"),
        (NoteKind.LINK, "www.freedomonlinecoalition.com"),
        (NoteKind.LINK, "twitter.com/FO_Coalition"),
    ]
    assert statement.notes[2].links[0].url == "https://twitter.com/FO_Coalition"
    # the date before the first paragraph, the links at the end, in document order
    assert [p.uid for p in statement.parts] == [
        "n1", "p1", "p2", "p3", "p4", "s1", "p5", "p6", "p7", "p8", "n2", "n3",
    ]  # fmt: skip
    for part in statement.parts:  # never raw Markdown
        assert not any(mark in part.text for mark in ("](", "\\", "<http", "##"))


def test_links_keep_their_text_and_their_address() -> None:
    statement = parse_text(
        "See the [Guiding Principles](https://ohchr.org/gp) and <https://example.org/x>."
    )
    [paragraph] = statement.paragraphs
    assert paragraph.text == "See the Guiding Principles and https://example.org/x."
    assert paragraph.links == (
        Link("Guiding Principles", "https://ohchr.org/gp"),
        Link("https://example.org/x", "https://example.org/x"),
    )


def test_emphasis_code_and_images_leave_plain_text_and_images_are_said() -> None:
    statement = parse_text("We **strongly** urge `all` states ![logo](logo.png) to act.")
    assert statement.texts == ("We strongly urge all states to act.",)
    assert statement.remarks == (Remark("draft.remark.images", {"count": 1}),)


def test_a_table_is_kept_whole_as_one_note_where_it_was() -> None:
    statement = parse_text(
        "Recalling the export regimes,\n\n| Regime | Members |\n|---|---|\n"
        "| Wassenaar | 42 |\n| MTCR | 35 |\n\nCalls upon states to act."
    )
    assert statement.texts == ("Recalling the export regimes,", "Calls upon states to act.")
    [table] = statement.notes
    assert table.kind is NoteKind.TABLE
    assert table.text == "Regime\tMembers\nWassenaar\t42\nMTCR\t35"
    assert [p.uid for p in statement.parts] == ["p1", "n1", "p2"]


def test_footnotes_become_notes_and_their_marks_stay_in_the_text() -> None:
    statement = parse_text(
        "The Coalition recalls resolution 20/8.[^1]\n\n[^1]: Adopted in July 2012."
    )
    assert statement.texts == ("The Coalition recalls resolution 20/8.[1]",)
    assert [(n.kind, n.text) for n in statement.notes] == [
        (NoteKind.FOOTNOTE, "[1] Adopted in July 2012.")
    ]


def test_typed_numbers_are_kept_as_labels_and_a_restart_is_said() -> None:
    statement = parse_text(
        "1. Calls upon states;\n2. Urges companies;\n3. Decides to remain seized.\n\n"
        "## Annex\n\n1. Invites observers;\n2. Requests a report."
    )
    assert [p.label for p in statement.paragraphs] == ["1.", "2.", "3.", "1.", "2."]
    assert statement.texts[0] == "Calls upon states;"
    assert statement.remarks == (
        Remark("draft.remark.numbering_restarts", {"number": 4, "label": "1."}),
    )
    lettered = parse_text("(a) Respect privacy;\n(b) Ensure oversight.")
    assert [(p.label, p.text) for p in lettered.paragraphs] == [
        ("(a)", "Respect privacy;"),
        ("(b)", "Ensure oversight."),
    ]


def test_preambular_and_operative_paragraphs_are_told_apart() -> None:
    statement = parse_text(
        "Recalling resolution 20/8,\n\nDeeply concerned by surveillance,\n\n"
        "1. Calls upon all States to respect privacy;\n\nThe Coalition was founded in 2011."
    )
    assert [p.clause for p in statement.paragraphs] == [
        Clause.PREAMBULAR,
        Clause.PREAMBULAR,
        Clause.OPERATIVE,
        None,
    ]


def test_dates_references_and_signatures_are_notes() -> None:
    statement = parse_text(
        "Geneva, 12 October 2014\n\nRef: FOC/2014/3\n\nA/HRC/RES/20/8\n\n"
        "The Coalition is concerned.\n\nSigned on behalf of the members of the Coalition"
    )
    assert statement.texts == ("The Coalition is concerned.",)
    assert [n.kind for n in statement.notes] == [
        NoteKind.DATE,
        NoteKind.REFERENCE,
        NoteKind.REFERENCE,
        NoteKind.SIGNATURE,
    ]


def test_right_to_left_text_is_kept_as_written_and_said() -> None:
    arabic = "يدعو التحالف الدول إلى احترام الخصوصية."
    statement = parse_text(f"{arabic}\n\nThe Coalition agrees.")
    assert statement.texts == (arabic, "The Coalition agrees.")
    assert Remark("draft.remark.right_to_left") in statement.remarks


@pytest.mark.parametrize(
    ("text", "headings", "notes"),
    [
        ("# Statement\n\n## Preamble\n\n## Operative part", 3, 0),
        ("October 2014\n\nwww.a.org", 0, 2),
    ],
)
def test_a_draft_with_nothing_to_review_says_what_it_found(
    text: str, headings: int, notes: int
) -> None:
    with pytest.raises(NothingToReview) as caught:
        parse_text(text)
    assert caught.value.values == {"headings": headings, "notes": notes}


# --- Word ------------------------------------------------------------------------------


def _saved(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_word_lists_keep_the_numbers_word_shows_and_headings_make_sections() -> None:
    document = docx.Document()
    document.add_paragraph("Statement on spyware", style="Title")
    document.add_heading("Preamble", level=1)
    document.add_paragraph("Recalling resolution 20/8,")
    document.add_heading("Operative part", level=1)
    document.add_paragraph("Calls upon states to act;", style="List Number")
    document.add_paragraph("Urges companies to comply;", style="List Number")
    document.add_paragraph("privacy;", style="List Bullet")
    statement = parse_docx(_saved(document))
    assert statement.title == "Statement on spyware"
    assert [s.heading.text for s in statement.sections() if s.heading] == [
        "Preamble",
        "Operative part",
    ]
    assert [p.label for p in statement.paragraphs] == [None, "1.", "2.", None]


def test_word_tracked_changes_are_taken_as_accepted_and_said() -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("We will refuse licences where there is a ")
    paragraph._p.append(
        parse_xml(
            f'<w:del {nsdecls("w")} w:id="1" w:author="A" w:date="2026-01-01T00:00:00Z">'
            "<w:r><w:delText>clear</w:delText></w:r></w:del>"
        )
    )
    paragraph._p.append(
        parse_xml(
            f'<w:ins {nsdecls("w")} w:id="2" w:author="A" w:date="2026-01-01T00:00:00Z">'
            "<w:r><w:t>substantial</w:t></w:r></w:ins>"
        )
    )
    paragraph.add_run(" risk of misuse.")
    commented = document.add_paragraph("Calls upon states to act.")
    commented._p.insert(0, OxmlElement("w:commentRangeStart"))
    statement = parse_docx(_saved(document))
    assert statement.texts == (
        "We will refuse licences where there is a substantial risk of misuse.",
        "Calls upon states to act.",
    )
    assert {r.key for r in statement.remarks} == {
        "draft.remark.tracked_changes",
        "draft.remark.comments",
    }


def test_a_word_table_is_one_note_and_pictures_are_said() -> None:
    document = docx.Document()
    document.add_paragraph("Recalling the regimes,")
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, (("Regime", "Members"), ("Wassenaar", "42")), strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    pictured = document.add_paragraph("Calls upon states to act.")
    pictured._p.append(OxmlElement("w:r"))
    pictured._p[-1].append(OxmlElement("w:drawing"))
    statement = parse_docx(_saved(document))
    assert statement.texts == ("Recalling the regimes,", "Calls upon states to act.")
    assert [(n.kind, n.text) for n in statement.notes] == [
        (NoteKind.TABLE, "Regime\tMembers\nWassenaar\t42")
    ]
    assert Remark("draft.remark.images", {"count": 1}) in statement.remarks


# --- fixing the split ------------------------------------------------------------------


FOC = parse_text(FOC_MARKDOWN)


def test_excluding_a_paragraph_keeps_it_in_place_as_a_note_and_including_it_restores_it() -> None:
    excluded = draft.exclude(FOC, 8)
    assert len(excluded.paragraphs) == 7
    assert [n.uid for n in excluded.notes] == ["n1", "p8", "n2", "n3"]
    assert excluded.notes[1].kind is NoteKind.TEXT
    restored = draft.include(excluded, 2)
    assert restored.parts == FOC.parts  # the same id, in the same place
    date = draft.include(FOC, 1)
    assert date.paragraphs[0] == DraftParagraph("p9", "October 2014")
    with pytest.raises(draft.UnknownNote) as caught:
        draft.include(FOC, 4)
    assert caught.value.values == {"number": 4, "last": 3}
    with pytest.raises(draft.LastParagraph):
        draft.exclude(parse_text("Only one paragraph."), 1)


def test_merging_joins_paragraphs_of_one_section_only() -> None:
    merged = draft.merge(FOC, 2, 3)
    assert len(merged.paragraphs) == 7
    assert merged.paragraphs[1].uid == "p2"
    assert merged.paragraphs[1].text == f"{FOC.texts[1]} {FOC.texts[2]}"
    with pytest.raises(draft.MergeAcrossSections):
        draft.merge(FOC, 4, 5)
    with pytest.raises(draft.MergeOrder):
        draft.merge(FOC, 3, 3)
    with pytest.raises(UnknownParagraph):
        draft.merge(FOC, 7, 9)


def test_splitting_makes_a_new_paragraph_from_the_words_given() -> None:
    split = draft.split(FOC, 2, "Curbing such use")
    assert len(split.paragraphs) == 9
    first, second = split.paragraphs[1:3]
    assert first.uid == "p2" and first.text.endswith("interfere with privacy.")
    assert second.uid == "p9" and second.text.startswith("Curbing such use")
    with pytest.raises(draft.SplitNotFound):
        draft.split(FOC, 2, "not in the text")
    with pytest.raises(draft.SplitNotFound):
        draft.split(FOC, 2, "In particular")  # nothing would be left before it


def test_editing_a_paragraph_keeps_its_id_and_label() -> None:
    numbered = parse_text("1. Calls upon states;\n2. Urges companies.")
    edited = draft.edit(numbered, 2, "  Urges   all companies. ")
    assert edited.paragraphs[1] == DraftParagraph(
        "p2", "Urges all companies.", "2.", Clause.OPERATIVE
    )
    with pytest.raises(TextTooLong):
        draft.edit(numbered, 1, "x" * 4001)
