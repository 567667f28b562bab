"""Invites: admitting as many people as they allow, until they expire."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from consultations.model import Role
from storage.records import Store
from storage.tables import Invite
from tests.storage.world import World, make_world


def _invite(store: Store, world: World, code: str, *, uses: int, expires_at) -> None:
    with store.transaction() as records:
        group = next(
            g
            for g in records.consultations.groups(world.consultation_id)
            if g.key == "civil-society"
        )
        records.invites.add(
            code,
            Invite(
                code_hash="",
                consultation_id=world.consultation_id,
                group_id=group.id,
                role=Role.STAKEHOLDER.value,
                uses_left=uses,
                expires_at=expires_at,
            ),
        )


def test_a_two_use_invite_admits_exactly_two_people(store: Store, clock) -> None:
    world = make_world(store)
    _invite(store, world, "JOIN-CSO-2", uses=2, expires_at=clock() + timedelta(days=7))
    admitted = []
    for _person in range(3):
        with store.transaction() as records:
            invite = records.invites.use("JOIN-CSO-2", clock())
            admitted.append(None if invite is None else invite.uses_left)
    assert admitted == [1, 0, None]
    with store.transaction() as records:
        invite = records.session.exec(select(Invite)).one()
        assert invite.uses_left == 0
        assert invite.code_hash != "JOIN-CSO-2"  # only the hash is kept
        assert len(invite.code_hash) == 64


def test_an_expired_invite_admits_nobody(store: Store, clock) -> None:
    world = make_world(store)
    _invite(store, world, "LATE", uses=5, expires_at=clock() + timedelta(hours=1))
    with store.transaction() as records:
        assert records.invites.use("LATE", clock() + timedelta(hours=1)) is None  # at expiry
        assert records.invites.use("LATE", clock() + timedelta(days=1)) is None
        assert records.session.exec(select(Invite)).one().uses_left == 5
        # just before expiry it still works
        assert records.invites.use("LATE", clock() + timedelta(minutes=59)) is not None


def test_an_unknown_invite_admits_nobody(store: Store, clock) -> None:
    world = make_world(store)
    _invite(store, world, "REAL", uses=1, expires_at=None)
    with store.transaction() as records:
        assert records.invites.use("FAKE", clock()) is None
        assert records.invites.use("", clock()) is None
        assert records.session.exec(select(Invite)).one().uses_left == 1
        used = records.invites.use(" REAL ", clock())  # pasted with spaces around
        assert used is not None and used.consultation_id == world.consultation_id
