"""From live submissions to what each stakeholder group said about each paragraph.

Everything here is extractive: counts, and the submissions themselves (verbatim, each
with its id), never paraphrase. Attribution labels come in already decided by the
consultation's policy, so nothing here can leak who said what.

Per paragraph: each declared group's support, oppose and abstain counts; consensus
(Pol.is's group-informed consensus), divergence and common ground (see consensus.py);
the comments gathered into themes with verbatim quotes (see themes.py); the amendments,
each with its endorsements per group; and the declared groups not heard on it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from consultations.consensus import GroupVotes, common_ground, divergence, group_informed_consensus
from consultations.document import Clause, Link
from consultations.ids import SubmissionId
from consultations.model import Kind, StakeholderGroup
from consultations.themes import (
    DEFAULT_THEMES,
    Comment,
    Embed,
    Method,
    Theme,
    ThemeOptions,
    themes_by_section,
)

# A paragraph is flagged as divergent when the most and the least supportive groups
# (each with enough votes) are this far apart.
DIVERGENT = 0.3


@dataclass(frozen=True)
class Paragraph:
    uid: str
    number: int
    text: str
    label: str | None = None  # the number its author typed ("3.", "(a)"), if any
    clause: Clause | None = None  # preambular or operative, where it reads as one
    links: tuple[Link, ...] = ()  # the links in its text


@dataclass(frozen=True)
class Input:
    """One live submission as the summary sees it."""

    id: SubmissionId
    paragraph_uid: str
    group_key: str | None
    kind: Kind
    text: str | None
    author: str  # the attribution label the policy allows, e.g. "a member of Government"
    target_id: SubmissionId | None = None  # an endorsement: the submission it supports


@dataclass(frozen=True)
class Endorsements:
    """Who backs one amendment (or comment): endorsements per group key."""

    submission_id: SubmissionId
    groups: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.groups.values())


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
    themes: tuple[Theme, ...] = ()
    endorsements: tuple[Endorsements, ...] = ()
    divergent: bool = False  # divergence of DIVERGENT or more

    def support(self, submission_id: SubmissionId) -> Mapping[str, int]:
        """Endorsements of one amendment or comment, per group key."""
        found = next((e for e in self.endorsements if e.submission_id == submission_id), None)
        return found.groups if found is not None else {}

    @property
    def agreement(self) -> dict[str, float | None]:
        """Each declared group's share of votes in support; None where it has not voted."""
        return {key: votes.agreement() for key, votes in self.votes.items()}

    @property
    def unthemed(self) -> tuple[Input, ...]:
        """Comments that no theme gathered."""
        gathered = {i for theme in self.themes for i in theme.ids}
        return tuple(c for c in self.comments if c.id not in gathered)

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
    method: Method = Method.TFIDF  # what gathered the themes
    threshold: float = 0.6  # common ground: agreement in every group at least this
    min_votes: int = 3  # votes a group needs before it counts for divergence and common ground

    def group_name(self, key: str | None) -> str:
        return next((g.name for g in self.groups if g.key == key), key or "?")

    @property
    def common_ground(self) -> tuple[ParagraphSummary, ...]:
        return tuple(p for p in self.paragraphs if p.common_ground)

    @property
    def divergent(self) -> tuple[ParagraphSummary, ...]:
        return tuple(p for p in self.paragraphs if p.divergent)

    @property
    def unheard(self) -> tuple[str, ...]:
        """Declared groups from which nobody has answered at all."""
        return tuple(
            g.key
            for g in self.groups
            if self.participation.get(g.key, Participation(0, 0)).answered == 0
        )

    def submission_ids(self) -> set[SubmissionId]:
        """Every submission the summary shows or counts: what a citation may point to."""
        return {i.id for p in self.paragraphs for i in (*p.comments, *p.amendments)}


def summarise(
    paragraphs: Sequence[Paragraph],
    inputs: Iterable[Input],
    groups: Sequence[StakeholderGroup],
    participation: Mapping[str, Participation],
    *,
    min_votes: int = 3,
    threshold: float = 0.6,
    embed: Embed | None = None,
    themes: ThemeOptions | None = DEFAULT_THEMES,
) -> Summary:
    """Tally every paragraph per declared group, and gather its comments into themes.

    Declared groups are those with invited stakeholders; if nobody was invited yet, the
    groups that spoke. Themes come from TF-IDF, or from `embed` (texts to vectors) when
    given; `themes=None` leaves them out.
    """
    by_paragraph: dict[str, list[Input]] = defaultdict(list)
    for item in inputs:
        by_paragraph[item.paragraph_uid].append(item)
    spoke = {i.group_key for items in by_paragraph.values() for i in items}
    declared = tuple(
        g for g in groups if participation.get(g.key, Participation(0, 0)).invited > 0
    ) or tuple(g for g in groups if g.key in spoke)
    keys = [g.key for g in declared]

    backing: dict[SubmissionId, Counter[str]] = defaultdict(Counter)
    for items in by_paragraph.values():
        for item in items:
            if item.kind is Kind.ENDORSEMENT and item.target_id is not None:
                backing[item.target_id][item.group_key or "?"] += 1
    found = (
        themes_by_section(
            {
                p.uid: [
                    Comment(c.id, c.text or "", c.group_key, c.author, sum(backing[c.id].values()))
                    for c in by_paragraph.get(p.uid, [])
                    if c.kind is Kind.COMMENT
                ]
                for p in paragraphs
            },
            embed=embed,
            options=themes,
        )
        if themes is not None
        else {}
    )

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
        gap = divergence(votes, min_votes=min_votes)
        amendments = tuple(i for i in items if i.kind is Kind.AMENDMENT)
        comments = tuple(i for i in items if i.kind is Kind.COMMENT)
        summaries.append(
            ParagraphSummary(
                paragraph=paragraph,
                votes=votes,
                consensus=group_informed_consensus(votes) if votes else 0.0,
                divergence=gap,
                common_ground=bool(votes)
                and common_ground(votes, threshold=threshold, min_votes=min_votes),
                comments=comments,
                amendments=amendments,
                unheard=tuple(key for key in keys if key not in heard),
                themes=found.get(paragraph.uid, ()),
                endorsements=tuple(
                    Endorsements(i.id, dict(sorted(backing[i.id].items())))
                    for i in (*amendments, *comments)
                    if backing.get(i.id)
                ),
                divergent=gap is not None and gap >= DIVERGENT,
            )
        )
    return Summary(
        groups=declared,
        paragraphs=tuple(summaries),
        participation={g.key: participation.get(g.key, Participation(0, 0)) for g in declared},
        method=Method.EMBEDDINGS if embed is not None else Method.TFIDF,
        threshold=threshold,
        min_votes=min_votes,
    )
