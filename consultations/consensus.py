"""How far the stakeholder groups of a consultation agree on one paragraph.

Rules that mean something with one to five delegates per group and still with hundreds:

- each group's **position** on a paragraph: it supports when at least `threshold` (60%)
  of its votes support, opposes when as many oppose, is split otherwise; a group that
  cast fewer votes than its quorum has no position yet ("too few"), one that cast none
  is not heard. Abstentions count as votes, as passes do in Pol.is and in Jigsaw's
  sensemaking tools. With up to five votes 60% is simply a majority (1 of 1, 2 of 2,
  2 of 3, 3 of 4, 3 of 5), so the rule reads the same in a small group as in a large one;
- a group's **quorum** is half its members, at most `min_votes` (3): one vote speaks for
  a group of one or two, two for three or four, three for anything larger, so a group of
  hundreds is not decided by the first two who answered;
- the paragraph's **standing**, one of: common ground (every group with a position
  supports, and at least two groups have one, or the only declared group does); divided
  (one group supports while another opposes: majorities point different ways); opposed
  (every group with a position opposes, at least two of them); contested (a group is split,
  or opposes alone, without the groups dividing); open (too few groups heard to tell).
  One value per paragraph, so a paragraph is never both common ground and divided.

Two figures stay beside the rules, for readers who know them:

- Pol.is's **group-informed consensus** (`group_informed_consensus`), read from its source
  (compdemocracy/polis, ``math/src/polismath/math/conversation.clj``, the
  ``:group-aware-consensus`` node, exported as the ``group-informed-consensus`` column):
  per group and comment ``prob = (A + 1.0) / (S + 2.0)``, ``A`` the agree votes and ``S``
  every vote cast, passes included; the product over all groups, a group that never saw
  the comment contributing 1/2; the latest vote of each participant Pol.is placed in a
  group. Checked against the bg2050-volunteers export: all 371 scores to 1e-9 (see
  ``tests/domain/test_consensus.py``). With two votes per group the smoothing dominates
  (a unanimous paragraph scores 0.42 with three groups), so readers show it only where
  every group cast `CONSENSUS_VOTES` votes (`consensus_defined`);
- **divergence**: the gap between the most and the least supportive group.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

THRESHOLD = 0.6  # the share of a group's votes that makes its position
MIN_VOTES = 3  # the largest quorum: votes a big group needs before it has a position
CONSENSUS_VOTES = 10  # votes every group needs before the consensus figure is shown


@dataclass(frozen=True)
class GroupVotes:
    """One group's votes on one paragraph: support, oppose, abstain."""

    agree: int
    disagree: int
    abstain: int = 0

    def __post_init__(self) -> None:
        if min(self.agree, self.disagree, self.abstain) < 0:
            raise ValueError(f"vote counts cannot be negative: {self}")

    @property
    def seen(self) -> int:
        """Everyone in the group who voted on the paragraph, abstentions included."""
        return self.agree + self.disagree + self.abstain

    def agreement(self) -> float | None:
        """Share of the group's votes that support the paragraph; None before any vote."""
        if self.seen == 0:
            return None
        return self.agree / self.seen


class Position(StrEnum):
    """Where one group stands on one paragraph."""

    SUPPORT = "support"
    OPPOSE = "oppose"
    SPLIT = "split"  # voted, without `threshold` either way
    TOO_FEW = "too_few"  # voted, fewer than its quorum
    UNHEARD = "unheard"  # no vote

    @property
    def taken(self) -> bool:
        """The group has a position: it voted at least its quorum."""
        return self in (Position.SUPPORT, Position.OPPOSE, Position.SPLIT)


class Standing(StrEnum):
    """Where the groups together stand on one paragraph; exactly one per paragraph."""

    COMMON_GROUND = "common_ground"
    DIVIDED = "divided"
    OPPOSED = "opposed"
    CONTESTED = "contested"
    OPEN = "open"

    @property
    def in_dispute(self) -> bool:
        return self in (Standing.DIVIDED, Standing.OPPOSED, Standing.CONTESTED)


def quorum(members: int, min_votes: int = MIN_VOTES) -> int:
    """Votes a group of `members` needs before it has a position: half of it, 1 to `min_votes`.

    A group whose size is not known (0) needs one vote.
    """
    if min_votes < 1:
        raise ValueError(f"min_votes must be at least 1, not {min_votes}")
    return max(1, min(min_votes, math.ceil(members / 2)))


def position(votes: GroupVotes, threshold: float = THRESHOLD, needed: int = 1) -> Position:
    """One group's position: support or oppose by `threshold` of its votes, else split."""
    if not 0.5 < threshold <= 1:
        raise ValueError(f"threshold must be above one half and at most 1, not {threshold}")
    if votes.seen == 0:
        return Position.UNHEARD
    if votes.seen < needed:
        return Position.TOO_FEW
    if votes.agree >= threshold * votes.seen:
        return Position.SUPPORT
    if votes.disagree >= threshold * votes.seen:
        return Position.OPPOSE
    return Position.SPLIT


def standing(positions: Mapping[str, Position]) -> Standing:
    """Where the declared groups stand together, from each one's position.

    Common ground and "opposed" need two groups with a position (or the one declared
    group); groups not heard do not stop common ground, and readers say how many there are.
    """
    taken = [p for p in positions.values() if p.taken]
    enough = len(taken) >= min(2, len(positions))
    if Position.SUPPORT in taken and Position.OPPOSE in taken:
        return Standing.DIVIDED
    if taken and all(p is Position.OPPOSE for p in taken) and enough:
        return Standing.OPPOSED
    if Position.SPLIT in taken or Position.OPPOSE in taken:
        return Standing.CONTESTED
    if taken and enough:
        return Standing.COMMON_GROUND
    return Standing.OPEN


def positions(
    votes: Mapping[str, GroupVotes],
    threshold: float = THRESHOLD,
    quorums: Mapping[str, int] | None = None,
) -> dict[str, Position]:
    """Each declared group's position; `quorums` by group (default: one vote)."""
    return {key: position(v, threshold, (quorums or {}).get(key, 1)) for key, v in votes.items()}


def group_informed_consensus(votes: Mapping[str, GroupVotes]) -> float:
    """Pol.is's group-informed consensus: the product of (agree + 1) / (seen + 2) per group.

    `votes` must hold every declared group, those without votes too: each of them
    contributes 1/2, as in Pol.is. The result lies in (0, 1].
    """
    if not votes:
        raise ValueError("group-informed consensus needs at least one declared group")
    consensus = 1.0
    for group in votes.values():
        consensus *= (group.agree + 1.0) / (group.seen + 2.0)
    return consensus


def consensus_defined(votes: Mapping[str, GroupVotes], needed: int = CONSENSUS_VOTES) -> bool:
    """The consensus figure measures something: every declared group cast `needed` votes."""
    return bool(votes) and all(v.seen >= needed for v in votes.values())


def divergence(votes: Mapping[str, GroupVotes], min_votes: int = MIN_VOTES) -> float | None:
    """Gap between the most and the least supportive group, in [0, 1].

    Only groups with at least `min_votes` votes take part; None when fewer than two do,
    because a gap needs two groups that have spoken.
    """
    if min_votes < 1:
        raise ValueError(f"min_votes must be at least 1, not {min_votes}")
    shares = [
        share
        for group in votes.values()
        if group.seen >= min_votes and (share := group.agreement()) is not None
    ]
    if len(shares) < 2:
        return None
    return max(shares) - min(shares)
