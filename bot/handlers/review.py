"""The stakeholder's side: the paragraph-by-paragraph review, direct input, own records.

The review walk, one message per paragraph:

    review ──> version, deadline, how many answered ──> the first paragraph not answered
         (in a new round, to someone who reviewed an earlier version: "only the changed
          paragraphs, or all?" first; `review all` starts at paragraph 1)
    paragraph i ──Support──> recorded ──> "Recorded #…" + paragraph i+1
                ├─Oppose───> recorded ──> "why?" ──a reason, or Skip──> paragraph i+1
                ├─Comment──> awaiting text ──(next plain message)──> recorded ──> i+1
                ├─Amend──> the paragraph's text to edit ──(edited text)──> its diff:
                │          Record it / Edit again / Cancel (bot/handlers/amending.py) ──> i+1
                ├─Skip──> paragraph i+1     └─Back──> paragraph i-1
                └─ ... after the last: how many answered, of how many

Every recorded input is acknowledged the same way, whatever path it came by (a button,
a number where the platform has none, a reaction, a command): "Recorded #12: support on
paragraph 3. Send /withdraw 12 to take it back." The position (round, paragraph, the
paragraphs walked, what text is awaited) is kept in the database per person and chat,
so the walk survives restarts and works with several workers.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from bot import buttons, i18n
from bot.buttons import ReviewAction
from bot.catalog import Deadline
from bot.commands import Access, Arg, positive_int, registry
from bot.events import Choice, Styled
from bot.handlers.changes import changes_since, shown_change
from bot.handlers.common import (
    PROPOSING,
    ask_edit,
    check_pace,
    open_round,
    paragraphs,
    paragraphs_for,
    record_input,
    stakeholder_group,
)
from bot.turn import Refusal, Turn
from consultations.ids import RoundId, SubmissionId, VersionId
from consultations.model import Kind, RoundState
from consultations.rounds import accepts_input
from consultations.summary import Paragraph
from storage.rounds import RoundFacts
from storage.submissions import NewSubmission
from storage.tables import AmendmentDecision, DialogState, Submission, id_of

REVIEW = "review"
AWAIT_TEXT = "await_text"
AWAIT_REASON = "await_reason"


@dataclass(frozen=True)
class Walk:
    """The paragraphs a review goes through, by index: all, or `only` some (the changed
    ones); `since` is the version changes are shown against, if any."""

    round_id: RoundId
    only: tuple[int, ...] | None = None
    since: VersionId | None = None

    def after(self, index: int, total: int) -> int:
        if self.only is None:
            return index + 1
        return next((i for i in self.only if i > index), total)

    def before(self, index: int) -> int:
        if self.only is None:
            return max(index - 1, 0)
        return next((i for i in reversed(self.only) if i < index), index)

    def first(self, answered: Collection[int], total: int) -> int | None:
        """The first paragraph of the walk not answered yet, if any."""
        walked = self.only if self.only is not None else range(total)
        return next((i for i in walked if i not in answered), None)

    def data(self, index: int, **more: Any) -> dict[str, Any]:
        walk = {"round": self.round_id, "only": self.only, "since": self.since}
        return walk | {"index": index} | more

    @classmethod
    def of(cls, data: dict[str, Any]) -> Walk:
        only, since = data.get("only"), data.get("since")
        return cls(
            RoundId(int(data["round"])),
            tuple(int(i) for i in only) if only is not None else None,
            VersionId(int(since)) if since is not None else None,
        )


def _walk(turn: Turn, round_id: RoundId) -> Walk:
    """The walk this person is on in this chat, if it is in that round; else all of it."""
    dialog = turn.records.dialogs.get(turn.person_id, turn.chat)
    if dialog is not None and dialog.data.get("round") == round_id and "index" in dialog.data:
        return Walk.of(dialog.data)
    return Walk(round_id)


def _choices(turn: Turn, round_id: RoundId, index: int) -> tuple[tuple[Choice, ...], ...]:
    def b(action: ReviewAction) -> Choice:
        label = turn.t(f"button.{action}")
        return Choice(label, buttons.encode(buttons.Review(round_id, index, action)))

    a = ReviewAction
    return ((b(a.SUPPORT), b(a.OPPOSE)), (b(a.COMMENT), b(a.AMEND)), (b(a.SKIP), b(a.BACK)))


def answered_indexes(turn: Turn, round_: RoundFacts, paras: Sequence[Paragraph]) -> set[int]:
    """The paragraphs (by index) this person has given input on in the round."""
    uids = turn.records.submissions.answered(round_.id, turn.person_id).get(turn.person_id, ())
    return {i for i, p in enumerate(paras) if p.uid in uids}


def show_paragraph(
    turn: Turn, round_: RoundFacts, index: int, walk: Walk, recorded: str | None = None
) -> None:
    """Paragraph `index` of the walk with its buttons (after `recorded`, the line that
    acknowledges the input just given), or the end of the walk past the last."""
    paras = paragraphs_for(turn, round_.version_id)  # in the person's language, if loaded
    if index >= len(paras):
        _finish(turn, round_, paras, walk, recorded)
        return
    index = max(index, 0)
    paragraph = paras[index]
    turn.records.dialogs.set(turn.person_id, turn.chat, REVIEW, walk.data(index))
    text: Styled | str = paragraph.text
    if walk.since is not None:
        text = _marked(turn, round_, walk.since, index, paragraph)
    if paragraph.stale:  # its translation is out of date: the original, and why
        reader = i18n.supported(turn.language)
        text = text + "\n\n" + turn.t("review.stale", name=i18n.language_name(reader, reader))
    message = turn.styled("review.paragraph", number=paragraph.number, total=len(paras), text=text)
    turn.say_text(
        f"{recorded}\n\n" + message if recorded else message,
        choices=_choices(turn, round_.id, index),
    )


def _marked(
    turn: Turn, round_: RoundFacts, since: VersionId, index: int, shown: Paragraph
) -> Styled | str:
    """The paragraph's text, marked with what changed since version `since` if it did."""
    original = paragraphs(turn.records, round_.version_id)[index]
    before = {p.uid: p.text for p in paragraphs(turn.records, since)}
    if before.get(original.uid) == original.text:
        return shown.text
    changes = changes_since(turn, round_.consultation_id, round_.version_id, reviewed_only=True)
    if changes is None:
        return shown.text
    text, sources = shown_change(turn, changes, original, shown)
    if sources:
        line = turn.t("review.changed", version=changes.since, sources=sources)
    else:
        line = turn.t("review.changed_by_facilitator", version=changes.since)
    return f"{line}\n" + text


