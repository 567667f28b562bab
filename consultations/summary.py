"""From live submissions to what each stakeholder group said about each paragraph.

Everything here is extractive: counts, and the submissions themselves (verbatim, each
with its id), never paraphrase. Attribution labels come in already decided by the
consultation's policy, so nothing here can leak who said what.

Per paragraph: each declared group's support, oppose and abstain counts and its position;
where the groups stand together (common ground, divided, opposed, contested or open) and
Pol.is's group-informed consensus and divergence figures (see consensus.py); the comments
as points (identical or near-identical ones counted once) and themes, within each language,
with verbatim quotes (see themes.py); the amendments, each with its endorsements per
group; and the declared groups not heard on it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from consultations.consensus import (
    CONSENSUS_VOTES,
    MIN_VOTES,
    THRESHOLD,
    GroupVotes,
    Position,
    Standing,
    consensus_defined,
    divergence,
    group_informed_consensus,
    positions,
    quorum,
    standing,
)
from consultations.document import Clause, Link
from consultations.ids import SubmissionId
from consultations.model import Kind, StakeholderGroup
from consultations.points import Comment, Point
from consultations.themes import (
    DEFAULT_THEMES,
    Embed,
    Gathered,
    Method,
    Theme,
    ThemeOptions,
    gather_by_section,
)


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
    # who gave it, to count delegates; never shown, never exported (it would link
    # everything one person said)
    person: int | None = field(default=None, compare=False, metadata={"private": True})
    language: str | None = None  # the language its author worked in, where known


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
    consensus: float  # Pol.is's group-informed consensus, always computed
    divergence: float | None  # gap between groups with a position; None with fewer than two
    common_ground: bool  # standing is common ground
    comments: tuple[Input, ...]
    amendments: tuple[Input, ...]
    unheard: tuple[str, ...]  # declared groups with no input at all on this paragraph
    themes: tuple[Theme, ...] = ()
    endorsements: tuple[Endorsements, ...] = ()
    divergent: bool = False  # standing is divided: groups' majorities point different ways
    positions: Mapping[str, Position] = field(default_factory=dict)  # per declared group
    standing: Standing = Standing.OPEN
    consensus_defined: bool = False  # every group cast enough votes for the figure to mean much
    points: tuple[Point, ...] = ()  # the comments, identical or near-identical ones as one

    def support(self, submission_id: SubmissionId) -> Mapping[str, int]:
        """Endorsements of one amendment or comment, per group key."""
        found = next((e for e in self.endorsements if e.submission_id == submission_id), None)
        return found.groups if found is not None else {}

    @property
    def agreement(self) -> dict[str, float | None]:
        """Each declared group's share of votes in support; None where it has not voted."""
        return {key: votes.agreement() for key, votes in self.votes.items()}

    @property
    def unthemed(self) -> tuple[Point, ...]:
        """Points that no theme gathered."""
        return Gathered(self.points, self.themes).unthemed

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
    threshold: float = THRESHOLD  # the share of its votes that makes a group's position
    min_votes: int = MIN_VOTES  # the largest quorum a group needs before it has a position
    consensus_votes: int = CONSENSUS_VOTES  # votes per group before consensus is shown

    def group_name(self, key: str | None) -> str:
        return next((g.name for g in self.groups if g.key == key), key or "?")

    @property
    def common_ground(self) -> tuple[ParagraphSummary, ...]:
        return tuple(p for p in self.paragraphs if p.common_ground)

    @property
    def divergent(self) -> tuple[ParagraphSummary, ...]:
        return tuple(p for p in self.paragraphs if p.divergent)

    @property
    def disputed(self) -> tuple[ParagraphSummary, ...]:
        """Paragraphs in dispute: divided first, then opposed, then contested."""
        order = (Standing.DIVIDED, Standing.OPPOSED, Standing.CONTESTED)
        return tuple(p for kind in order for p in self.paragraphs if p.standing is kind)

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
    min_votes: int = MIN_VOTES,
    threshold: float = THRESHOLD,
    consensus_votes: int = CONSENSUS_VOTES,
    embed: Embed | None = None,
    themes: ThemeOptions | None = DEFAULT_THEMES,
) -> Summary:
    """Tally every paragraph per declared group, and gather its comments into points and themes.

    Declared groups are those with invited stakeholders; if nobody was invited yet, the
    groups that spoke. A group's quorum is half its invited members, at most `min_votes`.
    Themes come from TF-IDF, or from `embed` (texts to vectors) when given; `themes=None`
    leaves points and themes out.
    """
    by_paragraph: dict[str, list[Input]] = defaultdict(list)
    for item in inputs:
        by_paragraph[item.paragraph_uid].append(item)
    spoke = {i.group_key for items in by_paragraph.values() for i in items}
    declared = tuple(
        g for g in groups if participation.get(g.key, Participation(0, 0)).invited > 0
    ) or tuple(g for g in groups if g.key in spoke)
    keys = [g.key for g in declared]
    quorums = {
        key: quorum(participation.get(key, Participation(0, 0)).invited, min_votes) for key in keys
    }

    backing: dict[SubmissionId, Counter[str]] = defaultdict(Counter)
    for items in by_paragraph.values():
        for item in items:
            if item.kind is Kind.ENDORSEMENT and item.target_id is not None:
                backing[item.target_id][item.group_key or "?"] += 1
    found = (
        gather_by_section(
            {
                p.uid: [
                    Comment(
                        c.id,
                        c.text or "",
                        c.group_key,
                        c.author,
                        sum(backing[c.id].values()),
                        c.person,
                        c.language,
                    )
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
        where = positions(votes, threshold, quorums)
        together = standing(where)
        with_position = {key: v for key, v in votes.items() if where[key].taken}
        heard = {i.group_key for i in items}
        amendments = tuple(i for i in items if i.kind is Kind.AMENDMENT)
        comments = tuple(i for i in items if i.kind is Kind.COMMENT)
        gathered = found.get(paragraph.uid, Gathered())
        summaries.append(
            ParagraphSummary(
                paragraph=paragraph,
                votes=votes,
                consensus=group_informed_consensus(votes) if votes else 0.0,
                divergence=divergence(with_position, min_votes=1),
                common_ground=together is Standing.COMMON_GROUND,
                comments=comments,
                amendments=amendments,
                unheard=tuple(key for key in keys if key not in heard),
                themes=gathered.themes,
                endorsements=tuple(
                    Endorsements(i.id, dict(sorted(backing[i.id].items())))
                    for i in (*amendments, *comments)
                    if backing.get(i.id)
                ),
                divergent=together is Standing.DIVIDED,
                positions=where,
                standing=together,
                consensus_defined=consensus_defined(votes, consensus_votes),
                points=gathered.points,
            )
        )
    return Summary(
        groups=declared,
        paragraphs=tuple(summaries),
        participation={g.key: participation.get(g.key, Participation(0, 0)) for g in declared},
        method=Method.EMBEDDINGS if embed is not None else Method.TFIDF,
        threshold=threshold,
        min_votes=min_votes,
        consensus_votes=consensus_votes,
    )
