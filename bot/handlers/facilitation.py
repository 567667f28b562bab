"""The facilitator's side: consultations, drafts, rounds, reminders, amendment decisions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.commands import Access, Arg, duration, positive_int, registry
from bot.handlers.common import (
    groups_of,
    latest_paragraphs,
    organisers,
    paragraphs,
    participation,
    provenance,
    silent_stakeholders,
    stakeholders,
    summary_for,
    tell_stakeholders,
)
from bot.handlers.feedback import feedback_after_publish
from bot.summary_text import render_summary
from bot.turn import Refusal, Turn
from consultations import rounds as round_rules
from consultations.drafts import DraftText, parse_draft_file, parse_text
from consultations.errors import AmendmentConflict, ConsultationError
from consultations.ids import ConsultationId, PersonId, SubmissionId, VersionId
from consultations.model import Decision, Kind, RoundState, find_group
from consultations.rounds import format_duration
from consultations.submissions import check_paragraph, check_text, clean_text
from consultations.versions import Accepted, Merge, next_version
from storage.tables import AmendmentDecision, Consultation, Round, Submission, id_of

AWAIT_DRAFT = "await_draft"


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


def received_draft(turn: Turn) -> DraftText:
    """The draft this message carries: the attached file, or else its text."""
    attachment = turn.event.attachment
    if attachment is not None:
        return parse_draft_file(attachment.filename, attachment.data)
    return parse_text(turn.event.text)


@registry.dialog(AWAIT_DRAFT)
def take_draft(turn: Turn, data: dict[str, int]) -> None:
    """The draft for a new consultation: an attached file or the text of the message."""
    consultation = turn.records.consultations.get(ConsultationId(int(data["consultation"])))
    if consultation is None:
        turn.records.dialogs.clear(turn.person_id, turn.chat)  # answered, not refused: kept
        turn.say("button.stale")
        return
    try:
        draft = received_draft(turn)
    except ConsultationError as error:
        # stay in the dialog: the person can send a corrected draft straight away
        turn.say(error.key, **error.values)
        turn.say("new.send_draft_again")
        return
    load_draft(turn, consultation, draft)
    turn.records.dialogs.clear(turn.person_id, turn.chat)


def load_draft(turn: Turn, consultation: Consultation, draft: DraftText) -> None:
    if turn.records.drafts.version(id_of(consultation)) is not None:
        raise Refusal("draft.already_loaded")
    version = turn.records.drafts.add_version(
        id_of(consultation),
        title=draft.title or consultation.title,
        paragraphs=[(f"p{i}", text, []) for i, text in enumerate(draft.paragraphs, start=1)],
        parent_id=None,
        created_by=turn.person_id,
    )
    turn.audit(
        consultation, "draft.loaded", version=version.number, paragraphs=len(draft.paragraphs)
    )
    preview = "\n".join(
        f"{i}. {text[:80]}{'…' if len(text) > 80 else ''}"
        for i, text in enumerate(draft.paragraphs, start=1)
    )
    turn.say("draft.loaded", count=len(draft.paragraphs), version=version.number, preview=preview)


def _rounds_of(turn: Turn, consultation: Consultation) -> Round | None:
    return turn.records.rounds.latest(id_of(consultation))


@registry.command("round open", Arg("duration", duration), access=Access.FACILITATOR)
def round_open(turn: Turn, duration: timedelta) -> None:
    """Open a round on the latest version now, closing after DURATION (e.g. 72h, 3d, 1w)."""
    consultation = turn.require_consultation()
    round_ = next_round(turn, consultation)
    open_round(turn, consultation, round_, turn.now + duration)


def next_round(turn: Turn, consultation: Consultation) -> Round:
    """The round to open or schedule: a scheduled one, or a new one on the latest version."""
    version = turn.records.drafts.version(id_of(consultation))
    if version is None:
        raise Refusal("draft.none")
    latest = _rounds_of(turn, consultation)
    if latest is not None and latest.state == RoundState.OPEN:
        raise Refusal("round.already_open", number=latest.number)
    if latest is not None and latest.state == RoundState.SCHEDULED:
        return latest
    return turn.records.rounds.add(id_of(consultation), id_of(version))


def open_round(turn: Turn, consultation: Consultation, round_: Round, closes_at: datetime) -> None:
    """Open `round_` now and tell every stakeholder, with the close in their time zone."""
    round_.state = round_rules.transition(RoundState(round_.state), "open")
    round_.opened_at = turn.now
    round_.closes_at = closes_at
    turn.records.save(round_)
    turn.schedule_changed = True
    turn.audit(consultation, "round.opened", round=round_.number, closes_at=closes_at.isoformat())
    version = turn.records.drafts.version_by_id(round_.version_id)
    assert version is not None
    count = len(paragraphs(turn.records, round_.version_id))
    left = format_duration(closes_at - turn.now)
    people = tell_stakeholders(
        turn,
        consultation,
        "round.announce",
        title=consultation.title,
        number=round_.number,
        count=count,
        version=version.number,
        left=left,
        closes=closes_at,
    )
    turn.say(
        "round.opened",
        number=round_.number,
        version=version.number,
        left=left,
        people=people,
    )


def _current_open(turn: Turn, consultation: Consultation) -> Round:
    round_ = _rounds_of(turn, consultation)
    if round_ is None or round_.state != RoundState.OPEN:
        raise Refusal("round.no_open_round")
    return round_


@registry.command("round extend", Arg("duration", duration), access=Access.FACILITATOR)
def round_extend(turn: Turn, duration: timedelta) -> None:
    consultation = turn.require_consultation()
    round_ = _current_open(turn, consultation)
    round_.state = round_rules.transition(RoundState(round_.state), "extend")
    round_.closes_at = round_rules.extended(round_.closes_at, turn.now, duration)
    turn.records.save(round_)
    turn.schedule_changed = True
    turn.audit(
        consultation, "round.extended", round=round_.number, closes_at=round_.closes_at.isoformat()
    )
    left = format_duration(round_.closes_at - turn.now)
    tell_stakeholders(
        turn,
        consultation,
        "round.extended_notice",
        title=consultation.title,
        number=round_.number,
        left=left,
        closes=round_.closes_at,
    )
    turn.say("round.extended", number=round_.number, left=left)


@registry.command("round close", access=Access.FACILITATOR)
def round_close(turn: Turn) -> None:
    """Close the open round now; the summary goes to facilitators and the secretariat."""
    consultation = turn.require_consultation()
    round_ = _current_open(turn, consultation)
    close_round(turn, consultation, round_)


def close_round(turn: Turn, consultation: Consultation, round_: Round) -> None:
    round_.state = round_rules.transition(RoundState(round_.state), "close")
    round_.closed_at = turn.now
    turn.records.save(round_)
    turn.schedule_changed = True
    turn.audit(consultation, "round.closed", round=round_.number)
    summary_text = render_summary(
        turn, summary_for(turn, consultation, round_), consultation.title, round_.number
    )
    tell_stakeholders(
        turn, consultation, "round.closed_notice", title=consultation.title, number=round_.number
    )
    for person_id in organisers(turn.records, consultation):
        if person_id != turn.person_id:
            turn.notify(
                person_id, "round.summary_notice", number=round_.number, summary=summary_text
            )
    turn.say("round.closed", number=round_.number)
    turn.say_text(summary_text)
    if consultation.feedback:
        turn.say("feedback.reminder")


@registry.command("remind", Arg("group", optional=True), access=Access.FACILITATOR)
def remind(turn: Turn, group: str | None) -> None:
    """Nudge stakeholders (of GROUP, if given) who have not answered in the open round."""
    consultation = turn.require_consultation()
    round_ = _current_open(turn, consultation)
    key = None
    if group is not None:
        found = find_group(tuple(groups_of(turn.records, consultation)), group)
        if found is None:
            raise Refusal(
                "invite.unknown_group",
                group=group,
                groups=", ".join(g.key for g in groups_of(turn.records, consultation)),
            )
        key = found.key
    silent = silent_stakeholders(turn.records, consultation, round_, key)
    left = format_duration(round_.closes_at - turn.now) if round_.closes_at else "-"
    for person_id in silent:
        turn.notify(
            person_id, "remind.notice", title=consultation.title, number=round_.number, left=left
        )
    turn.audit(consultation, "round.reminded", round=round_.number, group=key, count=len(silent))
    turn.say("remind.sent", count=len(silent))


@registry.command("status", access=Access.SECRETARIAT)
def status(turn: Turn) -> None:
    """Who has answered in the latest round, per stakeholder group."""
    consultation = turn.require_consultation()
    round_ = _rounds_of(turn, consultation)
    if round_ is None:
        raise Refusal("round.none_yet")
    lines = [
        turn.t(
            "status.header",
            title=consultation.title,
            number=round_.number,
            state=turn.t(f"state.{round_.state}"),
        )
    ]
    if round_.closes_at is not None and round_.state == RoundState.OPEN:
        lines.append(turn.t("status.closes", left=format_duration(round_.closes_at - turn.now)))
    names = {g.key: g.name for g in groups_of(turn.records, consultation)}
    for key, part in participation(turn.records, consultation, round_).items():
        lines.append(
            turn.t("status.group", group=names[key], answered=part.answered, invited=part.invited)
        )
    if len(lines) == 1 + (round_.closes_at is not None and round_.state == RoundState.OPEN):
        lines.append(turn.t("status.nobody_invited"))
    turn.say_text("\n".join(lines))


def _closed_or_open_round(turn: Turn, consultation: Consultation) -> Round:
    round_ = _rounds_of(turn, consultation)
    if round_ is None:
        raise Refusal("round.none_yet")
    return round_


@registry.command("amendments", access=Access.FACILITATOR)
def amendments(turn: Turn) -> None:
    """The latest round's amendments by paragraph: decisions, endorsements per group, conflicts."""
    consultation = turn.require_consultation()
    round_ = _closed_or_open_round(turn, consultation)
    summary = summary_for(turn, consultation, round_, themes=False)
    lines = [turn.t("amendments.header", number=round_.number)]
    ids = [a.id for p in summary.paragraphs for a in p.amendments]
    decisions = turn.records.submissions.decisions(ids)
    waiting = _accepted_waiting(turn, consultation)
    merges = _merges(turn, consultation)
    for p in summary.paragraphs:
        if not p.amendments:
            continue
        lines.append(turn.t("amendments.paragraph", number=p.paragraph.number))
        for a in p.amendments:
            decision = decisions.get(a.id)
            state = turn.t(f"mine.{decision.decision}") if decision else turn.t("amendments.open")
            lines.append(
                turn.t(
                    "amendments.line",
                    id=a.id,
                    number=p.paragraph.number,
                    author=a.author,
                    text=a.text,
                    state=state,
                )
            )
            support = p.support(a.id)
            lines.append(
                turn.t(
                    "amendments.support",
                    groups=", ".join(f"{summary.group_name(k)} {n}" for k, n in support.items()),
                )
                if support
                else turn.t("amendments.no_support")
            )
        accepted = sorted(s.id for s in waiting if s.paragraph_uid == p.paragraph.uid and s.id)
        merge = merges.get(p.paragraph.uid)
        if merge is not None and sorted(merge.sources) == accepted:
            lines.append(turn.t("amendments.merged", ids=_ids(accepted), text=merge.text))
        elif len(accepted) > 1:
            lines.append(
                turn.t(
                    "amendments.conflict",
                    count=len(accepted),
                    ids=_ids(accepted),
                    number=p.paragraph.number,
                )
            )
    if len(lines) == 1:
        raise Refusal("amendments.none", number=round_.number)
    turn.say_text("\n".join(lines))


