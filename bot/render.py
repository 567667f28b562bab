"""Summaries and diffs as chat text: compact enough to read on a phone.

The chat shows the gist; the whole summary (every group, theme, quote and amendment,
and how the figures are defined) goes in a Markdown file attached to the same message.

    summary     per paragraph: votes per group on one line, consensus and verdict,
                theme labels, amendments with their endorsements
    summary N   one paragraph: votes per group, themes with quotes, amendments with
                support per group
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot import i18n
from bot.abstractive import Prose
from bot.events import Attachment, Mark, Styled
from bot.turn import Turn
from consultations.diffing import DiffOp
from consultations.ids import SubmissionId
from consultations.summary import Paragraph, ParagraphSummary, Summary
from consultations.versions import compare

QUOTE_CHARS = 160
THEMES_SHOWN = 3  # per paragraph in chat; the file has them all
COMMENTS_SHOWN = 3  # comments quoted where there are no themes

Sources = Mapping[str, Sequence[tuple[SubmissionId, str | None]]]  # uid -> (amendment, group)


def _short(text: str | None, limit: int = QUOTE_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _in(turn: Turn, submission_id: SubmissionId) -> str:
    """' (fr)' after a quote made in another language than the reader's; '' otherwise."""
    submission = turn.records.submissions.get(submission_id)
    made_in = submission.language if submission is not None else None
    if made_in is None or made_in == i18n.supported(turn.language):
        return ""
    return f" ({made_in})"


def _groups(summary: Summary, counts: Mapping[str, int]) -> str:
    return ", ".join(f"{summary.group_name(k)} {n}" for k, n in counts.items())


def _verdict(turn: Turn, p: ParagraphSummary) -> str:
    if p.common_ground:
        return turn.t("summary.common_ground")
    if p.divergent and p.divergence is not None:
        return turn.t("summary.divergent", count=round(100 * p.divergence))
    return ""


def _consensus_line(turn: Turn, p: ParagraphSummary) -> str:
    verdict = _verdict(turn, p)
    line = turn.t("summary.consensus", value=f"{p.consensus:.2f}")
    return line + (f" · {verdict}" if verdict else "")


def render_paragraph(turn: Turn, summary: Summary, p: ParagraphSummary) -> list[str]:
    """One paragraph in full: what `summary N` shows."""
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
    lines.append(_consensus_line(turn, p))
    if p.unheard:
        lines.append(
            turn.t("summary.unheard", groups=", ".join(summary.group_name(k) for k in p.unheard))
        )
    for theme in p.themes[:THEMES_SHOWN]:
        lines.append(
            turn.t(
                "summary.theme",
                label=theme.label,
                count=theme.size,
                groups=_groups(summary, theme.groups),
            )
        )
        for q in theme.quotes:
            lines.append(
                turn.t("summary.theme_quote", id=q.id, author=q.author, text=_short(q.text))
                + _in(turn, q.id)
            )
    shown = sum(t.size for t in p.themes[:THEMES_SHOWN])
    if not p.themes:
        for c in p.comments[:COMMENTS_SHOWN]:
            quote = turn.t("summary.quote", id=c.id, author=c.author, text=_short(c.text))
            lines.append(quote + _in(turn, c.id))
        shown = min(len(p.comments), COMMENTS_SHOWN)
    if len(p.comments) > shown:
        lines.append(turn.t("summary.more_comments", count=len(p.comments) - shown))
    for a in p.amendments:
        line = turn.t("summary.amendment", id=a.id, author=a.author, text=_short(a.text))
        lines.append(line + _in(turn, a.id))
        support = p.support(a.id)
        lines.append(
            turn.t("summary.amendment_support", groups=_groups(summary, support))
            if support
            else turn.t("summary.amendment_no_support")
        )
    return lines


