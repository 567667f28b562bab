"""Deciding amendments: accept (with a note, or for one made on a translation, its
wording in the master text's language), reject with a reason.

An amendment made on a translation cannot enter the master text as it was written: the
next version would mix languages. `accept ID` asks for its wording in the master
language (a dialog step), or `accept ID TEXT` gives it; that wording is what `publish`
takes, and the translation of the paragraph is then out of date until loaded again.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot import i18n
from bot.commands import Access, Arg, positive_int, registry
from bot.handlers.common import paragraphs, paragraphs_in
from bot.turn import Refusal, Turn
from consultations.errors import ConsultationError
from consultations.ids import PersonId, SubmissionId, VersionId
from consultations.model import Decision, Kind, RoundState
from consultations.submissions import check_text
from consultations.summary import Paragraph
from consultations.versions import Merge
from storage.tables import AmendmentDecision, Consultation, Round, Submission, id_of


def _amendment(
    turn: Turn, consultation: Consultation, id_: SubmissionId
) -> tuple[Round, PersonId | None]:
    submission = turn.records.submissions.get(id_)
    round_ = turn.records.rounds.get(submission.round_id) if submission else None
    if (
        submission is None
        or round_ is None
        or round_.consultation_id != id_of(consultation)
        or submission.kind != Kind.AMENDMENT
        or submission.withdrawn_at is not None
    ):
        raise Refusal("decide.unknown", id=id_)
    if round_.state == RoundState.OPEN:
        raise Refusal("decide.round_open", number=round_.number)
    if turn.records.submissions.decision(id_) is not None:
        raise Refusal("decide.already", id=id_)
    return round_, submission.person_id


def _decide(
    turn: Turn,
    id_: SubmissionId,
    decision: Decision,
    note: str | None,
    wording: str | None = None,
) -> None:
    consultation = turn.require_consultation()
    _, author = _amendment(turn, consultation, id_)
    note = check_text(Kind.COMMENT, note) if note else None
    turn.records.save(
        AmendmentDecision(
            submission_id=id_,
            decision=decision.value,
            note=note,
            decided_by=turn.person_id,
            decided_at=turn.now,
            text=wording,
        )
    )
    turn.audit(consultation, f"amendment.{decision.value}", amendment=id_)
    if author is not None:
        if note:  # a rejection always gives its reason
            turn.notify(
                author,
                f"decide.notice_{decision.value}",
                id=id_,
                title=consultation.title,
                note=note,
            )
        else:
            turn.notify(author, "decide.notice_accepted_plain", id=id_, title=consultation.title)
    turn.say(f"decide.{decision.value}", id=id_)


AWAIT_WORDING = "await_wording"


def _made_on_translation(
    turn: Turn, consultation: Consultation, id_: SubmissionId
) -> tuple[Submission, Paragraph] | None:
    """The amendment and the paragraph (in the master text) it changes, if it was made
    on a translation; None if it was made on the master text."""
    _amendment(turn, consultation, id_)
    submission = turn.records.submissions.get(id_)
    assert submission is not None
    if submission.draft_language in (None, consultation.language):
        return None
    round_ = turn.records.rounds.get(submission.round_id)
    assert round_ is not None
    paragraph = next(
        p for p in paragraphs(turn.records, round_.version_id) if p.uid == submission.paragraph_uid
    )
    return submission, paragraph


def _accept_wording(
    turn: Turn, consultation: Consultation, submission: Submission, paragraph: Paragraph, text: str
) -> None:
    wording = check_text(Kind.AMENDMENT, text, paragraph.text)
    _decide(turn, id_of(submission), Decision.ACCEPTED, None, wording)
    reader = i18n.supported(turn.language)
    turn.say(
        "decide.wording_taken",
        number=paragraph.number,
        text=wording,
        name=i18n.language_name(submission.draft_language or "", reader),
        code=submission.draft_language,
    )


@registry.command(
    "accept",
    Arg("id", positive_int),
    Arg("text", rest=True, optional=True),
    access=Access.FACILITATOR,
)
def accept(turn: Turn, id: SubmissionId, text: str | None) -> None:
    """Accept an amendment, with a note; one made on a translation, with its wording in
    the master text's language (asked for if not given)."""
    consultation = turn.require_consultation()
    translated = _made_on_translation(turn, consultation, id)
    if translated is None:
        _decide(turn, id, Decision.ACCEPTED, text)
        return
    submission, paragraph = translated
    if text:
        _accept_wording(turn, consultation, submission, paragraph, text)
        return
    reader = i18n.supported(turn.language)
    turn.records.dialogs.set(turn.person_id, turn.chat, AWAIT_WORDING, {"amendment": id})
    turn.say(
        "decide.ask_wording",
        id=id,
        name=i18n.language_name(submission.draft_language or "", reader),
        master=i18n.language_name(consultation.language, reader),
        text=submission.text,
        number=paragraph.number,
        current=paragraph.text,
        expects_reply=True,
    )


