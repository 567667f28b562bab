"""Reading the consultation: the current text, summaries, versions, diffs, exports.

The draft is not secret to those who negotiate it: everyone in the consultation may
`read` it, list its `versions` and `diff` them. Summaries and exports are the
organisers'.
"""

from __future__ import annotations

from bot import i18n
from bot.catalog import Deadline
from bot.commands import Access, Arg, positive_int, registry
from bot.events import Attachment
from bot.handlers.changes import changes_since, shown_change
from bot.handlers.common import (
    paragraphs,
    paragraphs_for,
    provenance,
    summary_for,
    summary_options,
)
from bot.handlers.record import build_conversation, build_record
from bot.render import render_diff, sources_text
from bot.styled import Styled
from bot.summary_file import summary_file
from bot.summary_text import render_summary
from bot.turn import Refusal, Turn
from consultations import exports
from consultations.exports import polis
from consultations.model import RoundState
from storage.tables import id_of


@registry.command("summary", Arg("n", positive_int, optional=True), access=Access.SECRETARIAT)
def summary(turn: Turn, n: int | None) -> None:
    """The latest round's summary, or one paragraph's, with the full version as a file."""
    consultation = turn.require_consultation()
    round_ = turn.records.rounds.latest(id_of(consultation))
    if round_ is None:
        raise Refusal("round.none_yet")
    count = len(paragraphs(turn.records, round_.version_id))
    if n is not None and not 1 <= n <= count:
        raise Refusal("error.unknown_paragraph", number=n, count=count)
    options = summary_options(turn)
    embed, failure = options.embed()
    result = summary_for(turn, consultation, round_, embed=embed)
    prose = (
        options.writer.write(
            result,
            consultation.title,
            round_.number,
            n,
            i18n.language_name(i18n.supported(turn.language), "en"),
        )
        if options.writer is not None
        else None
    )
    title, number = consultation.title, round_.number
    turn.say_text(
        render_summary(turn, result, title, number, n, prose=prose, embeddings_failure=failure),
        attachment=summary_file(
            turn, result, title, number, n, prose=prose, embeddings_failure=failure
        ),
    )


@registry.command("read", Arg("n", positive_int, optional=True), access=Access.MEMBER)
def read(turn: Turn, n: int | None) -> None:
    """The current version, paragraph by paragraph (or paragraph N), with the paragraphs
    changed since the version the person last reviewed marked, and who changed them."""
    turn.say_text(current_text(turn, n))


def current_text(turn: Turn, only: int | None = None) -> Styled:
    """The reading view of the current consultation's latest version: what `read` shows,
    for anyone who may read it (a stakeholder's bare `draft` too)."""
    consultation = turn.require_consultation()
    version = turn.records.drafts.version(id_of(consultation))
    if version is None:
        raise Refusal("draft.none")
    shown = paragraphs_for(turn, id_of(version))
    if only is not None and not 1 <= only <= len(shown):
        raise Refusal("error.unknown_paragraph", number=only, count=len(shown))
    originals = paragraphs(turn.records, id_of(version))
    changes = changes_since(turn, id_of(consultation), id_of(version), reviewed_only=False)
    lines: list[str | Styled] = [
        turn.t(
            "read.header", title=consultation.title, version=version.number, at=version.created_at
        )
    ]
    round_ = turn.records.rounds.facts(id_of(consultation))
    stakeholder = turn.group_id(id_of(consultation)) is not None  # invited to give input
    if stakeholder and round_ and round_.closes_at and round_.state == RoundState.OPEN:
        closes = Deadline(round_.closes_at, turn.now)
        left = round_.closes_at - turn.now
        lines.append(turn.t("read.round_open", number=round_.number, closes=closes, left=left))
    if changes is not None and changes.uids and only is None:
        key = "read.changes_reviewed" if changes.reviewed else "read.changes"
        numbers = changes.numbers(shown)
        lines.append(turn.t(key, count=len(changes.uids), version=changes.since, numbers=numbers))
    for original, paragraph in zip(originals, shown, strict=True):
        if only is not None and paragraph.number != only:
            continue
        lines.append("")
        if changes is None or original.uid not in changes.uids:
            lines.append(turn.t("read.paragraph", number=paragraph.number, text=paragraph.text))
            continue
        text, sources = shown_change(turn, changes, original, paragraph)
        lines.append(turn.styled("read.paragraph", number=paragraph.number, text=text))
        if sources:
            lines.append(turn.t("read.changed_by", sources=sources))
        else:
            lines.append(turn.t("read.changed_by_facilitator"))
    return Styled.join("\n", lines)


