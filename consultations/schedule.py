"""Time for rounds: reading a facilitator's local times, and what is due when.

Times are typed in the facilitator's time zone and stored in UTC. A wall-clock time that
a daylight-saving change makes ambiguous (it happens twice) or impossible (it is
skipped) is refused with a message, never guessed. What the scheduler must do is a pure
function of the rounds and the clock (`plan`), so it can be tested with a fake clock and
rebuilt from the database after any restart.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from consultations.errors import ConsultationError
from consultations.ids import RoundId
from consultations.model import RoundState
from consultations.rounds import parse_duration

# Places people name that IANA files under another city.
ZONE_ALIASES = {"europe/geneva": "Europe/Zurich", "geneva": "Europe/Zurich", "utc": "UTC"}
# Before the close of a round of two days or more; a shorter one reminds at half time and
# near the end (`reminders_for`), so that even a round of an hour nudges the silent.
DEFAULT_REMINDERS = (timedelta(hours=24), timedelta(hours=2))
LONG_ROUND = timedelta(days=2)
SHORTEST_REMINDED = timedelta(minutes=10)  # a round shorter than this reminds nobody
REMINDER_GRACE = timedelta(minutes=30)  # a reminder later than this is dropped, not sent


class ScheduleError(ConsultationError):
    key = "error.schedule"


class UnknownZone(ScheduleError):
    """values: zone, suggestion."""

    key = "error.unknown_zone"


class BadTime(ScheduleError):
    """values: text."""

    key = "error.bad_time"


class AmbiguousTime(ScheduleError):
    """values: when, zone."""

    key = "error.ambiguous_time"


class NonexistentTime(ScheduleError):
    """values: when, zone."""

    key = "error.nonexistent_time"


class PastTime(ScheduleError):
    """values: when."""

    key = "error.past_time"


class EndBeforeStart(ScheduleError):
    key = "error.end_before_start"


class TooFar(ScheduleError):
    """values: limit (days)."""

    key = "error.too_far"


MAX_ROUND = timedelta(days=366)
MAX_AHEAD = timedelta(days=2 * 366)  # further out than this is a typo, not a plan


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name` ('Europe/Zurich'), or UnknownZone with the nearest suggestion."""
    wanted = ZONE_ALIASES.get(name.strip().lower(), name.strip())
    by_lower = {z.lower(): z for z in _zones()}
    if wanted.lower() in by_lower:
        try:
            return ZoneInfo(by_lower[wanted.lower()])
        except ZoneInfoNotFoundError:
            pass
    close = difflib.get_close_matches(wanted, sorted(_zones()), n=1, cutoff=0.6)
    raise UnknownZone(zone=name, suggestion=close[0] if close else "Europe/Zurich")