def _ids(ids: Sequence[int]) -> str:
    return ", ".join(f"#{i}" for i in ids)


def _accepted_waiting(turn: Turn, consultation: Consultation) -> list[Submission]:
    """Accepted amendments of every round not yet applied in a version."""
    round_ids = [id_of(r) for r in turn.records.rounds.of(id_of(consultation))]
    amendments_ = [
        s for s in turn.records.submissions.in_rounds(round_ids) if s.kind == Kind.AMENDMENT
    ]
    decisions = turn.records.submissions.decisions([id_of(s) for s in amendments_])
    return [
        s
        for s in amendments_
        if (decided := decisions.get(id_of(s))) is not None
        and decided.decision == Decision.ACCEPTED
        and decided.applied_in_version_id is None
    ]


def _merge_key(version_id: VersionId, uid: str) -> str:
    # Keyed by the version the merge applies to: publishing a new one leaves it behind.
    return f"merge:{version_id}:{uid}"


def _merges(turn: Turn, consultation: Consultation) -> dict[str, Merge]:
    """The facilitator's merged texts for paragraphs of the latest version, by uid."""
    current = turn.records.drafts.version(id_of(consultation))
    if current is None:
        return {}
    found = {}
    for row in turn.records.drafts.paragraphs(id_of(current)):
        stored = turn.records.values.get(_merge_key(id_of(current), row.uid))
        if stored:
            data = json.loads(stored)
            found[row.uid] = Merge(row.uid, str(data["text"]), tuple(data["sources"]))
    return found


