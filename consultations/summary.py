"""From live submissions to what each stakeholder group said about each paragraph.

Everything here is extractive: counts, and the submissions themselves (verbatim, each
with its id), never paraphrase. Attribution labels come in already decided by the
consultation's policy, so nothing here can leak who said what.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from consultations.consensus import GroupVotes, common_ground, divergence, group_informed_consensus
from consultations.model import Kind, StakeholderGroup


@dataclass(frozen=True)
class Paragraph:
    uid: str
    number: int
    text: str


@dataclass(frozen=True)
class Input:
    """One live submission as the summary sees it."""

    id: int
    paragraph_uid: str
    group_key: str | None
    kind: Kind
    text: str | None
    author: str  # the attribution label the policy allows, e.g. "a member of Government"


@dataclass(frozen=True)
class ParagraphSummary:
    paragraph: Paragraph
    votes: Mapping[str, GroupVotes]
    consensus: float
    divergence: float | None
    common_ground: bool
    comments: tuple[Input, ...]
    amendments: tuple[Input, ...]
    unheard: tuple[str, ...]  # declared groups with no input at all on this paragraph

    @property
    def totals(self) -> GroupVotes:
        return GroupVotes(
            agree=sum(v.agree for v in self.votes.values()),
            disagree=sum(v.disagree for v in self.votes.values()),
            abstain=sum(v.abstain for v in self.votes.values()),
        )


@dataclass(frozen=True)
class Participation:
    answered: int
    invited: int


@dataclass(frozen=True)
class Summary:
    groups: tuple[StakeholderGroup, ...]  # the declared groups, in order
    paragraphs: tuple[ParagraphSummary, ...]
    participation: Mapping[str, Participation]

    def group_name(self, key: str | None) -> str:
        return next((g.name for g in self.groups if g.key == key), key or "?")


def summarise(
    paragraphs: Sequence[Paragraph],
    inputs: Iterable[Input],
    groups: Sequence[StakeholderGroup],
    participation: Mapping[str, Participation],
    *,
    min_votes: int = 3,
    threshold: float = 0.6,
) -> Summary:
    """Tally every paragraph per declared group.

    Declared groups are those with invited stakeholders; if nobody was invited yet, the
    groups that spoke.
    """
    by_paragraph: dict[str, list[Input]] = defaultdict(list)
    for item in inputs:
        by_paragraph[item.paragraph_uid].append(item)
    spoke = {i.group_key for items in by_paragraph.values() for i in items}
    declared = tuple(
        g for g in groups if participation.get(g.key, Participation(0, 0)).invited > 0
    ) or tuple(g for g in groups if g.key in spoke)
    keys = [g.key for g in declared]

    summaries = []
    for paragraph in paragraphs:
        items = by_paragraph.get(paragraph.uid, [])
        counts = {key: [0, 0, 0] for key in keys}
        for item in items:
            if item.group_key in counts and item.kind.is_stance:
                slot = (Kind.SUPPORT, Kind.OPPOSE, Kind.ABSTAIN).index(item.kind)
                counts[item.group_key][slot] += 1
        votes = {
            key: GroupVotes(agree=a, disagree=d, abstain=p) for key, (a, d, p) in counts.items()
        }
        heard = {i.group_key for i in items}
        summaries.append(
            ParagraphSummary(
                paragraph=paragraph,
                votes=votes,
                consensus=group_informed_consensus(votes) if votes else 0.0,
                divergence=divergence(votes, min_votes=min_votes),
                common_ground=bool(votes)
                and common_ground(votes, threshold=threshold, min_votes=min_votes),
                comments=tuple(i for i in items if i.kind is Kind.COMMENT),
                amendments=tuple(i for i in items if i.kind is Kind.AMENDMENT),
                unheard=tuple(key for key in keys if key not in heard),
            )
        )
    return Summary(
        groups=declared,
        paragraphs=tuple(summaries),
        participation={g.key: participation.get(g.key, Participation(0, 0)) for g in declared},
    )
