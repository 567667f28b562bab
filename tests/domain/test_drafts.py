"""A draft as a person sends it becomes the title and paragraphs delegates will see."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from consultations.document import Document
from consultations.drafts import (
    MAX_DRAFT_BYTES,
    MAX_PARAGRAPHS,
    parse_docx,
    parse_draft_file,
    parse_text,
)
from consultations.errors import (
    ConsultationError,
    EmptyDraft,
    UnreadableDraftFile,
    UnsupportedDraftFile,
)
from consultations.reading import heading_like, note_kind


def DraftText(title: str | None, paragraphs: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """What a draft reads as, in short: its title and the texts of its paragraphs."""
    return (title, tuple(paragraphs))


def shape(document: Document) -> tuple[str | None, tuple[str, ...]]:
    return (document.title, document.texts)


# --- pasted text -----------------------------------------------------------------------


def test_a_pasted_statement_yields_its_title_and_the_paragraphs_to_vote_on() -> None:
    text = """# Joint Statement on Surveillance Exports

## Preamble

The Coalition is concerned that surveillance
technology can   contribute to violations.

Recalling the Guiding Principles on Business and Human Rights,

## Operative part

1. Calls upon states to review export controls;
2. Urges companies to conduct due diligence;
3. Decides to remain seized of the matter.
"""
    assert shape(parse_text(text)) == DraftText(
        title="Joint Statement on Surveillance Exports",
        paragraphs=(
            "The Coalition is concerned that surveillance technology can contribute to violations.",
            "Recalling the Guiding Principles on Business and Human Rights,",
            "Calls upon states to review export controls;",
            "Urges companies to conduct due diligence;",
            "Decides to remain seized of the matter.",
        ),
    )


def test_plain_text_without_a_heading_has_no_title() -> None:
    draft = parse_text("First paragraph.\n\n\n  Second\tparagraph.  \n")
    assert shape(draft) == DraftText(
        title=None, paragraphs=("First paragraph.", "Second paragraph.")
    )


def test_a_heading_that_does_not_open_the_text_is_never_the_title() -> None:
    assert shape(parse_text("## Preamble\n\n# Statement\n\nText.")) == DraftText(None, ("Text.",))
    assert shape(parse_text("Intro.\n\n# Statement\n\nText.")) == DraftText(
        None, ("Intro.", "Text.")
    )


def test_an_underlined_first_line_is_the_title() -> None:
    assert shape(parse_text("Joint Statement\n===============\n\nText.")) == DraftText(
        "Joint Statement", ("Text.",)
    )


def test_each_list_item_is_its_own_paragraph_even_without_blank_lines() -> None:
    text = "Calls upon:\n- states to act;\n* companies\n  to comply;\n+ others to join."
    assert parse_text(text).texts == (
        "Calls upon:",
        "states to act;",
        "companies to comply;",
        "others to join.",
    )


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("1. Calls upon states.", "Calls upon states."),
        ("(a) Calls upon states.", "Calls upon states."),
        ("3) Calls upon states.", "Calls upon states."),
        ("(iv) Calls upon states.", "Calls upon states."),
        ("3.5 million people are affected.", "3.5 million people are affected."),
        ("V. Smith chaired the meeting.", "V. Smith chaired the meeting."),
        ("2014. A year of change.", "2014. A year of change."),
    ],
)
def test_the_number_an_author_typed_is_dropped_but_not_the_text(typed: str, kept: str) -> None:
    assert parse_text(typed).texts == (kept,)


def test_sub_items_typed_as_letters_become_separate_paragraphs() -> None:
    text = "(a) Respect privacy;\n(b) Ensure oversight;\n(c) Publish reports."
    assert parse_text(text).texts == (
        "Respect privacy;",
        "Ensure oversight;",
        "Publish reports.",
    )


def test_a_wrapped_line_starting_with_a_reference_stays_in_its_paragraph() -> None:
    text = "As set out in paragraph\n(3) of the resolution, states shall act."
    assert parse_text(text).texts == (
        "As set out in paragraph (3) of the resolution, states shall act.",
    )


def test_rules_and_comments_are_not_paragraphs() -> None:
    text = "One.\n\n---\nTwo.\n\n* * *\n\n<!-- drafting note:\n\nsee capital -->\nThree."
    assert parse_text(text).texts == ("One.", "Two.", "Three.")


def test_invisible_and_control_characters_are_removed() -> None:
    text = "Hu\u200bman\x00 rights\r\napply\u00a0online.\x0bAnd offline."
    assert parse_text(text).texts == ("Human rights apply online. And offline.",)


def test_a_quoted_draft_is_read_as_its_quote() -> None:
    assert shape(parse_text("> # Title\n>\n> Quoted text\n> continues.")) == DraftText(
        "Title", ("Quoted text continues.",)
    )


@pytest.mark.parametrize(
    "text", ["", "  \n\n\t", "# Only a title", "<!-- nothing -->\n---\n## Section", "1.\n\n-"]
)
def test_a_draft_without_paragraphs_is_refused(text: str) -> None:
    with pytest.raises(EmptyDraft):
        parse_text(text)


def test_a_draft_with_too_many_paragraphs_is_refused() -> None:
    with pytest.raises(UnreadableDraftFile) as caught:
        parse_text("\n\n".join(["Paragraph."] * (MAX_PARAGRAPHS + 1)))
    assert str(MAX_PARAGRAPHS) in caught.value.values["reason"]


# --- text files ------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["draft.md", "DRAFT.TXT", "notes.v2.markdown"])
def test_text_files_are_read_as_utf8(filename: str) -> None:
    data = "# Déclaration\n\nLes États s’engagent.".encode()
    assert shape(parse_draft_file(filename, data)) == DraftText(
        "Déclaration", ("Les États s’engagent.",)
    )


def test_a_byte_order_mark_is_tolerated() -> None:
    assert shape(parse_draft_file("d.txt", b"\xef\xbb\xbf# T\n\nText.")) == DraftText(
        "T", ("Text.",)
    )
    utf16 = "# T\r\n\r\nText.".encode("utf-16")  # Windows Notepad's "Unicode"
    assert shape(parse_draft_file("d.txt", utf16)) == DraftText("T", ("Text.",))


def test_a_file_that_is_not_utf8_is_unreadable() -> None:
    with pytest.raises(UnreadableDraftFile) as caught:
        parse_draft_file("draft.txt", "Déclaration".encode("latin-1"))
    assert caught.value.values["filename"] == "draft.txt"


def test_a_file_that_is_too_large_is_unreadable() -> None:
    with pytest.raises(UnreadableDraftFile) as caught:
        parse_draft_file("draft.md", b"a" * (MAX_DRAFT_BYTES + 1))
    assert "larger" in caught.value.values["reason"]


@pytest.mark.parametrize("filename", ["draft.pdf", "draft.doc", "draft", "docx"])
def test_other_file_types_are_refused_with_the_accepted_ones(filename: str) -> None:
    with pytest.raises(UnsupportedDraftFile) as caught:
        parse_draft_file(filename, b"text")
    assert caught.value.values == {"filename": filename, "accepted": ".md, .txt, .docx"}


# --- Word ------------------------------------------------------------------------------


def _word_file(*paragraphs: tuple[str, str | None]) -> bytes:
    document = docx.Document()
    for text, style in paragraphs:
        document.add_paragraph(text, style=style)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_word_file_yields_its_title_and_body_paragraphs() -> None:
    data = _word_file(
        ("Joint Statement on Internet Freedom", "Title"),
        ("Preamble", "Heading 1"),
        ("Recalling   resolution 20/8,", None),
        ("", None),
        ("1. Calls upon states to act;", "List Number"),
        ("Decides to remain seized.", None),
    )
    expected = DraftText(
        "Joint Statement on Internet Freedom",
        ("Recalling resolution 20/8,", "Calls upon states to act;", "Decides to remain seized."),
    )
    assert shape(parse_docx(data)) == expected
    assert shape(parse_draft_file("Statement.DOCX", data)) == expected


def test_a_word_file_opening_with_heading_1_uses_it_as_title() -> None:
    data = _word_file(("Statement", "Heading 1"), ("Text.", None), ("Annex", "Heading 1"))
    assert shape(parse_docx(data)) == DraftText("Statement", ("Text.",))


def test_a_word_file_with_only_headings_is_empty() -> None:
    with pytest.raises(EmptyDraft):
        parse_docx(_word_file(("Statement", "Title"), ("Preamble", "Heading 2")))


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """About 1 MB that claims to unpack to 200 MB of zeros, written without holding it."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("word/document.xml", "w", force_zip64=True) as member,
    ):
        zeros = bytes(1 << 20)
        for _ in range(200):
            member.write(zeros)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(zip_bomb: bytes) -> None:
    with pytest.raises(UnreadableDraftFile) as caught:
        parse_draft_file("draft.docx", zip_bomb)
    assert caught.value.values["filename"] == "draft.docx"