@registry.command(
    "merge", Arg("n", positive_int), Arg("text", rest=True), access=Access.FACILITATOR
)
def merge(turn: Turn, n: int, text: str) -> None:
    """Write paragraph N's next text, combining its accepted amendments; it records them all."""
    consultation = turn.require_consultation()
    latest = _rounds_of(turn, consultation)
    if latest is not None and latest.state == RoundState.OPEN:
        raise Refusal("merge.round_open", number=latest.number)
    current = turn.records.drafts.version(id_of(consultation))
    if current is None:
        raise Refusal("draft.none")
    old = latest_paragraphs(turn, consultation)
    paragraph = old[check_paragraph(n, len(old))]
    sources = sorted(
        id_of(s) for s in _accepted_waiting(turn, consultation) if s.paragraph_uid == paragraph.uid
    )
    if not sources:
        raise Refusal("merge.nothing", number=n)
    cleaned = check_text(Kind.AMENDMENT, text, paragraph.text)
    turn.records.values.set(
        _merge_key(id_of(current), paragraph.uid), json.dumps({"text": cleaned, "sources": sources})
    )
    turn.audit(consultation, "amendment.merged", paragraph=n, sources=sources)
    turn.say("merge.done", number=n, ids=_ids(sources))


def _amendment(
    turn: Turn, consultation: Consultation, id_: SubmissionId
) -> tuple[Round, PersonId | None]:
    submission = turn.records.submissions.get(id_)
    round_ = turn.records.rounds.get(submission.round_id) if submission else None
    if (
        submission is None
        or round_ is None
        or round_.consultation_id != id_of(consultation)
        or submission.kind != Kind.AMENDMENT
        or submission.withdrawn_at is not None
    ):
        raise Refusal("decide.unknown", id=id_)
    if round_.state == RoundState.OPEN:
        raise Refusal("decide.round_open", number=round_.number)
    if turn.records.submissions.decision(id_) is not None:
        raise Refusal("decide.already", id=id_)
    return round_, submission.person_id


