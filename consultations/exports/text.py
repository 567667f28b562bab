"""Small pieces the document formats share: who made a change, themes, where the groups
stand and how that is defined, safe text, times.

Themes come from the summary (`ParagraphSummary.themes`); the formats show each as a
label and a few verbatim quotes (`themes`). Where the groups stand is said in words
(`verdict`); the consensus figure joins it only where enough votes define it, and every
format says once per round what the words and the figure mean (`definitions`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from consultations.exports.record import Record, Text, VersionRecord
from consultations.ids import SubmissionId
from consultations.summary import ParagraphSummary, Summary

# The decisions table's columns, in Word and HTML: amendment (and its text), paragraph,
# group, decision, reason, the version it was applied in.
DECISION_HEADINGS = (
    "export.amendment",
    "export.paragraph_short",
    "export.group",
    "export.decision",
    "export.reason",
    "export.applied_in_column",
)
QUOTES = 25  # verbatim comments shown per paragraph and round; CSV and JSON have them all

# Characters XML 1.0 forbids (and lone surrogates): a stray control character in a
# chat message must not make the Word file unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


@dataclass(frozen=True)
class Quote:
    id: SubmissionId
    author: str
    text: str


@dataclass(frozen=True)
class Theme:
    label: str
    quotes: tuple[Quote, ...]
    size: int  # how many comments it gathers


def themes(p: ParagraphSummary) -> tuple[Theme, ...]:
    """The paragraph's themes, each with its verbatim quotes."""
    return tuple(
        Theme(
            theme.label or ", ".join(theme.keywords),
            tuple(Quote(q.id, q.author, q.text) for q in theme.quotes),
            theme.size,
        )
        for theme in p.themes
    )


def verdict(p: ParagraphSummary, t: Text) -> str:
    """'Groups divided', or 'Common ground · Consensus 0.81' where the figure is defined."""
    words = t(f"summary.standing.{p.standing.value}")
    words = words[:1].upper() + words[1:]
    if p.consensus_defined:
        return f"{words} · {t('summary.consensus', value=f'{p.consensus:.2f}').strip()}"
    return words


def definitions(s: Summary, t: Text) -> tuple[str, ...]:
    """What positions, standings, consensus and divergence mean, one line each."""
    return (
        t(
            "summary.positions_rule",
            threshold=round(100 * s.threshold),
            min_votes=s.min_votes,
        ),
        t("summary.consensus_rule", count=s.consensus_votes),
        t("summary.md.divergence_rule"),
    )


def revision_author(record: Record, version: VersionRecord, uid: str, t: Text) -> str:
    """Who a tracked change is attributed to: the groups whose amendments produced it.

    Always the stakeholder group, whatever the attribution policy: the change belongs to
    the group's amendment, e.g. "Civil society (amendment #12)".
    """
    sources = version.sources.get(uid, ())
    if not sources:
        return t("export.revision_facilitator")
    return credit(record, sources, t)


def credit(record: Record, amendments: tuple[SubmissionId, ...], t: Text) -> str:
    """The groups behind some amendments, and the amendments: "Civil society (amendment #12)"."""
    decisions = {d.amendment_id: d for d in record.decisions}
    groups: list[str] = []
    for amendment in amendments:
        decision = decisions.get(amendment)
        key = decision.group if decision else None
        name = record.group_name(key) or t("group.unknown")
        if name not in groups:
            groups.append(name)
    ids = ", ".join(f"#{i}" for i in amendments)
    key = "export.revision_author" if len(amendments) == 1 else "export.revision_authors"
    return t(key, groups=", ".join(groups), ids=ids)


def provenance(record: Record, version: VersionRecord, uid: str, t: Text) -> str | None:
    """Every change that shaped a paragraph since version 1, by version:
    "Version 2: Civil society (amendment #4); version 3: Government (amendment #30)"."""
    changes = version.provenance.get(uid, ())
    if not changes:
        return None
    steps = "; ".join(
        t("export.provenance_step", number=c.version, credit=credit(record, c.amendments, t))
        for c in changes
    )
    return t("export.provenance", steps=steps)


def utc(value: datetime) -> datetime:
    """Stored times are UTC; some databases hand them back without a zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
