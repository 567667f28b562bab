"""Cutting the next version of the draft position from accepted amendments.

A version is immutable; the next one keeps every paragraph's stable uid, takes the text
of the accepted amendment where there is one, and records which amendments made it.
Two accepted amendments to one paragraph are a conflict, unless the facilitator has
written a merged text for that paragraph: the merge then stands for all of them and
records them all as its sources.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from consultations.diffing import DiffOp, changed, word_diff
from consultations.errors import AmendmentConflict, NothingToPublish
from consultations.ids import SubmissionId
from consultations.summary import Paragraph


@dataclass(frozen=True)
class Accepted:
    amendment_id: SubmissionId
    paragraph_uid: str
    text: str


@dataclass(frozen=True)
class Merge:
    """A facilitator's text for one paragraph, combining accepted amendments."""

    paragraph_uid: str
    text: str
    sources: tuple[SubmissionId, ...]  # the accepted amendments it stands for


@dataclass(frozen=True)
class NextParagraph:
    uid: str
    text: str
    sources: list[SubmissionId] = field(default_factory=list)


def next_version(
    paragraphs: Sequence[Paragraph],
    accepted: Sequence[Accepted],
    merges: Sequence[Merge] = (),
) -> list[NextParagraph]:
    """The paragraphs of the next version.

    A paragraph takes the text of its one accepted amendment, or the merge written for
    it. A merge must stand for exactly the paragraph's accepted amendments: one accepted
    after the merge was written is a conflict again.
    """
    if not accepted:
        raise NothingToPublish()
    by_uid: dict[str, list[Accepted]] = defaultdict(list)
    for item in accepted:
        by_uid[item.paragraph_uid].append(item)
    merged = {m.paragraph_uid: m for m in merges}
    result = []
    for paragraph in paragraphs:
        chosen = by_uid.get(paragraph.uid, [])
        merge = merged.get(paragraph.uid)
        ids = sorted(a.amendment_id for a in chosen)
        if merge is not None and chosen and sorted(merge.sources) == ids:
            result.append(NextParagraph(paragraph.uid, merge.text, ids))
            continue
        if len(chosen) > 1:
            raise AmendmentConflict(
                number=paragraph.number, ids=", ".join(f"#{a.amendment_id}" for a in chosen)
            )
        if chosen:
            result.append(NextParagraph(paragraph.uid, chosen[0].text, [chosen[0].amendment_id]))
        else:
            result.append(NextParagraph(paragraph.uid, paragraph.text))
    return result


@dataclass(frozen=True)
class ParagraphChange:
    number: int
    uid: str
    ops: tuple[DiffOp, ...]


def compare(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> list[ParagraphChange]:
    """The paragraphs whose text differs between two versions, matched by uid."""
    before = {p.uid: p.text for p in old}
    changes = []
    for paragraph in new:
        ops = word_diff(before.get(paragraph.uid, ""), paragraph.text)
        if changed(ops):
            changes.append(ParagraphChange(paragraph.number, paragraph.uid, ops))
    removed = [p for p in old if p.uid not in {q.uid for q in new}]
    changes.extend(ParagraphChange(p.number, p.uid, word_diff(p.text, "")) for p in removed)
    return changes