def render_paragraph_short(turn: Turn, summary: Summary, p: ParagraphSummary) -> list[str]:
    """One paragraph in a few lines: what the whole-draft `summary` shows."""
    lines = [
        turn.t("summary.paragraph", number=p.paragraph.number, text=_short(p.paragraph.text, 60))
    ]
    if summary.groups:
        votes = " · ".join(
            turn.t(
                "summary.compact_group",
                group=g.name,
                support=p.votes[g.key].agree,
                oppose=p.votes[g.key].disagree,
                abstain=p.votes[g.key].abstain,
            )
            for g in summary.groups
        )
        lines.append(turn.t("summary.compact_votes", groups=votes))
    lines.append(_consensus_line(turn, p))
    if p.unheard:
        lines.append(
            turn.t("summary.unheard", groups=", ".join(summary.group_name(k) for k in p.unheard))
        )
    if p.themes:
        labels = "; ".join(
            f"{' · '.join(t.keywords[:2])} ({t.size})" for t in p.themes[:THEMES_SHOWN]
        )
        lines.append(turn.t("summary.themes_short", themes=labels, count=len(p.comments)))
    elif p.comments:
        lines.append(turn.t("summary.comments_short", count=len(p.comments)))
    if p.amendments:
        ids = ", ".join(
            f"#{a.id}" + (f" (+{sum(p.support(a.id).values())})" if p.support(a.id) else "")
            for a in p.amendments
        )
        lines.append(turn.t("summary.amendments_short", ids=ids))
    return lines


def method_line(turn: Turn, summary: Summary, prose: Prose | None = None) -> str:
    if prose is not None and prose.text is not None:
        return turn.t("summary.method.abstractive", model=prose.model)
    return turn.t(f"summary.method.{summary.method.value}")


def render_summary(
    turn: Turn,
    summary: Summary,
    title: str,
    round_number: int,
    only: int | None = None,
    *,
    prose: Prose | None = None,
    embeddings_failure: str | None = None,
) -> str:
    """The chat text: the whole draft in short, or paragraph `only` in full.

    With `prose` from the abstractive layer, its text stands in for the paragraphs; if it
    failed, the extractive text stands and says why.
    """
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
    if summary.unheard:
        names = ", ".join(summary.group_name(k) for k in summary.unheard)
        lines.append(turn.t("summary.not_heard_groups", groups=names))
    if only is None:
        if summary.common_ground:
            numbers = ", ".join(f"¶{p.paragraph.number}" for p in summary.common_ground)
            lines.append(turn.t("summary.overview_common_ground", paragraphs=numbers))
        if summary.divergent:
            numbers = ", ".join(f"¶{p.paragraph.number}" for p in summary.divergent)
            lines.append(turn.t("summary.overview_divergent", paragraphs=numbers))
    lines.append(method_line(turn, summary, prose))
    if embeddings_failure:
        lines.append(turn.t("summary.embeddings_unavailable", reason=embeddings_failure))
    if prose is not None and prose.text is not None:
        lines += ["", prose.text]
        return "\n".join(lines)
    if prose is not None and prose.failure:
        lines.append(turn.t("summary.abstractive_failed", reason=prose.failure))
    for p in summary.paragraphs:
        if only is None:
            lines.append("")
            lines.extend(render_paragraph_short(turn, summary, p))
        elif p.paragraph.number == only:
            lines.append("")
            lines.extend(render_paragraph(turn, summary, p))
    return "\n".join(lines)


# ---- the whole summary as a Markdown file ----------------------------------------------


def _md(text: str) -> str:
    """Neutralise Markdown that would change the layout or inject links."""
    return "".join("\\" + ch if ch in "\\`*_{}[]<>#|!" else ch for ch in " ".join(text.split()))


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{round(100 * share)}%"


