"""Reading the consultation: summaries, versions, diffs, exports."""

from __future__ import annotations

from bot import i18n
from bot.commands import Access, Arg, positive_int, registry
from bot.events import Attachment
from bot.handlers.common import paragraphs, provenance, summary_for, summary_options
from bot.handlers.record import build_record
from bot.render import render_diff, sources_text
from bot.summary_file import summary_file
from bot.summary_text import render_summary
from bot.turn import Refusal, Turn
from consultations import exports
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


@registry.command("versions", access=Access.SECRETARIAT)
def versions(turn: Turn) -> None:
    consultation = turn.require_consultation()
    all_versions = turn.records.drafts.versions(id_of(consultation))
    if not all_versions:
        raise Refusal("draft.none")
    lines = [turn.t("versions.header", title=consultation.title)]
    for v in all_versions:
        version_id = id_of(v)
        changed = sum(1 for p in turn.records.drafts.paragraphs(version_id) if p.sources)
        lines.append(
            turn.t(
                "versions.line",
                number=v.number,
                at=v.created_at.strftime("%Y-%m-%d %H:%M"),
                count=len(turn.records.drafts.paragraphs(version_id)),
                changed=changed,
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
    access=Access.SECRETARIAT,
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
    """The record as a file: docx, html, csv, json or markdown; of an earlier VERSION if given."""
    consultation = turn.require_consultation()
    fmt = exports.export_format(format)
    if fmt is None:
        raise Refusal("export.unknown_format", format=format, formats=", ".join(exports.EXPORTERS))
    record = build_record(
        turn.records, turn.catalog, turn.language, consultation, turn.now, version
    )
    filename, media_type, content = exports.render(record, fmt, turn.t)
    turn.audit(consultation, "record.exported", format=fmt, version=version)
    turn.say(
        "export.ready", filename=filename, attachment=Attachment(filename, content, media_type)
    )
