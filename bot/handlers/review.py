"""The stakeholder's side: the paragraph-by-paragraph review, direct input, own records.

The review walk, one message per paragraph:

    review ──> paragraph i ──Support/Oppose──> recorded ──> paragraph i+1 ... ──> done
                   │  ├─Skip──> paragraph i+1        └─Back──> paragraph i-1
                   └─Comment/Amend──> awaiting text ──(next plain message)──> recorded ──> i+1

The position (round, paragraph index, what text is awaited) is kept in the database per
person and chat, so the walk survives restarts and works with several workers.
"""

from __future__ import annotations

from bot import buttons
from bot.buttons import ReviewAction
from bot.commands import Access, Arg, positive_int, registry
from bot.events import Choice
from bot.handlers.common import (
    open_round,
    paragraphs,
    paragraphs_for,
    record_input,
    stakeholder_group,
)
from bot.turn import Refusal, Turn
from consultations.ids import RoundId, SubmissionId
from consultations.model import Kind, RoundState
from consultations.rounds import accepts_input
from storage.rounds import RoundFacts
from storage.submissions import NewSubmission
from storage.tables import AmendmentDecision, Submission, id_of

REVIEW = "review"
AWAIT_TEXT = "await_text"


def _choices(turn: Turn, round_id: RoundId, index: int) -> tuple[tuple[Choice, ...], ...]:
    def b(action: ReviewAction) -> Choice:
        label = turn.t(f"button.{action}")
        return Choice(label, buttons.encode(buttons.Review(round_id, index, action)))

    a = ReviewAction
    return ((b(a.SUPPORT), b(a.OPPOSE)), (b(a.COMMENT), b(a.AMEND)), (b(a.SKIP), b(a.BACK)))


def show_paragraph(turn: Turn, round_: RoundFacts, index: int) -> None:
    paras = paragraphs_for(turn, round_.version_id)  # in the person's language, if loaded
    if index >= len(paras):
        turn.records.dialogs.clear(turn.person_id, turn.chat)
        turn.say("review.done", count=len(paras))
        return
    index = max(index, 0)
    paragraph = paras[index]
    turn.records.dialogs.set(
        turn.person_id, turn.chat, REVIEW, {"round": round_.id, "index": index}
    )
    turn.say(
        "review.paragraph",
        number=paragraph.number,
        total=len(paras),
        text=paragraph.text,
        choices=_choices(turn, round_.id, index),
    )


@registry.command("review", access=Access.STAKEHOLDER)
def review(turn: Turn) -> None:
    """Walk the open round's paragraphs one by one."""
    consultation = turn.require_consultation()
    round_ = open_round(turn, id_of(consultation))
    turn.say(
        "review.intro",
        title=consultation.title,
        attribution=turn.t(f"attribution.policy.{consultation.attribution}"),
    )
    show_paragraph(turn, round_, 0)


@registry.button(buttons.Review)
def review_button(turn: Turn, button: buttons.Review) -> None:
    """A press on one of the review buttons under a paragraph."""
    round_id, index, action = button.round_id, button.index, button.action
    round_ = turn.records.rounds.facts_by_id(round_id)
    if round_ is None or round_.consultation_id != turn.require_consultation_id():
        raise Refusal("button.stale")
    if not accepts_input(RoundState(round_.state), round_.closes_at, turn.now):
        raise Refusal("round.closed_for_input", number=round_.number)
    paras = paragraphs_for(turn, round_.version_id)
    if not 0 <= index < len(paras):
        raise Refusal("button.stale")
    number = paras[index].number
    if action in (ReviewAction.SUPPORT, ReviewAction.OPPOSE):
        submission_id = record_input(turn, round_, number, Kind(action.value))
        _mark_choice(turn, number, paras[index].text, action, submission_id)
        show_paragraph(turn, round_, index + 1)
    elif action in (ReviewAction.COMMENT, ReviewAction.AMEND):
        kind = Kind.COMMENT if action is ReviewAction.COMMENT else Kind.AMENDMENT
        turn.records.dialogs.set(
            turn.person_id,
            turn.chat,
            AWAIT_TEXT,
            {"round": round_id, "index": index, "kind": kind.value},
        )
        turn.say(f"review.ask_{action}", number=number, text=paras[index].text, expects_reply=True)
    elif action is ReviewAction.SKIP:
        show_paragraph(turn, round_, index + 1)
    else:  # back
        show_paragraph(turn, round_, index - 1)


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
def take_text(turn: Turn, data: dict[str, int | str]) -> None:
    """The comment or amendment text the review asked for."""
    round_ = turn.records.rounds.facts_by_id(RoundId(int(data["round"])))
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
    kind = Kind(str(data["kind"]))
    submission_id = record_input(turn, round_, paras[index].number, kind, turn.event.text)
    turn.say(
        "input.recorded",
        id=submission_id,
        kind=turn.t(f"kind.{kind.value}"),
        number=paras[index].number,
    )
    show_paragraph(turn, round_, index + 1)


def _direct(turn: Turn, kind: Kind, n: int, text: str | None = None) -> None:
    round_ = open_round(turn, turn.require_consultation_id())
    submission_id = record_input(turn, round_, n, kind, text)
    turn.say("input.recorded", id=submission_id, kind=turn.t(f"kind.{kind.value}"), number=n)


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
        text = f": {s.text}" if s.text else ""
        status = _status(turn, s, decisions)
        lines.append(
            turn.t(
                "mine.line",
                id=s.id,
                round=rounds[s.round_id].number,
                number=numbers.get((s.round_id, s.paragraph_uid), "?"),
                kind=turn.t(f"kind.{s.kind}"),
                text=text,
                status=f" ({status})" if status else "",
            )
        )
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
