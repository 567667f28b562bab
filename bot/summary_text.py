"""Summaries as chat text: the facilitator's digest, compact enough for a phone.

    summary     the digest: common ground to keep, paragraphs in dispute with each group's
                position in one line and the words behind the dissent, amendments ranked
                by the groups behind them, who has not been heard, then what delegates
                wrote, a line and a quote per paragraph
    summary N   one paragraph: its standing, votes per group, themes and points with
                quotes, amendments with their endorsements per group

Every claim made from what people wrote carries a verbatim quote and its submission id;
the whole summary goes in a Markdown file attached to the same message (summary_file.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot import i18n
from bot.abstractive import Prose
from bot.turn import Turn
from consultations.consensus import Position, Standing
from consultations.digest import dissent, ranked_amendments, unheard_on
from consultations.points import Point
from consultations.summary import Input, ParagraphSummary, Summary

QUOTE_CHARS = 160
DIGEST_QUOTE_CHARS = 110  # a quote in the whole-draft digest: one line on a phone
THEMES_SHOWN = 3  # per paragraph in chat; the file has them all
COMMENTS_SHOWN = 3  # points quoted where there are no themes
AMENDMENTS_SHOWN = 5  # in the digest; the file has them all


def short(text: str | None, limit: int = QUOTE_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def language_mark(turn: Turn, language: str | None) -> str:
    """' (fr)' after a quote written in another language than the reader's; '' otherwise."""
    if not language or language == i18n.supported(turn.language):
        return ""
    return f" ({language})"


def group_counts(summary: Summary, counts: Mapping[str, int]) -> str:
    return ", ".join(f"{summary.group_name(k)} {n}" for k, n in counts.items())


def numbers(paragraphs: Sequence[int]) -> str:
    return ", ".join(f"¶{n}" for n in paragraphs)


def raised(turn: Turn, summary: Summary, point: Point) -> str:
    """' (raised by 21 delegates from 2 groups)' for a point several delegates made."""
    if point.delegates < 2:
        return ""
    if len(point.groups) > 1:
        return " " + turn.t(
            "summary.raised_by", delegates=point.delegates, groups=len(point.groups)
        )
    group = summary.group_name(next(iter(point.groups), point.group_key))
    return " " + turn.t("summary.raised_by_group", delegates=point.delegates, group=group)


def quote(turn: Turn, summary: Summary, said: Point | Input, limit: int = QUOTE_CHARS) -> str:
    """'#12 a member of Government: “…” (fr) (raised by 3 delegates of Government)'."""
    text = turn.t("summary.quote", id=said.id, author=said.author, text=short(said.text, limit))
    if isinstance(said, Point):
        return text + language_mark(turn, said.language) + raised(turn, summary, said)
    return text + language_mark(turn, said.language)


def position_text(turn: Turn, summary: Summary, p: ParagraphSummary, key: str) -> str:
    """One group's position: 'Government 2 of 2 support', 'Private sector split (1, 1, 0)'."""
    votes, where, name = p.votes[key], p.positions.get(key), summary.group_name(key)
    if where is Position.SUPPORT:
        return turn.t("summary.position.support", group=name, count=votes.agree, votes=votes.seen)
    if where is Position.OPPOSE:
        return turn.t("summary.position.oppose", group=name, count=votes.disagree, votes=votes.seen)
    if where is Position.SPLIT:
        return turn.t(
            "summary.position.split",
            group=name,
            support=votes.agree,
            oppose=votes.disagree,
            abstain=votes.abstain,
        )
    if where is Position.TOO_FEW:
        members = summary.participation.get(key)
        return turn.t(
            "summary.position.too_few",
            group=name,
            votes=votes.seen,
            members=members.invited if members else votes.seen,
        )
    return turn.t("summary.position.unheard", group=name)


def positions_text(turn: Turn, summary: Summary, p: ParagraphSummary) -> str:
    return " · ".join(position_text(turn, summary, p, g.key) for g in summary.groups)


