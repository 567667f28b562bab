"""Versions of a draft, numbered per consultation, their paragraphs in order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consultations import document as draft
from consultations.drafts import parse_text
from consultations.ids import ConsultationId, PersonId, VersionId
from storage.drafts import VersionFrozen
from storage.records import Store
from storage.tables import id_of
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


def test_a_document_keeps_its_structure_and_changes_only_until_frozen(store: Store) -> None:
    world = make_world(store)
    statement = parse_text(
        "# Statement\n\nOctober 2014\n\nRecalling resolution 20/8,\n\n## Operative part\n\n"
        "1. Calls upon [states](https://example.org/states) to act;\n\n| a | b |\n|---|---|\n"
        "| 1 | 2 |"
    )
    with store.transaction() as records:
        version = records.drafts.cut(
            ConsultationId(world.consultation_id),
            statement,
            title="Statement",
            parent_id=None,
            created_by=None,
        )
        version_id = id_of(version)
    with store.transaction() as records:
        assert records.drafts.document(version_id).parts == statement.parts
        edited = draft.exclude(statement, 1)
        records.drafts.replace(version_id, edited, title="Statement")
    with store.transaction() as records:
        assert records.drafts.document(version_id).parts == edited.parts
        assert [p.uid for p in records.drafts.paragraphs(version_id)] == ["p2"]
        records.drafts.freeze(version_id, datetime(2026, 12, 1, tzinfo=UTC))
    with store.transaction() as records, pytest.raises(VersionFrozen):
        records.drafts.replace(version_id, statement, title="Statement")
    with store.transaction() as records:
        assert [p.uid for p in records.drafts.paragraphs(version_id)] == ["p2"]
    assert version_id in store.version_cache  # frozen: read once per process from now on


def test_a_consultation_that_never_ran_is_deleted_whole(store: Store) -> None:
    world = make_world(store)  # its round is scheduled, never opened
    with store.transaction() as records:
        records.drafts.set_translation(
            VersionId(world.version_id), "fr", {"u1": "Premier."}, {"u1": "First."}
        )
        person = records.people.person(PersonId(world.person_id))
        person.current_consultation_id = ConsultationId(world.consultation_id)
        records.save(person)
    with store.transaction() as records:
        consultation = records.consultations.get(ConsultationId(world.consultation_id))
        assert consultation is not None
        records.delete(consultation)
    with store.transaction() as records:
        assert records.consultations.get(ConsultationId(world.consultation_id)) is None
        assert records.drafts.versions(ConsultationId(world.consultation_id)) == []
        assert records.people.person(PersonId(world.person_id)).current_consultation_id is None
