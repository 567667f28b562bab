"""Positions, standing, consensus and divergence, by hand, over random tallies, and
against Pol.is's own numbers."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consultations.consensus import (
    GroupVotes,
    Position,
    Standing,
    consensus_defined,
    divergence,
    group_informed_consensus,
    position,
    positions,
    quorum,
    standing,
)
from tests import polis

# --- GroupVotes -------------------------------------------------------------------------


def test_abstentions_count_as_seen_but_not_as_support() -> None:
    votes = GroupVotes(agree=3, disagree=1, abstain=1)
    assert votes.seen == 5
    assert votes.agreement() == pytest.approx(0.6)


def test_a_group_that_has_not_voted_has_no_agreement() -> None:
    assert GroupVotes(0, 0).seen == 0
    assert GroupVotes(0, 0).agreement() is None


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        GroupVotes(agree=1, disagree=-1)


# --- group_informed_consensus -----------------------------------------------------------


def test_consensus_is_the_product_of_smoothed_agreement_per_group() -> None:
    votes = {"government": GroupVotes(3, 1), "civil society": GroupVotes(1, 2, 1)}
    # (3 + 1) / (4 + 2) * (1 + 1) / (4 + 2)
    assert group_informed_consensus(votes) == pytest.approx(2 / 9)


def test_a_declared_group_without_votes_contributes_one_half() -> None:
    votes = {"government": GroupVotes(3, 1), "industry": GroupVotes(0, 0)}
    assert group_informed_consensus(votes) == pytest.approx(4 / 6 * 1 / 2)


def test_abstentions_lower_consensus_like_seen_but_unsupported() -> None:
    assert group_informed_consensus({"g": GroupVotes(2, 0)}) == pytest.approx(3 / 4)
    assert group_informed_consensus({"g": GroupVotes(2, 0, 2)}) == pytest.approx(3 / 6)


def test_one_dissenting_group_pulls_consensus_down() -> None:
    broad = {"a": GroupVotes(8, 2), "b": GroupVotes(8, 2)}
    split = {"a": GroupVotes(10, 0), "b": GroupVotes(2, 8)}
    assert group_informed_consensus(broad) > group_informed_consensus(split)


def test_consensus_needs_a_declared_group() -> None:
    with pytest.raises(ValueError, match="group"):
        group_informed_consensus({})


# --- divergence -------------------------------------------------------------------------


def test_divergence_is_the_gap_between_most_and_least_supportive_group() -> None:
    votes = {"a": GroupVotes(3, 1), "b": GroupVotes(1, 3), "c": GroupVotes(2, 2)}
    assert divergence(votes) == pytest.approx(0.75 - 0.25)


def test_divergence_counts_abstentions_in_the_share() -> None:
    votes = {"a": GroupVotes(4, 0), "b": GroupVotes(2, 0, 2)}
    assert divergence(votes) == pytest.approx(0.5)


def test_groups_below_the_minimum_are_left_out_of_divergence() -> None:
    votes = {"a": GroupVotes(3, 1), "b": GroupVotes(1, 3), "c": GroupVotes(0, 2)}
    assert divergence(votes, min_votes=3) == pytest.approx(0.5)
    assert divergence(votes, min_votes=2) == pytest.approx(0.75)


def test_divergence_needs_two_groups_that_voted_enough() -> None:
    assert divergence({"a": GroupVotes(3, 1), "b": GroupVotes(1, 1)}) is None
    assert divergence({"a": GroupVotes(3, 1), "b": GroupVotes(0, 0)}) is None
    assert divergence({"a": GroupVotes(3, 1)}) is None
    assert divergence({}) is None


def test_divergence_refuses_a_minimum_below_one_vote() -> None:
    with pytest.raises(ValueError, match="min_votes"):
        divergence({"a": GroupVotes(0, 0), "b": GroupVotes(1, 0)}, min_votes=0)


# --- positions: small groups first -----------------------------------------------------

S, OPP, SPLIT, FEW, UNHEARD = (
    Position.SUPPORT,
    Position.OPPOSE,
    Position.SPLIT,
    Position.TOO_FEW,
    Position.UNHEARD,
)


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        (GroupVotes(1, 0), S),  # 1 of 1
        (GroupVotes(2, 0), S),  # 2 of 2
        (GroupVotes(0, 2), OPP),
        (GroupVotes(1, 1), SPLIT),
        (GroupVotes(1, 0, 1), SPLIT),  # an abstention is a vote that does not support
        (GroupVotes(2, 1), S),  # 2 of 3
        (GroupVotes(3, 1), S),  # 3 of 4
        (GroupVotes(2, 2), SPLIT),
        (GroupVotes(3, 2), S),  # 3 of 5: a majority is 60% with five votes
        (GroupVotes(55, 45), SPLIT),  # with a hundred, 55% is no clear position
        (GroupVotes(0, 0), UNHEARD),
    ],
)
def test_a_groups_position_is_a_clear_majority_of_its_votes(
    votes: GroupVotes, expected: Position
) -> None:
    assert position(votes) is expected


def test_a_large_group_needs_its_quorum_before_it_has_a_position() -> None:
    assert [quorum(n) for n in (0, 1, 2, 3, 4, 5, 6, 300)] == [1, 1, 1, 2, 2, 3, 3, 3]
    assert position(GroupVotes(2, 0), needed=quorum(300)) is FEW
    assert position(GroupVotes(3, 0), needed=quorum(300)) is S
    assert position(GroupVotes(1, 0), needed=quorum(2)) is S  # one of two delegates answered


def test_the_threshold_must_mean_a_majority() -> None:
    with pytest.raises(ValueError, match="threshold"):
        position(GroupVotes(1, 1), threshold=0.5)
    with pytest.raises(ValueError, match="min_votes"):
        quorum(10, min_votes=0)


def _standing(**votes: tuple[int, int, int]) -> Standing:
    return standing(positions({k: GroupVotes(*v) for k, v in votes.items()}))


def test_three_groups_of_two_delegates() -> None:
    assert _standing(gov=(2, 0, 0), cso=(2, 0, 0), industry=(2, 0, 0)) is Standing.COMMON_GROUND
    assert _standing(gov=(2, 0, 0), cso=(2, 0, 0), industry=(0, 2, 0)) is Standing.DIVIDED
    assert _standing(gov=(0, 2, 0), cso=(0, 1, 0), industry=(0, 2, 0)) is Standing.OPPOSED
    assert _standing(gov=(2, 0, 0), cso=(2, 0, 0), industry=(1, 1, 0)) is Standing.CONTESTED
    assert _standing(gov=(2, 0, 0), cso=(0, 0, 0), industry=(0, 0, 0)) is Standing.OPEN
    assert _standing(gov=(0, 0, 0), cso=(0, 0, 0), industry=(0, 0, 0)) is Standing.OPEN


def test_common_ground_among_the_groups_that_answered() -> None:
    # a group not heard does not stop common ground (readers say how many were not)
    assert _standing(gov=(2, 0, 0), cso=(1, 0, 0), industry=(0, 0, 0)) is Standing.COMMON_GROUND
    # one group of several is not common ground, nor is one opposing group a consensus
    assert _standing(gov=(0, 2, 0), cso=(0, 0, 0)) is Standing.CONTESTED
    # a consultation of one declared group: its position is the consultation's
    assert _standing(gov=(3, 0, 0)) is Standing.COMMON_GROUND
    assert standing({}) is Standing.OPEN


def test_groups_short_of_their_quorum_do_not_count() -> None:
    votes = {"a": GroupVotes(90, 10), "b": GroupVotes(2, 0), "c": GroupVotes(0, 2)}
    where = positions(votes, quorums={"a": 3, "b": 3, "c": 3})
    assert where == {"a": S, "b": FEW, "c": FEW}
    assert standing(where) is Standing.OPEN
    assert standing(positions(votes)) is Standing.DIVIDED  # every vote counts


def test_the_consensus_figure_is_defined_by_enough_votes_in_every_group() -> None:
    assert consensus_defined({"a": GroupVotes(8, 2), "b": GroupVotes(5, 5)})
    assert not consensus_defined({"a": GroupVotes(8, 2), "b": GroupVotes(2, 0)})
    assert not consensus_defined({"a": GroupVotes(2, 0), "b": GroupVotes(2, 0)}, needed=3)
    assert not consensus_defined({})


# --- properties -------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=500)
group_votes = st.builds(GroupVotes, agree=counts, disagree=counts, abstain=counts)
group_names = st.sampled_from(
    ["government", "civil society", "industry", "academia", "youth", "labour", "media", "donors"]
)
declared_groups = st.dictionaries(group_names, group_votes, min_size=1, max_size=8)


@given(declared_groups)
def test_consensus_lies_in_zero_one(votes: dict[str, GroupVotes]) -> None:
    assert 0.0 < group_informed_consensus(votes) <= 1.0


@given(declared_groups, st.data())
def test_one_more_agree_vote_never_lowers_consensus(
    votes: dict[str, GroupVotes], data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(votes)))
    more = {**votes, name: dataclasses.replace(votes[name], agree=votes[name].agree + 1)}
    assert group_informed_consensus(more) >= group_informed_consensus(votes)


@given(declared_groups, st.data(), st.sampled_from(["disagree", "abstain"]))
def test_one_more_opposing_or_abstaining_vote_never_raises_consensus(
    votes: dict[str, GroupVotes], data: st.DataObject, kind: str
) -> None:
    name = data.draw(st.sampled_from(sorted(votes)))
    one_more = {kind: getattr(votes[name], kind) + 1}
    more = {**votes, name: dataclasses.replace(votes[name], **one_more)}
    assert group_informed_consensus(more) <= group_informed_consensus(votes)


@given(
    st.builds(GroupVotes, agree=counts, disagree=counts, abstain=counts).filter(
        lambda votes: votes.seen >= 3
    ),
    st.lists(st.integers(min_value=1, max_value=20), min_size=2, max_size=6),
)
def test_divergence_is_zero_when_all_groups_agree_equally(
    share: GroupVotes, sizes: list[int]
) -> None:
    votes = {
        f"group {i}": GroupVotes(share.agree * k, share.disagree * k, share.abstain * k)
        for i, k in enumerate(sizes)
    }
    assert divergence(votes) == 0.0


@given(declared_groups)
def test_divergence_lies_in_zero_one(votes: dict[str, GroupVotes]) -> None:
    gap = divergence(votes)
    assert gap is None or 0.0 <= gap <= 1.0


small = st.integers(min_value=0, max_value=6)
small_groups = st.dictionaries(
    group_names, st.builds(GroupVotes, small, small, small), min_size=1, max_size=8
)


@given(st.one_of(small_groups, declared_groups), st.dictionaries(group_names, small))
def test_the_standing_says_what_the_positions_say(
    votes: dict[str, GroupVotes], quorums: dict[str, int]
) -> None:
    where = positions(votes, quorums={k: max(1, n) for k, n in quorums.items()})
    taken = [p for p in where.values() if p.taken]
    found = standing(where)
    if found is Standing.COMMON_GROUND:
        assert taken and all(p is S for p in taken)
        assert all(votes[k].agree >= 0.6 * votes[k].seen for k, p in where.items() if p.taken)
    if found is Standing.DIVIDED:
        assert S in taken and OPP in taken
    if found is Standing.OPPOSED:
        assert taken and all(p is OPP for p in taken)
    assert found.in_dispute == (OPP in taken or SPLIT in taken)


# --- Pol.is's own numbers -----------------------------------------------------------------


def _load(name: str) -> polis.PolisExport:
    try:
        return polis.load_export(name)
    except FileNotFoundError as missing:
        pytest.fail(str(missing), pytrace=False)


def _votes_by_group(export: polis.PolisExport) -> dict[int, dict[int, GroupVotes]]:
    """comment id -> Polis group id -> that group's latest votes on the comment."""
    tallies = {
        comment: {group: [0, 0, 0] for group in export.group_ids} for comment in export.comments
    }
    for participant, ballot in export.votes.items():
        group = export.groups[participant]
        if group is None:  # Polis counts only the participants it clustered
            continue
        for comment, vote in ballot.items():
            tallies[comment][group][{1: 0, -1: 1, 0: 2}[vote]] += 1
    return {
        comment: {group: GroupVotes(*tally) for group, tally in by_group.items()}
        for comment, by_group in tallies.items()
    }


def test_consensus_matches_what_polis_exported_for_bg2050() -> None:
    export = _load("bg2050-volunteers")
    assert len(export.comments) == 371
    assert export.group_ids == [0, 1]
    by_comment = _votes_by_group(export)

    ours = {
        comment: group_informed_consensus({str(g): v for g, v in by_group.items()})
        for comment, by_group in by_comment.items()
    }
    theirs = {comment.id: comment.group_informed_consensus for comment in export.comments.values()}
    assert ours == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize(
    "name",
    [
        "bg2050-volunteers",
        "brexit-consensus",
        "canadian-electoral-reform",
        "scoop-hivemind.biodiversity",
    ],
)
def test_every_shared_polis_export_loads(name: str) -> None:
    export = _load(name)
    assert export.comments
    assert len(export.group_ids) >= 2
    assert set(export.groups) >= set(export.votes)
    assert all(
        vote in (1, -1, 0) and comment in export.comments
        for ballot in export.votes.values()
        for comment, vote in ballot.items()
    )
