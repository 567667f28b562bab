"""Styled text: a diff's marks kept apart from the words, and a plain form that reads."""

from __future__ import annotations

from adapters.kit import split_styled
from bot.events import Mark, Outbound, Span, Styled
from bot.render import styled_diff
from consultations.diffing import word_diff

OLD = "We will refuse export licences where there is a clear risk of misuse."
NEW = "We will refuse export licences where there is a substantial risk of misuse."


def test_a_diff_is_spans_marked_deleted_and_inserted() -> None:
    styled = styled_diff(word_diff(OLD, NEW))
    assert styled.spans == (
        Span("We will refuse export licences where there is a "),
        Span("clear", Mark.DELETED),
        Span("substantial", Mark.INSERTED),
        Span(" risk of misuse."),
    )
    assert styled.text == OLD.replace("clear", "clearsubstantial")


def test_the_plain_form_writes_each_change_out() -> None:
    assert styled_diff(word_diff(OLD, NEW)).plain() == (
        "We will refuse export licences where there is a [clear → substantial] risk of misuse."
    )
    added = styled_diff(word_diff("Urges companies to act.", "Urges them to act without delay."))
    assert added.plain() == "Urges [companies → them] to act [+without delay]."
    removed = styled_diff(word_diff("The Coalition, welcomes", "The Coalition welcomes"))
    assert removed.plain() == "The Coalition[−,] welcomes"


def test_styled_texts_join_with_plain_ones_and_merge_alike_neighbours() -> None:
    joined = Styled.join("\n", ["Changes:", Styled.of("old", Mark.DELETED) + "!", "end"])
    assert joined.spans == (
        Span("Changes:\n"),
        Span("old", Mark.DELETED),
        Span("!\nend"),
    )
    assert ("¶1: " + Styled.of("x", Mark.INSERTED)).plain() == "¶1: [+x]"


def test_a_message_is_styled_only_where_it_has_marks() -> None:
    marked = Outbound.of("memory:ana", "a " + Styled.of("b", Mark.INSERTED))
    assert marked.text == "a [+b]" and marked.styled is not None
    unmarked = Outbound.of("memory:ana", Styled.of("nothing changed"))
    assert unmarked.text == "nothing changed" and unmarked.styled is None


def test_splitting_keeps_each_part_s_marks() -> None:
    paragraphs = [
        Styled.of(f"Paragraph {i} keeps ") + Styled.of("old words", Mark.DELETED) + " and more."
        for i in range(40)
    ]
    styled = Styled.join("\n\n", paragraphs)
    parts = split_styled(styled, 300, len)
    assert len(parts) > 1
    assert all(len(part.text) <= 300 for part in parts)
    assert "\n\n".join(part.text for part in parts) == styled.text
    marked = [span for part in parts for span in part.spans if span.mark]
    assert marked == [Span("old words", Mark.DELETED)] * 40
