"""The consultation's record, and its Markdown rendering for the secretariat.

`Record` is everything an export shows, already attributed as the policy allows; the
renderers only lay it out. Headings come through `t` (the bot's message catalog), so an
export reads in the language of whoever asked for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from consultations.diffing import render_plain
from consultations.summary import Paragraph, Summary
from consultations.versions import compare

Text = Callable[..., str]  # t(key, **values) -> text in the reader's language


@dataclass(frozen=True)
class VersionRecord:
    number: int
    title: str
    created_at: datetime
    paragraphs: tuple[Paragraph, ...]
    sources: dict[str, tuple[int, ...]]  # paragraph uid -> amendments that made its text


@dataclass(frozen=True)
class DecisionRecord:
    amendment_id: int
    paragraph: int
    author: str
    text: str
    decision: str
    note: str | None
    version: int | None  # the version it was applied in


@dataclass(frozen=True)
class RoundRecord:
    number: int
    version: int
    state: str
    opened_at: datetime | None
    closed_at: datetime | None
    summary: Summary


@dataclass(frozen=True)
class Record:
    consultation_id: int
    title: str
    attribution: str
    versions: tuple[VersionRecord, ...]
    rounds: tuple[RoundRecord, ...]
    decisions: tuple[DecisionRecord, ...]
    generated_at: datetime


def _md(text: str) -> str:
    """Neutralise Markdown that would change the layout or inject links."""
    out = []
    for ch in text:
        out.append("\\" + ch if ch in "\\`*_{}[]<>#|!" else ch)
    return "".join(out)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def to_markdown(record: Record, t: Text) -> str:
    lines: list[str] = [f"# {_md(record.title)}", ""]
    lines.append(
        t(
            "export.generated",
            at=_when(record.generated_at),
            attribution=t(f"attribution.policy.{record.attribution}"),
        )
    )
    lines.append("")
    if record.versions:
        latest = record.versions[-1]
        lines += [f"## {t('export.current_version', number=latest.number)}", ""]
        for p in latest.paragraphs:
            src = latest.sources.get(p.uid, ())
            origin = (
                f" _({t('export.from_amendments', ids=', '.join(f'#{i}' for i in src))})_"
                if src
                else ""
            )
            lines += [f"{p.number}. {_md(p.text)}{origin}", ""]
    for round_ in record.rounds:
        lines += _round_markdown(round_, t)
    if record.decisions:
        lines += [f"## {t('export.decisions')}", ""]
        for d in record.decisions:
            applied = t("export.applied_in", number=d.version) if d.version else ""
            note = f" — {_md(d.note)}" if d.note else ""
            where = t("export.paragraph", number=d.paragraph)
            decision = t(f"mine.{d.decision}")
            line = f"- #{d.amendment_id} ({where}, {_md(d.author)}): **{decision}**{note} {applied}"
            lines.append(line.rstrip())
            lines.append(f"  > {_md(d.text)}")
        lines.append("")
    if len(record.versions) > 1:
        lines += [f"## {t('export.history')}", ""]
        for old, new in zip(record.versions, record.versions[1:], strict=False):
            changes = compare(old.paragraphs, new.paragraphs)
            header = t("diff.header", a=old.number, b=new.number, count=len(changes))
            lines += [f"### {header}", ""]
            for change in changes:
                where = t("export.paragraph", number=change.number)
                lines.append(f"- {where}: {_md(render_plain(change.ops))}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _round_markdown(round_: RoundRecord, t: Text) -> list[str]:
    s = round_.summary
    lines = [
        f"## {t('export.round', number=round_.number, version=round_.version)}",
        "",
        t(
            "export.round_times",
            opened=_when(round_.opened_at),
            closed=_when(round_.closed_at),
            state=t(f"state.{round_.state}"),
        ),
        "",
    ]
    if s.participation:
        lines.append(
            t(
                "summary.participation",
                groups="; ".join(
                    t(
                        "summary.participation_group",
                        group=s.group_name(k),
                        answered=v.answered,
                        invited=v.invited,
                    )
                    for k, v in s.participation.items()
                ),
            )
        )
        lines.append("")
    header = [t("export.group"), t("button.support"), t("button.oppose"), t("kind.abstain")]
    for p in s.paragraphs:
        lines += [
            f"### {t('export.paragraph', number=p.paragraph.number)}",
            "",
            f"> {_md(p.paragraph.text)}",
            "",
        ]
        if s.groups:
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            for g in s.groups:
                v = p.votes[g.key]
                lines.append(f"| {_md(g.name)} | {v.agree} | {v.disagree} | {v.abstain} |")
            lines.append("")
        lines.append(
            t("summary.consensus", value=f"{p.consensus:.2f}")
            + (f" · {t('summary.common_ground')}" if p.common_ground else "")
        )
        if p.unheard:
            lines.append(t("summary.unheard", groups=", ".join(s.group_name(k) for k in p.unheard)))
        lines.append("")
        for c in p.comments:
            lines.append(
                f"- {t('summary.quote', id=c.id, author=_md(c.author), text=_md(c.text or ''))}"
            )
        for a in p.amendments:
            lines.append(
                f"- {t('summary.amendment', id=a.id, author=_md(a.author), text=_md(a.text or ''))}"
            )
        if p.comments or p.amendments:
            lines.append("")
    return lines


EXPORTERS: dict[str, tuple[str, str, Callable[[Record, Text], str]]] = {
    "markdown": ("md", "text/markdown", to_markdown),
}

ALIASES: dict[str, str] = {"md": "markdown"}


def export_format(name: str) -> str | None:
    name = name.lower().lstrip(".")
    name = ALIASES.get(name, name)
    return name if name in EXPORTERS else None


def render(record: Record, fmt: str, t: Text) -> tuple[str, str, bytes]:
    """(filename, media type, content) of the record in format `fmt`."""
    extension, media_type, renderer = EXPORTERS[fmt]
    slug = (
        "".join(ch if ch.isalnum() else "-" for ch in record.title.lower()).strip("-")[:40]
        or "consultation"
    )
    filename = f"{slug}-v{record.versions[-1].number if record.versions else 0}.{extension}"
    return filename, media_type, renderer(record, t).encode()
