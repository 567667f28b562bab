"""Summaries and diffs as chat text: compact enough to read on a phone."""

from __future__ import annotations

from collections.abc import Sequence

from bot.turn import Turn
from consultations.diffing import render_plain
from consultations.summary import Paragraph, ParagraphSummary, Summary
from consultations.versions import compare

QUOTE_CHARS = 160


def _short(text: str | None, limit: int = QUOTE_CHARS) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_paragraph(turn: Turn, summary: Summary, p: ParagraphSummary) -> list[str]:
    lines = [
        turn.t("summary.paragraph", number=p.paragraph.number, text=_short(p.paragraph.text, 90))
    ]
    for group in summary.groups:
        votes = p.votes[group.key]
        lines.append(
            turn.t(
                "summary.votes",
                group=group.name,
                support=votes.agree,
                oppose=votes.disagree,
                abstain=votes.abstain,
            )
        )
    verdict = (
        turn.t("summary.common_ground")
        if p.common_ground
        else turn.t("summary.divergent", gap=round(100 * p.divergence))
        if p.divergence is not None and p.divergence >= 0.3
        else ""
    )
    lines.append(
        turn.t("summary.consensus", value=f"{p.consensus:.2f}")
        + (f" · {verdict}" if verdict else "")
    )
    if p.unheard:
        lines.append(
            turn.t("summary.unheard", groups=", ".join(summary.group_name(k) for k in p.unheard))
        )
    for c in p.comments[:3]:
        lines.append(turn.t("summary.quote", id=c.id, author=c.author, text=_short(c.text)))
    if len(p.comments) > 3:
        lines.append(turn.t("summary.more_comments", count=len(p.comments) - 3))
    for a in p.amendments:
        lines.append(turn.t("summary.amendment", id=a.id, author=a.author, text=_short(a.text)))
    return lines


def render_summary(
    turn: Turn, summary: Summary, title: str, round_number: int, only: int | None = None
) -> str:
    lines = [turn.t("summary.header", title=title, number=round_number)]
    parts = [
        turn.t(
            "summary.participation_group",
            group=summary.group_name(key),
            answered=part.answered,
            invited=part.invited,
        )
        for key, part in summary.participation.items()
    ]
    if parts:
        lines.append(turn.t("summary.participation", groups="; ".join(parts)))
    for p in summary.paragraphs:
        if only is None or p.paragraph.number == only:
            lines.append("")
            lines.extend(render_paragraph(turn, summary, p))
    return "\n".join(lines)


def render_diff(
    turn: Turn, old: Sequence[Paragraph], new: Sequence[Paragraph], a: int, b: int
) -> str:
    changes = compare(old, new)
    if not changes:
        return turn.t("diff.none", a=a, b=b)
    lines = [turn.t("diff.header", a=a, b=b, count=len(changes))]
    for change in changes:
        lines.append("")
        lines.append(turn.t("diff.paragraph", number=change.number, diff=render_plain(change.ops)))
    return "\n".join(lines)
