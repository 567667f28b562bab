"""The record as one self-contained HTML report: the draft, charts, themes, history.

The secretariat mails this file on or puts it on an intranet, so it carries everything
with it: CSS inline, charts as inline SVG (drawn in `charts.py`), no script, no font, no
image fetched from anywhere. A Content-Security-Policy in the page forbids any request,
so even a crafted comment that slipped past escaping could not load something. It prints
on A4 or Letter (the printer's paper), each section from a new page; a heading stays
with what follows it, and long tables break between rows, their header repeated. Every
text that came from a person is escaped, and isolated from the text around it
(`dir="auto"` on a block of its own, `<bdi>` inside a line), so a right-to-left quote
neither reorders nor is reordered by the words around it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from consultations.diffing import DiffOp
from consultations.document import Link, NoteKind
from consultations.exports.charts import (
    Stack,
    consensus_chart,
    esc,
    participation_chart,
    timeline_chart,
    votes_chart,
)
from consultations.exports.record import NoteRecord, Record, RoundRecord, Status, Text, when
from consultations.exports.text import (
    DECISION_HEADINGS,
    QUOTES,
    definitions,
    provenance,
    revision_author,
    themes,
    utc,
    verdict,
)
from consultations.summary import ParagraphSummary, Summary
from consultations.versions import compare

STYLE = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
       "DejaVu Sans", sans-serif; color: var(--ink); max-width: 860px;
       margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
h2 { margin-top: 2.5rem; border-bottom: 2px solid var(--line); padding-bottom: .2rem; }
h3 { margin: 1.5rem 0 .5rem; }
h4 { margin: 1rem 0 .25rem; font-size: 1rem; }
.meta, .src, .by, .note { color: var(--muted); }
.subtitle { font-size: 1.1rem; font-weight: 600; }
.src, .note { font-size: .85rem; }
nav ol { columns: 2; padding-left: 1.2rem; }
ol.draft > li { margin: .7rem 0; }
blockquote { margin: .5rem 0; padding: .4rem .8rem; border-left: 4px solid var(--line); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left;
         vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
svg.chart { display: block; max-width: 100%; height: auto; margin: .5rem 0 1rem; }
svg text { font: 12px system-ui, "DejaVu Sans", sans-serif; fill: #1f2328; }
svg text.in { fill: #fff; font-weight: 600; }
svg text.n, svg text.legend { fill: #59636e; }
svg .axis { stroke: #8c959f; stroke-width: 1; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: .7rem; font-size: .8rem;
         background: #dafbe1; color: #116329; }
.badge.diverge { background: #fff1e5; color: #953800; }
article { border-top: 1px solid var(--line); margin-top: 1.5rem; }
ul.quotes li { margin: .2rem 0; }
del { background: #ffebe9; color: #82071e; }
ins { background: #dafbe1; color: #116329; }
bdi { unicode-bidi: isolate; }
@page { margin: 16mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-before: page; }
  #draft h2 { break-before: auto; }
  h1, h2, h3, h4 { break-after: avoid; break-inside: avoid; }
  svg, blockquote, li, tr, .keep { break-inside: avoid; }
  article, table, section { break-inside: auto; }
  thead { display: table-header-group; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"""

# No script, no request of any kind: the report is a document, not an application.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


