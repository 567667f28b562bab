"""How far the stakeholder groups of a consultation agree on one paragraph.

Three readings of the same per-group vote counts: a single consensus score that one
dissenting group pulls down (Pol.is's group-informed consensus), the spread of agreement
between groups (divergence), and a yes/no "common ground" test. All take the votes of
every declared group, keyed by group name, and are pure functions over plain counts.

What Pol.is does, read from its source (compdemocracy/polis,
``math/src/polismath/math/conversation.clj``, the ``:group-aware-consensus`` node, which
the CSV export writes out as the ``group-informed-consensus`` column):

- per group and comment, ``prob = (A + 1.0) / (S + 2.0)``, where ``A`` counts agree votes
  and ``S`` counts every vote cast, passes included (``:S`` is built with ``number?``, so
  agree, disagree and pass all count; an unseen comment is ``nil`` and does not);
- the score is the product of ``prob`` over all groups; every group has an entry for
  every comment, so a group that never saw the comment contributes 1/2;
- the counts come from the latest vote of each participant (the rating matrix keeps one
  cell per participant and comment; a later vote overwrites it), and only from
  participants Pol.is placed in a group;
- moderated-out comments are still scored (the counts come from the raw rating matrix).

Checked against the bg2050-volunteers export: all 371 exported scores are reproduced to
1e-9 from votes.csv and the exported group ids (see ``tests/domain/test_consensus.py``).

``common_ground`` follows Jigsaw's sensemaking tools (a statement is common ground when
its agree rate, passes in the denominator, is at least 0.6 in every group); where Jigsaw
requires 20 votes on the statement overall, we require ``min_votes`` in *each* group,
since a group that has barely voted cannot be said to agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


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


def divergence(votes: Mapping[str, GroupVotes], min_votes: int = 3) -> float | None:
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


def common_ground(
    votes: Mapping[str, GroupVotes], threshold: float = 0.6, min_votes: int = 3
) -> bool:
    """True when every declared group has voted enough and supports at `threshold` or more.

    With no declared group there is no common ground to speak of: False.
    """
    if min_votes < 1:
        raise ValueError(f"min_votes must be at least 1, not {min_votes}")
    if not votes:
        return False
    for group in votes.values():
        share = group.agreement()
        if group.seen < min_votes or share is None or share < threshold:
            return False
    return True