def local_to_utc(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in `tz`, refusing DST folds and gaps."""
    naive = datetime.combine(day, clock)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    when = f"{day.isoformat()} {clock.strftime('%H:%M')}"
    try:
        first.astimezone(UTC), second.astimezone(UTC)
    except OverflowError:  # the first or last day the calendar has
        raise BadTime(text=when) from None
    if first.utcoffset() != second.utcoffset():
        # Either the time occurs twice (fold) or never (gap): a round-trip tells which.
        back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if back != naive:
            raise NonexistentTime(when=when, zone=str(tz.key))
        raise AmbiguousTime(when=when, zone=str(tz.key))
    return first.astimezone(UTC)


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadTime(text=text) from None


def _parse_clock(text: str) -> time:
    try:
        return time.fromisoformat(text if len(text) > 2 else f"{int(text):02d}:00")
    except ValueError:
        raise BadTime(text=text) from None


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime
    zone: str


def parse_window(text: str, default_zone: str, now: datetime) -> Window:
    """'2026-12-01 09:00 2026-12-04 17:00 [ZONE]' or '2026-12-01 09:00 72h [ZONE]'."""
    words = text.split()
    tz_name = default_zone
    if words and ("/" in words[-1] or words[-1].lower() in ZONE_ALIASES):
        tz_name = words.pop()
    tz = zone(tz_name)
    if len(words) not in (3, 4):
        raise BadTime(text=text)
    opens = local_to_utc(_parse_day(words[0]), _parse_clock(words[1]), tz)
    if opens - now > MAX_AHEAD:
        raise TooFar(limit=MAX_ROUND.days, ahead=MAX_AHEAD.days)
    if len(words) == 3:
        try:
            closes = opens + parse_duration(words[2])
        except ValueError:
            raise BadTime(text=words[2]) from None
    else:
        closes = local_to_utc(_parse_day(words[2]), _parse_clock(words[3]), tz)
    if opens < now - timedelta(minutes=1):
        raise PastTime(when=f"{words[0]} {words[1]}")
    if closes <= opens:
        raise EndBeforeStart()
    if closes - opens > MAX_ROUND or opens - now > MAX_AHEAD:
        raise TooFar(limit=MAX_ROUND.days, ahead=MAX_AHEAD.days)
    return Window(opens, closes, str(tz.key))


def show(when: datetime, zone_name: str | None) -> str:
    """A UTC instant as a person in `zone_name` reads it: '2026-12-04 17:00 Europe/Zurich'."""
    try:
        tz = zone(zone_name) if zone_name else ZoneInfo("UTC")
    except UnknownZone:
        tz = ZoneInfo("UTC")
    return f"{when.astimezone(tz):%Y-%m-%d %H:%M} {tz.key}"


# ---- what is due ------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundTimes:
    round_id: RoundId
    state: RoundState
    opens_at: datetime | None  # when it opens (or opened)
    closes_at: datetime | None
    reminders: tuple[timedelta, ...] | None = None  # as the facilitator set them, if they did


def reminders_for(
    opens_at: datetime | None,
    closes_at: datetime | None,
    chosen: Sequence[timedelta] | None = None,
    default: Sequence[timedelta] = DEFAULT_REMINDERS,
) -> tuple[timedelta, ...]:
    """When a round reminds, as times before its close, latest first: those the
    facilitator chose, else by its length: `default` for a round of two days or more, at
    half time and a sixth before the end (at most 2 h) for a shorter one."""
    if chosen is not None:
        return tuple(sorted(chosen, reverse=True))
    if opens_at is None or closes_at is None or closes_at - opens_at >= LONG_ROUND:
        return tuple(default)
    length = closes_at - opens_at
    if length < SHORTEST_REMINDED:
        return ()
    near_end = min(timedelta(hours=2), length / 6)
    return (_minutes(length / 2), _minutes(near_end))


def _minutes(delta: timedelta) -> timedelta:
    return timedelta(minutes=round(delta.total_seconds() / 60))


@dataclass(frozen=True)
class Action:
    kind: str  # "open", "close" or "remind"
    round_id: RoundId
    at: datetime
    offset: timedelta | None = None  # for reminders: how long before the close

    @property
    def key(self) -> str:
        """Names the action across restarts: a reminder is sent once per round and offset."""
        hours = int(self.offset.total_seconds() // 60) if self.offset is not None else 0
        return f"{self.kind}:{self.round_id}:{hours}"


def plan(
    rounds: Iterable[RoundTimes],
    reminders: Sequence[timedelta] = DEFAULT_REMINDERS,
    done: frozenset[str] = frozenset(),
) -> list[Action]:
    """Every action the rounds still call for, in time order (past ones included);
    `reminders` are those of a long round where its facilitator chose none."""
    actions = []
    for r in rounds:
        if r.state is RoundState.SCHEDULED and r.opens_at is not None:
            actions.append(Action("open", r.round_id, r.opens_at))
        if r.state in (RoundState.SCHEDULED, RoundState.OPEN) and r.closes_at is not None:
            actions.append(Action("close", r.round_id, r.closes_at))
            start = r.opens_at
            for offset in reminders_for(start, r.closes_at, r.reminders, reminders):
                at = r.closes_at - offset
                if start is not None and at <= start:
                    continue  # a reminder before the round even opens makes no sense
                reminder = Action("remind", r.round_id, at, offset)
                if reminder.key not in done:
                    actions.append(reminder)
    return sorted(actions, key=lambda a: (a.at, a.kind != "open"))


def due(
    actions: Iterable[Action], now: datetime, grace: timedelta = REMINDER_GRACE
) -> list[Action]:
    """Actions to run now: opens and closes however late; reminders only if still timely."""
    return [a for a in actions if a.at <= now and (a.kind != "remind" or now - a.at <= grace)]