def to_html(record: Record, t: Text) -> bytes:
    parts: list[str] = []
    add = parts.append
    add("<!DOCTYPE html>")
    add(f'<html lang="{esc(t("export.language"))}"><head><meta charset="utf-8">')
    add(f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add('<meta name="generator" content="consultbot">')
    add(f"<title>{esc(record.title)}</title><style>{STYLE}</style></head><body>")
    add(f"<header><h1>{esc(record.title)}</h1>")
    generated = t(
        "export.generated",
        at=when(record.generated_at),
        attribution=t(f"attribution.policy.{record.attribution}"),
    )
    add(f'<p class="meta">{esc(generated)}</p></header>')
    add(_contents(record, t))
    add(_draft(record, t))
    for round_ in record.rounds:
        add(_round(record, round_, t))
    if record.decisions:
        add(_decisions(record, t))
    if len(record.versions) > 1:
        add(_history(record, t))
    add("</body></html>")
    return "\n".join(parts).encode()


def _contents(record: Record, t: Text) -> str:
    items = []
    if record.version:
        items.append(("draft", t("export.current_version", number=record.version.number)))
    items += [
        (f"round-{r.number}", t("export.round", number=r.number, version=r.version))
        for r in record.rounds
    ]
    if record.decisions:
        items.append(("decisions", t("export.decisions")))
    if len(record.versions) > 1:
        items.append(("history", t("export.history")))
    links = "".join(f'<li><a href="#{anchor}">{esc(label)}</a></li>' for anchor, label in items)
    return f'<nav aria-label="{esc(t("export.contents"))}"><ol>{links}</ol></nav>'


def _draft(record: Record, t: Text) -> str:
    """The draft as a document: its headings, numbered paragraphs and notes in order."""
    version = record.version
    if version is None:
        return f'<section id="draft"><p>{esc(t("export.no_draft"))}</p></section>'
    out = [
        '<section id="draft">',
        f"<h2>{esc(t('export.current_version', number=version.number))}</h2>",
    ]
    if version.title and version.title != record.title:
        out.append(f'<p class="subtitle">{esc(version.title)}</p>')
    listing = False  # inside an <ol> of paragraphs
    for section, parts in version.layout():
        if section.heading:
            if listing:
                out.append("</ol>")
                listing = False
            level = 2 + version.heading_level(section)
            out.append(f"<h{level}>{esc(section.heading)}</h{level}>")
        for part in parts:
            if isinstance(part, NoteRecord):
                if listing:
                    out.append("</ol>")
                    listing = False
                out.append(_note(part))
                continue
            if not listing:
                out.append('<ol class="draft">')
                listing = True
            source = ""
            changes = provenance(record, version, part.uid, t)
            if changes:
                source = f'<div class="src">{esc(changes)}</div>'
            out.append(
                f'<li value="{part.number}"><p dir="auto">{_linked(part.text, part.links)}</p>'
                f"{source}</li>"
            )
    if listing:
        out.append("</ol>")
    out.append("</section>")
    return "".join(out)


def _linked(text: str, links: Sequence[Link]) -> str:
    """Escaped text, with the draft's own web links live (no other scheme)."""
    out = esc(text)
    for link in links:
        shown = esc(link.text)
        if link.url.startswith(("https://", "http://")) and shown in out:
            out = out.replace(shown, f'<a href="{esc(link.url)}">{shown}</a>', 1)
    return out


def _note(note: NoteRecord) -> str:
    """A note where it was: a table as a table, any other as a quiet paragraph."""
    if note.kind is NoteKind.TABLE:
        rows = [row.split("\t") for row in note.text.split("\n")]
        head = "".join(f"<th>{esc(cell)}</th>" for cell in rows[0])
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>" for row in rows[1:]
        )
        return f'<table class="note"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    return f'<p class="note {note.kind.value}">{_linked(note.text, note.links)}</p>'


def _round(record: Record, round_: RoundRecord, t: Text) -> str:
    s = round_.summary
    out = [
        f'<section id="round-{round_.number}">',
        f"<h2>{esc(t('export.round', number=round_.number, version=round_.version))}</h2>",
        '<p class="meta">'
        + esc(
            t(
                "export.round_times",
                opened=when(round_.opened_at),
                closed=when(round_.closed_at),
                state=t(f"state.{round_.state}"),
            )
        )
        + "</p>",
        *(f'<p class="note">{esc(line)}</p>' for line in definitions(s, t)),
    ]
    if s.participation:
        out.append(f"<h3>{esc(t('export.participation'))}</h3>")
        out.append(
            participation_chart(
                t("export.participation"),
                [(s.group_name(k), v.answered, v.invited) for k, v in s.participation.items()],
            )
        )
    out.append(_timeline(record, round_, t))
    if s.paragraphs:
        out.append(_consensus(round_.number, s, t))
    for p in s.paragraphs:
        out.append(_paragraph(round_.number, s, p, t))
    out.append("</section>")
    return "".join(out)


