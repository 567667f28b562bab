"""The draft as a document: loading it, showing its structure, fixing its split.

    new TITLE, then the draft         create a consultation; the draft follows
    draft load, then the draft        load it later, or replace it before the first round
    draft                             its structure: sections, numbered paragraphs, notes
    draft exclude N | include N       paragraph N becomes a note | note N a paragraph
    draft merge N M | split N WORDS   paragraphs N to M become one | N becomes two at WORDS
    draft edit N TEXT                 paragraph N reads TEXT

A version may be changed this way until the first round opens on it; from then on
changes are amendments, decided and published. Every change is audited. The draft
arrives as a file (.md, .txt, .docx) or as pasted text, whenever the facilitator sends
it after `new` or `draft load`; a bad one is answered and the next one awaited.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from bot import i18n
from bot.commands import Access, Arg, positive_int, registry
from bot.handlers.reading import current_text
from bot.turn import Refusal, Turn
from consultations import document as draft
from consultations.document import (
    Document,
    DraftParagraph,
    Heading,
    Note,
    NoteKind,
    first_words,
)
from consultations.drafts import parse_draft_file, parse_text
from consultations.errors import ConsultationError
from consultations.ids import ConsultationId
from consultations.model import Role
from consultations.reading import guess_language
from consultations.submissions import clean_text
from storage.drafts import VersionFrozen
from storage.tables import Consultation, DraftVersion, id_of

AWAIT_DRAFT = "await_draft"
OUTLINE_CHARS = 80  # of a paragraph's or note's opening words, in the outline (as before)


@registry.command("new", Arg("title", rest=True), access=Access.ORGANISER)
def new(turn: Turn, title: str) -> None:
    """Create a consultation; the draft follows as a file or pasted text."""
    title = clean_text(title)[:300]
    if not title:
        raise Refusal("new.no_title")
    consultation = turn.records.consultations.create(title, created_by=turn.person_id)
    turn.person.current_consultation_id = id_of(consultation)
    turn.records.save(turn.person)
    turn.menu_changed = True
    turn.records.dialogs.set(
        turn.person_id, turn.chat, AWAIT_DRAFT, {"consultation": consultation.id}
    )
    turn.audit(consultation, "consultation.created")
    turn.say("new.created", title=title, id=consultation.id, expects_reply=True)


@registry.command("draft load", access=Access.FACILITATOR)
def draft_load(turn: Turn) -> None:
    """Load the draft (or replace it, before the first round); it follows as a file or text."""
    consultation = turn.require_consultation()
    _replaceable(turn, turn.records.drafts.version(id_of(consultation)))
    turn.records.dialogs.set(
        turn.person_id, turn.chat, AWAIT_DRAFT, {"consultation": id_of(consultation)}
    )
    turn.say("draft.send", expects_reply=True)


def received_draft(turn: Turn) -> Document:
    """The draft this message carries: the attached file, or else its text."""
    attachment = turn.event.attachment
    if isinstance(turn.draft_file, ConsultationError):
        raise turn.draft_file
    if turn.draft_file is not None:
        return turn.draft_file
    if attachment is not None:
        return parse_draft_file(attachment.filename, attachment.data)
    return parse_text(turn.event.text)


@registry.dialog(AWAIT_DRAFT)
def take_draft(turn: Turn, data: dict[str, int]) -> None:
    """The draft `new` or `draft load` asked for: an attached file or the message's text."""
    consultation = turn.records.consultations.get(ConsultationId(int(data["consultation"])))
    if consultation is None:
        turn.records.dialogs.clear(turn.person_id, turn.chat)  # answered, not refused: kept
        turn.say("button.stale")
        return
    try:
        document = received_draft(turn)
    except ConsultationError as error:
        # stay in the dialog: the person can send a corrected draft straight away
        turn.say(error.key, **error.values)
        turn.say("new.send_draft_again")
        return
    turn.records.dialogs.clear(turn.person_id, turn.chat)
    load_draft(turn, consultation, document)


def _replaceable(turn: Turn, version: DraftVersion | None) -> None:
    """Refuse to replace a version a round has opened on, or one cut from amendments."""
    if version is None:
        return
    _editable(turn, version)
    if version.parent_id is not None:
        raise Refusal("draft.load_published", version=version.number)


