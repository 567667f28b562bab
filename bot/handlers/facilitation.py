"""The facilitator's side: consultations, drafts, rounds, amendment decisions."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot import i18n
from bot.catalog import Deadline
from bot.commands import Access, Arg, duration, positive_int, registry
from bot.events import Styled
from bot.handlers.common import (
    fix_participation,
    latest_paragraphs,
    organisers,
    paragraphs,
    paragraphs_in,
    provenance,
    reminders_text,
    stakeholders,
    summary_for,
    tell_stakeholders,
)
from bot.handlers.decisions import master_wording_given, stale_translations
from bot.handlers.feedback import feedback_after_publish
from bot.render import styled_diff
from bot.summary_text import render_summary
from bot.turn import Refusal, Turn
from consultations import rounds as round_rules
from consultations.diffing import word_diff
from consultations.document import with_texts
from consultations.errors import AmendmentConflict, ConsultationError
from consultations.ids import SubmissionId, VersionId
from consultations.model import Decision, Kind, RoundState
from consultations.submissions import check_paragraph, check_text
from consultations.versions import Accepted, Merge, next_version
from storage.tables import Consultation, Round, Submission, id_of


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


def open_round(turn: Turn, consultation: Consultation, round_: Round, closes_at: datetime) -> int:
    """Open `round_` now and tell every stakeholder, with the close in their time zone;
    returns how many were told."""
    round_.state = round_rules.transition(RoundState(round_.state), "open")
    round_.opened_at = turn.now
    round_.closes_at = closes_at
    turn.records.save(round_)
    turn.records.drafts.freeze(round_.version_id, turn.now)  # changes are amendments now
    turn.schedule_changed = True
    turn.audit(consultation, "round.opened", round=round_.number, closes_at=closes_at.isoformat())
    version = turn.records.drafts.version_by_id(round_.version_id)
    assert version is not None
    when: dict[str, Any] = {"closes": Deadline(closes_at, turn.now), "left": closes_at - turn.now}
    people = tell_stakeholders(
        turn,
        consultation,
        "round.announce",
        while_open=id_of(round_),
        title=consultation.title,
        number=round_.number,
        count=len(paragraphs(turn.records, round_.version_id)),
        version=version.number,
        **when,
    )
    opened = turn.t(
        "round.opened", number=round_.number, version=version.number, count=people, **when
    )
    turn.say_text(f"{opened}\n{reminders_text(turn, round_)}")
    return people


def current_open(turn: Turn, consultation: Consultation) -> Round:
    round_ = _rounds_of(turn, consultation)
    if round_ is None or round_.state != RoundState.OPEN:
        raise Refusal("round.no_open_round")
    return round_


@registry.command("round extend", Arg("duration", duration), access=Access.FACILITATOR)
def round_extend(turn: Turn, duration: timedelta) -> None:
    consultation = turn.require_consultation()
    round_ = current_open(turn, consultation)
    round_.state = round_rules.transition(RoundState(round_.state), "extend")
    round_.closes_at = round_rules.extended(round_.closes_at, turn.now, duration)
    turn.records.save(round_)
    turn.schedule_changed = True
    turn.audit(
        consultation, "round.extended", round=round_.number, closes_at=round_.closes_at.isoformat()
    )
    closes = round_.closes_at
    when: dict[str, Any] = {"closes": Deadline(closes, turn.now), "left": closes - turn.now}
    tell_stakeholders(
        turn,
        consultation,
        "round.extended_notice",
        title=consultation.title,
        number=round_.number,
        **when,
    )
    turn.say("round.extended", number=round_.number, **when)


@registry.command("round close", access=Access.FACILITATOR)
def round_close(turn: Turn) -> None:
    """Close the open round now; the summary goes to facilitators and the secretariat."""
    consultation = turn.require_consultation()
    round_ = current_open(turn, consultation)
    close_round(turn, consultation, round_)


def close_round(turn: Turn, consultation: Consultation, round_: Round) -> None:
    round_.state = round_rules.transition(RoundState(round_.state), "close")
    round_.closed_at = turn.now
    fix_participation(turn.records, consultation, round_)
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
                person_id,
                "round.summary_notice",
                number=round_.number,
                title=consultation.title,
                summary=summary_text,
            )
    turn.say("round.closed", number=round_.number)
    turn.say_text(summary_text)
    if consultation.feedback:
        turn.say("feedback.reminder")


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
    lines: list[str | Styled] = [turn.t("amendments.header", number=round_.number)]
    made_on = _made_on(turn, consultation, round_)
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
            made = turn.records.submissions.get(a.id)
            language = made.draft_language if made is not None else None
            lines.append(
                turn.styled(
                    "amendments.line",
                    id=a.id,
                    number=p.paragraph.number,
                    author=a.author,
                    diff=made_on(a.id, p.paragraph.uid, a.text or ""),
                    state=state,
                )
            )
            if language not in (None, consultation.language):  # on a translation
                reader = i18n.supported(turn.language)
                master = i18n.language_name(consultation.language, reader)
                if decision is not None and decision.text:
                    lines.append(turn.t("amendments.wording", master=master, text=decision.text))
                elif decision is None:
                    lines.append(
                        turn.t(
                            "amendments.language",
                            id=a.id,
                            name=i18n.language_name(language or "", reader),
                            master=master,
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
    lines.append(turn.t("amendments.full_hint"))
    turn.say_text(Styled.join("\n", lines))


def _made_on(
    turn: Turn, consultation: Consultation, round_: Round
) -> Callable[[SubmissionId, str, str], Styled]:
    """An amendment's text as its change to the paragraph it was made on: the round's
    version of it, in the language the amendment was made on (a translation, if so)."""
    texts: dict[str, dict[str, str]] = {}

    def diff(id_: SubmissionId, uid: str, text: str) -> Styled:
        made = turn.records.submissions.get(id_)
        language = (made.draft_language if made else None) or consultation.language
        if language not in texts:
            shown = paragraphs_in(turn.records, round_.version_id, language)
            texts[language] = {p.uid: p.text for p in shown}
        current = texts[language].get(uid)
        return Styled.of(text) if current is None else styled_diff(word_diff(current, text))

    return diff


@registry.command("amendment", Arg("id", positive_int), access=Access.FACILITATOR)
def amendment(turn: Turn, id: SubmissionId) -> None:
    """One amendment of the consultation in full: its whole text, then its change."""
    consultation = turn.require_consultation()
    made = turn.records.submissions.get(id)
    round_ = turn.records.rounds.get(made.round_id) if made is not None else None
    if (
        made is None
        or made.kind != Kind.AMENDMENT
        or round_ is None
        or round_.consultation_id != id_of(consultation)
    ):
        raise Refusal("amendment.unknown", id=id)
    number = next(
        (
            p.position
            for p in turn.records.drafts.paragraphs(round_.version_id)
            if p.uid == made.paragraph_uid
        ),
        "?",
    )
    text = made.text or ""
    turn.say(
        "amendment.full",
        id=id,
        number=number,
        round=round_.number,
        text=text,
        diff=_made_on(turn, consultation, round_)(id, made.paragraph_uid, text),
    )


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
    master_wording_given(turn, consultation, pending, merges, old)
    try:
        new_paragraphs = next_version(
            old,
            [Accepted(id_of(s), s.paragraph_uid, d.text or s.text or "") for s, d in pending],
            list(merges.values()),
        )
    except AmendmentConflict as conflict:
        raise Refusal("publish.conflict", **conflict.values) from None
    except ConsultationError as error:
        raise Refusal(error.key, **error.values) from None
    document = with_texts(
        turn.records.drafts.document(id_of(current)), {p.uid: p.text for p in new_paragraphs}
    )
    version = turn.records.drafts.cut(
        id_of(consultation),
        document,
        title=current.title,
        parent_id=id_of(current),
        created_by=turn.person_id,
        sources={p.uid: p.sources for p in new_paragraphs if p.sources},
        created_at=turn.now,
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
                count=len(pending),
            )
    turn.say("publish.done", version=version.number, count=len(pending))
    turn.say_text(diff)
    stale_translations(turn, id_of(version))
    feedback_after_publish(turn, consultation)