def _finish(
    turn: Turn,
    round_: RoundFacts,
    paras: Sequence[Paragraph],
    walk: Walk,
    recorded: str | None,
) -> None:
    """The end of the walk: how many paragraphs the person has answered, of how many."""
    turn.records.dialogs.clear(turn.person_id, turn.chat)
    answered, total = len(answered_indexes(turn, round_, paras)), len(paras)
    if answered >= total:
        text = turn.t("review.done", count=total)
    elif walk.only is not None:
        text = turn.t("review.done_changed", answered=answered, count=total)
    else:
        text = turn.t("review.done_partly", answered=answered, count=total)
    turn.say_text(f"{recorded}\n\n{text}" if recorded else text)


@registry.command("review", access=Access.STAKEHOLDER)
def review(turn: Turn) -> None:
    """Walk the open round's paragraphs, from the first not answered yet."""
    _begin(turn, again=False)


@registry.command("review all", access=Access.STAKEHOLDER)
def review_all(turn: Turn) -> None:
    """Walk every paragraph of the open round again, from the first."""
    _begin(turn, again=True)


def _begin(turn: Turn, *, again: bool) -> None:
    consultation = turn.require_consultation()
    round_ = open_round(turn, id_of(consultation))
    paras = paragraphs_for(turn, round_.version_id)
    answered = answered_indexes(turn, round_, paras)
    changes = changes_since(turn, id_of(consultation), round_.version_id, reviewed_only=True)
    walk = Walk(round_.id, since=changes.since_id if changes else None)
    header = [_intro(turn, round_, consultation.title, consultation.attribution)]
    header.append(turn.t("review.progress", answered=len(answered), count=len(paras)))
    if not again and not answered and changes is not None and changes.uids:
        header.append(
            turn.t(
                "review.changed_offer",
                old=changes.since,
                count=len(changes.uids),
                numbers=changes.numbers(paras),
            )
        )
        turn.say_text("\n".join(header), choices=(_scopes(turn, round_.id),))
        return
    start = 0 if again else walk.first(answered, len(paras))
    if start is None:
        turn.records.dialogs.clear(turn.person_id, turn.chat)
        header.append(turn.t("review.all_answered"))
        turn.say_text("\n".join(header))
        return
    if start > 0:
        header.append(turn.t("review.resume", number=paras[start].number))
    turn.say_text("\n".join(header))
    show_paragraph(turn, round_, start, walk)