def load_draft(turn: Turn, consultation: Consultation, document: Document) -> None:
    """The consultation's first version, or a new text for it before its first round.

    Nothing recorded is lost: before a round there is no input, and translations loaded
    for the replaced text stay, marked out of date where the text changed.
    """
    records = turn.records
    current = records.drafts.version(id_of(consultation))
    _replaceable(turn, current)
    consultation.language = guess_language(document.texts) or i18n.supported(turn.language)
    records.save(consultation)
    title = document.title or consultation.title
    if current is None:
        version = records.drafts.cut(
            id_of(consultation),
            document,
            title=title,
            parent_id=None,
            created_by=turn.person_id,
            created_at=turn.now,
        )
    else:
        version = current
        _replace(turn, version, document, title)
    turn.audit(
        consultation,
        "draft.loaded" if current is None else "draft.replaced",
        version=version.number,
        paragraphs=len(document.paragraphs),
        sections=len(document.sections()),
        notes=len(document.notes),
        language=consultation.language,
    )
    lines = [_loaded(turn, version.number, document, consultation.language)]
    lines += [turn.t(remark.key, **remark.values) for remark in document.remarks]
    if current is not None and records.drafts.languages([id_of(version)]):
        lines.append(turn.t("draft.translations_stale"))
    lines.append(outline(turn, document))
    lines.append(turn.t("draft.fix_hint"))
    turn.say_text("\n".join(lines))


def _loaded(turn: Turn, number: int, document: Document, language: str) -> str:
    """'Draft version 1 loaded with 8 paragraphs to review in 2 sections (...), and 3
    notes nobody votes on (date, link ×2). Master language: English.'"""
    sections = document.sections()
    headed = [s for s in sections if s.heading is not None]
    in_sections = ""
    if headed:
        names = "; ".join(
            s.heading.text if s.heading else turn.t("draft.opening") for s in sections
        )
        in_sections = turn.t("draft.loaded_sections", count=len(sections), names=names)
    notes = ""
    if document.notes:
        kinds = Counter(n.kind for n in document.notes)
        listed = ", ".join(
            turn.t(f"note.{kind.value}") + (f" ×{count}" if count > 1 else "")
            for kind, count in kinds.items()
        )
        notes = turn.t("draft.loaded_notes", count=len(document.notes), kinds=listed)
    return turn.t(
        "draft.loaded",
        version=number,
        count=len(document.paragraphs),
        sections=in_sections,
        notes=notes,
        name=i18n.language_name(language, i18n.supported(turn.language)),
    )


def outline(turn: Turn, document: Document) -> str:
    """The structure at a glance: headings, numbered paragraphs' first words, notes."""
    lines = []
    # The text before the first heading is named only where there are headings after it.
    opening = bool(document.headings)
    number = note = 0
    for part in document.parts:
        if isinstance(part, Heading):
            opening = False
            lines.append(turn.t("draft.outline_heading", text=part.text))
        elif isinstance(part, DraftParagraph):
            if opening:
                lines.append(turn.t("draft.outline_heading", text=turn.t("draft.opening")))
                opening = False
            number += 1
            label = f"{part.label} " if part.label and part.label != f"{number}." else ""
            lines.append(
                turn.t(
                    "draft.outline_paragraph",
                    number=number,
                    text=label + first_words(part.text, OUTLINE_CHARS),
                )
            )
        else:
            note += 1
            lines.append(
                turn.t(
                    "draft.outline_note",
                    number=note,
                    kind=turn.t(f"note.{part.kind.value}"),
                    text=first_words(_one_line(part), OUTLINE_CHARS),
                )
            )
    return "\n".join(lines)


def _one_line(note: Note) -> str:
    """A note on one line: a table by its first row."""
    if note.kind is NoteKind.TABLE:
        return " · ".join(note.text.split("\n", 1)[0].split("\t"))
    return note.text


@registry.command("draft", access=Access.MEMBER)
def show_draft(turn: Turn) -> None:
    """The latest version's structure (sections, numbered paragraphs, notes) for its
    organisers; for a stakeholder, the current text as `read` shows it."""
    if not turn.roles() & {Role.FACILITATOR, Role.SECRETARIAT}:
        turn.say_text(current_text(turn))
        return
    consultation = turn.require_consultation()
    version = turn.records.drafts.version(id_of(consultation))
    if version is None:
        raise Refusal("draft.none")
    document = turn.records.drafts.document(id_of(version))
    header = "draft.outline_frozen" if version.frozen_at is not None else "draft.outline_header"
    lines = [
        turn.t(
            header,
            title=version.title,
            version=version.number,
            paragraphs=turn.t("count.paragraphs", count=len(document.paragraphs)),
            notes=turn.t("count.notes", count=len(document.notes)),
        ),
        outline(turn, document),
    ]
    if version.frozen_at is None:
        lines.append(turn.t("draft.fix_hint"))
    turn.say_text("\n".join(lines))