def test_many_parts_that_together_unpack_too_far_are_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for index in range(52):  # each under the size where one part's ratio is checked
            archive.writestr(f"word/part{index}.xml", bytes(999_999))
    with pytest.raises(UnreadableDraftFile):
        parse_docx(out.getvalue())


def test_a_highly_compressed_part_is_refused_even_when_the_total_is_small() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", bytes(5_000_000))
    with pytest.raises(UnreadableDraftFile):
        parse_docx(out.getvalue())


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7 not a zip at all",
        b"",
        b"PK\x03\x04 truncated",
    ],
)
def test_a_file_named_docx_that_is_not_one_is_unreadable(data: bytes) -> None:
    with pytest.raises(UnreadableDraftFile):
        parse_draft_file("draft.docx", data)


def test_a_zip_that_is_not_a_word_file_is_unreadable() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "Recalling resolution 20/8.")
    with pytest.raises(UnreadableDraftFile):
        parse_docx(out.getvalue())


# --- properties ------------------------------------------------------------------------

_MARKUP = ["# ", "## ", "#", "- ", "* ", "+ ", "1. ", "2) ", "(a) ", "(iv) ", "---", "==="]
_MARKUP += ["<!--", "-->", "> ", "word", "Recalling,"]
_BREAKS = ["\n", "\n\n", "\r\n", "\t", " ", "\u200b", "\x00", "\x0b", "\u2029", "\ufeff"]
_markdownish = st.lists(
    st.one_of(st.sampled_from(_MARKUP + _BREAKS), st.text(max_size=20)),
    max_size=40,
).map("".join)


