"""Amending by editing: the paragraph's own text to change, the change shown before it is
recorded.

    Amend (review) ──> the paragraph's text to copy, or in the input field (Telegram)
        ──edited text──> like the paragraph? ─┬─ the same: refused, send it changed
                                              ├─ an edit ──> its diff:
                                              │     Record it / Edit again / Cancel
                                              └─ unlike it ──> "a comment, or its new text?"
    a reply to a paragraph's message ──> an edit: its diff, as above
                                     ├─ much changed: "a comment, or its new text?"
                                     └─ unlike it: a comment on that paragraph, recorded

The proposal waits in the person's dialog (`AWAIT_CONFIRM`, `AWAIT_KIND`) until they
choose; nothing is recorded before "Record it". The diff is computed again from the
stored texts wherever it is shown: the amendment keeps its full text, and the paragraph
it was made on (in the language it was made on) is part of the version, which never
changes.
"""

from __future__ import annotations

import json
from typing import Any

from bot import buttons, i18n
from bot.buttons import ProposalAction
from bot.commands import registry
from bot.events import Choice, MessageId, Styled
from bot.handlers.common import (
    AWAIT_CONFIRM,
    AWAIT_EDIT,
    AWAIT_KIND,
    ask_edit,
    paragraphs_for,
    record_input,
)
from bot.handlers.review import REVIEW, Walk, recorded_line, show_paragraph, taking_input
from bot.render import styled_diff
from bot.turn import Refusal, Turn
from consultations.diffing import Likeness, Resemblance, resemblance, word_diff
from consultations.errors import AmendmentUnchanged
from consultations.model import Kind
from consultations.submissions import check_text, clean_text
from storage.rounds import RoundFacts


def _paragraph(turn: Turn, round_: RoundFacts, index: int) -> tuple[int, str, str]:
    """Paragraph `index` as the person reads it: its number, text and language."""
    paras = paragraphs_for(turn, round_.version_id)
    if not 0 <= index < len(paras):
        raise Refusal("button.stale")
    return paras[index].number, paras[index].text, paras[index].language


def preview(turn: Turn, round_: RoundFacts, data: dict[str, Any], text: str) -> None:
    """Show the proposal as a change to the paragraph and ask whether to record it."""
    index = int(data["index"])
    number, current, language = _paragraph(turn, round_, index)
    cleaned = check_text(Kind.AMENDMENT, text, current)  # too long, empty, unchanged
    turn.records.dialogs.set(turn.person_id, turn.chat, AWAIT_CONFIRM, data | {"text": cleaned})
    lines: list[str | Styled] = [
        turn.styled("amend.preview", number=number, diff=styled_diff(word_diff(current, cleaned)))
    ]
    master = turn.records.drafts.language(round_.version_id)
    if language != master:  # made on a translation: it is recorded as such
        reader = i18n.supported(turn.language)
        lines.append(
            turn.t(
                "amend.on_translation",
                name=i18n.language_name(language, reader),
                master=i18n.language_name(master, reader),
            )
        )
    lines.append(turn.t("amend.confirm_question"))
    turn.say_text(
        Styled.join("\n\n", lines),
        choices=(
            (
                _button(turn, round_, index, ProposalAction.CONFIRM, "button.record_it"),
                _button(turn, round_, index, ProposalAction.EDIT, "button.edit_again"),
            ),
            (_button(turn, round_, index, ProposalAction.CANCEL, "button.cancel"),),
        ),
    )


def _button(
    turn: Turn, round_: RoundFacts, index: int, action: ProposalAction, label: str
) -> Choice:
    return Choice(turn.t(label), buttons.encode(buttons.Proposal(round_.id, index, action)))


def _ask_kind(
    turn: Turn, round_: RoundFacts, data: dict[str, Any], text: str, seen: Resemblance
) -> None:
    """Say what the text looks like against the paragraph; ask: a comment, or its text?"""
    index = int(data["index"])
    number, _, _ = _paragraph(turn, round_, index)
    turn.records.dialogs.set(turn.person_id, turn.chat, AWAIT_KIND, data | {"text": text})
    kept = round(seen.kept * 100)
    if seen.growth > 5:
        said = turn.t("amend.seen_longer", number=number, growth=round(seen.growth))
    elif seen.likeness is Likeness.UNRELATED:
        said = turn.t("amend.seen_other", number=number, kept=kept)
    else:
        said = turn.t("amend.seen_changed", number=number, kept=kept)
    turn.say_text(
        f"{said}\n\n{turn.t('amend.which')}",
        choices=(
            (
                _button(turn, round_, index, ProposalAction.AS_COMMENT, "button.as_comment"),
                _button(turn, round_, index, ProposalAction.AS_AMENDMENT, "button.as_amendment"),
            ),
            (_button(turn, round_, index, ProposalAction.CANCEL, "button.cancel"),),
        ),
    )


def _open_round(turn: Turn, data: dict[str, Any]) -> RoundFacts | None:
    """The round the awaited text is for, if it still takes input; else say why not and
    stop waiting (answered, not refused: a refusal would keep the wait)."""
    try:
        return taking_input(turn, Walk.of(data).round_id)
    except Refusal as refusal:
        turn.records.dialogs.clear(turn.person_id, turn.chat)
        turn.say(refusal.key, **refusal.values)
        return None