# --- fixing the split before the first round -------------------------------------------


def _editable(turn: Turn, version: DraftVersion) -> None:
    if version.frozen_at is not None:
        reviewed = [
            r.number
            for r in turn.records.rounds.of(version.consultation_id)
            if r.version_id == version.id and r.opened_at is not None
        ]
        raise Refusal("draft.frozen", version=version.number, round=min(reviewed, default=1))


def _change(
    turn: Turn, change: Callable[[Document], Document], action: str, **detail: Any
) -> tuple[Document, Document]:
    """Apply `change` to the latest version, if no round has opened on it; audited.
    Returns the document before and after."""
    consultation = turn.require_consultation()
    version = turn.records.drafts.version(id_of(consultation))
    if version is None:
        raise Refusal("draft.none")
    _editable(turn, version)
    before = turn.records.drafts.document(id_of(version))
    try:
        after = change(before)
    except ConsultationError as error:
        raise Refusal(error.key, **error.values) from None
    _replace(turn, version, after, version.title)
    turn.audit(consultation, f"draft.{action}", version=version.number, **detail)
    return before, after


def _replace(turn: Turn, version: DraftVersion, document: Document, title: str) -> None:
    try:
        turn.records.drafts.replace(id_of(version), document, title=title)
    except VersionFrozen:
        turn.records.session.refresh(version)  # the round that opened meanwhile
        _editable(turn, version)
        raise


def _count(turn: Turn, document: Document) -> str:
    return turn.t(
        "draft.now",
        paragraphs=turn.t("count.paragraphs", count=len(document.paragraphs)),
        notes=turn.t("count.notes", count=len(document.notes)),
    )


@registry.command("draft exclude", Arg("n", positive_int), access=Access.FACILITATOR)
def draft_exclude(turn: Turn, n: int) -> None:
    """Paragraph N is not reviewed: it stays in the text as a note."""
    before, after = _change(turn, lambda d: draft.exclude(d, n), "excluded", paragraph=n)
    uid = before.paragraphs[n - 1].uid
    note = next(i for i, part in enumerate(after.notes, start=1) if part.uid == uid)
    turn.say_text(turn.t("draft.excluded", number=n, note=note) + " " + _count(turn, after))


@registry.command("draft include", Arg("n", positive_int), access=Access.FACILITATOR)
def draft_include(turn: Turn, n: int) -> None:
    """Note N becomes a paragraph to review."""
    before, after = _change(turn, lambda d: draft.include(d, n), "included", note=n)
    place = before.parts.index(before.notes[n - 1])
    number = 1 + sum(isinstance(p, DraftParagraph) for p in before.parts[:place])
    turn.say_text(turn.t("draft.included", note=n, number=number) + " " + _count(turn, after))


@registry.command(
    "draft merge", Arg("n", positive_int), Arg("m", positive_int), access=Access.FACILITATOR
)
def draft_merge(turn: Turn, n: int, m: int) -> None:
    """Paragraphs N to M become one."""
    _, after = _change(turn, lambda d: draft.merge(d, n, m), "merged", first=n, last=m)
    turn.say_text(turn.t("draft.merged", first=n, last=m) + " " + _count(turn, after))


@registry.command(
    "draft split", Arg("n", positive_int), Arg("at", rest=True), access=Access.FACILITATOR
)
def draft_split(turn: Turn, n: int, at: str) -> None:
    """Paragraph N becomes two, the second starting at the words AT."""
    _, after = _change(turn, lambda d: draft.split(d, n, at), "split", paragraph=n)
    turn.say_text(
        turn.t("draft.split", number=n, next=n + 1, text=first_words(at, OUTLINE_CHARS))
        + " "
        + _count(turn, after)
    )


@registry.command(
    "draft edit", Arg("n", positive_int), Arg("text", rest=True), access=Access.FACILITATOR
)
def draft_edit(turn: Turn, n: int, text: str) -> None:
    """Paragraph N reads TEXT instead."""
    _, after = _change(turn, lambda d: draft.edit(d, n, text), "edited", paragraph=n)
    turn.say("draft.edited", number=n, text=after.paragraphs[n - 1].text)