def standing_text(turn: Turn, p: ParagraphSummary, capital: bool = False) -> str:
    words = turn.t(f"summary.standing.{p.standing.value}")
    return words[:1].upper() + words[1:] if capital else words


def consensus_rule(turn: Turn, summary: Summary) -> str:
    return turn.t("summary.consensus_rule", votes=summary.consensus_votes)


def positions_rule(turn: Turn, summary: Summary) -> str:
    return turn.t(
        "summary.positions_rule",
        threshold=round(100 * summary.threshold),
        min_votes=summary.min_votes,
    )


def method_line(turn: Turn, summary: Summary, prose: Prose | None = None) -> str:
    if prose is not None and prose.text is not None:
        return turn.t("summary.method.abstractive", model=prose.model)
    return turn.t(f"summary.method.{summary.method.value}")


def participation_lines(turn: Turn, summary: Summary) -> list[str]:
    lines = []
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
    return lines


# ---- the whole draft: the facilitator's digest -------------------------------------------


def digest_lines(turn: Turn, summary: Summary) -> list[str]:
    """Common ground, disputes, ranked amendments, who was not heard: what to act on."""
    lines: list[str] = []
    common = summary.common_ground
    if common:
        listed = ", ".join(
            f"¶{p.paragraph.number}"
            + (
                " "
                + turn.t(
                    "summary.digest.groups_unheard",
                    groups=", ".join(summary.group_name(k) for k in p.unheard),
                )
                if p.unheard
                else ""
            )
            for p in common
        )
        lines.append(turn.t("summary.digest.common_ground", count=len(common), paragraphs=listed))
    else:
        lines.append(turn.t("summary.digest.no_common_ground"))
    disputed = summary.disputed
    if disputed:
        lines.append(turn.t("summary.digest.disputed", count=len(disputed)))
        for p in disputed:
            lines.append(
                turn.t(
                    "summary.digest.dispute",
                    number=p.paragraph.number,
                    standing=standing_text(turn, p),
                    positions=positions_text(turn, summary, p),
                )
            )
            behind = dissent(p)
            if behind is not None:
                lines.append(quote(turn, summary, behind, DIGEST_QUOTE_CHARS))
    else:
        lines.append(turn.t("summary.digest.no_dispute"))
    lines += amendment_lines(turn, summary)
    open_ = [p.paragraph.number for p in summary.paragraphs if p.standing is Standing.OPEN]
    if open_:
        lines.append(turn.t("summary.digest.open", paragraphs=numbers(open_)))
    silent = [
        turn.t("summary.digest.unheard_on", group=summary.group_name(key), paragraphs=numbers(ns))
        for key, ns in unheard_on(summary).items()
    ]
    if silent:
        lines.append(turn.t("summary.digest.unheard", groups="; ".join(silent)))
    return lines


def amendment_lines(turn: Turn, summary: Summary) -> list[str]:
    ranked = ranked_amendments(summary)
    if not ranked:
        return []
    lines = [turn.t("summary.digest.amendments")]
    for backing in ranked[:AMENDMENTS_SHOWN]:
        a = backing.amendment
        support = (
            turn.t(
                "summary.digest.backing",
                groups=group_counts(summary, backing.endorsements),
                count=len(backing.groups),
            )
            if backing.endorsements
            else turn.t("summary.digest.no_backing")
        )
        lines.append(
            turn.t(
                "summary.digest.amendment",
                id=a.id,
                number=backing.paragraph,
                author=a.author,
                backing=support,
                text=short(a.text, DIGEST_QUOTE_CHARS),
            )
            + language_mark(turn, a.language)
        )
    if len(ranked) > AMENDMENTS_SHOWN:
        lines.append(turn.t("summary.digest.more", count=len(ranked) - AMENDMENTS_SHOWN))
    return lines