def summary_markdown(
    turn: Turn,
    summary: Summary,
    title: str,
    round_number: int,
    only: int | None = None,
    *,
    prose: Prose | None = None,
    embeddings_failure: str | None = None,
) -> str:
    """Everything the summary holds, for the secretariat to read and keep."""
    t = turn.t
    lines = [f"# {_md(t('summary.header', title=title, number=round_number))}", ""]
    lines += [_md(method_line(turn, summary, prose)), ""]
    if embeddings_failure:
        lines += [_md(t("summary.embeddings_unavailable", reason=embeddings_failure)), ""]
    if prose is not None and prose.failure:
        lines += [_md(t("summary.abstractive_failed", reason=prose.failure)), ""]
    lines += [
        t(
            "summary.md.definitions",
            threshold=round(100 * summary.threshold),
            count=summary.min_votes,
        ),
        "",
    ]
    if prose is not None and prose.text is not None:
        lines += [f"## {t('summary.md.prose')}", "", _md(prose.text), ""]
    if summary.participation:
        lines += [f"## {t('summary.md.participation')}", ""]
        lines += [f"| {t('export.group')} | {t('summary.md.answered')} |", "|---|---|"]
        for key, part in summary.participation.items():
            lines.append(f"| {_md(summary.group_name(key))} | {part.answered} / {part.invited} |")
        lines.append("")
        if summary.unheard:
            names = ", ".join(summary.group_name(k) for k in summary.unheard)
            lines += [_md(t("summary.not_heard_groups", groups=names)), ""]
    for p in summary.paragraphs:
        if only is None or p.paragraph.number == only:
            lines += _paragraph_markdown(turn, summary, p)
    return "\n".join(lines).rstrip() + "\n"


def _paragraph_markdown(turn: Turn, summary: Summary, p: ParagraphSummary) -> list[str]:
    t = turn.t
    lines = [f"## {t('export.paragraph', number=p.paragraph.number)}", ""]
    lines += [f"> {_md(p.paragraph.text)}", ""]
    if summary.groups:
        header = [
            t("export.group"),
            t("button.support"),
            t("button.oppose"),
            t("kind.abstain"),
            t("summary.md.agreement"),
        ]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for g in summary.groups:
            v = p.votes[g.key]
            share = _percent(v.agreement())
            lines.append(f"| {_md(g.name)} | {v.agree} | {v.disagree} | {v.abstain} | {share} |")
        lines.append("")
    lines.append(_md(_consensus_line(turn, p).strip()))
    if p.divergence is not None:
        lines.append("")
        lines.append(_md(t("summary.md.divergence", count=round(100 * p.divergence))))
    if p.unheard:
        lines.append("")
        groups = ", ".join(summary.group_name(k) for k in p.unheard)
        lines.append(_md(t("summary.unheard", groups=groups).strip()))
    lines.append("")
    if p.themes:
        lines += [f"### {t('summary.md.themes')}", ""]
        for theme in p.themes:
            lines.append(
                "- "
                + _md(
                    t(
                        "summary.theme",
                        label=theme.label,
                        count=theme.size,
                        groups=_groups(summary, theme.groups),
                    ).strip()
                )
            )
            for q in theme.quotes:
                quote = t("summary.theme_quote", id=q.id, author=q.author, text=q.text).strip()
                quote += _in(turn, q.id)
                lines.append(f"  - {_md(quote)}")
        lines.append("")
    if p.comments:
        lines += [f"### {t('summary.md.comments')}", ""]
        for c in p.comments:
            quote = t("summary.quote", id=c.id, author=c.author, text=c.text or "").strip()
            quote += _in(turn, c.id)
            lines.append(f"- {_md(quote)}")
        lines.append("")
    if p.amendments:
        lines += [f"### {t('summary.md.amendments')}", ""]
        for a in p.amendments:
            line = t("summary.amendment", id=a.id, author=a.author, text=a.text or "").strip()
            line += _in(turn, a.id)
            support = p.support(a.id)
            backing = (
                t("summary.amendment_support", groups=_groups(summary, support))
                if support
                else t("summary.amendment_no_support")
            ).strip()
            lines.append(f"- {_md(line)} — {_md(backing)}")
        lines.append("")
    return lines


def summary_file(
    turn: Turn,
    summary: Summary,
    title: str,
    round_number: int,
    only: int | None = None,
    *,
    prose: Prose | None = None,
    embeddings_failure: str | None = None,
) -> Attachment:
    slug = "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")[:40]
    part = f"-p{only}" if only is not None else ""
    filename = f"summary-{slug or 'consultation'}-round-{round_number}{part}.md"
    text = summary_markdown(
        turn,
        summary,
        title,
        round_number,
        only,
        prose=prose,
        embeddings_failure=embeddings_failure,
    )
    return Attachment(filename, text.encode(), "text/markdown")


# ---- diffs -----------------------------------------------------------------------------


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
