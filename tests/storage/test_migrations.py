"""The migrations build exactly the schema the code declares, on both stores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from consultations.ids import RoundId
from storage.engine import (
    HEAD_REVISION,
    alembic_config,
    current_revision,
    head_revision,
    is_up_to_date,
    make_engine,
    upgrade,
)
from storage.records import Store


def test_the_migrated_schema_is_the_declared_schema(store: Store) -> None:
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_every_migration_can_be_undone_and_redone(sqlite_store: Store) -> None:
    with sqlite_store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert current_revision(sqlite_store.engine) is None
    upgrade(sqlite_store.engine)
    assert current_revision(sqlite_store.engine) == head_revision()


def test_the_known_head_is_the_newest_migration() -> None:
    """Starts compare the database with HEAD_REVISION instead of loading Alembic: a new
    migration must move it, or an upgraded release would not migrate on start."""
    assert head_revision() == HEAD_REVISION


def test_a_database_at_head_opens_without_alembic(tmp_path: Path) -> None:
    database = tmp_path / "consultbot.db"
    upgrade(make_engine(f"sqlite:///{database}"))
    probe = (
        "import sys\n"
        "from storage.engine import is_up_to_date, make_engine, upgrade\n"
        f"engine = make_engine({f'sqlite:///{database}'!r})\n"
        "upgrade(engine)\n"
        "assert is_up_to_date(engine)\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('alembic', 'mako')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_an_empty_or_older_database_is_not_up_to_date(sqlite_store: Store) -> None:
    assert is_up_to_date(sqlite_store.engine)
    with sqlite_store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "-1")
    assert current_revision(sqlite_store.engine) not in (None, HEAD_REVISION)
    assert not is_up_to_date(sqlite_store.engine)
    upgrade(sqlite_store.engine)
    assert is_up_to_date(sqlite_store.engine)
    with sqlite_store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert current_revision(sqlite_store.engine) is None
    assert not is_up_to_date(sqlite_store.engine)


def test_the_schema_is_at_head_and_upgrading_again_is_harmless(store: Store) -> None:
    head = head_revision()
    assert head is not None
    assert current_revision(store.engine) == head
    with store.transaction() as records:
        records.values.set("sync", "s-42")

    upgrade(store.engine)
    upgrade(store.engine)

    assert current_revision(store.engine) == head
    with store.transaction() as records:
        assert records.values.get("sync") == "s-42"


def test_rounds_from_before_per_round_reminders_keep_the_default(store: Store) -> None:
    """0008_reminders: a round held before it reminds as rounds did (the default for its
    length), and the facilitator can now set its reminders."""
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0006_outbox")
        connection.execute(
            text(
                "INSERT INTO consultation (id, title, attribution, erasure, timezone, created_at)"
                " VALUES (1, 'Spyware', 'group', 'pseudonymise', 'UTC', '2026-12-01 09:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO draft_version (id, consultation_id, number, title, created_at)"
                " VALUES (1, 1, 1, 'Spyware', '2026-12-01 09:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO round (id, consultation_id, version_id, number, state, closes_at)"
                " VALUES (1, 1, 1, 1, 'open', '2026-12-04 09:00:00')"
            )
        )
    upgrade(store.engine)
    with store.transaction() as records:
        round_ = records.rounds.get(RoundId(1))
        assert round_ is not None and round_.reminders is None
        round_.reminders = [1440, 120]
        records.save(round_)
    with store.transaction() as records:
        round_ = records.rounds.get(RoundId(1))
        assert round_ is not None and round_.reminders == [1440, 120]


def test_upgrading_to_feedback_keeps_consultations_with_feedback_off(sqlite_store: Store) -> None:
    with sqlite_store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0006_outbox")
        connection.exec_driver_sql(
            "INSERT INTO consultation (title, attribution, erasure, timezone, created_at)"
            " VALUES ('Spyware statement', 'group', 'pseudonymise', 'UTC', '2026-12-01 09:00')"
        )
    upgrade(sqlite_store.engine)
    with sqlite_store.transaction() as records:
        (consultation,) = records.consultations.all()
        assert consultation.title == "Spyware statement" and consultation.feedback is False
