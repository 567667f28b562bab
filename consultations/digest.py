"""The facilitator's question after a round, answered from the summary.

What does each group want changed, where do they already agree, where do they disagree,
and which amendments would carry the groups with them? The summary holds the answers
paragraph by paragraph; this module lines them up for a reader:

- common ground: paragraphs to keep as they are, each with the groups not heard on it;
- disputes: paragraphs where the groups divide, all oppose, or one is split or opposes,
  divided first, each with the words behind the dissent (the point most often made by a
  group that does not support, or its amendment), verbatim with its id;
- amendments ranked by backing across groups: the groups behind each (its proposer's and
  those whose members endorsed it), then endorsements, so a proposal that carries several
  groups comes before one that carries many members of one;
- who has not been heard: groups silent on the whole round, paragraphs nobody spoke on,
  and on which paragraphs the other groups were silent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from consultations.consensus import Position
from consultations.points import Point
from consultations.summary import Input, ParagraphSummary, Summary


@dataclass(frozen=True)
class Backing:
    """One amendment and the groups behind it."""

    amendment: Input
    paragraph: int
    groups: tuple[str, ...]  # group keys: its proposer's first, then those endorsing it
    endorsements: Mapping[str, int]  # endorsements per group key

    @property
    def total(self) -> int:
        return sum(self.endorsements.values())


def ranked_amendments(summary: Summary) -> tuple[Backing, ...]:
    """Every amendment, those backed by the most groups first, then by most endorsements."""
    found = []
    for p in summary.paragraphs:
        for a in p.amendments:
            endorsed = p.support(a.id)
            groups = [a.group_key] if a.group_key is not None else []
            groups += [key for key in endorsed if key not in groups]
            found.append(Backing(a, p.paragraph.number, tuple(groups), endorsed))
    found.sort(key=lambda b: (-len(b.groups), -b.total, b.paragraph, b.amendment.id))
    return tuple(found)


def dissent(p: ParagraphSummary) -> Point | Input | None:
    """The words behind a dispute: what a group that does not support said most often.

    A comment made by many comes before an amendment; where the groups that do not
    support wrote nothing, their amendment; failing both, nothing.
    """
    against = {key for key, where in p.positions.items() if where.taken}
    against -= {key for key, where in p.positions.items() if where is Position.SUPPORT}
    for point in p.points:
        if point.group_key in against or set(point.groups) & against:
            return point
    return next((a for a in p.amendments if a.group_key in against), None)


def silent(summary: Summary) -> tuple[int, ...]:
    """Paragraphs on which no declared group said anything."""
    return tuple(
        p.paragraph.number
        for p in summary.paragraphs
        if summary.groups and len(p.unheard) == len(summary.groups)
    )


def unheard_on(summary: Summary) -> dict[str, tuple[int, ...]]:
    """Groups that answered the round, and the paragraphs others spoke on but they did not."""
    quiet, nobody = set(summary.unheard), set(silent(summary))
    found: dict[str, list[int]] = {}
    for p in summary.paragraphs:
        if p.paragraph.number in nobody:
            continue
        for key in p.unheard:
            if key not in quiet:
                found.setdefault(key, []).append(p.paragraph.number)
    return {key: tuple(numbers) for key, numbers in found.items()}
