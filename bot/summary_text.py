"""Summaries as chat text: the facilitator's digest, compact enough for a phone.

Written for a `Reader` (the turn's person, or a delegate in their own language).

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
from dataclasses import dataclass
from typing import Any, Protocol

from bot import i18n
from bot.abstractive import Prose
from bot.catalog import Catalog
from consultations.consensus import Position, Standing
from consultations.digest import dissent, ranked_amendments, silent, unheard_on
from consultations.points import Point
from consultations.summary import Input, ParagraphSummary, Summary


class Reader(Protocol):
    """Who a summary is written for: a turn's person, or a delegate receiving feedback."""

    @property
    def language(self) -> str | None: ...

    def t(self, key: str, **values: Any) -> str: ...


@dataclass(frozen=True)
class ReaderIn:
    """A reader in another language than the turn's: a notice's recipient."""

    catalog: Catalog
    language: str | None

    def t(self, key: str, **values: Any) -> str:
        return self.catalog.text(key, self.language, **values)


QUOTE_CHARS = 160
DIGEST_QUOTE_CHARS = 110  # a quote in the whole-draft digest: one line on a phone
THEMES_SHOWN = 3  # per paragraph in chat; the file has them all
COMMENTS_SHOWN = 3  # points quoted where there are no themes
AMENDMENTS_SHOWN = 5  # in the digest; the file has them all


