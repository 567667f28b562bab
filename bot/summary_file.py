"""The whole summary as a Markdown file: everything the chat leaves out, for the secretariat.

The digest first (as in chat), then per paragraph: the standing and each group's position
in a table, the consensus figure where enough votes define it, every theme and its quotes,
every comment (each point once, with the ids of every comment that makes it and the words
of those that differ), every amendment with its endorsements, and how it is all defined.
"""

from __future__ import annotations

from bot.abstractive import Prose
from bot.events import Attachment
from bot.summary_text import (
    Reader,
    consensus_rule,
    digest_lines,
    group_counts,
    language_mark,
    method_line,
    positions_rule,
    quote,
    raised,
    said_lines,
    standing_text,
)
from consultations.exports import slug
from consultations.points import Point
from consultations.summary import ParagraphSummary, Summary


def _md(text: str) -> str:
    """Neutralise Markdown that would change the layout or inject links."""
    return "".join("\\" + ch if ch in "\\`*_{}[]<>#|!" else ch for ch in " ".join(text.split()))


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{round(100 * share)}%"


def summary_markdown(
    reader: Reader,
    summary: Summary,
    title: str,
    round_number: int,
    only: int | None = None,
    *,
    prose: Prose | None = None,
    embeddings_failure: str | None = None,
) -> str:
    """Everything the summary holds, for the secretariat to read and keep."""
    t = reader.t
    lines = [f"# {_md(t('summary.header', title=title, number=round_number))}", ""]
    lines += [_md(method_line(reader, summary, prose)), ""]
    if embeddings_failure:
        lines += [_md(t("summary.embeddings_unavailable", reason=embeddings_failure)), ""]
    if prose is not None and prose.failure:
        lines += [_md(t("summary.abstractive_failed", reason=prose.failure)), ""]
    lines += [
        _md(positions_rule(reader, summary)),
        "",
        _md(consensus_rule(reader, summary)),
        "",
        _md(t("summary.md.divergence_rule")),
        "",
    ]
    if prose is not None and prose.text is not None:
        lines += [f"## {t('summary.md.prose')}", "", _md(prose.text), ""]
    if only is None:
        lines += [f"## {t('summary.md.digest')}", ""]
        lines += _as_list(digest_lines(reader, summary))
        said = said_lines(reader, summary)
        if said:
            lines += ["", f"### {_md(said[0].rstrip(':'))}", "", *_as_list(said[1:])]
        lines.append("")
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
            lines += _paragraph_markdown(reader, summary, p)
    return "\n".join(lines).rstrip() + "\n"


def _as_list(lines: list[str]) -> list[str]:
    """Chat lines as a Markdown list: an indented line (a quote) under the one before."""
    return [f"  - {_md(line)}" if line.startswith("  ") else f"- {_md(line)}" for line in lines]


def _paragraph_markdown(reader: Reader, summary: Summary, p: ParagraphSummary) -> list[str]:
    t = reader.t
    lines = [f"## {t('export.paragraph', number=p.paragraph.number)}", ""]
    lines += [f"> {_md(p.paragraph.text)}", "", f"**{_md(standing_text(reader, p, True))}**", ""]
    if summary.groups:
        header = [
            t("export.group"),
            t("button.support"),
            t("button.oppose"),
            t("export.abstain"),
            t("summary.md.agreement"),
            t("summary.md.position"),
        ]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for g in summary.groups:
            v = p.votes[g.key]
            share = _percent(v.agreement())
            where = t(f"summary.md.position.{p.positions[g.key].value}")
            lines.append(
                f"| {_md(g.name)} | {v.agree} | {v.disagree} | {v.abstain} | {share} | {where} |"
            )
        lines.append("")
    if p.consensus_defined:
        lines += [_md(t("summary.consensus", value=f"{p.consensus:.2f}").strip()), ""]
    if p.divergence is not None:
        lines += [_md(t("summary.md.divergence", count=round(100 * p.divergence))), ""]
    if p.unheard:
        groups = ", ".join(summary.group_name(k) for k in p.unheard)
        lines += [_md(t("summary.unheard", groups=groups).strip()), ""]
    if p.themes:
        lines += [f"### {t('summary.md.themes')}", ""]
        for theme in p.themes:
            label = t(
                "summary.theme",
                label=theme.label,
                count=theme.size,
                groups=group_counts(summary, theme.groups),
            )
            lines.append(f"- {_md(label.strip())}" + language_mark(reader, theme.language))
            lines += [f"  - {_md(quote(reader, summary, q).strip())}" for q in theme.quotes]
        lines.append("")
    elif p.comments:
        lines += [_md(t("summary.too_few_for_themes", count=len(p.comments)).strip()), ""]
    if p.points:
        lines += [f"### {t('summary.md.comments')}", ""]
        for point in p.points:
            lines += _point_markdown(reader, summary, point)
        lines.append("")
    if p.amendments:
        lines += [f"### {t('summary.md.amendments')}", ""]
        for a in p.amendments:
            line = t("summary.amendment", id=a.id, author=a.author, text=a.text or "").strip()
            line += language_mark(reader, a.language)
            support = p.support(a.id)
            backing = (
                t("summary.amendment_support", groups=group_counts(summary, support))
                if support
                else t("summary.amendment_no_support")
            ).strip()
            lines.append(f"- {_md(line)} — {_md(backing)}")
        lines.append("")
    return lines


def _point_markdown(reader: Reader, summary: Summary, point: Point) -> list[str]:
    """A point once, the ids of every comment making it, and the words of those that differ."""
    said = reader.t("summary.quote", id=point.id, author=point.author, text=point.text).strip()
    said += language_mark(reader, point.language) + raised(reader, summary, point)
    lines = [f"- {_md(said)}"]
    if point.count > 1:
        others = ", ".join(f"#{i}" for i in point.ids[1:])
        lines.append(f"  - {_md(reader.t('summary.md.same_point', ids=others))}")
    lines += [
        f"  - {_md(reader.t('summary.md.variant', id=i, text=text))}" for i, text in point.variants
    ]
    return lines


def summary_file(
    reader: Reader,
    summary: Summary,
    title: str,
    round_number: int,
    only: int | None = None,
    *,
    prose: Prose | None = None,
    embeddings_failure: str | None = None,
) -> Attachment:
    part = f"-p{only}" if only is not None else ""
    filename = f"summary-{slug(title)}-round-{round_number}{part}.md"
    text = summary_markdown(
        reader,
        summary,
        title,
        round_number,
        only,
        prose=prose,
        embeddings_failure=embeddings_failure,
    )
    return Attachment(filename, text.encode(), "text/markdown")