def _after(turn: Turn, round_: RoundFacts, data: dict[str, Any], line: str) -> None:
    """Once the proposal is recorded or dropped: on with the review walk it came from,
    or just `line`."""
    if data.get("walking"):
        walk, index = Walk.of(data), int(data["index"])
        total = len(paragraphs_for(turn, round_.version_id))
        show_paragraph(turn, round_, walk.after(index, total), walk, line)
    else:
        turn.records.dialogs.clear(turn.person_id, turn.chat)
        turn.say_text(line)


def _words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _proposed(turn: Turn, round_: RoundFacts, data: dict[str, Any], *, asked: bool) -> None:
    """A text sent for paragraph `data["index"]`: after Amend (`asked`), or in reply to
    the paragraph's message. The same: refused; an edit: its diff to confirm; unlike the
    paragraph: asked (after Amend) or a comment (a reply)."""
    index = int(data["index"])
    number, current, _ = _paragraph(turn, round_, index)
    text = clean_text(turn.event.text)
    if not _words(text):  # nothing left of the paragraph: say so, keep waiting
        turn.say("amend.seen_empty", number=number)
        return
    check_text(Kind.AMENDMENT, text)  # the limit, with its message
    seen = resemblance(current, text)
    if seen.likeness is Likeness.SAME:
        raise AmendmentUnchanged()
    if seen.likeness is Likeness.EDIT or (asked and seen.likeness is Likeness.UNSURE):
        preview(turn, round_, data, text)
    elif asked or seen.likeness is Likeness.UNSURE:
        _ask_kind(turn, round_, data, text, seen)
    else:  # a reply unlike the paragraph is what a reply usually is: a comment on it
        submission_id = record_input(turn, round_, number, Kind.COMMENT, text)
        _after(turn, round_, data, recorded_line(turn, submission_id, Kind.COMMENT, number))


@registry.dialog(AWAIT_EDIT, needs_text=True)
def take_edit(turn: Turn, data: dict[str, Any]) -> None:
    """The paragraph's edited text, after Amend or Edit again."""
    round_ = _open_round(turn, data)
    if round_ is not None:
        _proposed(turn, round_, _without_text(data), asked=True)


@registry.dialog(AWAIT_CONFIRM, needs_text=True)
def take_new_edit(turn: Turn, data: dict[str, Any]) -> None:
    """Another text instead of the proposal shown: the new one is shown in its place."""
    take_edit(turn, data)


@registry.dialog(AWAIT_KIND, needs_text=True)
def take_other_text(turn: Turn, data: dict[str, Any]) -> None:
    """Another text instead of answering 'comment or new text?': taken as a new edit."""
    take_edit(turn, data)


def _without_text(data: dict[str, Any]) -> dict[str, Any]:
    # "_choices": the numbered choices (bot.router) of the question answered
    return {key: value for key, value in data.items() if key not in ("text", "_choices")}


@registry.button(buttons.Proposal)
def proposal_button(turn: Turn, button: buttons.Proposal) -> None:
    """Record it / Edit again / Cancel under a diff; comment / new text under a question."""
    dialog = turn.records.dialogs.get(turn.person_id, turn.chat)
    if (
        dialog is None
        or dialog.step not in (AWAIT_CONFIRM, AWAIT_KIND)
        or dialog.data.get("round") != button.round_id
        or dialog.data.get("index") != button.index
        or (button.action is ProposalAction.CONFIRM and dialog.step != AWAIT_CONFIRM)
    ):
        raise Refusal("button.stale")
    round_ = taking_input(turn, button.round_id)
    data, text = _without_text(dialog.data), str(dialog.data["text"])
    number, _, _ = _paragraph(turn, round_, button.index)
    action = button.action
    if action in (ProposalAction.CONFIRM, ProposalAction.AS_COMMENT):
        kind = Kind.AMENDMENT if action is ProposalAction.CONFIRM else Kind.COMMENT
        submission_id = record_input(turn, round_, number, kind, text)
        _after(turn, round_, data, recorded_line(turn, submission_id, kind, number))
    elif action is ProposalAction.AS_AMENDMENT:
        preview(turn, round_, data, text)
    elif action is ProposalAction.EDIT:  # their own proposal, to change further
        ask_edit(turn, number, text, data, again=True)
    elif data.get("walking"):  # back on the paragraph, to choose again
        line = turn.t("cancel.amendment", number=number)
        show_paragraph(turn, round_, button.index, Walk.of(data), line)
    else:
        _after(turn, round_, data, turn.t("cancel.amendment", number=number))


def on_reply(turn: Turn, paragraph: buttons.Review) -> None:
    """Text sent in reply to the message that showed a paragraph in review: an edit of
    it (shown as a diff to confirm), or a comment on it (asked when unsure)."""
    round_ = taking_input(turn, paragraph.round_id)
    dialog = turn.records.dialogs.get(turn.person_id, turn.chat)
    walking = (
        dialog is not None
        and dialog.step == REVIEW
        and dialog.data.get("round") == paragraph.round_id
        and dialog.data.get("index") == paragraph.index
    )
    walk = Walk.of(dialog.data) if walking and dialog is not None else Walk(round_.id)
    _proposed(turn, round_, walk.data(paragraph.index, walking=walking), asked=False)


def replied_paragraph(turn: Turn, message_id: MessageId) -> buttons.Review | None:
    """The paragraph the bot's message `message_id` showed in review, if it showed one."""
    stored = turn.records.values.get(buttons.offered_key(turn.chat, message_id))
    for data in json.loads(stored) if stored else ():
        button = buttons.decode(data)
        if isinstance(button, buttons.Review):
            return button
    return None
