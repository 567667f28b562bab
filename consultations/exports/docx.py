"""The draft position as a Word document, with the last round of changes tracked.

Diplomats negotiate in Word with track changes on, so the chosen version is laid out
against its parent as real revisions: each word-level change (`word_diff`) is a `w:del`
or `w:ins` element that Word and LibreOffice show, and can accept or reject, attributed
(`w:author`) to the stakeholder group whose amendment produced it and dated
(`w:date`) when the version was cut. python-docx writes everything else; it has no API
for revisions, so those elements are built as raw WordprocessingML:

    <w:p>
      <w:r><w:t>We will refuse licences where there is a </w:t></w:r>
      <w:del w:id="1" w:author="Civil society (amendment #12)" w:date="2026-12-04T09:00:00Z">
        <w:r><w:delText>clear</w:delText></w:r>
      </w:del>
      <w:ins w:id="2" w:author="Civil society (amendment #12)" w:date="2026-12-04T09:00:00Z">
        <w:r><w:t>substantial</w:t></w:r>
      </w:ins>
      <w:r><w:t> risk of misuse.</w:t></w:r>
    </w:p>

The document also switches tracking on, so the next edits are tracked too. An annex
follows with what each group said about each paragraph: tallies as a table, consensus,
themes and verbatim quotes, and the decisions on amendments.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from typing import Any

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from consultations.diffing import DiffOp, word_diff
from consultations.document import NoteKind
from consultations.exports.record import (
    NoteRecord,
    Record,
    RoundRecord,
    Text,
    VersionRecord,
    when,
)
from consultations.exports.text import (
    QUOTES,
    definitions,
    revision_author,
    themes,
    utc,
    verdict,
    xml_safe,
)
from consultations.summary import Paragraph, ParagraphSummary, Summary

DocumentType = Any  # python-docx's Document object


def to_docx(record: Record, t: Text) -> bytes:
    document = Document()
    properties = document.core_properties
    properties.author = properties.last_modified_by = "consultbot"
    properties.title = xml_safe(record.title)
    properties.created = properties.modified = utc(record.generated_at)
    properties.revision = 1

    _heading(document, xml_safe(record.title), 0)
    document.add_paragraph(
        t(
            "export.generated",
            at=when(record.generated_at),
            attribution=t(f"attribution.policy.{record.attribution}"),
        )
    )
    version = record.version
    if version is None:
        document.add_paragraph(t("export.no_draft"))
    else:
        parent = record.parent_of(version)
        _heading(document, t("export.current_version", number=version.number), 1)
        if parent is not None:
            _italic(
                document, t("export.tracked_against", number=version.number, parent=parent.number)
            )
        _draft(document, record, version, parent, t)
        _track_further_edits(document)
        _annex(document, record, version, parent, t)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ---- the draft, with tracked changes ---------------------------------------------------


class _Revisions:
    """Hands out revision ids, unique across the document as the format requires."""

    def __init__(self, date: str) -> None:
        self.date = date
        self.next_id = 1

    def mark(self, tag: str, author: str) -> Any:
        element = OxmlElement(tag)
        element.set(qn("w:id"), str(self.next_id))
        element.set(qn("w:author"), xml_safe(author))
        element.set(qn("w:date"), self.date)
        self.next_id += 1
        return element


def _run(text: str, *, deleted: bool = False) -> Any:
    run = OxmlElement("w:r")
    content = OxmlElement("w:delText" if deleted else "w:t")
    content.set(qn("xml:space"), "preserve")
    content.text = xml_safe(text)
    run.append(content)
    return run


def _draft(
    document: DocumentType,
    record: Record,
    version: VersionRecord,
    parent: VersionRecord | None,
    t: Text,
) -> None:
    """The draft as the delegations' own document: its title, its headings (Heading 2
    and 3, under the export's Heading 1), its numbered paragraphs, and its notes where
    they were; removed paragraphs where they used to be."""
    revisions = _Revisions(utc(version.created_at).strftime("%Y-%m-%dT%H:%M:%SZ"))
    before = {p.uid: p for p in parent.paragraphs} if parent else {}
    states = _layout(parent.paragraphs if parent else (), version.paragraphs)
    state_of = {p.uid: state for p, state in states if state != "removed"}
    removed_after: dict[str | None, list[Paragraph]] = {}
    previous: str | None = None
    for p, state in states:
        if state == "removed":
            removed_after.setdefault(previous, []).append(p)
        else:
            previous = p.uid
    if version.title and version.title != record.title:
        _para(document, xml_safe(version.title), "Subtitle")
    for removed in removed_after.get(None, []):
        _paragraph_with_changes(document, record, version, removed, "removed", before, revisions, t)
    for section, parts in version.layout():
        if section.heading:
            _heading(document, xml_safe(section.heading), 1 + version.heading_level(section))
        for part in parts:
            if isinstance(part, NoteRecord):
                _note(document, part)
                continue
            state = state_of.get(part.uid, "kept")
            _paragraph_with_changes(document, record, version, part, state, before, revisions, t)
            for removed in removed_after.get(part.uid, []):
                _paragraph_with_changes(
                    document, record, version, removed, "removed", before, revisions, t
                )


def _paragraph_with_changes(
    document: DocumentType,
    record: Record,
    version: VersionRecord,
    paragraph: Paragraph,
    state: str,
    before: dict[str, Paragraph],
    revisions: _Revisions,
    t: Text,
) -> None:
    """One numbered paragraph, its changes from the parent tracked.

    The number is the consultation's own, written out rather than Word's list numbering:
    Word renumbers a list as soon as a recipient adds or removes a paragraph with Track
    Changes on (and LibreOffice shows a list item with a tracked deletion as renumbered),
    while every input and decision in the record cites these numbers.
    """
    p = _para(document, "", "Normal")._p
    author = revision_author(record, version, paragraph.uid, t)
    label = f"{paragraph.number}. "
    if state == "kept":
        p.append(_run(label))
        ops = word_diff(before[paragraph.uid].text, paragraph.text) if before else ()
        if not ops:
            p.append(_run(paragraph.text))
        for op in ops:
            _append_op(p, op, revisions, author)
        return
    # A whole paragraph added or removed: its text and its paragraph mark.
    tag = "w:ins" if state == "added" else "w:del"
    if state == "removed":
        author = t("export.revision_facilitator")
    p_pr = p.get_or_add_pPr()
    r_pr = OxmlElement("w:rPr")
    r_pr.append(revisions.mark(tag, author))
    p_pr.append(r_pr)
    _append_op(
        p,
        DiffOp("insert" if state == "added" else "delete", label + paragraph.text),
        revisions,
        author,
    )


def _note(document: DocumentType, note: NoteRecord) -> None:
    """A note where it was: a table as a table, any other as a plain paragraph."""
    if note.kind is NoteKind.TABLE:
        rows = [row.split("\t") for row in note.text.split("\n")]
        table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
        table.style = "Table Grid"
        for cells, values in zip(table.rows, rows, strict=True):
            for cell, value in zip(cells.cells, values, strict=False):
                cell.text = xml_safe(value)
        return
    paragraph = _para(document, "", "Normal")
    paragraph._p.append(_run(note.text))
    if note.kind in (NoteKind.FOOTNOTE, NoteKind.DATE, NoteKind.REFERENCE):
        for run in paragraph.runs:
            run.italic = True


def _append_op(p: Any, op: DiffOp, revisions: _Revisions, author: str) -> None:
    if op.kind == "equal":
        p.append(_run(op.text))
        return
    wrapper = revisions.mark("w:ins" if op.kind == "insert" else "w:del", author)
    wrapper.append(_run(op.text, deleted=op.kind == "delete"))
    p.append(wrapper)


def _layout(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> list[tuple[Paragraph, str]]:
    """The new version's paragraphs in order, with removed ones where they used to be."""
    kept = {p.uid for p in new}
    before = {p.uid for p in old}
    removed_after: dict[str | None, list[Paragraph]] = {}
    previous: str | None = None
    for p in old:
        if p.uid in kept:
            previous = p.uid
        else:
            removed_after.setdefault(previous, []).append(p)
    result = [(p, "removed") for p in removed_after.get(None, [])]
    for p in new:
        result.append((p, "kept" if p.uid in before or not old else "added"))
        result += [(r, "removed") for r in removed_after.get(p.uid, [])]
    return result


