"""Delphi feedback: delegates see what the groups said in a closed round, and what was decided.

Off by default for each consultation: a facilitator turns it on (`feedback on`). Then each
delegate receives, in their own language, the digest of the latest closed round: where
each paragraph stands and each group's position, the points most often made (verbatim,
attributed as the consultation's policy allows: by stakeholder group unless it says
more), and the facilitator's decision on every amendment with its note or reason. It goes
out when the facilitator publishes the next version (decisions are made by then), or at
once with `feedback send`; once per round, so nobody receives it twice. `feedback` alone
shows whether it is on and what delegates would receive.

    feedback          on or off, and the digest as delegates would read it
    feedback on|off   for the current consultation
    feedback send     send the latest closed round's digest now
"""

from __future__ import annotations

from collections.abc import Mapping

from bot import i18n
from bot.catalog import Localised
from bot.commands import Access, registry
from bot.handlers.common import build_summary, stakeholders
from bot.summary_text import (
    DIGEST_QUOTE_CHARS,
    Reader,
    ReaderIn,
    numbers,
    positions_text,
    quote,
    short,
    standing_text,
)
from bot.turn import Refusal, Turn
from consultations.digest import silent
from consultations.ids import SubmissionId
from consultations.model import RoundState
from consultations.summary import Summary
from storage.tables import AmendmentDecision, Consultation, Round, id_of

POINTS_SHOWN = 2  # per paragraph: the points most often made


def _sent_key(round_: Round) -> str:
    return f"feedback:{id_of(round_)}"


def _closed_round(turn: Turn, consultation: Consultation) -> Round:
    round_ = turn.records.rounds.latest(id_of(consultation))
    if round_ is None:
        raise Refusal("round.none_yet")
    if round_.state != RoundState.CLOSED:
        raise Refusal("feedback.round_not_closed", number=round_.number)
    return round_


def digest(
    reader: Reader,
    summary: Summary,
    title: str,
    round_number: int,
    decisions: Mapping[SubmissionId, AmendmentDecision],
    attribution: str,
) -> str:
    """What the groups said and what was decided, paragraph by paragraph, for one reader."""
    lines = [reader.t("feedback.header", title=title, number=round_number)]
    nobody = set(silent(summary))
    for p in summary.paragraphs:
        if p.paragraph.number in nobody:
            continue
        lines += [
            "",
            reader.t(
                "summary.paragraph", number=p.paragraph.number, text=short(p.paragraph.text, 60)
            ),
            reader.t(
                "feedback.standing",
                standing=standing_text(reader, p, capital=True),
                positions=positions_text(reader, summary, p),
            )
            if any(v.seen for v in p.votes.values())
            else reader.t("feedback.no_votes"),
        ]
        lines += [
            quote(reader, summary, point, DIGEST_QUOTE_CHARS) for point in p.points[:POINTS_SHOWN]
        ]
        for a in p.amendments:
            decided = decisions.get(a.id)
            state = decided.decision if decided is not None else "open"
            lines.append(
                reader.t(
                    f"feedback.amendment.{state}",
                    id=a.id,
                    author=a.author,
                    text=short(a.text, DIGEST_QUOTE_CHARS),
                    note=(decided.note if decided is not None else None) or "-",
                )
            )
    if nobody:
        lines += ["", reader.t("summary.digest.silent", paragraphs=numbers(sorted(nobody)))]
    lines += ["", reader.t("feedback.footer", attribution=attribution)]
    return "\n".join(lines)


class Digest(Localised):
    """The digest, written beforehand in each language its recipients read."""

    texts: dict[str, str]

    def __new__(cls, texts: dict[str, str]) -> Digest:
        made = super().__new__(cls, texts[i18n.SOURCE])
        made.texts = texts
        return made

    def render(self, language: str) -> str:
        return self.texts.get(language, str(self))


def send_feedback(turn: Turn, consultation: Consultation, round_: Round) -> int:
    """Queue the round's digest for every delegate, each in their language; how many."""
    people = stakeholders(turn.records, consultation)
    languages = {i18n.SOURCE} | {
        i18n.supported(p.language) for p in turn.records.people.persons(people).values()
    }
    texts = {}
    for language in sorted(languages):
        texts[language] = _written(turn, consultation, round_, language)
    for person_id in people:
        turn.notify(person_id, "feedback.digest", digest=Digest(texts))
    turn.records.values.set(_sent_key(round_), turn.now.isoformat())
    turn.audit(consultation, "feedback.sent", round=round_.number, people=len(people))
    return len(people)


def _written(turn: Turn, consultation: Consultation, round_: Round, language: str) -> str:
    summary = build_summary(turn.records, turn.catalog, language, consultation, round_)
    amendments = [a.id for p in summary.paragraphs for a in p.amendments]
    reader = ReaderIn(turn.catalog, language)
    attribution = reader.t(f"attribution.policy.{consultation.attribution}")
    return digest(
        reader,
        summary,
        consultation.title,
        round_.number,
        turn.records.submissions.decisions(amendments),
        attribution,
    )


def feedback_after_publish(turn: Turn, consultation: Consultation) -> None:
    """With feedback on, the latest closed round's digest goes out once decisions are made."""
    round_ = turn.records.rounds.latest(id_of(consultation))
    if (
        consultation.feedback
        and round_ is not None
        and round_.state == RoundState.CLOSED
        and turn.records.values.get(_sent_key(round_)) is None
    ):
        count = send_feedback(turn, consultation, round_)
        turn.say("feedback.sent", count=count, number=round_.number)


@registry.command("feedback", access=Access.FACILITATOR)
def feedback(turn: Turn) -> None:
    """Whether delegates receive the digest of a closed round, and what they would read."""
    consultation = turn.require_consultation()
    turn.say("feedback.on" if consultation.feedback else "feedback.off")
    round_ = turn.records.rounds.latest(id_of(consultation))
    if round_ is not None and round_.state == RoundState.CLOSED:
        sent = turn.records.values.get(_sent_key(round_))
        if sent is not None:
            turn.say("feedback.already_sent", number=round_.number)
        turn.say_text(_written(turn, consultation, round_, i18n.supported(turn.language)))


def _turn(turn: Turn, on: bool) -> None:
    consultation = turn.require_consultation()
    consultation.feedback = on
    turn.records.save(consultation)
    turn.audit(consultation, "feedback.changed", on=on)
    turn.say("feedback.on" if on else "feedback.off")


@registry.command("feedback on", access=Access.FACILITATOR)
def feedback_on(turn: Turn) -> None:
    """Delegates receive the digest of each closed round when the next version is published."""
    _turn(turn, True)


@registry.command("feedback off", access=Access.FACILITATOR)
def feedback_off(turn: Turn) -> None:
    _turn(turn, False)


@registry.command("feedback send", access=Access.FACILITATOR)
def feedback_send(turn: Turn) -> None:
    """Send the latest closed round's digest to every delegate now."""
    consultation = turn.require_consultation()
    if not consultation.feedback:
        raise Refusal("feedback.is_off")
    round_ = _closed_round(turn, consultation)
    if turn.records.values.get(_sent_key(round_)) is not None:
        raise Refusal("feedback.already_sent", number=round_.number)
    count = send_feedback(turn, consultation, round_)
    turn.say("feedback.sent", count=count, number=round_.number)