def short(text: str | None, limit: int = QUOTE_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def language_mark(reader: Reader, language: str | None) -> str:
    """' (fr)' after a quote written in another language than the reader's; '' otherwise."""
    if not language or language == i18n.supported(reader.language):
        return ""
    return f" ({language})"


def group_counts(summary: Summary, counts: Mapping[str, int]) -> str:
    return ", ".join(f"{summary.group_name(k)} {n}" for k, n in counts.items())


def numbers(paragraphs: Sequence[int]) -> str:
    return ", ".join(f"¶{n}" for n in paragraphs)


def raised(reader: Reader, summary: Summary, point: Point) -> str:
    """' (raised by 21 delegates from 2 groups)' for a point several delegates made."""
    if point.delegates < 2:
        return ""
    if len(point.groups) > 1:
        return " " + reader.t(
            "summary.raised_by",
            count=point.delegates,
            groups=reader.t("count.groups", count=len(point.groups)),
        )
    group = summary.group_name(next(iter(point.groups), point.group_key))
    return " " + reader.t("summary.raised_by_group", count=point.delegates, group=group)


def quote(reader: Reader, summary: Summary, said: Point | Input, limit: int = QUOTE_CHARS) -> str:
    """'#12 a member of Government: “…” (fr) (raised by 3 delegates of Government)'."""
    text = reader.t("summary.quote", id=said.id, author=said.author, text=short(said.text, limit))
    if isinstance(said, Point):
        return text + language_mark(reader, said.language) + raised(reader, summary, said)
    return text + language_mark(reader, said.language)


def position_text(reader: Reader, summary: Summary, p: ParagraphSummary, key: str) -> str:
    """One group's position: 'Government 2 of 2 support', 'Private sector split (1, 1, 0)'."""
    votes, where, name = p.votes[key], p.positions.get(key), summary.group_name(key)
    if where is Position.SUPPORT:
        return reader.t("summary.position.support", group=name, count=votes.agree, votes=votes.seen)
    if where is Position.OPPOSE:
        return reader.t(
            "summary.position.oppose", group=name, count=votes.disagree, votes=votes.seen
        )
    if where is Position.SPLIT:
        return reader.t(
            "summary.position.split",
            group=name,
            support=votes.agree,
            oppose=votes.disagree,
            abstain=votes.abstain,
        )
    if where is Position.TOO_FEW:
        members = summary.participation.get(key)
        return reader.t(
            "summary.position.too_few",
            group=name,
            votes=votes.seen,
            members=members.invited if members else votes.seen,
        )
    return reader.t("summary.position.unheard", group=name)


def positions_text(reader: Reader, summary: Summary, p: ParagraphSummary) -> str:
    return " · ".join(position_text(reader, summary, p, g.key) for g in summary.groups)


def standing_text(reader: Reader, p: ParagraphSummary, capital: bool = False) -> str:
    words = reader.t(f"summary.standing.{p.standing.value}")
    return words[:1].upper() + words[1:] if capital else words


def consensus_rule(reader: Reader, summary: Summary) -> str:
    return reader.t("summary.consensus_rule", count=summary.consensus_votes)


def positions_rule(reader: Reader, summary: Summary) -> str:
    return reader.t(
        "summary.positions_rule",
        threshold=round(100 * summary.threshold),
        min_votes=summary.min_votes,
    )


def method_line(reader: Reader, summary: Summary, prose: Prose | None = None) -> str:
    if prose is not None and prose.text is not None:
        return reader.t("summary.method.abstractive", model=prose.model)
    return reader.t(f"summary.method.{summary.method.value}")


def participation_lines(reader: Reader, summary: Summary) -> list[str]:
    lines = []
    parts = [
        reader.t(
            "summary.participation_group",
            group=summary.group_name(key),
            answered=part.answered,
            invited=part.invited,
        )
        for key, part in summary.participation.items()
    ]
    if parts:
        lines.append(reader.t("summary.participation", groups="; ".join(parts)))
    if summary.unheard:
        names = ", ".join(summary.group_name(k) for k in summary.unheard)
        lines.append(reader.t("summary.not_heard_groups", groups=names))
    return lines


# ---- the whole draft: the facilitator's digest -------------------------------------------


def digest_lines(reader: Reader, summary: Summary) -> list[str]:
    """Common ground, disputes, ranked amendments, who was not heard: what to act on."""
    lines: list[str] = []
    common = summary.common_ground
    if common:
        listed = ", ".join(
            f"¶{p.paragraph.number}"
            + (
                " "
                + reader.t(
                    "summary.digest.groups_unheard",
                    groups=", ".join(summary.group_name(k) for k in p.unheard),
                )
                if p.unheard
                else ""
            )
            for p in common
        )
        lines.append(reader.t("summary.digest.common_ground", count=len(common), paragraphs=listed))
    else:
        lines.append(reader.t("summary.digest.no_common_ground"))
    disputed = summary.disputed
    if disputed:
        lines.append(reader.t("summary.digest.disputed", count=len(disputed)))
        for p in disputed:
            lines.append(
                reader.t(
                    "summary.digest.dispute",
                    number=p.paragraph.number,
                    standing=standing_text(reader, p),
                    positions=positions_text(reader, summary, p),
                )
            )
            behind = dissent(p)
            if behind is not None:
                lines.append(quote(reader, summary, behind, DIGEST_QUOTE_CHARS))
    else:
        lines.append(reader.t("summary.digest.no_dispute"))
    lines += amendment_lines(reader, summary)
    nobody = set(silent(summary))
    open_ = [
        p.paragraph.number
        for p in summary.paragraphs
        if p.standing is Standing.OPEN and p.paragraph.number not in nobody
    ]
    if open_:
        lines.append(reader.t("summary.digest.open", paragraphs=numbers(open_)))
    if nobody:
        lines.append(reader.t("summary.digest.silent", paragraphs=numbers(sorted(nobody))))
    quiet = [
        reader.t("summary.digest.unheard_on", group=summary.group_name(key), paragraphs=numbers(ns))
        for key, ns in unheard_on(summary).items()
    ]
    if quiet:
        lines.append(reader.t("summary.digest.unheard", groups="; ".join(quiet)))
    return lines


def amendment_lines(reader: Reader, summary: Summary) -> list[str]:
    ranked = ranked_amendments(summary)
    if not ranked:
        return []
    lines = [reader.t("summary.digest.amendments")]
    for backing in ranked[:AMENDMENTS_SHOWN]:
        a = backing.amendment
        support = (
            reader.t(
                "summary.digest.backing",
                groups=group_counts(summary, backing.endorsements),
                count=len(backing.groups),
            )
            if backing.endorsements
            else reader.t("summary.digest.no_backing")
        )
        lines.append(
            reader.t(
                "summary.digest.amendment",
                id=a.id,
                number=backing.paragraph,
                author=a.author,
                backing=support,
                text=short(a.text, DIGEST_QUOTE_CHARS),
            )
            + language_mark(reader, a.language)
        )
    if len(ranked) > AMENDMENTS_SHOWN:
        lines.append(reader.t("summary.digest.more", count=len(ranked) - AMENDMENTS_SHOWN))
    return lines


def said_lines(reader: Reader, summary: Summary) -> list[str]:
    """Per paragraph with comments: a line, and the point most often made, verbatim."""
    lines: list[str] = []
    for p in summary.paragraphs:
        if not p.comments:
            continue
        if p.themes:
            labels = "; ".join(
                f"{' · '.join(t.keywords[:2])} ({t.size})" for t in p.themes[:THEMES_SHOWN]
            )
            head = reader.t(
                "summary.digest.themes",
                number=p.paragraph.number,
                count=len(p.comments),
                themes=labels,
            )
        else:
            head = reader.t("summary.digest.few", number=p.paragraph.number, count=len(p.comments))
        lines.append(head)
        if p.points:
            lines.append(quote(reader, summary, p.points[0], DIGEST_QUOTE_CHARS))
    if lines:
        lines.insert(0, reader.t("summary.digest.said"))
    return lines


def render_summary(
    reader: Reader,
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
    lines = [reader.t("summary.header", title=title, number=round_number)]
    lines += participation_lines(reader, summary)
    lines.append(method_line(reader, summary, prose))
    if embeddings_failure:
        lines.append(reader.t("summary.embeddings_unavailable", reason=embeddings_failure))
    if prose is not None and prose.text is not None:
        lines += ["", prose.text]
        return "\n".join(lines)
    if prose is not None and prose.failure:
        lines.append(reader.t("summary.abstractive_failed", reason=prose.failure))
    if only is None:
        lines += ["", *digest_lines(reader, summary)]
        said = said_lines(reader, summary)
        if said:
            lines += ["", *said]
        lines += ["", positions_rule(reader, summary), consensus_rule(reader, summary)]
        return "\n".join(lines)
    for p in summary.paragraphs:
        if p.paragraph.number == only:
            lines += ["", *render_paragraph(reader, summary, p)]
    return "\n".join(lines)


# ---- one paragraph in full ---------------------------------------------------------------


def render_paragraph(reader: Reader, summary: Summary, p: ParagraphSummary) -> list[str]:
    """One paragraph in full: what `summary N` shows."""
    lines = [
        reader.t("summary.paragraph", number=p.paragraph.number, text=short(p.paragraph.text, 90)),
        "  " + standing_text(reader, p, capital=True),
    ]
    for group in summary.groups:
        votes = p.votes[group.key]
        line = reader.t(
            "summary.votes",
            group=group.name,
            support=votes.agree,
            oppose=votes.disagree,
            abstain=votes.abstain,
        )
        if p.positions.get(group.key) is Position.TOO_FEW:
            line += " " + reader.t("summary.too_few_to_count")
        lines.append(line)
    if p.consensus_defined:
        lines.append(reader.t("summary.consensus", value=f"{p.consensus:.2f}"))
    if p.unheard:
        lines.append(
            reader.t("summary.unheard", groups=", ".join(summary.group_name(k) for k in p.unheard))
        )
    for theme in p.themes[:THEMES_SHOWN]:
        lines.append(
            reader.t(
                "summary.theme",
                label=theme.label,
                count=theme.size,
                groups=group_counts(summary, theme.groups),
            )
        )
        lines += ["  " + quote(reader, summary, q) for q in theme.quotes]
    shown = sum(t.size for t in p.themes[:THEMES_SHOWN])
    if p.comments and not p.themes:
        lines.append(reader.t("summary.too_few_for_themes", count=len(p.comments)))
        lines += [quote(reader, summary, point) for point in p.points[:COMMENTS_SHOWN]]
        shown = sum(point.count for point in p.points[:COMMENTS_SHOWN])
    if len(p.comments) > shown:
        lines.append(reader.t("summary.more_comments", count=len(p.comments) - shown))
    for a in p.amendments:
        line = reader.t("summary.amendment", id=a.id, author=a.author, text=short(a.text))
        lines.append(line + language_mark(reader, a.language))
        support = p.support(a.id)
        lines.append(
            reader.t("summary.amendment_support", groups=group_counts(summary, support))
            if support
            else reader.t("summary.amendment_no_support")
        )
    lines += ["", positions_rule(reader, summary), consensus_rule(reader, summary)]
    return lines
