"""Who may do what, and where: one table, checked by the router before any handler runs.

Roles are per consultation. Admins (CONSULTBOT_ADMINS) are facilitators everywhere.
The secretariat reads and exports; facilitators may do all the secretariat may. Every
command but `help`, and every button, is for the private chat (docs/robustness.md,
"Group chats").
"""

from __future__ import annotations

from bot.commands import Access, Command
from bot.turn import Refusal, Turn
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


# In a group chat the bot answers only these; everything else (codes, input, summaries,
# statuses, exports, what a person has written) belongs to a private chat, and the person
# is pointed there. A group's members are not all the organisers, nor the same person.
IN_GROUPS = frozenset({"help"})


def check_command(turn: Turn, command: Command) -> None:
    """Refuse `command` to this person here, if they may not use it.

    In a group chat only `help` answers: anyone else is pointed to a private chat, before
    anything is read or written. Someone without the role is told to join a consultation
    where they have none (an organiser's command needs none), else that the command is
    not theirs.
    """
    if not turn.event.private and command.name not in IN_GROUPS:
        raise Refusal("group.private_only")
    if not allowed(turn, command.access):
        if turn.consultation() is None and command.access is not Access.ORGANISER:
            raise Refusal("no_consultation")
        raise Refusal("not_allowed", name=command.name)


def check_button(turn: Turn) -> None:
    """Refuse a button pressed (or a reaction) in a group."""
    if not turn.event.private:
        raise Refusal("group.use_private")


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
