"""The registry of commands, buttons and dialog steps: what a handler module declares."""

from __future__ import annotations

import pytest

from bot import handlers  # noqa: F401  (declares everything)
from bot.commands import Access, Registry, registry
from bot.handlers import amending, common, decisions, drafting, language, people, review


def test_every_dialog_step_the_handlers_wait_for_has_its_handler() -> None:
    steps = {step: found.handler for step, found in registry.dialogs.items()}
    assert steps == {
        review.AWAIT_TEXT: review.take_text,
        drafting.AWAIT_DRAFT: drafting.take_draft,
        decisions.AWAIT_WORDING: decisions.take_wording,
        review.AWAIT_REASON: review.take_reason,
        language.AWAIT_TRANSLATION: language.take_translation,
        people.ORGANISATION: people.take_organisation,
        common.AWAIT_EDIT: amending.take_edit,
        common.AWAIT_CONFIRM: amending.take_new_edit,
        common.AWAIT_KIND: amending.take_other_text,
    }
    assert registry.dialog_step(review.REVIEW) is None  # the walk itself waits for buttons


def test_a_dialog_step_declared_twice_is_an_error_at_import() -> None:
    mine = Registry()
    mine.dialog("await_poem")(lambda turn, data: None)
    with pytest.raises(ValueError, match="await_poem"):
        mine.dialog("await_poem", needs_text=True)(lambda turn, data: None)


def test_a_command_declared_twice_is_an_error_at_import() -> None:
    mine = Registry()
    mine.command("poem", access=Access.ANYONE)(lambda turn: None)
    with pytest.raises(ValueError, match="poem"):
        mine.command("poem", access=Access.ANYONE)(lambda turn: None)
