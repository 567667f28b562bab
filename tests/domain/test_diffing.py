"""An amendment shown as the words it strikes and the words it inserts."""

from __future__ import annotations

import itertools
import time

from hypothesis import given
from hypothesis import strategies as st

from consultations.diffing import DiffOp, changed, new_text, old_text, render_plain, word_diff


def test_a_replaced_word_reads_as_struck_and_inserted() -> None:
    ops = word_diff("States should review export controls.", "States shall review export controls.")
    assert render_plain(ops) == "States [-should-]{+shall+} review export controls."
    assert ops == (
        DiffOp("equal", "States "),
        DiffOp("delete", "should"),
        DiffOp("insert", "shall"),
        DiffOp("equal", " review export controls."),
    )


def test_a_rewritten_phrase_reads_as_one_change_not_word_by_word() -> None:
    ops = word_diff("Calls upon all states to act.", "Calls upon every government to act.")
    assert render_plain(ops) == "Calls upon [-all states-]{+every government+} to act."


def test_a_struck_comma_is_shown_alone() -> None:
    ops = word_diff("The Coalition, welcomes the steps.", "The Coalition welcomes the steps.")
    assert render_plain(ops) == "The Coalition[-,-] welcomes the steps."


def test_added_words_at_the_end_are_an_insertion() -> None:
    ops = word_diff("Urges companies to act", "Urges companies to act without delay")
    assert render_plain(ops) == "Urges companies to act{+ without delay+}"


def test_an_unchanged_paragraph_has_no_change() -> None:
    ops = word_diff("Decides to remain seized.", "Decides to remain seized.")
    assert ops == (DiffOp("equal", "Decides to remain seized."),)
    assert not changed(ops)
    assert render_plain(ops) == "Decides to remain seized."


def test_empty_paragraphs() -> None:
    assert word_diff("", "") == ()
    assert word_diff("", "New text.") == (DiffOp("insert", "New text."),)
    assert word_diff("Old text.", "") == (DiffOp("delete", "Old text."),)


def test_a_long_paragraph_rewritten_throughout_is_diffed_quickly_and_exactly() -> None:
    words = ["states", "shall", "the", "of", "and", "rights", "online", "human"]
    old = " ".join(words[i * 7 % 8] for i in range(3000))
    new = " ".join(words[i * 5 % 8] for i in range(3000))
    started = time.perf_counter()
    ops = word_diff(old, new)
    assert time.perf_counter() - started < 1
    assert (old_text(ops), new_text(ops)) == (old, new)


# Mostly words from a small vocabulary, so that versions share words and diffs are rich.
_vocabulary = st.sampled_from(["states", "shall", "should", "not", ",", ".", " ", "  ", "\n"])
_paragraph = st.one_of(
    st.text(),
    st.lists(st.one_of(_vocabulary, st.text(max_size=3)), max_size=30).map(" ".join),
)


@given(_paragraph, _paragraph)
def test_both_versions_can_be_rebuilt_from_the_diff(old: str, new: str) -> None:
    ops = word_diff(old, new)
    assert old_text(ops) == old
    assert new_text(ops) == new
    assert changed(ops) == (old != new)


@given(_paragraph, _paragraph)
def test_operations_are_non_empty_and_merged(old: str, new: str) -> None:
    ops = word_diff(old, new)
    assert all(op.text for op in ops)
    for first, second in itertools.pairwise(ops):
        assert first.kind != second.kind
        assert (first.kind, second.kind) != ("insert", "delete")  # deletion shown first
