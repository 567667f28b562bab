"""Rounds on a schedule, and each person's time zone.

`round schedule` stores the opening and closing times (UTC); `bot.scheduler` opens,
reminds and closes at those times. The jobs it runs are the functions at the bottom of
this module, each re-checking the round's state in its own transaction, so a job run
twice, late, or by two workers at once does its work exactly once.
"""

from __future__ import annotations

from datetime import timedelta

from bot.commands import Access, Arg, registry
from bot.handlers.common import silent_stakeholders, tell_stakeholders
from bot.handlers.facilitation import close_round, next_round, open_round
from bot.turn import Turn
from consultations import rounds as round_rules
from consultations.ids import RoundId
from consultations.model import RoundState
from consultations.rounds import format_duration
from consultations.schedule import parse_window
from consultations.schedule import zone as find_zone


@registry.command("round schedule", Arg("when", rest=True), access=Access.FACILITATOR)
def round_schedule(turn: Turn, when: str) -> None:
    """Open and close the next round by itself: START END [ZONE] or START DURATION [ZONE]."""
    consultation = turn.require_consultation()
    default_zone = turn.timezone or consultation.timezone
    window = parse_window(when, default_zone, turn.now)
    if turn.timezone is None:  # the zone they name is the zone they think in
        turn.person.timezone = window.zone
        turn.records.save(turn.person)
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
        opens=window.opens_at,
        closes=window.closes_at,
    )
    turn.say(
        "round.scheduled", number=round_.number, opens=window.opens_at, closes=window.closes_at
    )


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
    round_ = turn.records.rounds.for_update(round_id)
    if round_ is None or round_.state != RoundState.SCHEDULED or round_.closes_at is None:
        return
    if round_.opens_at is None or round_.opens_at > turn.now:
        return
    consultation = turn.records.consultations.get(round_.consultation_id)
    assert consultation is not None
    open_round(turn, consultation, round_, round_.closes_at)


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
    """Nudge the silent, once per round and offset (the key is kept in the database)."""
    round_ = turn.records.rounds.for_update(round_id)
    if round_ is None or round_.state != RoundState.OPEN or round_.closes_at is None:
        return
    if turn.records.values.get(f"scheduler:{key}") is not None:
        return
    turn.records.values.set(f"scheduler:{key}", turn.now.isoformat())
    consultation = turn.records.consultations.get(round_.consultation_id)
    assert consultation is not None
    left = format_duration(round_.closes_at - turn.now)
    for person_id in silent_stakeholders(turn.records, consultation, round_):
        turn.notify(
            person_id,
            "remind.notice",
            title=consultation.title,
            number=round_.number,
            left=left,
        )
    turn.audit(consultation, "round.reminded", round=round_.number, offset=str(offset))
