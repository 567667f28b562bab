"""How far a proposed text is an edit of its paragraph: what the bot does with it depends
on it (a diff to confirm, a question, a comment)."""

from __future__ import annotations

from consultations.diffing import Likeness, resemblance

PARAGRAPH = "We will refuse export licences where there is a clear risk of misuse."


def test_the_paragraph_itself_with_other_spacing_is_the_same() -> None:
    seen = resemblance(
        PARAGRAPH, "We will refuse export  licences where there is a clear risk of misuse."
    )
    assert seen.likeness is Likeness.SAME


def test_a_few_words_changed_is_an_edit() -> None:
    seen = resemblance(PARAGRAPH, PARAGRAPH.replace("clear", "substantial"))
    assert seen.likeness is Likeness.EDIT
    assert seen.kept == 12 / 13


def test_a_changed_comma_or_capital_is_still_an_edit() -> None:
    seen = resemblance(PARAGRAPH, PARAGRAPH.replace("We will", "we will,"))
    assert seen.likeness is Likeness.EDIT and seen.kept == 1.0


def test_another_paragraph_is_unrelated() -> None:
    seen = resemblance(PARAGRAPH, "We call on companies to respect human rights.")
    assert seen.likeness is Likeness.UNRELATED and seen.kept < 0.3


def test_ten_times_the_paragraph_is_unrelated_though_it_keeps_every_word() -> None:
    seen = resemblance(PARAGRAPH, " ".join([PARAGRAPH] * 10))
    assert seen.likeness is Likeness.UNRELATED
    assert seen.kept == 1.0 and seen.growth == 10.0


def test_a_text_without_words_is_unrelated() -> None:
    assert resemblance(PARAGRAPH, "…").likeness is Likeness.UNRELATED


def test_half_the_paragraph_rewritten_is_unsure() -> None:
    seen = resemblance(PARAGRAPH, "We will deny licences to any buyer with a record of misuse.")
    assert seen.likeness is Likeness.UNSURE