def _decide(turn: Turn, id_: SubmissionId, decision: Decision, note: str | None) -> None:
    consultation = turn.require_consultation()
    _, author = _amendment(turn, consultation, id_)
    note = check_text(Kind.COMMENT, note) if note else None
    turn.records.save(
        AmendmentDecision(
            submission_id=id_,
            decision=decision.value,
            note=note,
            decided_by=turn.person_id,
            decided_at=turn.now,
        )
    )
    turn.audit(consultation, f"amendment.{decision.value}", amendment=id_)
    if author is not None:
        turn.notify(
            author,
            f"decide.notice_{decision.value}",
            id=id_,
            title=consultation.title,
            note=note or "-",
        )
    turn.say(f"decide.{decision.value}", id=id_)


@registry.command(
    "accept",
    Arg("id", positive_int),
    Arg("note", rest=True, optional=True),
    access=Access.FACILITATOR,
)
def accept(turn: Turn, id: SubmissionId, note: str | None) -> None:
    _decide(turn, id, Decision.ACCEPTED, note)


@registry.command(
    "reject", Arg("id", positive_int), Arg("reason", rest=True), access=Access.FACILITATOR
)
def reject(turn: Turn, id: SubmissionId, reason: str) -> None:
    _decide(turn, id, Decision.REJECTED, reason)


@registry.command("publish", access=Access.FACILITATOR)
def publish(turn: Turn) -> None:
    """Cut the next version from the accepted amendments (and merges) not yet applied."""
    from bot.render import render_diff

    consultation = turn.require_consultation()
    current = turn.records.drafts.version(id_of(consultation))
    if current is None:
        raise Refusal("draft.none")
    latest = _rounds_of(turn, consultation)
    if latest is not None and latest.state == RoundState.OPEN:
        raise Refusal("publish.round_open", number=latest.number)
    waiting = _accepted_waiting(turn, consultation)
    decisions = turn.records.submissions.decisions([id_of(s) for s in waiting])
    pending = [(s, decisions[id_of(s)]) for s in waiting]
    old = latest_paragraphs(turn, consultation)
    merges = _merges(turn, consultation)
    try:
        new_paragraphs = next_version(
            old,
            [Accepted(id_of(s), s.paragraph_uid, s.text or "") for s, _ in pending],
            list(merges.values()),
        )
    except AmendmentConflict as conflict:
        raise Refusal("publish.conflict", **conflict.values) from None
    except ConsultationError as error:
        raise Refusal(error.key, **error.values) from None
    version = turn.records.drafts.add_version(
        id_of(consultation),
        title=current.title,
        paragraphs=[(p.uid, p.text, p.sources) for p in new_paragraphs],
        parent_id=id_of(current),
        created_by=turn.person_id,
    )
    for _, decision in pending:
        decision.applied_in_version_id = id_of(version)
        turn.records.save(decision)
    turn.audit(
        consultation,
        "version.published",
        version=version.number,
        amendments=[s.id for s, _ in pending],
        merged=[list(p.sources) for p in new_paragraphs if len(p.sources) > 1],
    )
    diff = render_diff(
        turn,
        old,
        paragraphs(turn.records, id_of(version)),
        current.number,
        version.number,
        provenance(turn.records, consultation, [id_of(version)]),
    )
    for person_id in sorted(
        set(stakeholders(turn.records, consultation)) | set(organisers(turn.records, consultation))
    ):
        if person_id != turn.person_id:
            turn.notify(
                person_id,
                "publish.notice",
                title=consultation.title,
                version=version.number,
                changed=len(pending),
            )
    turn.say("publish.done", version=version.number, changed=len(pending))
    turn.say_text(diff)
    feedback_after_publish(turn, consultation)