def _intro(turn: Turn, round_: RoundFacts, title: str, attribution: str) -> str:
    version = turn.records.drafts.version_by_id(round_.version_id)
    assert version is not None and round_.closes_at is not None
    return turn.t(
        "review.intro",
        title=title,
        version=version.number,
        round=round_.number,
        closes=Deadline(round_.closes_at, turn.now),
        left=round_.closes_at - turn.now,
        attribution=turn.t(f"attribution.policy.{attribution}"),
    )


def _scopes(turn: Turn, round_id: RoundId) -> tuple[Choice, ...]:
    changed = buttons.ReviewScope(round_id, "changed")
    every = buttons.ReviewScope(round_id, "all")
    return (
        Choice(turn.t("button.changed_only"), buttons.encode(changed)),
        Choice(turn.t("button.all_paragraphs"), buttons.encode(every)),
    )


@registry.button(buttons.ReviewScope)
def review_scope(turn: Turn, button: buttons.ReviewScope) -> None:
    """'Only the changed paragraphs' or 'All paragraphs', offered at the start of a round."""
    round_ = taking_input(turn, button.round_id)
    paras = paragraphs_for(turn, round_.version_id)
    changes = changes_since(turn, round_.consultation_id, round_.version_id, reviewed_only=True)
    since = changes.since_id if changes is not None else None
    walk = Walk(round_.id, since=since)
    if button.scope == "changed" and changes is not None and changes.uids:
        only = tuple(i for i, p in enumerate(paras) if p.uid in changes.uids)
        walk = Walk(round_.id, only, since)
    start = walk.first(answered_indexes(turn, round_, paras), len(paras))
    show_paragraph(turn, round_, start if start is not None else 0, walk)


def taking_input(turn: Turn, round_id: RoundId) -> RoundFacts:
    """The round a button belongs to, if it is this consultation's and still open."""
    round_ = turn.records.rounds.facts_by_id(round_id)
    if round_ is None or round_.consultation_id != turn.require_consultation_id():
        raise Refusal("button.stale")
    if not accepts_input(RoundState(round_.state), round_.closes_at, turn.now):
        raise Refusal("round.closed_for_input", number=round_.number)
    return round_


@registry.button(buttons.Review)
def review_button(turn: Turn, button: buttons.Review) -> None:
    """A press on one of the review buttons under a paragraph (or the reason's Skip)."""
    round_id, index, action = button.round_id, button.index, button.action
    round_ = taking_input(turn, round_id)
    paras = paragraphs_for(turn, round_.version_id)
    if not 0 <= index < len(paras):
        raise Refusal("button.stale")
    walk = _walk(turn, round_id)
    number = paras[index].number
    if action in (ReviewAction.SUPPORT, ReviewAction.OPPOSE):
        kind = Kind(action.value)
        submission_id = record_input(turn, round_, number, kind)
        _mark_choice(turn, number, paras[index].text, action, submission_id)
        recorded = recorded_line(turn, submission_id, kind, number)
        if action is ReviewAction.OPPOSE:
            _ask_reason(turn, index, number, walk, recorded)
        else:
            show_paragraph(turn, round_, walk.after(index, len(paras)), walk, recorded)
    elif action is ReviewAction.COMMENT:
        data = walk.data(index, kind=Kind.COMMENT.value)
        turn.records.dialogs.set(turn.person_id, turn.chat, AWAIT_TEXT, data)
        turn.say("review.ask_comment", number=number, expects_reply=True)
    elif action is ReviewAction.AMEND:  # the paragraph's text to edit, not to retype
        ask_edit(turn, number, paras[index].text, walk.data(index, walking=True))
    elif action is ReviewAction.SKIP:
        show_paragraph(turn, round_, walk.after(index, len(paras)), walk)
    else:  # back
        show_paragraph(turn, round_, walk.before(index), walk)


def recorded_line(turn: Turn, submission_id: SubmissionId, kind: Kind, number: int) -> str:
    """The one acknowledgement of recorded input, on every path."""
    return turn.t("input.recorded", id=submission_id, kind=turn.t(f"kind.{kind}"), number=number)


