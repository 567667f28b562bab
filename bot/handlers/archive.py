"""Putting a consultation away: archive it when it is done, delete it when it never ran.

    consultation archive ID   hidden from every list of consultations; kept whole, and
                              still opened with `use ID` (to export it, say)
    consultation delete ID    removed, if no round ever opened on it (a draft that went
                              wrong, a test); asks for confirmation first

Either is for the consultation's facilitators and for admins, and audited.
"""

from __future__ import annotations

from bot import buttons
from bot.commands import Access, Arg, positive_int, registry
from bot.events import Choice
from bot.turn import Refusal, Turn
from consultations.ids import ConsultationId
from consultations.model import Role, RoundState
from storage.tables import Consultation


def _organised(turn: Turn, id: ConsultationId) -> Consultation:
    """Consultation `id`, if this person is its facilitator (or an admin)."""
    consultation = turn.records.consultations.get(id)
    if consultation is None or (
        not turn.admin and Role.FACILITATOR not in turn.roles(consultation)
    ):
        raise Refusal("consultation.unknown", id=id)
    return consultation


@registry.command("consultation archive", Arg("id", positive_int), access=Access.ORGANISER)
def archive(turn: Turn, id: ConsultationId) -> None:
    """Hide a consultation from every list; nothing in it is lost."""
    consultation = _organised(turn, id)
    if consultation.archived_at is not None:
        raise Refusal("consultation.already_archived", id=id)
    live = [
        r for r in turn.records.rounds.of(id) if r.state in (RoundState.OPEN, RoundState.SCHEDULED)
    ]
    if live:
        raise Refusal(
            "consultation.round_live", number=live[0].number, state=turn.t(f"state.{live[0].state}")
        )
    consultation.archived_at = turn.now
    turn.records.save(consultation)
    turn.menu_changed = True
    turn.audit(consultation, "consultation.archived")
    turn.say("consultation.archived", title=consultation.title, id=id)


@registry.command(
    "consultation delete",
    Arg("id", positive_int),
    Arg("confirm", optional=True),
    access=Access.ORGANISER,
)
def delete(turn: Turn, id: ConsultationId, confirm: str | None) -> None:
    """Remove a consultation that never had a round, after confirmation."""
    consultation = _organised(turn, id)
    held = [r.number for r in turn.records.rounds.of(id) if r.opened_at is not None]
    if held:
        raise Refusal("consultation.has_rounds", id=id, number=held[-1])
    if confirm != "confirm":
        turn.say(
            "consultation.ask_delete",
            title=consultation.title,
            id=id,
            choices=(
                (
                    Choice(
                        turn.t("consultation.button_delete"),
                        buttons.encode(buttons.DeleteConsultation(id)),
                    ),
                    Choice(turn.t("button.cancel"), buttons.encode(buttons.Cancel())),
                ),
            ),
        )
        return
    title = consultation.title
    turn.audit(consultation, "consultation.deleted")
    turn.records.delete(consultation)
    turn.menu_changed = True
    turn.say("consultation.deleted", title=title, id=id)


@registry.button(buttons.DeleteConsultation)
def delete_pressed(turn: Turn, button: buttons.DeleteConsultation) -> None:
    """'Delete it', under the question `consultation delete ID` asked."""
    delete(turn, button.consultation_id, "confirm")
