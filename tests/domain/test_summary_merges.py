"""A facilitator's merged text resolves two accepted amendments to one paragraph."""

from __future__ import annotations

import pytest

from consultations.errors import AmendmentConflict
from consultations.summary import Paragraph
from consultations.versions import Accepted, Merge, NextParagraph, next_version

P1 = Paragraph("u1", 1, "States should restrict exports.")
P2 = Paragraph("u2", 2, "Companies should assess risks.")
BOTH = [Accepted(6, "u1", "States must restrict exports."), Accepted(9, "u1", "States shall.")]


def test_a_merge_stands_for_the_accepted_amendments_and_records_them_all() -> None:
    merged = Merge("u1", "States must restrict exports without delay.", (9, 6))
    result = next_version([P1, P2], BOTH, [merged])
    assert result == [
        NextParagraph("u1", "States must restrict exports without delay.", [6, 9]),
        NextParagraph("u2", "Companies should assess risks.", []),
    ]


def test_without_a_merge_two_accepted_amendments_still_conflict() -> None:
    with pytest.raises(AmendmentConflict) as caught:
        next_version([P1, P2], BOTH)
    assert caught.value.values == {"number": 1, "ids": "#6, #9"}


def test_an_amendment_accepted_after_the_merge_makes_it_a_conflict_again() -> None:
    merged = Merge("u1", "Merged.", (6, 9))
    later = [*BOTH, Accepted(12, "u1", "States will restrict exports.")]
    with pytest.raises(AmendmentConflict):
        next_version([P1, P2], later, [merged])


def test_a_merge_may_reword_a_single_accepted_amendment() -> None:
    result = next_version([P1], [BOTH[0]], [Merge("u1", "States must restrict them.", (6,))])
    assert result == [NextParagraph("u1", "States must restrict them.", [6])]


def test_a_merge_for_amendments_no_longer_waiting_is_ignored() -> None:
    stale = Merge("u2", "Old merge.", (3, 4))
    result = next_version([P1, P2], [BOTH[0]], [stale])
    assert result[1] == NextParagraph("u2", "Companies should assess risks.", [])