def said_lines(turn: Turn, summary: Summary) -> list[str]:
    """Per paragraph with comments: a line, and the point most often made, verbatim."""
    lines: list[str] = []
    for p in summary.paragraphs:
        if not p.comments:
            continue
        if p.themes:
            labels = "; ".join(
                f"{' · '.join(t.keywords[:2])} ({t.size})" for t in p.themes[:THEMES_SHOWN]
            )
            head = turn.t(
                "summary.digest.themes",
                number=p.paragraph.number,
                count=len(p.comments),
                themes=labels,
            )
        else:
            head = turn.t("summary.digest.few", number=p.paragraph.number, count=len(p.comments))
        lines.append(head)
        if p.points:
            lines.append(quote(turn, summary, p.points[0], DIGEST_QUOTE_CHARS))
    if lines:
        lines.insert(0, turn.t("summary.digest.said"))
    return lines


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
    """The chat text: the digest of the whole draft, or paragraph `only` in full.

    With `prose` from the abstractive layer, its text stands in for the digest; if it
    failed, the extractive text stands and says why.
    """
    lines = [turn.t("summary.header", title=title, number=round_number)]
    lines += participation_lines(turn, summary)
    lines.append(method_line(turn, summary, prose))
    if embeddings_failure:
        lines.append(turn.t("summary.embeddings_unavailable", reason=embeddings_failure))
    if prose is not None and prose.text is not None:
        lines += ["", prose.text]
        return "\n".join(lines)
    if prose is not None and prose.failure:
        lines.append(turn.t("summary.abstractive_failed", reason=prose.failure))
    if only is None:
        lines += ["", *digest_lines(turn, summary)]
        said = said_lines(turn, summary)
        if said:
            lines += ["", *said]
        lines += ["", positions_rule(turn, summary), consensus_rule(turn, summary)]
        return "\n".join(lines)
    for p in summary.paragraphs:
        if p.paragraph.number == only:
            lines += ["", *render_paragraph(turn, summary, p)]
    return "\n".join(lines)


# ---- one paragraph in full ---------------------------------------------------------------


def render_paragraph(turn: Turn, summary: Summary, p: ParagraphSummary) -> list[str]:
    """One paragraph in full: what `summary N` shows."""
    lines = [
        turn.t("summary.paragraph", number=p.paragraph.number, text=short(p.paragraph.text, 90)),
        "  " + standing_text(turn, p, capital=True),
    ]
    for group in summary.groups:
        votes = p.votes[group.key]
        line = turn.t(
            "summary.votes",
            group=group.name,
            support=votes.agree,
            oppose=votes.disagree,
            abstain=votes.abstain,
        )
        if p.positions.get(group.key) is Position.TOO_FEW:
            line += " " + turn.t("summary.too_few_to_count")
        lines.append(line)
    if p.consensus_defined:
        lines.append(turn.t("summary.consensus", value=f"{p.consensus:.2f}"))
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
                groups=group_counts(summary, theme.groups),
            )
        )
        lines += ["  " + quote(turn, summary, q) for q in theme.quotes]
    shown = sum(t.size for t in p.themes[:THEMES_SHOWN])
    if p.comments and not p.themes:
        lines.append(turn.t("summary.too_few_for_themes", count=len(p.comments)))
        lines += [quote(turn, summary, point) for point in p.points[:COMMENTS_SHOWN]]
        shown = sum(point.count for point in p.points[:COMMENTS_SHOWN])
    if len(p.comments) > shown:
        lines.append(turn.t("summary.more_comments", count=len(p.comments) - shown))
    for a in p.amendments:
        line = turn.t("summary.amendment", id=a.id, author=a.author, text=short(a.text))
        lines.append(line + language_mark(turn, a.language))
        support = p.support(a.id)
        lines.append(
            turn.t("summary.amendment_support", groups=group_counts(summary, support))
            if support
            else turn.t("summary.amendment_no_support")
        )
    lines += ["", positions_rule(turn, summary), consensus_rule(turn, summary)]
    return lines