def _timeline(record: Record, round_: RoundRecord, t: Text) -> str:
    by_group: dict[str | None, list[datetime]] = defaultdict(list)
    for sub in record.submissions:
        if sub.round == round_.number and sub.status is not Status.HIDDEN:
            by_group[sub.group].append(utc(sub.created_at))
    if not by_group:
        return ""
    times = [when_ for group in by_group.values() for when_ in group]
    start = utc(round_.opened_at) if round_.opened_at else min(times)
    end = utc(round_.closed_at) if round_.closed_at else max(max(times), utc(record.generated_at))
    start, end = min(start, min(times)), max(end, max(times))
    keys: list[str | None] = [g.key for g in round_.summary.groups]
    keys += sorted((k for k in by_group if k not in keys), key=lambda k: k or "~")
    series = [
        (round_.summary.group_name(k) if k else t("group.unknown"), by_group.get(k, []))
        for k in keys
    ]
    title = t("export.participation_over_time")
    return f"<h3>{esc(title)}</h3>" + timeline_chart(
        title, series, start, end, (when(start), when(end))
    )


def _consensus(round_number: int, s: Summary, t: Text) -> str:
    title = t("export.consensus_divergence")
    rows = [
        (
            f"¶{p.paragraph.number}",
            p.consensus if p.consensus_defined else None,
            p.divergence,
            p.common_ground,
        )
        for p in s.paragraphs
    ]
    legend = (t("export.consensus"), t("export.common_ground"), t("export.divergence_label"))
    table = [
        "<table><thead><tr>",
        f"<th>{esc(t('export.paragraph_short'))}</th>",
        f"<th>{esc(t('export.standing'))}</th>",
        f'<th class="n">{esc(t("export.consensus"))}</th>',
        f'<th class="n">{esc(t("export.divergence_label"))}</th></tr></thead><tbody>',
    ]
    for p in s.paragraphs:
        divergence = "—" if p.divergence is None else f"{p.divergence:.2f}"
        consensus = f"{p.consensus:.2f}" if p.consensus_defined else "—"
        number = p.paragraph.number
        table.append(
            f'<tr><td><a href="#r{round_number}-p{number}">¶{number}</a></td>'
            f"<td>{esc(t(f'summary.standing.{p.standing.value}'))}</td>"
            f'<td class="n">{consensus}</td><td class="n">{divergence}</td></tr>'
        )
    table.append("</tbody></table>")
    return f"<h3>{esc(title)}</h3>" + consensus_chart(title, rows, legend) + "".join(table)


def _paragraph(round_number: int, s: Summary, p: ParagraphSummary, t: Text) -> str:
    number = p.paragraph.number
    out = [
        f'<article id="r{round_number}-p{number}">',
        f"<h3>{esc(t('export.paragraph', number=number))}</h3>",
        f'<blockquote dir="auto">{esc(p.paragraph.text)}</blockquote>',
    ]
    if s.groups and p.totals.seen:  # a chart of nothing says no more than "not heard"
        legend = (t("button.support"), t("button.oppose"), t("export.abstain"))
        rows = [
            Stack(g.name, p.votes[g.key].agree, p.votes[g.key].disagree, p.votes[g.key].abstain)
            for g in s.groups
        ]
        out.append(votes_chart(t("export.votes_chart", number=number), rows, legend))
    badge = "badge" if p.common_ground else "badge diverge" if p.standing.in_dispute else "note"
    out.append(f'<p><span class="{badge}">{esc(verdict(p, t))}</span></p>')
    if p.unheard:
        unheard = t("summary.unheard", groups=", ".join(s.group_name(k) for k in p.unheard))
        out.append(f'<p class="note">{esc(unheard.strip())}</p>')
    found = themes(p)
    if found:
        out.append(f"<h4>{esc(t('export.themes'))}</h4><ul>")
        for theme in found:
            size = f" ({esc(t('export.theme_size', count=theme.size))})" if theme.size else ""
            quotes = "".join(f"<li>{_quote(t, q.id, q.author, q.text)}</li>" for q in theme.quotes)
            out.append(
                f'<li><strong><bdi>{esc(theme.label)}</bdi></strong>{size}<ul class="quotes">'
            )
            out.append(f"{quotes}</ul></li>")
        out.append("</ul>")
    if p.comments:
        out.append(f"<h4>{esc(t('export.comments'))}</h4><ul class='quotes'>")
        out += [f"<li>{_quote(t, c.id, c.author, c.text)}</li>" for c in p.comments[:QUOTES]]
        out.append("</ul>")
        if len(p.comments) > QUOTES:
            more = t("summary.more_comments", count=len(p.comments) - QUOTES).strip()
            out.append(f'<p class="note">{esc(more)}</p>')
    if p.amendments:
        out.append(f"<h4>{esc(t('export.amendments'))}</h4><ul class='quotes'>")
        for a in p.amendments:
            out.append(f"<li>{_quote(t, a.id, a.author, a.text, 'summary.amendment')}</li>")
        out.append("</ul>")
    out.append("</article>")
    return "".join(out)


