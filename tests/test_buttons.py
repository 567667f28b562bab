"""Button data: one encoder and decoder, the strings of buttons already sent still read."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import buttons
from bot.buttons import MAX_BYTES, Cancel, Forget, Review, ReviewAction, decode, encode


def test_buttons_are_written_as_they_always_were() -> None:
    """Buttons sent before an upgrade are still in people's chats: the same strings."""
    assert encode(Review(12, 3, ReviewAction.SUPPORT)) == "rv:12:3:support"
    assert encode(Forget()) == "forget:confirm"
    assert encode(Cancel()) == "cancel"
    assert decode("rv:12:3:support") == Review(12, 3, ReviewAction.SUPPORT)
    assert decode("forget:confirm") == Forget()
    assert decode("cancel") == Cancel()


@pytest.mark.parametrize(
    "data",
    ["", "rv", "rv:12:3", "rv:12:3:support:more", "rv:x:3:support", "rv:12:3:dance",
     "forget", "forget:now", "cancel:it", "menu:1", ":", "rv:12::support"],
)  # fmt: skip
def test_data_that_is_no_button_of_ours_decodes_to_nothing(data: str) -> None:
    assert decode(data) is None


@given(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from(ReviewAction),
)
def test_every_review_button_reads_back_and_fits_telegram(
    round_id: int, index: int, action: ReviewAction
) -> None:
    button = Review(round_id, index, action)
    data = encode(button)
    assert len(data.encode()) <= MAX_BYTES
    assert decode(data) == button


def test_a_kind_that_could_overflow_the_platform_limit_is_refused_at_import() -> None:
    @dataclasses.dataclass(frozen=True)
    class Crowded:
        a: int
        b: int
        c: int

    with pytest.raises(ValueError, match="over 64"):
        buttons.kind("crowded")(Crowded)
    assert decode("crowded:1:2:3") is None  # not registered


def test_a_prefix_declared_twice_is_an_error_at_import() -> None:
    @dataclasses.dataclass(frozen=True)
    class Another:
        n: int

    with pytest.raises(ValueError, match="rv"):
        buttons.kind("rv")(Another)
