"""The record as Markdown: the draft and what each group said, readable as plain text.

What a person wrote cannot add links, images, headings, lists or tables to the record
the secretariat hands on, in CommonMark or in GitHub's renderer with its autolinks:

- anything a renderer would turn into a link (`http://…`, `www.…`, `mailto:`, an e-mail
  address, a bare domain such as `evil.example`) is shown as inline code, which no
  renderer links;
- the few characters that make markup where they stand are escaped (`\\`, `` ` ``, `*`,
  `_` outside a word, `[`, `]`, `<`, `~`, `&` before an entity name, `|` in a table
  cell, and a block marker at the start of the text); the rest is left as typed, so
  `+1 from us` and `-5 points` read as written;
- line breaks inside one input become spaces: one input stays one line, one list item.

The draft's own links (from the imported document) stay live links.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from consultations.diffing import render_plain
from consultations.document import Link, NoteKind
from consultations.exports.record import NoteRecord, Record, RoundRecord, Text, VersionRecord, when
from consultations.exports.text import definitions, provenance, themes, verdict
from consultations.versions import compare

# What GitHub's autolinks and linkify would link: a URL with a scheme, www., mailto:, an
# e-mail address, or a bare domain (its last label two letters or more).
_LINKABLE = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|www\.|mailto:)\S+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b(?:/\S*)?",
    re.IGNORECASE,
)
_INLINE = re.compile(r"[\\`*\[\]<~]|&(?=#?\w+;)|(?<!\w)_|_(?!\w)")
_BLOCK_START = re.compile(r"^(?:[#>]|[-+]\s|=+\s*$|\d+(?=[.)]\s))")
_BACKTICKS = re.compile(r"`+")


def _md(text: str, *, cell: bool = False, start: bool = True) -> str:
    """Text a person wrote, neutralised for Markdown (see the module's docstring);
    `start`: the text begins a line (or a block's content), where block markers count."""
    text = " ".join(text.split("\n"))
    out = []
    at = 0
    while (match := _LINKABLE.search(text, at)) is not None:
        linkable = _trimmed(match.group()) or match.group()
        out.append(_escape(text[at : match.start()], cell, first=start and at == 0))
        code = _code(linkable)
        out.append(code.replace("|", "\\|") if cell else code)  # GFM splits cells even there
        at = match.start() + len(linkable)
    out.append(_escape(text[at:], cell, first=start and at == 0))
    return "".join(out)


def _trimmed(url: str) -> str:
    """Without the punctuation that ends the sentence rather than the address, as
    autolinks read it: "(see http://x.org)." links http://x.org."""
    while url and (
        url[-1] in ".,;:!?'\"*_~" or (url[-1] == ")" and url.count("(") < url.count(")"))
    ):
        url = url[:-1]
    return url


def _escape(text: str, cell: bool, first: bool) -> str:
    text = _INLINE.sub(lambda m: "\\" + m.group(), text)
    if cell:
        text = text.replace("|", "\\|")
    start = _BLOCK_START.match(text) if first else None
    if start is not None:  # "1. x" becomes "1\. x"; "# x" and "- x", "\# x" and "\- x"
        at = start.end() if start.group().isdigit() else 0
        text = f"{text[:at]}\\{text[at:]}"
    return text


def _code(text: str) -> str:
    """Inline code, its fence longer than any run of backticks inside."""
    fence = "`" * (1 + max((len(m) for m in _BACKTICKS.findall(text)), default=0))
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def to_markdown(record: Record, t: Text) -> str:
    lines: list[str] = [f"# {_md(record.title)}", ""]
    lines.append(
        t(
            "export.generated",
            at=when(record.generated_at),
            attribution=t(f"attribution.policy.{record.attribution}"),
        )
    )
    lines.append("")
    if record.versions:
        lines += _draft_markdown(record, record.versions[-1], t)
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


def _draft_markdown(record: Record, version: VersionRecord, t: Text) -> list[str]:
    """The draft as a document: its headings, numbered paragraphs and notes in order."""
    lines = [f"## {t('export.current_version', number=version.number)}", ""]
    if version.title and version.title != record.title:
        lines += [f"**{_md(version.title)}**", ""]
    for section, parts in version.layout():
        if section.heading:
            lines += [f"{'#' * (2 + version.heading_level(section))} {_md(section.heading)}", ""]
        for part in parts:
            if isinstance(part, NoteRecord):
                lines += [*_note_markdown(part), ""]
                continue
            changes = provenance(record, version, part.uid, t)
            origin = f" _({_md(changes)})_" if changes else ""
            lines += [f"{part.number}. {_linked(part.text, part.links)}{origin}", ""]
    return lines


def _linked(text: str, links: Sequence[Link]) -> str:
    """Escaped text, with the draft's own web links live (no other scheme)."""
    found = []
    for link in links:
        at = text.find(link.text) if link.text else -1
        if link.url.startswith(("https://", "http://")) and at >= 0:
            found.append((at, link))
    out = []
    cursor = 0
    for at, link in sorted(found, key=lambda item: item[0]):
        if at < cursor:
            continue  # overlaps a link already made
        url = link.url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
        label = _escape(link.text, cell=False, first=False)
        out += [_md(text[cursor:at], start=cursor == 0), f"[{label}]({url})"]
        cursor = at + len(link.text)
    out.append(_md(text[cursor:], start=cursor == 0))
    return "".join(out)


def _note_markdown(note: NoteRecord) -> list[str]:
    if note.kind is NoteKind.TABLE:
        rows = [[_md(cell, cell=True) for cell in row.split("\t")] for row in note.text.split("\n")]
        width = max(len(row) for row in rows)
        rows = [row + [""] * (width - len(row)) for row in rows]
        table = [f"| {' | '.join(rows[0])} |", "|" + "---|" * width]
        return table + [f"| {' | '.join(row)} |" for row in rows[1:]]
    return [f"_{_linked(note.text, note.links)}_"]


def _round_markdown(round_: RoundRecord, t: Text) -> list[str]:
    s = round_.summary
    lines = [
        f"## {t('export.round', number=round_.number, version=round_.version)}",
        "",
        t(
            "export.round_times",
            opened=when(round_.opened_at),
            closed=when(round_.closed_at),
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
    lines += [f"_{_md(line)}_" for line in definitions(s, t)] + [""]
    header = [t("export.group"), t("button.support"), t("button.oppose"), t("export.abstain")]
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
                lines.append(
                    f"| {_md(g.name, cell=True)} | {v.agree} | {v.disagree} | {v.abstain} |"
                )
            lines.append("")
        lines += [_md(verdict(p, t)), ""]
        if p.unheard:
            unheard = t("summary.unheard", groups=", ".join(s.group_name(k) for k in p.unheard))
            lines += [unheard.strip(), ""]
        found = themes(p)
        if found:
            lines += [f"#### {t('export.themes')}", ""]
            for theme in found:
                size = f" ({t('export.theme_size', count=theme.size)})" if theme.size else ""
                lines.append(f"- **{_md(theme.label)}**{size}")
                for q in theme.quotes:
                    quote = t("summary.quote", id=q.id, author=_md(q.author), text=_md(q.text))
                    lines.append(f"  - {quote.strip()}")
            lines.append("")
        for c in p.comments:
            quote = t("summary.quote", id=c.id, author=_md(c.author), text=_md(c.text or ""))
            lines.append(f"- {quote.strip()}")
        for a in p.amendments:
            line = t("summary.amendment", id=a.id, author=_md(a.author), text=_md(a.text or ""))
            lines.append(f"- {line.strip()}")
        if p.comments or p.amendments:
            lines.append("")
    return lines