@registry.command("versions", access=Access.MEMBER)
def versions(turn: Turn) -> None:
    consultation = turn.require_consultation()
    all_versions = turn.records.drafts.versions(id_of(consultation))
    if not all_versions:
        raise Refusal("draft.none")
    lines = [turn.t("versions.header", title=consultation.title)]
    for v in all_versions:
        version_id = id_of(v)
        rows = turn.records.drafts.paragraphs(version_id)
        lines.append(
            turn.t(
                "versions.line",
                number=v.number,
                at=v.created_at,
                paragraphs=turn.t("count.paragraphs", count=len(rows)),
                changed=turn.t("versions.changed", count=sum(1 for p in rows if p.sources)),
            )
        )
        # which amendments, from which stakeholder groups, made each changed paragraph
        made_by = provenance(turn.records, consultation, [version_id])
        for p in turn.records.drafts.paragraphs(version_id):
            if p.uid in made_by:
                lines.append(
                    turn.t(
                        "versions.paragraph",
                        number=p.position,
                        sources=sources_text(turn, made_by[p.uid]),
                    )
                )
    turn.say_text("\n".join(lines))


@registry.command(
    "diff",
    Arg("a", positive_int, optional=True),
    Arg("b", positive_int, optional=True),
    access=Access.MEMBER,
)
def diff(turn: Turn, a: int | None, b: int | None) -> None:
    """Word-level changes between versions A and B (default: the last two)."""
    consultation = turn.require_consultation()
    latest = turn.records.drafts.version(id_of(consultation))
    if latest is None:
        raise Refusal("draft.none")
    if a is None:
        a, b = latest.number - 1, latest.number
    elif b is None:
        b = latest.number
    if a < 1:
        raise Refusal("diff.only_one")
    old = turn.records.drafts.version(id_of(consultation), a)
    new = turn.records.drafts.version(id_of(consultation), b)
    if old is None or new is None:
        raise Refusal("diff.unknown", a=a, b=b, latest=latest.number)
    between = [
        id_of(v)
        for v in turn.records.drafts.versions(id_of(consultation))
        if min(a, b) < v.number <= max(a, b)
    ]
    turn.say_text(
        render_diff(
            turn,
            paragraphs(turn.records, id_of(old)),
            paragraphs(turn.records, id_of(new)),
            a,
            b,
            provenance(turn.records, consultation, between),
        )
    )


@registry.command(
    "export", Arg("format"), Arg("version", positive_int, optional=True), access=Access.SECRETARIAT
)
def export(turn: Turn, format: str, version: int | None) -> None:
    """The record as a file: docx, html, csv, json or markdown; of an earlier VERSION if
    given. `polis`: the latest round (on VERSION) in Pol.is's open-data layout, zipped."""
    consultation = turn.require_consultation()
    if format.lower() == "polis":
        conversation = build_conversation(turn.records, turn.catalog, consultation, version)
        folder = polis.folder_name(consultation.title, conversation)
        content = polis.to_zip(folder, polis.to_polis(conversation))
        turn.audit(consultation, "record.exported", format="polis", version=version)
        turn.say(
            "export.ready",
            filename=f"{folder}.zip",
            attachment=Attachment(f"{folder}.zip", content, "application/zip"),
        )
        return
    fmt = exports.export_format(format)
    if fmt is None:
        formats = ", ".join([*exports.EXPORTERS, "polis"])
        raise Refusal("export.unknown_format", format=format, formats=formats)
    record = build_record(
        turn.records, turn.catalog, turn.language, consultation, turn.now, version
    )
    filename, media_type, content = exports.render(record, fmt, turn.t)
    attachment, note = _for_chat(
        turn, Attachment(filename, content, media_type), fmt, id_of(consultation)
    )
    turn.audit(consultation, "record.exported", format=fmt, version=version)
    head = turn.records.audit.head()  # the export itself is its newest event
    ready = turn.t("export.ready", filename=attachment.filename)
    anchor = turn.t("export.audit_head", count=head.count, head=str(head))
    turn.say_text("\n".join([ready, *note, anchor]), attachment=attachment)


# A chat carries files up to 50 MB (Telegram's limit for a bot, Synapse's default); a record
# past ZIP_ABOVE goes zipped (JSON and CSV shrink about ten times), one past the limit even
# zipped is refused with the ways to get it.
ZIP_ABOVE = 10 * 2**20
CHAT_FILE_LIMIT = 50 * 2**20


def _for_chat(
    turn: Turn, file: Attachment, fmt: str, consultation: int
) -> tuple[Attachment, list[str]]:
    """The export as sent in chat: as it is, or zipped when large, with a line saying so."""
    if len(file.data) <= ZIP_ABOVE:
        return file, []
    packed = exports.zipped({file.filename: file.data})
    zipped = Attachment(f"{file.filename}.zip", packed, "application/zip")
    size, zipped_size = (f"{len(data) / 2**20:.1f}" for data in (file.data, packed))
    if len(packed) > CHAT_FILE_LIMIT:
        raise Refusal(
            "export.too_large",
            format=fmt,
            size=zipped_size,
            limit=CHAT_FILE_LIMIT // 2**20,
            id=consultation,
        )
    note = turn.t("export.zipped", size=size, zipped=zipped_size, filename=file.filename)
    return zipped, [note]
