"""Who may do what: one table, checked in one place before any handler runs.

Roles are per consultation. Admins (CONSULTBOT_ADMINS) are facilitators everywhere.
The secretariat reads and exports; facilitators may do all the secretariat may.
"""

from __future__ import annotations

from bot.commands import Access
from bot.turn import Turn
from consultations.model import Role

GRANTS: dict[Access, frozenset[Role]] = {
    Access.STAKEHOLDER: frozenset({Role.STAKEHOLDER}),
    Access.FACILITATOR: frozenset({Role.FACILITATOR}),
    Access.SECRETARIAT: frozenset({Role.FACILITATOR, Role.SECRETARIAT}),
}


def allowed(turn: Turn, access: Access) -> bool:
    if access is Access.ANYONE:
        return True
    if access is Access.ORGANISER:
        if turn.admin:
            return True
        return any(
            Role.FACILITATOR in turn.roles(c) for c in turn.records.consultations_of(turn.person_id)
        )
    return bool(turn.roles() & GRANTS[access])
