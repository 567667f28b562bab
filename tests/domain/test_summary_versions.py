"""What each group said per paragraph, and cutting the next version from accepted amendments."""

from __future__ import annotations

import pytest

from consultations.consensus import GroupVotes, Position, Standing
from consultations.diffing import new_text, old_text
from consultations.errors import AmendmentConflict, NothingToPublish
from consultations.model import DEFAULT_GROUPS, Kind
from consultations.summary import Input, Paragraph, Participation, summarise
from consultations.versions import Accepted, NextParagraph, compare, next_version

P1 = Paragraph("u-pre", 1, "The Coalition is concerned.")
P2 = Paragraph("u-op1", 2, "States should restrict exports.")
P3 = Paragraph("u-op2", 3, "Companies should assess risks.")
PARAGRAPHS = (P1, P2, P3)


def _input(id_: int, uid: str, group: str | None, kind: Kind, text: str | None = None) -> Input:
    return Input(id_, uid, group, kind, text, f"a member of {group}")


INPUTS = [
    _input(1, "u-pre", "government", Kind.SUPPORT),
    _input(2, "u-pre", "government", Kind.SUPPORT),
    _input(3, "u-pre", "government", Kind.COMMENT, "Fine."),
    _input(4, "u-pre", "civil-society", Kind.OPPOSE),
    _input(5, "u-pre", "private-sector", Kind.SUPPORT),  # a group nobody invited
    _input(6, "u-op1", "civil-society", Kind.AMENDMENT, "States must restrict exports."),
    _input(7, "u-op1", "civil-society", Kind.ABSTAIN),
]
INVITED = {
    "government": Participation(answered=1, invited=2),
    "civil-society": Participation(answered=1, invited=1),
    "academia": Participation(answered=0, invited=0),
}


def test_declared_groups_are_the_invited_ones_in_catalogue_order() -> None:
    summary = summarise(PARAGRAPHS, INPUTS, DEFAULT_GROUPS, INVITED)
    assert [g.key for g in summary.groups] == ["government", "civil-society"]
    assert dict(summary.participation) == {
        "government": Participation(1, 2),
        "civil-society": Participation(1, 1),
    }
    assert summary.group_name("civil-society") == "Civil society"
    assert summary.group_name("nobody") == "nobody"
    assert summary.group_name(None) == "?"


def test_per_group_counts_and_consensus_by_hand() -> None:
    first, second, third = summarise(PARAGRAPHS, INPUTS, DEFAULT_GROUPS, INVITED).paragraphs

    assert first.paragraph == P1
    assert dict(first.votes) == {
        "government": GroupVotes(agree=2, disagree=0, abstain=0),
        "civil-society": GroupVotes(agree=0, disagree=1, abstain=0),
    }
    assert first.totals == GroupVotes(2, 1, 0)  # the uninvited private-sector vote is left out
    # (2+1)/(2+2) * (0+1)/(1+2) = 3/4 * 1/3
    assert first.consensus == pytest.approx(0.25)
    # small groups: every vote counts (government 2 of 2 support, civil society 1 of 1 opposes)
    assert first.positions == {"government": Position.SUPPORT, "civil-society": Position.OPPOSE}
    assert first.standing is Standing.DIVIDED and first.divergent
    assert first.divergence == 1.0
    assert first.common_ground is False
    assert first.consensus_defined is False  # two votes are not enough for the figure
    assert [c.id for c in first.comments] == [3]
    assert first.amendments == ()
    assert first.unheard == ()

    assert dict(second.votes) == {
        "government": GroupVotes(0, 0, 0),
        "civil-society": GroupVotes(0, 0, 1),
    }
    # government unheard: 1/2; civil society abstained once: (0+1)/(1+2)
    assert second.consensus == pytest.approx(1 / 6)
    assert [a.text for a in second.amendments] == ["States must restrict exports."]
    assert second.unheard == ("government",)

    assert third.consensus == pytest.approx(0.25)  # two unheard groups: 1/2 * 1/2
    assert third.unheard == ("government", "civil-society")
    assert third.totals == GroupVotes(0, 0, 0)