@registry.dialog(AWAIT_WORDING, needs_text=True)
def take_wording(turn: Turn, data: dict[str, int]) -> None:
    """The master-language wording `accept ID` asked for."""
    consultation = turn.require_consultation()
    # Said, not raised: a refusal would also undo the end of the wait, and every message
    # after would be taken for the wording again.
    try:
        translated = _made_on_translation(turn, consultation, SubmissionId(data["amendment"]))
    except Refusal as refusal:  # decided meanwhile, or no longer this consultation's
        turn.records.dialogs.clear(turn.person_id, turn.chat)
        turn.say(refusal.key, **refusal.values)
        return
    if translated is None:  # cannot be, for the amendment asked about
        turn.records.dialogs.clear(turn.person_id, turn.chat)
        turn.say("button.stale")
        return
    try:
        check_text(Kind.AMENDMENT, turn.event.text, translated[1].text)
    except ConsultationError as error:  # the wait goes on: a corrected text can follow
        turn.say(error.key, **error.values)
        turn.say("decide.send_wording_again")
        return
    turn.records.dialogs.clear(turn.person_id, turn.chat)
    _accept_wording(turn, consultation, *translated, turn.event.text)


@registry.command(
    "reject", Arg("id", positive_int), Arg("reason", rest=True), access=Access.FACILITATOR
)
def reject(turn: Turn, id: SubmissionId, reason: str) -> None:
    _decide(turn, id, Decision.REJECTED, reason)


def master_wording_given(
    turn: Turn,
    consultation: Consultation,
    pending: list[tuple[Submission, AmendmentDecision]],
    merges: dict[str, Merge],
    old: Sequence[Paragraph],
) -> None:
    """Refuse to publish an amendment made on a translation without its master wording
    (one accepted before wordings were asked for): the version would mix languages."""
    for submission, decision in pending:
        made_on = submission.draft_language
        if made_on in (None, consultation.language) or decision.text is not None:
            continue
        if submission.paragraph_uid in merges:
            continue
        number = next((p.number for p in old if p.uid == submission.paragraph_uid), 0)
        raise Refusal(
            "publish.needs_wording",
            id=submission.id,
            name=i18n.language_name(made_on, i18n.supported(turn.language)),
            number=number,
        )


def stale_translations(turn: Turn, version_id: VersionId) -> None:
    """Tell the facilitator which translations no longer match the new master text."""
    chain = []
    version = turn.records.drafts.version_by_id(version_id)
    while version is not None:
        chain.append(id_of(version))
        version = (
            turn.records.drafts.version_by_id(version.parent_id) if version.parent_id else None
        )
    for code in sorted(turn.records.drafts.languages(chain)):
        stale = [p.number for p in paragraphs_in(turn.records, version_id, code) if p.stale]
        if stale:
            turn.say(
                "publish.translation_stale",
                name=i18n.language_name(code, i18n.supported(turn.language)),
                numbers=", ".join(str(n) for n in stale),
                code=code,
            )