def _ask_reason(turn: Turn, index: int, number: int, walk: Walk, recorded: str) -> None:
    """After an Oppose: why? One tap on Skip goes on without a reason."""
    turn.records.dialogs.set(turn.person_id, turn.chat, AWAIT_REASON, walk.data(index))
    skip = buttons.encode(buttons.Review(walk.round_id, index, ReviewAction.SKIP))
    turn.say_text(
        f"{recorded}\n\n{turn.t('review.ask_reason', number=number)}",
        choices=((Choice(turn.t("button.skip_reason"), skip),),),
        expects_reply=True,
    )


def _mark_choice(
    turn: Turn, number: int, text: str, action: str, submission_id: SubmissionId
) -> None:
    """Edit the paragraph's message to show what was chosen, where the platform can."""
    if turn.event.reply_to is None:
        return
    turn.say(
        "review.chosen",
        number=number,
        text=text,
        choice=turn.t(f"button.{action}"),
        id=submission_id,
        edit_of=turn.event.reply_to,
    )


@registry.dialog(AWAIT_TEXT, needs_text=True)
def take_text(turn: Turn, data: dict[str, Any]) -> None:
    """The comment or amendment text the review asked for."""
    _take(turn, data, Kind(str(data["kind"])))


@registry.dialog(AWAIT_REASON, needs_text=True)
def take_reason(turn: Turn, data: dict[str, Any]) -> None:
    """Why they oppose the paragraph: recorded as a comment on it."""
    _take(turn, data, Kind.COMMENT)


def _take(turn: Turn, data: dict[str, Any], kind: Kind) -> None:
    walk = Walk.of(data)
    round_ = turn.records.rounds.facts_by_id(walk.round_id)
    # Answered, not refused: a refusal would also undo the end of the wait for text, and
    # everything they wrote next would be taken for this comment again.
    if round_ is None:
        turn.records.dialogs.clear(turn.person_id, turn.chat)
        turn.say("button.stale")
        return
    if not accepts_input(RoundState(round_.state), round_.closes_at, turn.now):
        turn.records.dialogs.clear(turn.person_id, turn.chat)
        turn.say("round.closed_for_input", number=round_.number)
        return
    index = int(data["index"])
    paras = paragraphs(turn.records, round_.version_id)
    number = paras[index].number
    submission_id = record_input(turn, round_, number, kind, turn.event.text)
    recorded = recorded_line(turn, submission_id, kind, number)
    show_paragraph(turn, round_, walk.after(index, len(paras)), walk, recorded)


def stopped(turn: Turn, dialog: DialogState) -> str | None:
    """What `cancel` stops, said, if the dialog is one of the review's."""
    if dialog.step not in (REVIEW, AWAIT_TEXT, AWAIT_REASON, *PROPOSING):
        return None
    if "index" not in dialog.data:
        return None
    number = int(dialog.data["index"]) + 1
    if dialog.step in PROPOSING:
        return turn.t("cancel.amendment", number=number)
    if dialog.step == AWAIT_REASON:
        return turn.t("cancel.reason", number=number)
    if dialog.step == AWAIT_TEXT:
        return turn.t(f"cancel.{dialog.data.get('kind', 'comment')}", number=number)
    return turn.t("cancel.review", number=number)


def _direct(turn: Turn, kind: Kind, n: int, text: str | None = None) -> None:
    round_ = open_round(turn, turn.require_consultation_id())
    submission_id = record_input(turn, round_, n, kind, text)
    recorded = recorded_line(turn, submission_id, kind, n)
    if kind is Kind.OPPOSE:  # a reason is welcome, never required
        recorded += "\n" + turn.t("input.reason_hint", number=n)
    turn.say_text(recorded)


@registry.command("support", Arg("n", positive_int), access=Access.STAKEHOLDER)
def support(turn: Turn, n: int) -> None:
    _direct(turn, Kind.SUPPORT, n)


@registry.command("oppose", Arg("n", positive_int), access=Access.STAKEHOLDER)
def oppose(turn: Turn, n: int) -> None:
    _direct(turn, Kind.OPPOSE, n)


@registry.command("abstain", Arg("n", positive_int), access=Access.STAKEHOLDER)
def abstain(turn: Turn, n: int) -> None:
    _direct(turn, Kind.ABSTAIN, n)


@registry.command(
    "comment", Arg("n", positive_int), Arg("text", rest=True), access=Access.STAKEHOLDER
)
def comment(turn: Turn, n: int, text: str) -> None:
    _direct(turn, Kind.COMMENT, n, text)


