"""People, their accounts on each platform, and what a batch reads about its senders."""

from __future__ import annotations

from sqlmodel import select

from consultations.model import Role
from storage.consultations import Member
from storage.records import Store
from storage.tables import Person
from tests.storage.world import make_stakeholder, make_world


def test_a_platform_identity_maps_to_one_person(store: Store, clock) -> None:
    with store.transaction() as records:
        ana = records.people.person_for("telegram:100", display_name="Ana", language="pt")
        again = records.people.person_for(
            "telegram:100", display_name="Someone else", language="en"
        )
        assert again.id == ana.id
    with store.transaction() as records:
        later = records.people.person_for("telegram:100", display_name="Changed", language="de")
        other = records.people.person_for(
            "matrix:@ana:example.org", display_name="Ana", language="pt"
        )
        assert later.id == ana.id
        assert later.display_name == "Ana"  # first contact decided it
        assert later.language == "pt"
        assert later.pseudonym == ana.pseudonym and later.pseudonym.startswith("p-")
        assert other.id != ana.id
        assert [i.platform_id for i in records.people.identities(ana.id)] == ["telegram:100"]
        assert len(records.session.exec(select(Person)).all()) == 2


def test_a_sender_read_ahead_follows_what_the_transaction_changes_later(store: Store) -> None:
    """A batch reads each sender once, yet the next event sees what an earlier one changed
    about them: their language, their roles."""
    world = make_world(store)
    ana = make_stakeholder(store, "telegram:100", name="Ana")
    with store.transaction() as records:
        group = records.consultations.groups(world.consultation_id)[0]
        records.consultations.add_member(world.consultation_id, ana, Role.STAKEHOLDER, group.id)
        person = records.people.person(ana)
        person.current_consultation_id = world.consultation_id
        records.save(person)
    with store.transaction() as batch:
        batch.people.read_ahead(["telegram:100", "telegram:404"])
        assert batch.people.sender("telegram:404") is None
        sender = batch.people.sender("telegram:100")
        assert sender is not None
        assert (sender.person_id, sender.language, sender.consultation_id) == (
            ana,
            "en",
            world.consultation_id,
        )
        assert sender.members == (Member("stakeholder", group.id),)
        assert not sender.blocked and not sender.language_chosen

        first = batch.sibling()
        first.people.person(ana).language = "fr"  # not flushed: the next event flushes it
        second = batch.sibling()
        changed = second.people.sender("telegram:100")
        assert changed is not None and changed.language == "fr"
        second.consultations.add_member(world.consultation_id, ana, Role.FACILITATOR)
        third = batch.sibling()
        again = third.people.sender("telegram:100")
        assert again is not None
        assert {m.role for m in again.members} == {"stakeholder", "facilitator"}