def test_common_ground_and_divergence() -> None:
    inputs = [_input(i, "u-pre", "government", Kind.SUPPORT) for i in range(3)] + [
        _input(10 + i, "u-pre", "civil-society", kind)
        for i, kind in enumerate([Kind.SUPPORT, Kind.SUPPORT, Kind.OPPOSE])
    ]
    (first,) = summarise([P1], inputs, DEFAULT_GROUPS, INVITED).paragraphs
    assert first.common_ground is True  # 3/3 and 2/3, both >= 0.6
    assert first.divergence == pytest.approx(1 / 3)
    assert first.consensus == pytest.approx(4 / 5 * 3 / 5)
    (strict,) = summarise([P1], inputs, DEFAULT_GROUPS, INVITED, threshold=0.7).paragraphs
    assert strict.common_ground is False


def test_without_invitations_the_groups_that_spoke_are_declared() -> None:
    summary = summarise(PARAGRAPHS, INPUTS, DEFAULT_GROUPS, {})
    assert [g.key for g in summary.groups] == ["government", "civil-society", "private-sector"]
    first = summary.paragraphs[0]
    assert first.votes["private-sector"] == GroupVotes(1, 0, 0)
    assert first.consensus == pytest.approx(3 / 4 * 1 / 3 * 2 / 3)
    assert summary.paragraphs[1].unheard == ("government", "private-sector")
    assert summary.participation["private-sector"] == Participation(0, 0)


def test_nothing_said_and_nobody_invited() -> None:
    summary = summarise(PARAGRAPHS, [], DEFAULT_GROUPS, {})
    assert summary.groups == ()
    assert [(p.votes, p.consensus, p.common_ground, p.unheard) for p in summary.paragraphs] == [
        ({}, 0.0, False, ())
    ] * 3


# --- next_version --------------------------------------------------------------------


def test_next_version_applies_accepted_text_and_keeps_uids() -> None:
    result = next_version(
        PARAGRAPHS,
        [
            Accepted(12, "u-op2", "Companies must assess risks."),
            Accepted(6, "u-op1", "States must restrict exports."),
        ],
    )
    assert result == [
        NextParagraph("u-pre", "The Coalition is concerned.", []),
        NextParagraph("u-op1", "States must restrict exports.", [6]),
        NextParagraph("u-op2", "Companies must assess risks.", [12]),
    ]


def test_two_accepted_amendments_on_one_paragraph_conflict() -> None:
    with pytest.raises(AmendmentConflict) as caught:
        next_version(
            PARAGRAPHS,
            [
                Accepted(6, "u-op1", "States must restrict exports."),
                Accepted(9, "u-op1", "States shall restrict exports."),
                Accepted(12, "u-op2", "Companies must assess risks."),
            ],
        )
    assert caught.value.values == {"number": 2, "ids": "#6, #9"}


def test_nothing_accepted_means_nothing_to_publish() -> None:
    with pytest.raises(NothingToPublish):
        next_version(PARAGRAPHS, [])


# --- compare -------------------------------------------------------------------------


def test_compare_finds_changed_added_and_removed_paragraphs_by_uid() -> None:
    old = [P1, P2, P3]
    new = [
        Paragraph("u-op1", 1, "States must restrict exports."),  # moved up and changed
        Paragraph("u-pre", 2, "The Coalition is concerned."),  # moved, unchanged
        Paragraph("u-new", 3, "Review in 2027."),
    ]
    changes = compare(old, new)
    assert [(c.number, c.uid) for c in changes] == [(1, "u-op1"), (3, "u-new"), (3, "u-op2")]
    changed_op1, added, removed = changes
    assert (old_text(changed_op1.ops), new_text(changed_op1.ops)) == (
        "States should restrict exports.",
        "States must restrict exports.",
    )
    assert [(op.kind, op.text) for op in changed_op1.ops] == [
        ("equal", "States "),
        ("delete", "should"),
        ("insert", "must"),
        ("equal", " restrict exports."),
    ]
    assert (old_text(added.ops), new_text(added.ops)) == ("", "Review in 2027.")
    assert (old_text(removed.ops), new_text(removed.ops)) == ("Companies should assess risks.", "")


def test_compare_of_identical_versions_is_empty() -> None:
    assert compare(PARAGRAPHS, list(PARAGRAPHS)) == []