@registry.command(
    "amend", Arg("n", positive_int), Arg("text", rest=True), access=Access.STAKEHOLDER
)
def amend(turn: Turn, n: int, text: str) -> None:
    _direct(turn, Kind.AMENDMENT, n, text)


@registry.command("endorse", Arg("id", positive_int), access=Access.STAKEHOLDER)
def endorse(turn: Turn, id: SubmissionId) -> None:
    """Back another stakeholder's amendment (or comment) in the open round; once per person."""
    round_ = open_round(turn, turn.require_consultation_id())
    check_pace(turn)
    target = turn.records.submissions.get(id)
    if (
        target is None
        or target.round_id != round_.id
        or target.kind not in (Kind.AMENDMENT, Kind.COMMENT)
        or target.withdrawn_at is not None
        or target.hidden_at is not None
    ):
        raise Refusal("endorse.unknown", id=id)
    if target.person_id == turn.person_id:
        raise Refusal("endorse.own", id=id)
    for mine_ in turn.records.submissions.by_person(turn.person_id, [round_.id]):
        if mine_.kind == Kind.ENDORSEMENT and mine_.target_id == id and mine_.withdrawn_at is None:
            raise Refusal("endorse.already", id=id, endorsement=mine_.id)
    endorsement = turn.records.submissions.add(
        NewSubmission(
            round_id=round_.id,
            person_id=turn.person_id,
            group_id=stakeholder_group(turn, round_.consultation_id),
            paragraph_uid=target.paragraph_uid,
            kind=Kind.ENDORSEMENT,
            source=turn.event.source,
            created_at=turn.now,
            target_id=id,
        )
    )
    number = next(
        (
            p.number
            for p in paragraphs(turn.records, round_.version_id)
            if p.uid == target.paragraph_uid
        ),
        "?",
    )
    turn.say("endorse.done", id=id, endorsement=endorsement, number=number)


def _status(
    turn: Turn, submission: Submission, decisions: dict[SubmissionId, AmendmentDecision]
) -> str:
    if submission.withdrawn_at is not None:
        return turn.t("mine.withdrawn")
    if submission.superseded_at is not None:
        return turn.t("mine.superseded")
    if submission.hidden_at is not None:
        return turn.t("mine.hidden")
    decision = decisions.get(id_of(submission))
    if decision is not None:
        return turn.t(f"mine.{decision.decision}")
    return ""


@registry.command("mine", access=Access.STAKEHOLDER)
def mine(turn: Turn) -> None:
    """This person's own submissions in the current consultation."""
    consultation = turn.require_consultation()
    rounds = {id_of(r): r for r in turn.records.rounds.of(id_of(consultation))}
    own = turn.records.submissions.by_person(turn.person_id, list(rounds))
    if not own:
        raise Refusal("mine.none")
    numbers = {}
    for round_id, round_ in rounds.items():
        for p in turn.records.drafts.paragraphs(round_.version_id):
            numbers[(round_id, p.uid)] = p.position
    decisions = turn.records.submissions.decisions([id_of(s) for s in own])
    lines = [turn.t("mine.header", title=consultation.title)]
    for s in own:
        status = _status(turn, s, decisions)
        values = {
            "id": s.id,
            "round": rounds[s.round_id].number,
            "number": numbers.get((s.round_id, s.paragraph_uid), "?"),
            "kind": turn.t("mine.endorsement", target=s.target_id)
            if s.target_id is not None
            else turn.t(f"kind.{s.kind}"),
            "status": f" ({status})" if status else "",
        }
        if s.text:
            lines.append(turn.t("mine.line_text", text=s.text, **values))
        else:
            lines.append(turn.t("mine.line", **values))
    turn.say_text("\n".join(lines))


@registry.command("withdraw", Arg("id", positive_int), access=Access.STAKEHOLDER)
def withdraw(turn: Turn, id: SubmissionId) -> None:
    """Take back one's own submission while its round is open."""
    submission = turn.records.submissions.get(id)
    if submission is None or submission.person_id != turn.person_id:
        raise Refusal("withdraw.not_yours", id=id)
    if submission.withdrawn_at is not None:
        raise Refusal("withdraw.already", id=id)
    round_ = turn.records.rounds.get(submission.round_id)
    assert round_ is not None
    if not accepts_input(RoundState(round_.state), round_.closes_at, turn.now):
        raise Refusal("withdraw.closed", id=id)
    submission.withdrawn_at = turn.now
    turn.records.save(submission)
    turn.say("withdraw.done", id=id)