@given(st.one_of(st.text(), _markdownish))
def test_any_text_parses_to_clean_paragraphs_or_a_draft_error(text: str) -> None:
    try:
        draft = parse_text(text)
    except ConsultationError:
        return
    assert draft.paragraphs
    for paragraph in draft.texts:
        assert paragraph
        assert paragraph == " ".join(paragraph.split())
    if draft.title is not None:
        assert draft.title == " ".join(draft.title.split()) != ""


# Words that cannot be read as Markdown or as a typed number when they open a line.
_letters = "abcxyzIVXÉéßøЖжλمحمد中文"
_opening_word = st.text(_letters, min_size=2, max_size=8)
# Not Markdown's inline marks (*, _, [, `, <, &, \\): emphasis and links read as plain text.
_word = st.text(_letters + "0123456789.,;:?()-+#='\"“”«»/%$€§>", min_size=1, max_size=8)
_line = st.tuples(_opening_word, st.lists(_word, max_size=4)).map(lambda t: [t[0], *t[1]])
_paragraph = st.lists(_line, min_size=1, max_size=3)
_indent = st.sampled_from(["", " ", "  ", "\t"])


@given(
    st.lists(_paragraph, min_size=1, max_size=5),
    st.sampled_from(["\n\n", "\n\n\n", "\n \n", "\r\n\r\n"]),
    _indent,
)
def test_paragraphs_separated_by_blank_lines_come_back(
    paragraphs: list[list[list[str]]], separator: str, indent: str
) -> None:
    text = separator.join(
        "\n".join(indent + "  ".join(line) for line in lines) for lines in paragraphs
    )
    expected = tuple(" ".join(word for line in lines for word in line) for lines in paragraphs)
    # plain lines that read as headings (short, no closing punctuation) are taken as such
    assume(not any(heading_like(p) for p in expected) or len(expected) == 1)
    assume(not any(note_kind(p) for p in expected))  # nor as a date, a reference or a link
    assert shape(parse_text(text)) == DraftText(title=None, paragraphs=expected)
