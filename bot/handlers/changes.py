"""What changed in the draft since a person last reviewed it, and which decisions changed it.

A delegate coming back for a new round wants to know which paragraphs are new to them:
those whose text differs from the version they last gave input on (the version of the
latest earlier round with input of theirs). `review` offers to walk only those, and
marks them; `read` marks them in the whole text. Someone who has reviewed no earlier
version is shown what changed since the previous version, where `read` asks for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.handlers.common import paragraphs, provenance
from bot.render import sources_text, styled_diff
from bot.styled import Styled
from bot.turn import Turn
from consultations.diffing import word_diff
from consultations.ids import ConsultationId, SubmissionId, VersionId
from consultations.summary import Paragraph
from storage.tables import DraftVersion, id_of


@dataclass(frozen=True)
class Changes:
    """The paragraphs of a version that changed since an earlier one, by uid."""

    since: int  # the earlier version's number
    since_id: VersionId
    reviewed: bool  # the person last reviewed that version (else it is the previous one)
    old: dict[str, str]  # uid -> text in the earlier version (absent: a new paragraph)
    sources: dict[str, list[tuple[SubmissionId, str | None]]]  # uid -> amendments, groups
    uids: frozenset[str]

    def numbers(self, shown: Sequence[Paragraph]) -> str:
        """'¶2, ¶4': the changed paragraphs as the reader numbers them."""
        return ", ".join(f"¶{p.number}" for p in shown if p.uid in self.uids)


def last_reviewed(
    turn: Turn, consultation_id: ConsultationId, before: DraftVersion
) -> DraftVersion | None:
    """The newest version before `before` that the person gave input on, if any."""
    rounds = {id_of(r): r for r in turn.records.rounds.of(consultation_id)}
    mine = turn.records.submissions.by_person(turn.person_id, list(rounds))
    version_ids = {rounds[s.round_id].version_id for s in mine}
    reviewed = [
        v
        for v in turn.records.drafts.versions(consultation_id)
        if id_of(v) in version_ids and v.number < before.number
    ]
    return reviewed[-1] if reviewed else None


def changes_since(
    turn: Turn, consultation_id: ConsultationId, version_id: VersionId, *, reviewed_only: bool
) -> Changes | None:
    """What changed in `version_id` since the version the person last reviewed, or
    (unless `reviewed_only`) since the previous version; None if there is nothing to
    compare with."""
    current = turn.records.drafts.version_by_id(version_id)
    if current is None:
        return None
    baseline = last_reviewed(turn, consultation_id, current)
    reviewed = baseline is not None
    if baseline is None and not reviewed_only and current.parent_id is not None:
        baseline = turn.records.drafts.version_by_id(current.parent_id)
    if baseline is None:
        return None
    old = {p.uid: p.text for p in paragraphs(turn.records, id_of(baseline))}
    new = paragraphs(turn.records, version_id)
    between = [
        id_of(v)
        for v in turn.records.drafts.versions(consultation_id)
        if baseline.number < v.number <= current.number
    ]
    consultation = turn.records.consultations.get(consultation_id)
    assert consultation is not None
    return Changes(
        since=baseline.number,
        since_id=id_of(baseline),
        reviewed=reviewed,
        old=old,
        sources=provenance(turn.records, consultation, between),
        uids=frozenset(p.uid for p in new if old.get(p.uid) != p.text),
    )


def shown_change(
    turn: Turn, changes: Changes, original: Paragraph, shown: Paragraph
) -> tuple[Styled | str, str]:
    """A changed paragraph as the person reads it, and the line that says who changed it.

    Where they read the original text, the change itself: deleted words struck through,
    inserted ones in bold; where they read a translation, its text as it stands."""
    before = changes.old.get(original.uid, "")
    text: Styled | str = shown.text
    if shown.text == original.text:
        text = styled_diff(word_diff(before, original.text))
    sources = changes.sources.get(original.uid)
    return text, sources_text(turn, sources) if sources else ""
