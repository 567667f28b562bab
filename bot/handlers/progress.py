"""Who has answered: `status` for the organisers, `remind` for those not done yet.

One definition serves both: a stakeholder has answered every paragraph, some, or none of
the round's draft (`common.progress`). Names or organisations are shown only where the
consultation's attribution policy shows them to others and the person agreed (`consent
yes`); everyone else is counted, not named.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.catalog import Deadline
from bot.commands import Access, Arg, registry
from bot.handlers.common import Progress, groups_of, progress, remind_unfinished
from bot.handlers.facilitation import current_open
from bot.turn import Refusal, Turn
from consultations.ids import PersonId
from consultations.model import Attribution, RoundState, find_group
from storage.tables import Consultation, Person, id_of


@registry.command("remind", Arg("group", optional=True), access=Access.FACILITATOR)
def remind(turn: Turn, group: str | None) -> None:
    """Nudge stakeholders (of GROUP, if given) who have not answered every paragraph."""
    consultation = turn.require_consultation()
    round_ = current_open(turn, consultation)
    key = None
    if group is not None:
        groups = groups_of(turn.records, consultation)
        found = find_group(tuple(groups), group)
        if found is None:
            raise Refusal(
                "invite.unknown_group", group=group, groups=", ".join(g.key for g in groups)
            )
        key = found.key
    count = remind_unfinished(turn, consultation, round_, key)
    turn.audit(consultation, "round.reminded", round=round_.number, group=key, count=count)
    turn.say("remind.sent", count=count) if count else turn.say("remind.none")


@registry.command("status", access=Access.SECRETARIAT)
def status(turn: Turn) -> None:
    """Per group, who has answered every paragraph of the latest round, some, or none."""
    consultation = turn.require_consultation()
    round_ = turn.records.rounds.latest(id_of(consultation))
    if round_ is None:
        raise Refusal("round.none_yet")
    lines = [
        turn.t(
            "status.header",
            title=consultation.title,
            number=round_.number,
            state=turn.t(f"state.{round_.state}"),
        )
    ]
    if round_.closes_at is not None and round_.state == RoundState.OPEN:
        closes = Deadline(round_.closes_at, turn.now)
        lines.append(turn.t("status.closes", closes=closes, left=round_.closes_at - turn.now))
    everyone = progress(turn.records, consultation, round_)
    if not everyone:
        lines.append(turn.t("status.nobody_invited"))
    people = turn.records.people.persons(p.person_id for p in everyone)
    consenting = turn.records.consultations.consenting(id_of(consultation))
    for group in groups_of(turn.records, consultation):
        members = [p for p in everyone if p.group_key == group.key]
        if not members:
            continue
        done = [p for p in members if p.done]
        some = [p for p in members if p.answered and not p.done]
        none = [p for p in members if not p.answered]
        lines.append(
            turn.t(
                "status.group",
                group=group.name,
                all=len(done),
                some=len(some),
                none=len(none),
                invited=len(members),
            )
        )
        if Attribution(consultation.attribution) is Attribution.GROUP:
            continue  # Chatham House: counted, never named
        for key, who in (("status.all", done), ("status.some", some), ("status.none", none)):
            if who:
                names = _names(turn, consultation, who, people, consenting)
                lines.append(turn.t(key, names=names))
    turn.say_text("\n".join(lines))


def _names(
    turn: Turn,
    consultation: Consultation,
    who: Sequence[Progress],
    people: dict[PersonId, Person],
    consenting: set[PersonId],
) -> str:
    """'Ana (Ana Org), Ben (2/3), 1 not named': those the policy lets others see."""
    named = []
    for p in who:
        shown = _shown(people.get(p.person_id), Attribution(consultation.attribution))
        if shown is None or p.person_id not in consenting:
            continue
        if p.answered and not p.done:
            shown = turn.t("status.progress", name=shown, answered=p.answered, total=p.total)
        named.append(shown)
    unnamed = len(who) - len(named)
    if unnamed:
        named.append(turn.t("status.unnamed", count=unnamed))
    return ", ".join(named)


def _shown(person: Person | None, policy: Attribution) -> str | None:
    """How the policy names a person to others: their organisation, or their name (and
    organisation); None where it does not, or they erased themselves."""
    if person is None or person.erased_at is not None:
        return None
    if policy is Attribution.ORGANISATION:
        return person.organisation
    if policy is Attribution.NAME and person.display_name:
        organisation = f" ({person.organisation})" if person.organisation else ""
        return person.display_name + organisation
    return None
