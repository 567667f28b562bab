"""A database made by the release before documents (0006_outbox) is migrated: its drafts
become documents of one untitled section, versions reviewed in a round are frozen,
translations keep the text they were made from, and the record still exports."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from bot.catalog import Catalog
from bot.handlers.record import build_record
from consultations.document import DraftParagraph
from consultations.exports import render
from consultations.ids import ConsultationId, VersionId
from storage.engine import alembic_config, upgrade
from storage.records import Store

PREVIOUS = "0006_outbox"
AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

# As the previous release wrote them: a consultation, two versions of its draft, a round
# on the first, an accepted amendment applied in the second, a French translation.
ROWS = [
    "INSERT INTO person (id, pseudonym, language_chosen, created_at)"
    " VALUES (1, 'p-fac', false, :at), (2, 'p-ana', false, :at)",
    "INSERT INTO consultation (id, title, attribution, erasure, timezone, created_at)"
    " VALUES (1, 'Spyware statement', 'group', 'pseudonymise', 'UTC', :at)",
    "INSERT INTO stakeholder_group (id, consultation_id, key, name, aliases)"
    " VALUES (1, 1, 'civil-society', 'Civil society', '')",
    "INSERT INTO membership (id, consultation_id, person_id, role, group_id, joined_at,"
    " named_consent) VALUES (1, 1, 1, 'facilitator', NULL, :at, false),"
    " (2, 1, 2, 'stakeholder', 1, :at, false)",
    "INSERT INTO draft_version (id, consultation_id, number, title, parent_id, created_at)"
    " VALUES (1, 1, 1, 'Statement on spyware', NULL, :at),"
    " (2, 1, 2, 'Statement on spyware', 1, :at)",
    "INSERT INTO paragraph (id, version_id, uid, position, text, sources) VALUES"
    " (1, 1, 'p1', 1, 'We are concerned.', '[]'), (2, 1, 'p2', 2, 'We will refuse.', '[]'),"
    " (3, 2, 'p1', 1, 'We are concerned.', '[]'), (4, 2, 'p2', 2, 'We will always refuse.', '[1]')",
    "INSERT INTO paragraph_translation (version_id, uid, language, text) VALUES"
    " (1, 'p1', 'fr', 'Nous sommes préoccupés.'), (1, 'p2', 'fr', 'Nous refuserons.')",
    "INSERT INTO round (id, consultation_id, version_id, number, state, opened_at, closed_at)"
    " VALUES (1, 1, 1, 1, 'closed', :at, :at)",
    "INSERT INTO submission (id, round_id, person_id, group_id, paragraph_uid, kind, text,"
    " created_at, language) VALUES (1, 1, 2, 1, 'p2', 'amendment', 'We will always refuse.',"
    " :at, 'en')",
    "INSERT INTO amendment_decision (id, submission_id, decision, decided_by, decided_at,"
    " applied_in_version_id) VALUES (1, 1, 'accepted', 1, :at, 2)",
]


def t(key: str, **values: object) -> str:
    return Catalog().text(key, None, **values)


def test_a_database_of_the_previous_release_is_migrated_and_still_exports(store: Store) -> None:
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), PREVIOUS)
    try:
        with store.engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement), {"at": AT})
            if store.engine.dialect.name == "postgresql":  # rows given ids by hand
                for name in ("person", "consultation", "draft_version", "paragraph", "round"):
                    connection.execute(
                        text(f"SELECT setval('{name}_id_seq', (SELECT MAX(id) FROM {name}))")
                    )
    finally:
        upgrade(store.engine)

    with store.transaction() as records:
        first = records.drafts.document(VersionId(1))
        assert first.title == "Statement on spyware"
        assert first.parts == (
            DraftParagraph("p1", "We are concerned."),
            DraftParagraph("p2", "We will refuse."),
        )
        [section] = first.sections()
        assert section.heading is None and len(section.paragraphs) == 2
        versions = records.drafts.versions(ConsultationId(1))
        assert [v.frozen_at is not None for v in versions] == [True, False]  # round 1 on v1
        consultation = records.consultations.get(ConsultationId(1))
        assert consultation is not None and consultation.language == "en"
        translated = records.drafts.translations([VersionId(1)], "fr")[VersionId(1)]
        assert translated["p2"].original == "We will refuse."

        record = build_record(records, Catalog(), "en", consultation, AT)
        _, _, markdown = render(record, "markdown", t)
        assert "2. We will always refuse." in markdown.decode()
        _, _, data = render(record, "json", t)
        version = json.loads(data)["versions"][1]
        assert version["sections"] == [
            {"uid": "s0", "heading": None, "level": 0, "parts": ["p1", "p2"]}
        ]
        assert version["sources"] == {"p2": [1]}
        _, _, word = render(record, "docx", t)
        assert word[:2] == b"PK"

        # the migrated version 2 can still be fixed before its round, and then frozen
        records.drafts.replace(
            VersionId(2), records.drafts.document(VersionId(2)), title="Statement"
        )
        assert [p.sources for p in records.drafts.paragraphs(VersionId(2))] == [[], [1]]