def _track_further_edits(document: DocumentType) -> None:
    """Switch on Word's "Track Changes", so the recipients' own edits are tracked too."""
    settings = document.settings.element
    if settings.find(qn("w:trackRevisions")) is not None:
        return
    track = OxmlElement("w:trackRevisions")
    # CT_Settings is a sequence: trackRevisions comes after proofState and before
    # defaultTabStop; Word rejects a settings part whose children are out of order.
    anchor = settings.find(qn("w:proofState"))
    if anchor is not None:
        anchor.addnext(track)
    else:
        follower = settings.find(qn("w:defaultTabStop"))
        if follower is not None:
            follower.addprevious(track)


# ---- the annex: what the groups said ----------------------------------------------------


def _annex(
    document: DocumentType,
    record: Record,
    version: VersionRecord,
    parent: VersionRecord | None,
    t: Text,
) -> None:
    shown = {version.number, *((parent.number,) if parent else ())}
    rounds = [r for r in record.rounds if r.version in shown]
    decisions = record.decisions
    if not rounds and not decisions:
        return
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _heading(document, t("export.annex"), 1)
    for round_ in rounds:
        _round(document, round_, t)
    if decisions:
        _heading(document, t("export.decisions"), 2)
        table = document.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        _header(
            table,
            [
                t("export.amendment"),
                t("export.paragraph_short"),
                t("export.author"),
                t("export.decision"),
                t("export.note"),
            ],
        )
        for d in decisions:
            cells = table.add_row().cells
            cells[0].text = f"#{d.amendment_id}"
            cells[1].text = str(d.paragraph)
            cells[2].text = xml_safe(d.author)
            cells[3].text = t(f"mine.{d.decision}")
            cells[4].text = xml_safe(d.note or "")
            cells[4].add_paragraph().add_run(xml_safe(f"“{d.text}”")).italic = True


