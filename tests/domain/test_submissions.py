"""What a stakeholder types becomes the text that is stored, echoed back and summarised."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from consultations.errors import (
    AmendmentUnchanged,
    EmptyText,
    SubmissionError,
    TextTooLong,
    UnknownParagraph,
)
from consultations.model import Kind
from consultations.submissions import (
    MAX_AMENDMENT_CHARS,
    MAX_COMMENT_CHARS,
    check_paragraph,
    check_text,
    clean_text,
)

# ZWNJ and ZWJ are not here: they are kept inside words (Persian spelling, emoji).
ZERO_WIDTH_AND_BIDI = (
    "\u200b\u2060\ufeff\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff\ufe20-\ufe2f]")

# --- clean_text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("a\x00b\x07c\x1bd\x7fe", "abcde"),
        ("sup\u200bport\u200d\ufeff", "support"),
        ("\u202eevil\u202c text", "evil text"),
        ("\u2066isolated\u2069 and \u2067rtl\u2069", "isolated and rtl"),
        ("  The   Coalition\t\tis\n\nconcerned.  ", "The Coalition is concerned."),
        ("line one\r\nline two", "line one line two"),
        ("non\u00a0breaking", "non breaking"),
        ("\u200b \x00 \u200b", ""),
    ],
)
def test_clean_text_removes_invisible_characters_and_folds_space(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize(
    "text",
    [
        "Déclaration conjointe sur l'exportation des technologies de surveillance",
        "São Paulo, Zürich, Łódź, Ελληνικά, русский, العربية, עברית, 中文, 日本語, 한국어",
        "Việt Nam; Dvořák; Ångström; naïve café",
        "«quoted» — “typographic” ‘marks’ … 50 % € 3,5",
    ],
)
def test_clean_text_keeps_ordinary_accented_text(text: str) -> None:
    assert clean_text(text) == text


def test_clean_text_composes_decomposed_accents() -> None:
    assert clean_text("cafe\u0301") == "café"
    assert len(clean_text("cafe\u0301")) == 4
    # an invisible character between a letter and its accent does not leave them apart
    assert clean_text("cafe\u200b\u0301") == "café"
    assert clean_text("cafe\x01\u0301") == "café"


def test_clean_text_caps_floods_of_combining_characters() -> None:
    zalgo = "x" + "\u0301\u0300\u0302\u0303" * 20 + " y" + "\u0336" * 50
    cleaned = clean_text(zalgo)
    assert cleaned == "x\u0301\u0300\u0302 y\u0336\u0336\u0336"
    # three stacked marks are legitimate and kept
    assert clean_text("x\u0301\u0300\u0302") == "x\u0301\u0300\u0302"


@pytest.mark.parametrize("mark", ["\u200e", "\u200f", "\u061c"])
def test_clean_text_removes_zero_width_bidi_marks(mark: str) -> None:
    assert clean_text(f"a{mark}b") == "ab"


@given(st.text())
def test_clean_text_leaves_no_invisible_characters_or_loose_space(text: str) -> None:
    cleaned = clean_text(text)
    assert cleaned == cleaned.strip()
    assert not re.search(r"\s\s", cleaned)
    assert "\n" not in cleaned and "\t" not in cleaned
    assert not any(unicodedata.category(ch) == "Cc" for ch in cleaned)
    assert not any(ch in ZERO_WIDTH_AND_BIDI for ch in cleaned)


@example("q" + "\u0344" * 50)
@given(st.text())
def test_clean_text_never_leaves_more_than_three_stacked_marks(text: str) -> None:
    assert not re.search(COMBINING.pattern + "{4}", clean_text(text))


@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "S", "Zs"])))
def test_clean_text_is_idempotent_on_text_without_marks_or_controls(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


@example("q\u0344\u0344")
@example("e\u200b\u0301")
@example("e\x01\u0301")
@example("\u0627" + "\u0323" * 3 + "\u0301" + "\u0653")  # cap unblocks alef + madda
@given(st.text())
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


# --- check_text ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [Kind.COMMENT, Kind.AMENDMENT])
@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u200b\u200d", "\x00\x01"])
def test_empty_text_is_refused(kind: Kind, text: str) -> None:
    with pytest.raises(EmptyText) as caught:
        check_text(kind, text)
    assert caught.value.key == "error.empty_text"


@pytest.mark.parametrize(
    ("kind", "limit"), [(Kind.COMMENT, MAX_COMMENT_CHARS), (Kind.AMENDMENT, MAX_AMENDMENT_CHARS)]
)
def test_the_length_limit_is_checked_on_the_cleaned_text(kind: Kind, limit: int) -> None:
    assert check_text(kind, "a" * limit) == "a" * limit
    # invisible characters and surrounding space do not count
    assert check_text(kind, "  " + "a\u200b" * limit + "  ") == "a" * limit
    with pytest.raises(TextTooLong) as caught:
        check_text(kind, "a" * (limit + 1))
    assert caught.value.values == {"count": limit + 1, "limit": limit}


def test_the_limits_are_what_the_module_says() -> None:
    assert (MAX_COMMENT_CHARS, MAX_AMENDMENT_CHARS) == (2000, 4000)
    assert check_text(Kind.AMENDMENT, "b" * (MAX_COMMENT_CHARS + 1)) == "b" * (
        MAX_COMMENT_CHARS + 1
    )
    with pytest.raises(TextTooLong):
        check_text(Kind.COMMENT, "b" * (MAX_COMMENT_CHARS + 1))


def test_an_amendment_identical_to_the_paragraph_after_cleaning_is_refused() -> None:
    paragraph = "The Coalition is  concerned.\n"
    with pytest.raises(AmendmentUnchanged) as caught:
        check_text(Kind.AMENDMENT, "  The Coalition\u200b is concerned. ", paragraph)
    assert isinstance(caught.value, SubmissionError)
    assert check_text(Kind.AMENDMENT, "The Coalition is deeply concerned.", paragraph) == (
        "The Coalition is deeply concerned."
    )
    # the same words as a comment are fine, and without a paragraph there is nothing to compare
    assert check_text(Kind.COMMENT, "The Coalition is concerned.", paragraph) == (
        "The Coalition is concerned."
    )
    assert (
        check_text(Kind.AMENDMENT, "The Coalition is concerned.") == "The Coalition is concerned."
    )


def test_an_amendment_that_only_differs_by_an_invisible_character_is_unchanged() -> None:
    with pytest.raises(AmendmentUnchanged):
        check_text(Kind.AMENDMENT, "Un café.\u200b".replace("é", "e\u200b\u0301"), "Un café.")


# --- check_paragraph ---------------------------------------------------------------------


@pytest.mark.parametrize(("number", "count", "index"), [(1, 1, 0), (1, 5, 0), (5, 5, 4)])
def test_check_paragraph_turns_the_number_people_see_into_an_index(
    number: int, count: int, index: int
) -> None:
    assert check_paragraph(number, count) == index


@pytest.mark.parametrize(("number", "count"), [(0, 5), (6, 5), (-1, 5), (1, 0)])
def test_check_paragraph_refuses_numbers_outside_the_draft(number: int, count: int) -> None:
    with pytest.raises(UnknownParagraph) as caught:
        check_paragraph(number, count)
    assert caught.value.values == {"number": number, "count": count}
