"""Versions of a draft, numbered per consultation, their paragraphs in order."""

from __future__ import annotations

from storage.records import Store
from tests.storage.world import make_world


def test_versions_are_numbered_per_consultation_and_keep_paragraph_order(store: Store) -> None:
    world = make_world(store)  # its version 1 exists already
    with store.transaction() as records:
        other = records.consultations.create("Another", created_by=world.person_id)
        assert other.id is not None
        second = records.drafts.add_version(
            world.consultation_id,
            title="Draft v2",
            paragraphs=[
                ("zz", "Zeta first.", []),
                ("aa", "Alpha second.", [11, 12]),
                ("mm", "Mu third.", [13]),
            ],
            parent_id=world.version_id,
            created_by=world.person_id,
        )
        first_of_other = records.drafts.add_version(
            other.id, title="Other", paragraphs=[("q", "Q.", [])], parent_id=None, created_by=None
        )
        assert (second.number, first_of_other.number) == (2, 1)
    with store.transaction() as records:
        assert [v.number for v in records.drafts.versions(world.consultation_id)] == [1, 2]
        latest = records.drafts.version(world.consultation_id)
        assert latest is not None and latest.number == 2 and latest.parent_id == world.version_id
        assert latest.id is not None
        rows = records.drafts.paragraphs(latest.id)
        assert [(p.position, p.uid, p.text, p.sources) for p in rows] == [
            (1, "zz", "Zeta first.", []),
            (2, "aa", "Alpha second.", [11, 12]),
            (3, "mm", "Mu third.", [13]),
        ]
        assert [p.uid for p in records.drafts.paragraphs(world.version_id)] == ["u1", "u2"]
