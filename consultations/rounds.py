r"""The round's life: scheduled, open, closed (or cancelled), and nothing else.

    scheduled --open--> open --close--> closed
        |                 \--extend--> open
        \--cancel--> cancelled

A closed round is never reopened: the next round is a new round on the next version.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from consultations.errors import IllegalTransition
from consultations.model import RoundState

_LEGAL: dict[tuple[RoundState, str], RoundState] = {
    (RoundState.SCHEDULED, "open"): RoundState.OPEN,
    (RoundState.SCHEDULED, "cancel"): RoundState.CANCELLED,
    (RoundState.SCHEDULED, "extend"): RoundState.SCHEDULED,
    (RoundState.OPEN, "close"): RoundState.CLOSED,
    (RoundState.OPEN, "extend"): RoundState.OPEN,
}


def transition(state: RoundState, action: str) -> RoundState:
    """The state after `action`, or IllegalTransition naming both."""
    try:
        return _LEGAL[(state, action)]
    except KeyError:
        raise IllegalTransition(state=state.value, action=action) from None


def accepts_input(state: RoundState, closes_at: datetime | None, now: datetime) -> bool:
    """Input is taken while the round is open and its closing time has not passed."""
    return state is RoundState.OPEN and (closes_at is None or now < closes_at)


def extended(closes_at: datetime | None, now: datetime, by: timedelta) -> datetime:
    """The new closing time: `by` after the current one (or after now, if none was set)."""
    return (closes_at if closes_at is not None and closes_at > now else now) + by


_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """'90m', '72h', '3d', '1w' or a combination such as '1d12h'; ValueError otherwise."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise ValueError("empty duration")
    seconds = 0
    number = ""
    for char in cleaned:
        if char.isdigit():
            number += char
        elif char in _UNITS and number:
            seconds += int(number) * _UNITS[char]
            number = ""
        else:
            raise ValueError(f"not a duration: {text!r}")
    if number or seconds <= 0 or seconds > 366 * 86400:
        raise ValueError(f"not a duration: {text!r}")
    return timedelta(seconds=seconds)
