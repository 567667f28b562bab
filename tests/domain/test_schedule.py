"""Reading facilitators' times across zones and daylight-saving changes; what is due when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consultations.model import RoundState
from consultations.schedule import (
    AmbiguousTime,
    BadTime,
    EndBeforeStart,
    NonexistentTime,
    PastTime,
    RoundTimes,
    UnknownZone,
    due,
    parse_window,
    plan,
    show,
    zone,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_local_times_are_stored_in_utc() -> None:
    window = parse_window("2026-12-01 09:00 2026-12-04 17:00 Europe/Zurich", "UTC", NOW)
    assert window.opens_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert window.closes_at == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)


def test_geneva_is_understood_as_the_zone_it_belongs_to() -> None:
    assert zone("Europe/Geneva").key == "Europe/Zurich"


def test_a_start_and_a_duration() -> None:
    window = parse_window("2026-12-01 9 1w", "America/New_York", NOW)
    assert window.opens_at == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    assert window.closes_at - window.opens_at == timedelta(weeks=1)


def test_a_window_across_the_spring_change_keeps_wall_clock_times() -> None:
    window = parse_window("2027-03-26 09:00 2027-03-29 09:00 Europe/Zurich", "UTC", NOW)
    assert window.opens_at.hour == 8 and window.closes_at.hour == 7  # CET, then CEST
    assert window.closes_at - window.opens_at == timedelta(days=3) - timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("2027-03-28 02:30 3d Europe/Zurich", NonexistentTime),
        ("2027-10-31 02:30 3d Europe/Zurich", AmbiguousTime),
        ("2027-11-07 01:30 3d America/New_York", AmbiguousTime),
        ("2026-11-01 09:00 3d", PastTime),
        ("2026-12-02 09:00 2026-12-02 08:00", EndBeforeStart),
        ("2026-12-02 09:00 3d Mars/Olympus", UnknownZone),
        ("2026-13-02 09:00 3d", BadTime),
        ("2026-12-02 25:00 3d", BadTime),
        ("2026-12-02 09:00 soon", BadTime),
        ("2026-12-02", BadTime),
        ("2026-12-02 09:00 400d", BadTime),
    ],
)
def test_bad_windows_are_refused_not_guessed(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_window(text, "UTC", NOW)


def test_unknown_zone_suggests_a_near_one() -> None:
    with pytest.raises(UnknownZone) as caught:
        zone("Europe/Berln")
    assert caught.value.values["suggestion"] == "Europe/Berlin"


def test_show_in_the_readers_zone() -> None:
    when = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert show(when, "Asia/Tokyo") == "2026-12-05 01:00 Asia/Tokyo"
    assert show(when, None) == "2026-12-04 16:00 UTC"
    assert show(when, "nowhere") == "2026-12-04 16:00 UTC"


def rt(state: RoundState, opens: datetime | None, closes: datetime | None) -> RoundTimes:
    return RoundTimes(1, state, opens, closes)


def test_plan_and_due_for_a_scheduled_round() -> None:
    opens, closes = NOW + timedelta(days=1), NOW + timedelta(days=4)
    actions = plan([rt(RoundState.SCHEDULED, opens, closes)])
    assert [(a.kind, a.at) for a in actions] == [
        ("open", opens),
        ("remind", closes - timedelta(hours=24)),
        ("remind", closes - timedelta(hours=2)),
        ("close", closes),
    ]
    assert due(actions, NOW) == []
    assert [a.kind for a in due(actions, opens)] == ["open"]


def test_late_reminders_are_dropped_but_late_closes_run() -> None:
    closes = NOW - timedelta(hours=1)
    actions = plan([rt(RoundState.OPEN, NOW - timedelta(days=3), closes)])
    assert [a.kind for a in due(actions, NOW)] == ["close"]


def test_a_reminder_already_sent_is_not_planned_again() -> None:
    closes = NOW + timedelta(hours=10)
    first = plan([rt(RoundState.OPEN, NOW - timedelta(days=3), closes)])
    reminder = next(a for a in first if a.kind == "remind")
    again = plan(
        [rt(RoundState.OPEN, NOW - timedelta(days=3), closes)], done=frozenset({reminder.key})
    )
    assert reminder not in again


def test_closed_rounds_need_nothing() -> None:
    assert plan([rt(RoundState.CLOSED, NOW, NOW + timedelta(days=1))]) == []


@given(
    st.integers(min_value=0, max_value=8760),
    st.sampled_from(["UTC", "Europe/Zurich", "Asia/Kolkata"]),
)
def test_shown_times_read_back_to_the_same_instant(hours: int, zone_name: str) -> None:
    when = (NOW + timedelta(hours=hours, minutes=7)).replace(second=0, microsecond=0)
    day, clock, shown_zone = show(when, zone_name).split(" ")
    try:
        window = parse_window(f"{day} {clock} 1h {shown_zone}", "UTC", NOW - timedelta(days=1))
    except AmbiguousTime:
        return  # the hour that happens twice: refusing is the documented behaviour
    assert window.opens_at == when
