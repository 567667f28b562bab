"""Consultations, their stakeholder groups, and who holds which role in each (with
their consent to be named).

A consultation is read with its latest round (`get`, through `Rounds.latest`), which
most turns that want one want too; a person's roles in one are remembered for the rest of
the transaction until a membership is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, update
from sqlmodel import col, select

from consultations.ids import ConsultationId, GroupId, PersonId
from consultations.model import DEFAULT_GROUPS, Role, StakeholderGroup
from storage.rounds import Rounds
from storage.tables import (
    Consultation,
    Invite,
    Membership,
    Person,
    StakeholderGroupRow,
    id_of,
)
from storage.unit_of_work import Repository, UnitOfWork

# A person's memberships in one consultation: built once (see `memberships`).
MEMBERSHIPS_OF = select(Membership).where(
    Membership.consultation_id == bindparam("consultation_id"),
    Membership.person_id == bindparam("person_id"),
)


@dataclass(frozen=True, slots=True)
class Member:
    """A role someone holds in a consultation, as read."""

    role: str
    group_id: GroupId | None


class Consultations(Repository):
    def __init__(self, session: UnitOfWork, rounds: Rounds) -> None:
        super().__init__(session)
        self.rounds = rounds

    def create(
        self,
        title: str,
        *,
        created_by: PersonId,
        groups: Sequence[StakeholderGroup] = DEFAULT_GROUPS,
    ) -> Consultation:
        consultation = Consultation(title=title, created_by=created_by)
        self.session.add(consultation)
        self.session.flush()
        for group in groups:
            self.session.add(
                StakeholderGroupRow(
                    consultation_id=id_of(consultation),
                    key=group.key,
                    name=group.name,
                    aliases=",".join(group.aliases),
                )
            )
        self.add_member(id_of(consultation), created_by, Role.FACILITATOR)
        return consultation

    def get(self, consultation_id: ConsultationId) -> Consultation | None:
        """The consultation; read with its latest round, which most turns that want one
        want too."""
        if consultation_id not in self.session.memo.get("consultation", {}):
            self.rounds.latest(consultation_id)
        return self.session.row(Consultation, consultation_id)

    def all(self, *, archived: bool = True) -> Sequence[Consultation]:
        """Every consultation; without the archived ones if `archived` is False."""
        query = select(Consultation)
        if not archived:
            query = query.where(col(Consultation.archived_at).is_(None))
        return self.session.exec(query.order_by(col(Consultation.id))).all()

    def of(self, person_id: PersonId, *, archived: bool = True) -> Sequence[Consultation]:
        """The consultations the person has a role in; without the archived ones if
        `archived` is False (what lists show)."""
        ids = select(Membership.consultation_id).where(Membership.person_id == person_id)
        query = select(Consultation).where(col(Consultation.id).in_(ids))
        if not archived:
            query = query.where(col(Consultation.archived_at).is_(None))
        return self.session.exec(query.order_by(col(Consultation.id))).all()

    def delete(self, consultation: Consultation) -> None:
        """Remove a consultation whose rounds and drafts are gone (`Records.delete`): its
        groups, members and invites; nobody works on it any more."""
        consultation_id = id_of(consultation)
        self.session.execute(
            update(Person)
            .where(col(Person.current_consultation_id) == consultation_id)
            .values(current_consultation_id=None)
        )
        for table in (Invite, Membership):
            self.session.execute(delete(table).where(col(table.consultation_id) == consultation_id))
        self.session.execute(
            delete(StakeholderGroupRow).where(
                col(StakeholderGroupRow.consultation_id) == consultation_id
            )
        )
        self.session.delete(consultation)
        self.session.flush()
        self.session.wrote(["membership", "round", "consultation"])

    def groups(self, consultation_id: ConsultationId) -> Sequence[StakeholderGroupRow]:
        return self.session.exec(
            select(StakeholderGroupRow)
            .where(StakeholderGroupRow.consultation_id == consultation_id)
            .order_by(col(StakeholderGroupRow.id))
        ).all()

    def group(self, group_id: GroupId) -> StakeholderGroupRow | None:
        return self.session.row(StakeholderGroupRow, group_id)

    def add_member(
        self,
        consultation_id: ConsultationId,
        person_id: PersonId,
        role: Role,
        group_id: GroupId | None = None,
    ) -> Membership:
        existing = self.session.exec(
            select(Membership).where(
                Membership.consultation_id == consultation_id,
                Membership.person_id == person_id,
                Membership.role == role.value,
            )
        ).first()
        if existing is not None:
            if group_id is not None and existing.group_id != group_id:
                existing.group_id = group_id
                self.session.add(existing)
            return existing
        member = Membership(
            consultation_id=consultation_id, person_id=person_id, role=role.value, group_id=group_id
        )
        self.session.add(member)
        self.session.flush()
        return member

    def withdraw_consent(self, consultation_id: ConsultationId) -> None:
        """Everyone in the consultation is shown by group again (the policy changed)."""
        self.session.execute(
            update(Membership)
            .where(col(Membership.consultation_id) == consultation_id)
            .values(named_consent=False)
        )

    def consenting(self, consultation_id: ConsultationId) -> set[PersonId]:
        """People who agreed to be shown by organisation or name in this consultation."""
        rows = self.session.exec(
            select(col(Membership.person_id)).where(
                Membership.consultation_id == consultation_id, col(Membership.named_consent)
            )
        ).all()
        return set(rows)

    def roles(self, consultation_id: ConsultationId, person_id: PersonId) -> tuple[Member, ...]:
        memberships = self.memberships(consultation_id, person_id)
        return tuple(Member(m.role, m.group_id) for m in memberships)

    def memberships(
        self, consultation_id: ConsultationId, person_id: PersonId
    ) -> Sequence[Membership]:
        return self.session.remembered(
            "membership",
            (consultation_id, person_id),
            lambda: self.session.exec(
                MEMBERSHIPS_OF, params={"consultation_id": consultation_id, "person_id": person_id}
            ).all(),
        )

    def members(
        self, consultation_id: ConsultationId, role: Role | None = None, *, present: bool = False
    ) -> Sequence[Membership]:
        """The consultation's memberships (of one role); `present`: not of erased people."""
        query = select(Membership).where(Membership.consultation_id == consultation_id)
        if role is not None:
            query = query.where(Membership.role == role.value)
        if present:
            query = query.join(Person, col(Person.id) == col(Membership.person_id)).where(
                col(Person.erased_at).is_(None)
            )
        return self.session.exec(query.order_by(col(Membership.id))).all()
