"""Rounds on a schedule, and each person's time zone.

`round schedule` stores the opening and closing times (UTC); `bot.scheduler` opens,
reminds and closes at those times. The jobs it runs are the functions at the bottom of
this module, each re-checking the round's state in its own transaction, so a job run
twice, late, or by two workers at once does its work exactly once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.catalog import Deadline
from bot.commands import Access, Arg, registry
from bot.handlers.common import organisers, remind_unfinished, reminders_text, tell_stakeholders
from bot.handlers.facilitation import close_round, next_round, open_round
from bot.turn import Refusal, Turn
from consultations import rounds as round_rules
from consultations.ids import RoundId
from consultations.model import Role, RoundState
from consultations.rounds import parse_duration
from consultations.schedule import parse_window
from consultations.schedule import zone as find_zone
from storage.tables import Round, id_of

MAX_REMINDERS = 5


@registry.command("round schedule", Arg("when", rest=True), access=Access.FACILITATOR)
def round_schedule(turn: Turn, when: str) -> None:
    """Open and close the next round by itself: START END [ZONE] or START DURATION [ZONE].

    Times are read in ZONE, else the facilitator's zone, else the consultation's; the
    zone named is for this schedule only (their own zone stays as `timezone` set it)."""
    consultation = turn.require_consultation()
    window = parse_window(when, turn.timezone or consultation.timezone, turn.now)
    round_ = next_round(turn, consultation)
    round_.opens_at, round_.closes_at = window.opens_at, window.closes_at
    turn.records.save(round_)
    turn.schedule_changed = True
    turn.audit(
        consultation,
        "round.scheduled",
        round=round_.number,
        opens_at=window.opens_at.isoformat(),
        closes_at=window.closes_at.isoformat(),
    )
    tell_stakeholders(
        turn,
        consultation,
        "round.scheduled_notice",
        title=consultation.title,
        number=round_.number,
        opens=Deadline(window.opens_at, turn.now),
        closes=Deadline(window.closes_at, turn.now),
    )
    # Said in the zone the schedule was given in: the facilitator sees what they typed.
    scheduled = turn.t(
        "round.scheduled",
        number=round_.number,
        opens=Deadline(window.opens_at, turn.now, window.zone),
        closes=Deadline(window.closes_at, turn.now, window.zone),
        length=window.closes_at - window.opens_at,
    )
    turn.say_text(f"{scheduled}\n{reminders_text(turn, round_, window.zone)}")


@registry.command(
    "round reminders", Arg("times", rest=True, optional=True), access=Access.FACILITATOR
)
def round_reminders(turn: Turn, times: str | None) -> None:
    """Show or set when the open or scheduled round reminds those who have not answered:
    TIMES before its close (24h 2h), or off."""
    consultation = turn.require_consultation()
    round_ = turn.records.rounds.latest(id_of(consultation))
    if round_ is None or round_.state not in (RoundState.OPEN, RoundState.SCHEDULED):
        raise Refusal("reminders.no_round")
    if times is not None:
        chosen = _read_reminders(times, round_)
        round_.reminders = sorted((int(t.total_seconds() // 60) for t in chosen), reverse=True)
        turn.records.save(round_)
        turn.schedule_changed = True
        turn.audit(consultation, "round.reminders", round=round_.number, minutes=round_.reminders)
    turn.say_text(reminders_text(turn, round_))


def _read_reminders(text: str, round_: Round) -> list[timedelta]:
    """'24h 2h' as times before the close, each within the round; 'off' as none."""
    words = text.lower().split()
    if words == ["off"]:
        return []
    start = round_.opens_at or round_.opened_at
    length = round_.closes_at - start if round_.closes_at and start else None
    chosen = []
    for word in words:
        try:
            before = parse_duration(word)
        except ValueError:
            raise Refusal("reminders.bad", text=word) from None
        if length is not None and before >= length:
            raise Refusal("reminders.bad", text=word)
        chosen.append(before)
    if not chosen or len(set(chosen)) > MAX_REMINDERS:
        raise Refusal("reminders.bad", text=text)
    return sorted(set(chosen), reverse=True)


@registry.command("timezone", Arg("zone", optional=True), access=Access.ANYONE)
def timezone(turn: Turn, zone: str | None) -> None:
    """Show or set the person's time zone (an IANA name such as Europe/Zurich)."""
    if zone is None:
        turn.say("timezone.current", zone=turn.timezone or "UTC")
        return
    turn.person.timezone = str(find_zone(zone).key)
    turn.records.save(turn.person)
    turn.say("timezone.set", zone=turn.timezone)


# ---- what the scheduler runs ------------------------------------------------------------


def open_due(turn: Turn, round_id: RoundId) -> None:
    """Open a scheduled round whose time has come; its facilitators are told too."""
    round_ = turn.records.rounds.for_update(round_id)
    if round_ is None or round_.state != RoundState.SCHEDULED or round_.closes_at is None:
        return
    if round_.opens_at is None or round_.opens_at > turn.now:
        return
    consultation = turn.records.consultations.get(round_.consultation_id)
    assert consultation is not None
    told = open_round(turn, consultation, round_, round_.closes_at)
    version = turn.records.drafts.version_by_id(round_.version_id)
    values: dict[str, Any] = {
        "title": consultation.title,
        "number": round_.number,
        "version": version.number if version is not None else "?",
        "count": told,
        "closes": Deadline(round_.closes_at, turn.now),
        "left": round_.closes_at - turn.now,
    }
    for person_id in organisers(turn.records, consultation, (Role.FACILITATOR,)):
        turn.notify(person_id, "round.opened_notice", **values)


def close_due(turn: Turn, round_id: RoundId) -> None:
    round_ = turn.records.rounds.for_update(round_id)
    if round_ is None or round_.closes_at is None or round_.closes_at > turn.now:
        return
    consultation = turn.records.consultations.get(round_.consultation_id)
    assert consultation is not None
    if round_.state == RoundState.SCHEDULED:  # never opened (the bot was down throughout)
        round_.state = round_rules.transition(RoundState.SCHEDULED, "open")
        round_.opened_at = round_.closes_at
    if round_.state == RoundState.OPEN:
        close_round(turn, consultation, round_)


def remind_due(turn: Turn, round_id: RoundId, key: str, offset: timedelta) -> None:
    """Nudge those who have not answered every paragraph, once per round and offset (the
    key is kept in the database)."""
    round_ = turn.records.rounds.for_update(round_id)
    if round_ is None or round_.state != RoundState.OPEN or round_.closes_at is None:
        return
    if turn.records.values.get(f"scheduler:{key}") is not None:
        return
    turn.records.values.set(f"scheduler:{key}", turn.now.isoformat())
    consultation = turn.records.consultations.get(round_.consultation_id)
    assert consultation is not None
    remind_unfinished(turn, consultation, round_)
    turn.audit(consultation, "round.reminded", round=round_.number, offset=str(offset))
