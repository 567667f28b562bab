"""Diffs as chat text: the word-level changes between versions, each with the amendments
(and their stakeholder groups) that made it, deletions struck through and insertions bold
where the platform can show it. Summaries are in summary_text.py (chat) and
summary_file.py (the Markdown file).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.events import Mark, Styled
from bot.turn import Turn
from consultations.diffing import DiffOp
from consultations.ids import SubmissionId
from consultations.summary import Paragraph
from consultations.versions import compare

Sources = Mapping[str, Sequence[tuple[SubmissionId, str | None]]]  # uid -> (amendment, group)


def sources_text(turn: Turn, sources: Sequence[tuple[SubmissionId, str | None]]) -> str:
    """'#5 (Civil society), #7 (Private sector)': the amendments and their groups."""
    return ", ".join(f"#{i} ({group or turn.t('group.unknown')})" for i, group in sources)


def styled_diff(ops: Iterable[DiffOp]) -> Styled:
    """A paragraph's changes as styled text: deletions struck through, insertions bold."""
    marks = {"equal": None, "delete": Mark.DELETED, "insert": Mark.INSERTED}
    return Styled.join("", (Styled.of(op.text, marks[op.kind]) for op in ops))


def render_diff(
    turn: Turn,
    old: Sequence[Paragraph],
    new: Sequence[Paragraph],
    a: int,
    b: int,
    sources: Sources | None = None,
) -> Styled:
    """The word-level changes, each with the amendments (and their groups) that made it."""
    changes = compare(old, new)
    if not changes:
        return Styled.of(turn.t("diff.none", a=a, b=b))
    lines: list[str | Styled] = [turn.t("diff.header", a=a, b=b, count=len(changes))]
    for change in changes:
        lines.append("")
        lines.append(
            turn.styled("diff.paragraph", number=change.number, diff=styled_diff(change.ops))
        )
        made_by = (sources or {}).get(change.uid)
        if made_by:
            lines.append(turn.t("diff.sources", sources=sources_text(turn, made_by)))
    return Styled.join("\n", lines)
