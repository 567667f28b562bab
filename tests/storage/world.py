"""A small world for the storage tests: a facilitator, a consultation with the default
groups, a version of its draft and a round; stakeholders and submissions to add to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from consultations.model import Kind
from storage.records import Store
from storage.submissions import NewSubmission


@dataclass(frozen=True)
class World:
    person_id: int
    consultation_id: int
    version_id: int
    round_id: int


def make_world(store: Store) -> World:
    """A facilitator, a consultation with the default groups, a version and a round."""
    with store.transaction() as records:
        facilitator = records.people.person_for("telegram:1", display_name="Fac", language="en")
        assert facilitator.id is not None
        consultation = records.consultations.create(
            "Surveillance exports", created_by=facilitator.id
        )
        assert consultation.id is not None
        version = records.drafts.add_version(
            consultation.id,
            title="Draft",
            paragraphs=[("u1", "First.", []), ("u2", "Second.", [])],
            parent_id=None,
            created_by=facilitator.id,
        )
        assert version.id is not None
        round_ = records.rounds.add(consultation.id, version.id)
        assert round_.id is not None
        return World(facilitator.id, consultation.id, version.id, round_.id)


def make_stakeholder(store: Store, platform_id: str, **fields: str) -> int:
    with store.transaction() as records:
        person = records.people.person_for(
            platform_id, display_name=fields.get("name"), language="en"
        )
        if "organisation" in fields:
            person.organisation = fields["organisation"]
            records.save(person)
        assert person.id is not None
        return person.id


def new_submission(
    world: World,
    person_id: int | None,
    kind: Kind,
    uid: str = "u1",
    *,
    at: datetime,
    text: str | None = None,
    source: str | None = None,
) -> NewSubmission:
    return NewSubmission(
        round_id=world.round_id,
        person_id=person_id,
        paragraph_uid=uid,
        kind=kind,
        created_at=at,
        text=text,
        source=source,
    )