def _heading(document: DocumentType, text: str, level: int) -> Any:
    return _para(document, text, "Title" if level == 0 else f"Heading {level}")


def _para(document: DocumentType, text: str, style: str) -> Any:
    """A paragraph in a named style.

    python-docx looks a style up by name (and scans every style for the default) on each
    call, which made a 10,000-submission annex take seconds; the id is looked up once, and
    the text goes in as one run.
    """
    paragraph = document.add_paragraph()
    paragraph._p.style = _style_ids()[style]
    if text:
        paragraph._p.append(_run(text))  # python-docx's add_run walks the text per character
    return paragraph


@cache
def _style_ids() -> dict[str, str]:
    """Style name -> id in python-docx's default template, which every export starts from."""
    return {s.name: s.style_id for s in Document().styles if s.name}


def _italic(document: DocumentType, text: str) -> None:
    document.add_paragraph().add_run(xml_safe(text)).italic = True


def _header(table: Any, labels: Sequence[str]) -> None:
    for cell, label in zip(table.rows[0].cells, labels, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(label).bold = True


def _round(document: DocumentType, round_: RoundRecord, t: Text) -> None:
    s = round_.summary
    _heading(document, t("export.round", number=round_.number, version=round_.version), 2)
    document.add_paragraph(
        t(
            "export.round_times",
            opened=when(round_.opened_at),
            closed=when(round_.closed_at),
            state=t(f"state.{round_.state}"),
        )
    )
    if s.participation:
        document.add_paragraph(xml_safe(_participation(s, t)))
    for line in definitions(s, t):
        _italic(document, line)
    for p in s.paragraphs:
        _paragraph(document, s, p, t)


def _participation(s: Summary, t: Text) -> str:
    return t(
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


def _paragraph(document: DocumentType, s: Summary, p: ParagraphSummary, t: Text) -> None:
    _heading(document, t("export.paragraph", number=p.paragraph.number), 3)
    _para(document, xml_safe(p.paragraph.text), "Quote")
    if s.groups:
        table = document.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        _header(
            table,
            [t("export.group"), t("button.support"), t("button.oppose"), t("export.abstain")],
        )
        for g in s.groups:
            v = p.votes[g.key]
            cells = table.add_row().cells
            for cell, value in zip(cells, (g.name, v.agree, v.disagree, v.abstain), strict=True):
                cell.text = xml_safe(str(value))
        totals = p.totals
        cells = table.add_row().cells
        for cell, value in zip(
            cells,
            (t("export.total"), totals.agree, totals.disagree, totals.abstain),
            strict=True,
        ):
            cell.paragraphs[0].add_run(str(value)).bold = True
    standing = [verdict(p, t)]
    if p.divergence is not None:
        standing.append(t("export.divergence", value=f"{p.divergence:.2f}"))
    document.add_paragraph(xml_safe(" · ".join(standing)))
    if p.unheard:
        groups = ", ".join(s.group_name(k) for k in p.unheard)
        document.add_paragraph(xml_safe(t("summary.unheard", groups=groups).strip()))
    for theme in themes(p):
        line = _para(document, "", "List Bullet")
        line.add_run(xml_safe(theme.label)).bold = True
        if theme.size:
            line.add_run(f" ({t('export.theme_size', count=theme.size)})")
        for q in theme.quotes:
            quote = t("summary.quote", id=q.id, author=q.author, text=q.text or "").strip()
            _para(document, xml_safe(quote), "List Bullet 2")
    if p.comments:
        _para(document, t("export.comments"), "Heading 4")
        for c in p.comments[:QUOTES]:
            quote = t("summary.quote", id=c.id, author=c.author, text=c.text or "").strip()
            _para(document, xml_safe(quote), "List Bullet")
        if len(p.comments) > QUOTES:
            _italic(document, t("summary.more_comments", count=len(p.comments) - QUOTES).strip())
    if p.amendments:
        _para(document, t("export.amendments"), "Heading 4")
        for a in p.amendments:
            line = t("summary.amendment", id=a.id, author=a.author, text=a.text or "").strip()
            _para(document, xml_safe(line), "List Bullet")