# Stand-ins for the author and the text while the catalog's sentence is escaped: then each
# is put back escaped and isolated, so a right-to-left quote keeps its own direction.
_AUTHOR, _TEXT = "\ue000", "\ue001"


def _quote(t: Text, id: int, author: str, text: str | None, key: str = "summary.quote") -> str:
    """A quote's line as HTML: the catalog's words, the author and the text in `<bdi>`."""
    line = esc(t(key, id=id, author=_AUTHOR, text=_TEXT).strip())
    line = line.replace(_AUTHOR, f"<bdi>{esc(author)}</bdi>", 1)
    return line.replace(_TEXT, f"<bdi>{esc(text or '')}</bdi>", 1)


def _decisions(record: Record, t: Text) -> str:
    """The decisions, in the Word annex's columns: amendment (and its text), paragraph,
    group, decision, reason, the version it was applied in."""
    out = [
        '<section id="decisions">',
        f"<h2>{esc(t('export.decisions'))}</h2>",
        "<table><thead><tr>",
        *(f"<th>{esc(t(key))}</th>" for key in DECISION_HEADINGS),
        "</tr></thead><tbody>",
    ]
    for d in record.decisions:
        group = record.group_name(d.group) or d.author
        text = f'<blockquote dir="auto">{esc(d.text)}</blockquote>' if d.text else ""
        out.append(
            f"<tr><td>#{d.amendment_id}{text}</td><td>{d.paragraph}</td>"
            f'<td dir="auto">{esc(group)}</td><td>{esc(t(f"mine.{d.decision}"))}</td>'
            f'<td dir="auto">{esc(d.note or "")}</td>'
            f"<td>{d.version if d.version is not None else '—'}</td></tr>"
        )
    out.append("</tbody></table></section>")
    return "".join(out)


def _history(record: Record, t: Text) -> str:
    out = ['<section id="history">', f"<h2>{esc(t('export.history'))}</h2>"]
    for old, new in zip(record.versions, record.versions[1:], strict=False):
        changes = compare(old.paragraphs, new.paragraphs)
        out.append(f"<h3>{esc(t('diff.header', a=old.number, b=new.number, count=len(changes)))}")
        out.append("</h3>")
        if not changes:
            out.append(f"<p>{esc(t('diff.none', a=old.number, b=new.number))}</p>")
        for change in changes:
            where = esc(t("export.paragraph", number=change.number))
            author = esc(revision_author(record, new, change.uid, t))
            out.append(
                f'<p><strong>{where}</strong> <span class="src">{author}</span><br>'
                f"{_marked(change.ops)}</p>"
            )
    out.append("</section>")
    return "".join(out)


def _marked(ops: tuple[DiffOp, ...]) -> str:
    tags = {"equal": "{}", "delete": "<del>{}</del>", "insert": "<ins>{}</ins>"}
    return "".join(tags[op.kind].format(esc(op.text)) for op in ops)
