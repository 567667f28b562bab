"""Routing: what one event asks for, and which handler answers it.

    event ─┬─ button ──decode (bot/buttons.py)──> its handler · forget · cancel
           ├─ reaction to a message that offered buttons ──> the matching button
           ├─ command ──registry.find──> permissions ──> handler(turn, **typed arguments)
           └─ plain text, in a private chat:
                a reply to a paragraph shown in review ──> an edit of it or a comment on it
                             (bot/handlers/amending.py), unless it answers a prompt on it
                a number ──> the numbered choice, where the platform has no buttons
                             (out of range: "reply with a number from 1 to 6")
                awaited text ──> the handler of the dialog step the person is in
                              (`@registry.dialog(step)`); a bare `cancel` cancels it
                a command's name ──> that command, without its / or ! (`help`, `review 2`)
                otherwise ──> "not understood"

Policy lives here and in `bot/permissions.py` (who may use what, and where); handlers
only do what they were asked. A person's mistake is raised as one of `REFUSALS` and
answered with `explain`, in the catalog's words.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bot import (
    buttons,
    handlers,  # noqa: F401  (declares the commands, buttons and dialog steps)
)
from bot.buttons import ReviewAction
from bot.commands import UsageError, registry, split_bare, split_command
from bot.events import Capability, Choice, MessageId, Outbound
from bot.handlers.amending import on_reply, replied_paragraph
from bot.handlers.review import REVIEW
from bot.permissions import allowed, check_button, check_command
from bot.turn import Refusal, Turn
from consultations.errors import ConsultationError
from storage.tables import DialogState

REFUSALS = (Refusal, ConsultationError, UsageError)  # the person's mistakes, answered in kind
CHOICES = "_choices"  # in the dialog's data: the buttons offered as numbered lines
REACTIONS = {
    "👍": ReviewAction.SUPPORT,
    "👎": ReviewAction.OPPOSE,
    "+1": ReviewAction.SUPPORT,
    "-1": ReviewAction.OPPOSE,
}


def reaction_action(emoji: str) -> ReviewAction | None:
    """'support' for a thumbs up in any skin tone, 'oppose' for a thumbs down."""
    bare = "".join(ch for ch in emoji if not ("\U0001f3fb" <= ch <= "\U0001f3ff" or ch == "\ufe0f"))
    return REACTIONS.get(bare.strip())


def route(turn: Turn) -> None:
    """Run what the turn's event asks for; a person's mistake raises one of `REFUSALS`."""
    event = turn.event
    if event.button is not None:
        _press(turn, buttons.decode(event.button))
        return
    if event.reaction is not None:
        _react(turn, event.reaction, event.reply_to)
        return
    parsed = split_command(event.text)
    if parsed is not None:
        _command(turn, *parsed)
        return
    if not event.private:
        return  # plain talk in a group is not for the bot, nor are bare words
    dialog = turn.records.dialogs.get(turn.person_id, turn.chat)
    text = event.text.strip()
    replied = replied_paragraph(turn, event.reply_to) if event.reply_to and text else None
    if replied is not None and not _answers_prompt(dialog, replied):
        on_reply(turn, replied)  # a reply to a paragraph: input on that paragraph
        return
    if dialog is not None and text.isdigit() and CHOICES in dialog.data:
        options = dialog.data[CHOICES]
        if not 1 <= int(text) <= len(options):
            raise Refusal("choice.out_of_range", count=len(options))
        _press(turn, buttons.decode(options[int(text) - 1]))
        return
    step = registry.dialog_step(dialog.step) if dialog is not None else None
    if dialog is not None and step is not None and (text or not step.needs_text):
        if text.lower() == "cancel":  # the way out the prompt names
            _command(turn, "cancel", "")
        else:
            step.handler(turn, dialog.data)
        return
    bare = split_bare(text)
    if bare is not None and registry.family(bare[0]):
        _command(turn, *bare)
    elif dialog is not None and CHOICES in dialog.data:  # a number was asked for
        turn.say("choice.not_a_number", count=len(dialog.data[CHOICES]))
    else:
        turn.say("not_understood")


def _answers_prompt(dialog: DialogState | None, paragraph: buttons.Review) -> bool:
    """Whether the person was asked for text on that very paragraph (a reply to the
    paragraph's message is then the answer the prompt asked for)."""
    return (
        dialog is not None
        and dialog.step != REVIEW
        and dialog.data.get("round") == paragraph.round_id
        and dialog.data.get("index") == paragraph.index
    )


def _react(turn: Turn, emoji: str, message_id: MessageId | None) -> None:
    """A reaction on a message that offered choices counts as pressing the matching one."""
    action = reaction_action(emoji)
    stored = (
        turn.records.values.get(buttons.offered_key(turn.chat, message_id)) if message_id else None
    )
    if action is None or stored is None:
        return  # reactions are also just reactions: stay quiet
    for data in json.loads(stored):
        button = buttons.decode(data)
        if isinstance(button, buttons.Review) and button.action is action:
            _press(turn, button)
            return


def _press(turn: Turn, button: buttons.Button | None) -> None:
    if isinstance(button, buttons.Forget):
        _command(turn, "forget", "confirm")
    elif isinstance(button, buttons.Cancel):
        _command(turn, "cancel", "")
    elif button is not None and type(button) in registry.buttons:
        check_button(turn)
        registry.buttons[type(button)](turn, button)
    else:
        raise Refusal("button.stale")


def _command(turn: Turn, name: str, rest: str) -> None:
    words = [name, *rest.split(" ", 1)[:1]]
    found = registry.find(words)
    if found is None:
        family = registry.family(name)
        if family:  # "round" alone, or "round foo": show the family's usages
            usages = "\n".join(turn.usage(c) for c in family)
            raise Refusal("usage", usage=usages)
        raise Refusal("unknown_command", name=name)
    command, used = found
    arguments = rest.split(" ", 1)[1] if used == 2 and " " in rest else ("" if used == 2 else rest)
    check_command(turn, command)
    command.handler(turn, **command.parse(arguments))


def explain(turn: Turn, error: Exception) -> None:
    """Answer a refusal (one of `REFUSALS`) with the catalog's text, and the usage line
    of a command given the wrong arguments."""
    if isinstance(error, (Refusal, ConsultationError)):
        turn.say(error.key, **error.values)
    elif isinstance(error, UsageError):
        if error.detail and error.arg:
            turn.say(error.detail, name=turn.label(error.arg), **error.values)
        elif error.detail:
            turn.say(error.detail, **error.values)
        if error.command is not None:
            turn.say("usage", usage=turn.usage(error.command))


def menu(turn: Turn) -> list[tuple[str, str]]:
    """The commands this person may use now, with their help, for a platform's menu."""
    return [
        (command.name, turn.t(command.help_key))
        for command in registry.commands.values()
        if allowed(turn, command.access)
    ]


def number_choices(turn: Turn, message: Outbound) -> Outbound:
    """Where the platform has no buttons, number the choices and remember them: the
    person's next message, a number, presses one (`route`)."""
    if not message.choices or Capability.BUTTONS in turn.capabilities:
        return message
    flat: list[Choice] = [c for row in message.choices for c in row if c.prefill is None]
    if not flat:  # only buttons that fill the input field, which such a platform has not
        return replace(message, choices=())
    numbered = "\n".join(f"{i}. {c.label}" for i, c in enumerate(flat, start=1))
    dialog = turn.records.dialogs.get(turn.person_id, message.chat)
    data: dict[str, Any] = dict(dialog.data) if dialog else {}
    data[CHOICES] = [c.data for c in flat]
    turn.records.dialogs.set(
        turn.person_id, message.chat, dialog.step if dialog else "choices", data
    )
    # The choices are kept so that reactions can answer them too.
    return message.with_text(
        (message.styled or message.text) + f"\n\n{turn.t('choice.prompt')}\n{numbered}"
    )
