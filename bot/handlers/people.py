"""Joining, help, switching consultation, leaving a dialog, erasing oneself."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from bot import buttons
from bot.commands import Access, Arg, positive_int, registry
from bot.events import Choice, platform_of
from bot.handlers import review
from bot.handlers.common import groups_of, tell_round
from bot.turn import Refusal, Turn
from consultations.ids import ConsultationId, PersonId
from consultations.model import Attribution, ErasurePolicy, Role, RoundState, find_group
from consultations.rounds import parse_duration
from consultations.submissions import clean_text
from storage.invites import hash_code
from storage.records import Records
from storage.tables import Consultation, Invite, id_of

INVITE_CODE_BYTES = 16  # 128 bits
ORGANISATION = "organisation"  # awaiting the organisation a new stakeholder represents


def new_invite_code() -> str:
    return secrets.token_urlsafe(INVITE_CODE_BYTES)


@registry.command("start", Arg("code", optional=True), access=Access.ANYONE)
def start(turn: Turn, code: str | None) -> None:
    """Join a consultation with an invite code, or say how to get one."""
    if code is None:
        turn.say("start.welcome")
        return
    wait = wrong_code_wait(turn)
    if wait is not None:
        raise Refusal("start.throttled", count=max(1, round(wait.total_seconds() / 60)))
    known = turn.records.invites.find(code, turn.now)
    if known is not None and _already_in(turn, known):
        consultation = turn.records.consultations.get(known.consultation_id)
        assert consultation is not None
        turn.say("start.already", title=consultation.title, role=turn.t(f"role.{known.role}"))
        return  # a code used twice by one person costs no second use
    invite = turn.records.invites.use(code, turn.now)
    if invite is None:
        # Said, not raised: a refusal would roll back the count of wrong codes.
        count_wrong_code(turn)
        turn.say("start.bad_code")
        return
    consultation = turn.records.consultations.get(invite.consultation_id)
    assert consultation is not None
    role = Role(invite.role)
    turn.records.consultations.add_member(
        invite.consultation_id, turn.person_id, role, invite.group_id
    )
    turn.person.current_consultation_id = invite.consultation_id
    turn.records.save(turn.person)
    turn.menu_changed = True
    group = turn.records.consultations.group(invite.group_id) if invite.group_id else None
    if role is not Role.STAKEHOLDER:
        turn.say(
            "start.joined_organiser", title=consultation.title, role=turn.t(f"role.{role.value}")
        )
        return
    turn.say(
        "start.joined",
        title=consultation.title,
        role=turn.t(f"role.{role.value}"),
        group=group.name if group else "-",
        attribution=turn.t(f"attribution.policy.{consultation.attribution}"),
    )
    if consultation.attribution != Attribution.GROUP:
        turn.say("start.ask_consent")
    if turn.person.organisation:
        tell_round(turn, invite.consultation_id)
    else:  # the round comes after: what they type next is their organisation's name
        turn.records.dialogs.set(turn.person_id, turn.chat, ORGANISATION, {})
        turn.say("start.ask_organisation", expects_reply=True)


def _already_in(turn: Turn, invite: Invite) -> bool:
    return any(
        m.role == invite.role and m.group_id == invite.group_id
        for m in turn.records.consultations.memberships(invite.consultation_id, turn.person_id)
    )


WRONG_CODES_ALLOWED = 5  # per account, in the window
WRONG_CODES_EVERYONE = 200  # from all accounts together (many accounts, one guesser)
WRONG_CODE_WINDOW = timedelta(minutes=15)
EVERYONE = "wrong-codes:all"


def _throttle_key(turn: Turn) -> str:
    """Wrong codes are counted by account, not by person: erasing oneself (a new person
    next time) starts no new count. The account is named by its keyed pseudonym."""
    return f"wrong-codes:{turn.records.events.identity('throttle/' + turn.event.sender)}"


def _wrong_codes(turn: Turn, key: str) -> list[datetime]:
    stored = turn.records.values.get(key)
    times = [datetime.fromisoformat(t) for t in json.loads(stored)] if stored else []
    return [t for t in times if turn.now - t < WRONG_CODE_WINDOW]


def wrong_code_wait(turn: Turn) -> timedelta | None:
    """How long this account must wait after too many wrong codes (its own, or everyone's
    together), or None."""
    waits = [
        recent[-allowed] + WRONG_CODE_WINDOW - turn.now
        for key, allowed in (
            (_throttle_key(turn), WRONG_CODES_ALLOWED),
            (EVERYONE, WRONG_CODES_EVERYONE),
        )
        if len(recent := _wrong_codes(turn, key)) >= allowed
    ]
    return max(waits) if waits else None


def count_wrong_code(turn: Turn) -> None:
    for key, allowed in (
        (_throttle_key(turn), WRONG_CODES_ALLOWED),
        (EVERYONE, WRONG_CODES_EVERYONE),
    ):
        recent = [*_wrong_codes(turn, key), turn.now][-allowed:]
        turn.records.values.set(key, json.dumps([t.isoformat() for t in recent]))


@registry.dialog(ORGANISATION, needs_text=True)
def take_organisation(turn: Turn, data: dict[str, Any]) -> None:
    """The answer to 'which organisation do you represent?'."""
    # As other text people send: no controls, no invisible or direction marks (which
    # would let one organisation's name pass for another's in an export).
    name = clean_text(turn.event.text)[:200].strip()
    if not name:
        turn.say("start.ask_organisation", expects_reply=True)
        return
    turn.person.organisation = name
    turn.records.save(turn.person)
    turn.records.dialogs.clear(turn.person_id, turn.chat)
    turn.say("start.organisation_saved", organisation=name)
    if turn.consultation_id is not None:
        tell_round(turn, turn.consultation_id)


@registry.command("help", access=Access.ANYONE)
def help_(turn: Turn) -> None:
    """The commands this person may use here, with their usage; in a group chat, only
    where to write instead."""
    from bot.permissions import allowed

    if not turn.event.private:
        turn.say("group.private_only")
        return

    # A handful of access levels among some forty commands: each is decided once.
    permitted: dict[Access, bool] = {}
    lines = [turn.t("help.header")]
    for command in registry.commands.values():
        if command.access not in permitted:
            permitted[command.access] = allowed(turn, command.access)
        if permitted[command.access]:
            lines.append(f"{turn.usage(command)} — {turn.t(command.help_key)}")
    consultation = turn.consultation()
    if consultation is not None:
        lines.append(turn.t("help.current", title=consultation.title, id=consultation.id))
    turn.say_text("\n".join(lines))


@registry.command("consultations", access=Access.ANYONE)
def list_consultations(turn: Turn) -> None:
    mine = turn.records.consultations.of(turn.person_id, archived=False)
    if turn.admin:
        mine = turn.records.consultations.all(archived=False)
    if not mine:
        raise Refusal("consultations.none")
    current = turn.consultation_id
    lines = [turn.t("consultations.header")]
    for consultation in mine:
        marker = "→" if consultation.id == current else " "
        lines.append(f"{marker} {consultation.id}. {consultation.title}")
    turn.say_text("\n".join(lines))


@registry.command("use", Arg("id", positive_int), access=Access.ANYONE)
def use(turn: Turn, id: ConsultationId) -> None:
    consultation = turn.records.consultations.get(id)
    if consultation is None or (not turn.admin and not turn.roles(consultation)):
        raise Refusal("consultations.unknown", id=id)
    turn.person.current_consultation_id = id
    turn.records.save(turn.person)
    turn.menu_changed = True
    turn.say("consultations.switched", title=consultation.title)


@registry.command("cancel", access=Access.ANYONE)
def cancel(turn: Turn) -> None:
    """Leave whatever the bot was waiting for (a comment's text, a draft, the review), and
    say what stops and what stays recorded."""
    dialog = turn.records.dialogs.get(turn.person_id, turn.chat)
    turn.records.dialogs.clear(turn.person_id, turn.chat)
    lines = [
        (review.stopped(turn, dialog) or turn.t("cancelled"))
        if dialog is not None
        else turn.t("cancel.nothing")
    ]
    kept = _kept(turn)
    if kept is not None:
        lines.append(kept)
    turn.say_text("\n".join(lines))


def _kept(turn: Turn) -> str | None:
    """'Your 4 answers in round 1 stay recorded', for a stakeholder in an open round."""
    if turn.consultation_id is None or turn.group_id(turn.consultation_id) is None:
        return None
    round_ = turn.records.rounds.facts(turn.consultation_id)
    if round_ is None or round_.state != RoundState.OPEN:
        return None
    live = [
        s
        for s in turn.records.submissions.by_person(turn.person_id, [round_.id])
        if s.withdrawn_at is None and s.superseded_at is None
    ]
    return turn.t("cancel.kept", count=len(live), round=round_.number) if live else None


@registry.command("forget", Arg("confirm", optional=True), access=Access.ANYONE)
def forget(turn: Turn, confirm: str | None) -> None:
    """Erase this person's identity; their input stays pseudonymised or goes, by policy."""
    if confirm != "confirm":
        turn.say(
            "forget.ask",
            choices=(
                (
                    Choice(turn.t("forget.button_yes"), buttons.encode(buttons.Forget())),
                    Choice(turn.t("button.cancel"), buttons.encode(buttons.Cancel())),
                ),
            ),
        )
        return
    delete = any(
        ErasurePolicy(c.erasure) is ErasurePolicy.DELETE
        for c in turn.records.consultations.of(turn.person_id)
    )
    deleted = turn.records.erase(turn.person, delete_submissions=delete)
    turn.records.audit.append(
        None, turn.pseudonym, "person.erased", {"deleted_submissions": deleted}
    )
    turn.menu_changed = True
    turn.say("forget.done", count=deleted)


def issue_invite(
    records: Records,
    consultation: Consultation,
    group: str,
    uses: int,
    expires: datetime,
    created_by: PersonId | None,
) -> tuple[str, Role]:
    """A new code for GROUP (a stakeholder group, or facilitator / secretariat)."""
    role, group_id = Role.STAKEHOLDER, None
    if group.lower() in (Role.FACILITATOR.value, Role.SECRETARIAT.value):
        role = Role(group.lower())
    else:
        groups = groups_of(records, consultation)
        found = find_group(tuple(groups), group)
        if found is None:
            raise Refusal(
                "invite.unknown_group", group=group, groups=", ".join(g.key for g in groups)
            )
        group_id = next(
            id_of(g)
            for g in records.consultations.groups(id_of(consultation))
            if g.key == found.key
        )
    code = new_invite_code()
    records.invites.add(
        code,
        Invite(
            code_hash="",
            consultation_id=id_of(consultation),
            group_id=group_id,
            role=role.value,
            uses_left=uses,
            expires_at=expires,
            created_by=created_by,
        ),
    )
    return code, role


def invite_expiry(text: str) -> timedelta:
    return parse_duration(text)


@registry.command(
    "invite",
    Arg("group"),
    Arg("uses", positive_int, optional=True),
    Arg("expiry", invite_expiry, optional=True),
    access=Access.FACILITATOR,
)
def invite(turn: Turn, group: str, uses: int | None, expiry: timedelta | None) -> None:
    """A code that lets `uses` people join the current consultation in GROUP."""
    consultation = turn.require_consultation()
    expires = turn.now + (expiry or timedelta(days=14))
    code, role = issue_invite(turn.records, consultation, group, uses or 1, expires, turn.person_id)
    turn.audit(consultation, "invite.created", role=role.value, group=group, uses=uses or 1)
    links = "\n".join(turn.invite_links(code))
    turn.say(
        "invite.created",
        code=code,
        links=links,
        count=uses or 1,
        expires=expires,
        who=group if role is Role.STAKEHOLDER else turn.t(f"role.{role.value}"),
    )


LINK_VALID = timedelta(minutes=10)
YES, NO = "yes", "no"  # the original account's answer (a code is never either)


@registry.command("link", Arg("code", optional=True), access=Access.ANYONE)
def link(turn: Turn, code: str | None) -> None:
    """Link two platform accounts, with both sides' say: `link` on the account that has
    taken part shows a code; `link CODE` on the other asks the first, which confirms with
    `link yes` (or refuses with `link no`). Both accounts are told."""
    if code is None:
        code = secrets.token_urlsafe(9)
        expires = (turn.now + LINK_VALID).isoformat()
        turn.records.values.set(f"link:{hash_code(code)}", json.dumps([turn.person_id, expires]))
        turn.say("link.code", code=code)
    elif code.lower() in (YES, NO):
        _answer_link(turn, confirmed=code.lower() == YES)
    else:
        _ask_link(turn, code)


def _ask_link(turn: Turn, code: str) -> None:
    """`link CODE` on the account to be linked: the code's account is asked to confirm."""
    wait = wrong_code_wait(turn)
    if wait is not None:
        raise Refusal("link.throttled", count=max(1, round(wait.total_seconds() / 60)))
    stored = turn.records.values.get(f"link:{hash_code(code)}")
    if stored is None or datetime.fromisoformat(json.loads(stored)[1]) < turn.now:
        # Said, not raised: a refusal would roll back the count of wrong codes.
        count_wrong_code(turn)
        turn.say("link.bad_code")
        return
    owner = PersonId(int(json.loads(stored)[0]))
    if owner == turn.person_id:
        raise Refusal("link.same")
    if turn.records.consultations.of(turn.person_id):
        raise Refusal("link.busy")
    turn.records.values.delete(f"link:{hash_code(code)}")
    expires = (turn.now + LINK_VALID).isoformat()
    turn.records.values.set(f"link-ask:{owner}", json.dumps([turn.event.sender, expires]))
    platform = platform_of(turn.event.sender).capitalize()
    turn.notify(owner, "link.confirm", platform=platform)
    turn.say("link.asked")


def _answer_link(turn: Turn, *, confirmed: bool) -> None:
    """`link yes` or `link no` on the original account, which was asked."""
    key = f"link-ask:{turn.person_id}"
    stored = turn.records.values.get(key)
    if stored is None or datetime.fromisoformat(json.loads(stored)[1]) < turn.now:
        raise Refusal("link.nothing_to_confirm")
    turn.records.values.delete(key)
    account = str(json.loads(stored)[0])
    identity = turn.records.people.identity(account)
    if not confirmed or identity is None:
        turn.say("link.refused")
        return
    other = turn.records.people.person(PersonId(identity.person_id))
    if turn.records.consultations.of(id_of(other)):  # joined one while asking
        raise Refusal("link.busy")
    turn.records.people.move_identity(account, turn.person_id)
    turn.records.erase(other, delete_submissions=True)
    turn.records.audit.append(None, turn.pseudonym, "person.linked", {})
    turn.notify_account(turn.person_id, account, "link.done")
    turn.say("link.done")
