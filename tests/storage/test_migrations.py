"""The migrations build exactly the schema the code declares, on both stores."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from storage.engine import alembic_config, current_revision, head_revision, upgrade
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
