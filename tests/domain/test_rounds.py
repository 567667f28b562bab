"""A round's life, its closing time, and the durations facilitators type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from consultations.errors import IllegalTransition, RoundError
from consultations.model import RoundState
from consultations.rounds import (
    accepts_input,
    extended,
    parse_duration,
    transition,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

S, OP, C, X = RoundState.SCHEDULED, RoundState.OPEN, RoundState.CLOSED, RoundState.CANCELLED
ACTIONS = ("open", "close", "extend", "cancel", "reopen")

# every state x action; None means the action is refused in that state
EXPECTED: dict[tuple[RoundState, str], RoundState | None] = {
    (S, "open"): OP,
    (S, "close"): None,
    (S, "extend"): S,
    (S, "cancel"): X,
    (S, "reopen"): None,
    (OP, "open"): None,
    (OP, "close"): C,
    (OP, "extend"): OP,
    (OP, "cancel"): None,
    (OP, "reopen"): None,
    (C, "open"): None,
    (C, "close"): None,
    (C, "extend"): None,
    (C, "cancel"): None,
    (C, "reopen"): None,
    (X, "open"): None,
    (X, "close"): None,
    (X, "extend"): None,
    (X, "cancel"): None,
    (X, "reopen"): None,
}


def test_the_table_covers_every_state_and_action() -> None:
    assert set(EXPECTED) == {(state, action) for state in RoundState for action in ACTIONS}


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [(state, action, after) for (state, action), after in EXPECTED.items()],
    ids=[f"{state.value}-{action}" for state, action in EXPECTED],
)
def test_round_transitions(state: RoundState, action: str, after: RoundState | None) -> None:
    if after is not None:
        assert transition(state, action) is after
        return
    with pytest.raises(IllegalTransition) as caught:
        transition(state, action)
    assert caught.value.values == {"state": state.value, "action": action}
    assert caught.value.key == "error.round_transition"
    assert isinstance(caught.value, RoundError)


def test_a_closed_round_never_reopens_whatever_is_tried() -> None:
    for action in ACTIONS:
        with pytest.raises(IllegalTransition):
            transition(RoundState.CLOSED, action)


# --- taking input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "closes_at", "now", "expected"),
    [
        (OP, None, NOW, True),
        (OP, NOW + timedelta(seconds=1), NOW, True),
        (OP, NOW, NOW, False),  # at the closing time the round no longer listens
        (OP, NOW - timedelta(seconds=1), NOW, False),
        (S, NOW + timedelta(days=1), NOW, False),
        (S, None, NOW, False),
        (C, None, NOW, False),
        (C, NOW + timedelta(days=1), NOW, False),
        (X, NOW + timedelta(days=1), NOW, False),
    ],
)
def test_accepts_input(state, closes_at, now, expected) -> None:
    assert accepts_input(state, closes_at, now) is expected


def test_extending_adds_to_the_closing_time_or_to_now() -> None:
    day = timedelta(days=1)
    assert extended(NOW + timedelta(hours=5), NOW, day) == NOW + timedelta(hours=29)
    assert extended(None, NOW, day) == NOW + day
    # a closing time already past is not a base to extend from
    assert extended(NOW - timedelta(hours=5), NOW, day) == NOW + day
    assert extended(NOW, NOW, day) == NOW + day


# --- durations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("72h", timedelta(hours=72)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        ("1d12h", timedelta(hours=36)),
        ("1w2d3h4m", timedelta(days=9, hours=3, minutes=4)),
        (" 2H ", timedelta(hours=2)),
        ("366d", timedelta(days=366)),
        ("0d1h", timedelta(hours=1)),
    ],
)
def test_parse_duration_accepts(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "0h",
        "0m0d",
        "3x",
        "h",
        "-1d",
        "400d",
        "367d",
        "53w",
        "12",
        "1d12",
        "1.5h",
        "d3",
        "3 d",
        "3dd",
    ],
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
