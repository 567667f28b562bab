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
    Access.MEMBER: frozenset({Role.STAKEHOLDER, Role.FACILITATOR, Role.SECRETARIAT}),
}


def allowed(turn: Turn, access: Access) -> bool:
    if access is Access.ANYONE:
        return True
    if access is Access.ORGANISER:
        if turn.admin:
            return True
        return any(
            Role.FACILITATOR in turn.roles(c) for c in turn.records.consultations.of(turn.person_id)
        )
    return bool(turn.roles() & GRANTS[access])


def allowed_roles() -> dict[str, set[str]]:
    """The whole permission matrix, command by command: who may use it.

    'none' is someone who has not joined the current consultation; 'admin' is a platform
    id listed in CONSULTBOT_ADMINS (a facilitator everywhere).
    """
    from bot.commands import registry

    everyone = {"none", "stakeholder", "facilitator", "secretariat", "admin"}
    table: dict[str, set[str]] = {}
    for name, command in registry.commands.items():
        if command.access is Access.ANYONE:
            table[name] = set(everyone)
        elif command.access is Access.ORGANISER:
            table[name] = {"facilitator", "admin"}
        else:
            table[name] = {role.value for role in GRANTS[command.access]}
            if Role.FACILITATOR in GRANTS[command.access]:
                table[name].add("admin")
    return table
