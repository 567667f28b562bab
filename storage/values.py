"""Small named values (`key_value`): what the bot notes in passing, keyed by a string
that says what it is (`scheduler:...` for a reminder sent, `choices:...` for the buttons
a message offered, `link:...` for an account-linking code)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import col, select

from storage.tables import KeyValue
from storage.unit_of_work import Repository


class Values(Repository):
    def get(self, key: str) -> str | None:
        row = self.session.get(KeyValue, key)
        return row.value if row is not None else None

    def set(self, key: str, value: str) -> None:
        row = self.session.get(KeyValue, key)
        if row is None:
            row = KeyValue(key=key, value=value)
        else:
            row.value = value
        self.session.add(row)
        self.session.flush()

    def delete(self, key: str) -> None:
        row = self.session.get(KeyValue, key)
        if row is not None:
            self.session.delete(row)
            self.session.flush()

    def with_prefix(self, prefix: str) -> dict[str, str]:
        """Every value whose key starts with `prefix`, by key."""
        rows = self.session.exec(select(KeyValue).where(col(KeyValue.key).startswith(prefix))).all()
        return {row.key: row.value for row in rows}

    def delete_prefix(self, prefix: str) -> None:
        """Delete every value whose key starts with `prefix`."""
        self.session.execute(delete(KeyValue).where(col(KeyValue.key).startswith(prefix)))
