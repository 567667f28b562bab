"""Trust: the consultation's policies, consent to be named, moderation, retention.

Attribution is by stakeholder group unless the consultation says otherwise, and even then
only for people who agreed (`consent yes`). Hidden submissions leave every summary, quote
and export but stay in the record, marked; every such action is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.commands import Access, Arg, positive_int, registry
from bot.handlers.common import organisers, tell_stakeholders
from bot.turn import Refusal, Turn
from consultations.ids import ConsultationId, SubmissionId
from consultations.model import Attribution, ErasurePolicy, Role, RoundState
from storage.records import Records
from storage.tables import Consultation, Flag, Submission, id_of

POLICIES = {
    "attribution": [a.value for a in Attribution],
    "erasure": [e.value for e in ErasurePolicy],
    "retention": ["DAYS", "off"],
}


@registry.command(
    "policy", Arg("name", optional=True), Arg("value", optional=True), access=Access.FACILITATOR
)
def policy(turn: Turn, name: str | None, value: str | None) -> None:
    """Show or set attribution (group, organisation, name), erasure, retention (days)."""
    consultation = turn.require_consultation()
    if name is None:
        turn.say(
            "policy.current",
            attribution=turn.t(f"attribution.policy.{consultation.attribution}"),
            erasure=consultation.erasure,
            retention=consultation.retention_days or "-",
        )
        return
    if name not in POLICIES or value is None:
        raise Refusal(
            "policy.usage", names=", ".join(f"{k} ({'|'.join(v)})" for k, v in POLICIES.items())
        )
    if name == "attribution" and value in POLICIES[name]:
        if value != consultation.attribution:
            # Consent was given to be shown as the old policy said: it does not carry over
            # to another. Everyone is shown by group until they agree again, and told.
            turn.records.consultations.withdraw_consent(id_of(consultation))
            tell_stakeholders(
                turn, consultation, "policy.attribution_changed", title=consultation.title
            )
        consultation.attribution = value
    elif name == "erasure" and value in POLICIES[name]:
        consultation.erasure = value
    elif name == "retention" and (value == "off" or value.isdigit()):
        consultation.retention_days = None if value == "off" else max(1, int(value))
    else:
        raise Refusal(
            "policy.usage", names=", ".join(f"{k} ({'|'.join(v)})" for k, v in POLICIES.items())
        )
    turn.records.save(consultation)
    turn.audit(consultation, "policy.changed", name=name, value=value)
    turn.say("policy.set", name=name, value=value)


@registry.command("consent", Arg("answer", optional=True), access=Access.STAKEHOLDER)
def consent(turn: Turn, answer: str | None) -> None:
    """Agree (or not) to be shown by organisation or name where the policy allows it."""
    consultation = turn.require_consultation()
    policy_text = turn.t(f"attribution.policy.{consultation.attribution}")
    member = next(
        m
        for m in turn.records.consultations.memberships(id_of(consultation), turn.person_id)
        if m.role == Role.STAKEHOLDER
    )
    if answer not in ("yes", "no"):
        turn.say(
            "consent.current", policy=policy_text, consent=turn.t(f"consent.{member.named_consent}")
        )
        return
    member.named_consent = answer == "yes"
    turn.records.save(member)
    turn.say("consent.set", consent=turn.t(f"consent.{member.named_consent}"))


def _submission_here(turn: Turn, consultation: Consultation, id_: SubmissionId) -> Submission:
    submission = turn.records.submissions.get(id_)
    round_ = turn.records.rounds.get(submission.round_id) if submission else None
    if submission is None or round_ is None or round_.consultation_id != id_of(consultation):
        raise Refusal("moderation.unknown", id=id_)
    return submission


@registry.command(
    "hide", Arg("id", positive_int), Arg("reason", rest=True), access=Access.FACILITATOR
)
def hide(turn: Turn, id: SubmissionId, reason: str) -> None:
    """Take a submission out of summaries, quotes and exports; it stays in the record."""
    consultation = turn.require_consultation()
    submission = _submission_here(turn, consultation, id)
    if submission.hidden_at is not None:
        raise Refusal("moderation.already_hidden", id=id)
    submission.hidden_at, submission.hidden_reason = turn.now, reason[:500]
    turn.records.save(submission)
    turn.audit(consultation, "submission.hidden", submission=id, reason=reason[:500])
    turn.say("moderation.hidden", id=id)


@registry.command("unhide", Arg("id", positive_int), access=Access.FACILITATOR)
def unhide(turn: Turn, id: SubmissionId) -> None:
    consultation = turn.require_consultation()
    submission = _submission_here(turn, consultation, id)
    if submission.hidden_at is None:
        raise Refusal("moderation.not_hidden", id=id)
    submission.hidden_at, submission.hidden_reason = None, None
    turn.records.save(submission)
    turn.audit(consultation, "submission.unhidden", submission=id)
    turn.say("moderation.unhidden", id=id)


@registry.command(
    "flag", Arg("id", positive_int), Arg("reason", rest=True, optional=True), access=Access.MEMBER
)
def flag(turn: Turn, id: SubmissionId, reason: str | None) -> None:
    """Report a quote one was shown; facilitators are told."""
    consultation = turn.require_consultation()
    _submission_here(turn, consultation, id)
    fresh = turn.records.submissions.add_flag(
        Flag(submission_id=id, person_id=turn.person_id, reason=(reason or "")[:500] or None)
    )
    if fresh:
        for person_id in organisers(turn.records, consultation):
            member_roles = {
                m.role
                for m in turn.records.consultations.memberships(id_of(consultation), person_id)
            }
            if Role.FACILITATOR in member_roles and person_id != turn.person_id:
                turn.notify(
                    person_id,
                    "moderation.flag_notice",
                    id=id,
                    title=consultation.title,
                    reason=reason or "-",
                )
    turn.say("moderation.flagged", id=id)


def purge(records: Records, now: datetime) -> dict[ConsultationId, int]:
    """Apply each consultation's retention: raw text older than its limit is blanked.

    Counts by group stay (they are what summaries are made of); texts that became part of
    a published version stay (they are in the version itself anyway).
    """
    purged: dict[ConsultationId, int] = {}
    for consultation in records.consultations.all():
        if consultation.retention_days is None:
            continue
        consultation_id = id_of(consultation)
        rounds = records.rounds.of(consultation_id)
        if not rounds or any(r.state in (RoundState.OPEN, RoundState.SCHEDULED) for r in rounds):
            continue
        ended = max((r.closed_at for r in rounds if r.closed_at is not None), default=None)
        if ended is None or now - ended < timedelta(days=consultation.retention_days):
            continue
        round_ids = [id_of(r) for r in rounds]
        submissions = records.submissions.in_rounds(round_ids, live_only=False)
        decided = records.submissions.decisions([id_of(s) for s in submissions])
        keep = {sid for sid, d in decided.items() if d.decision == "accepted"}
        count = records.submissions.purge_texts(round_ids, keep)
        if count:
            records.audit.append(
                consultation_id, "retention", "submissions.purged", {"count": count}
            )
        purged[consultation_id] = count
    return purged
