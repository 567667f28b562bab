"""Inbound events claimed: each event's stable source (`Inbound.source`) is stored with
what it did, in the same transaction, so a redelivered event is told apart and dropped."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import sqlalchemy
from sqlalchemy import Table, bindparam
from sqlalchemy.sql.elements import TextClause

from storage.tables import ProcessedEvent, utcnow
from storage.unit_of_work import AlreadyHandled, Repository, UnitOfWork

PROCESSED_EVENTS: Table = ProcessedEvent.__table__  # type: ignore[attr-defined]


@cache
def claim_statement(count: int) -> TextClause:
    """Claiming `count` events: an insert that skips (and returns no row for) any already
    there, built once per size. Written out because SQLAlchemy does not cache a multi-row
    insert, and compiling it cost more than running it; SQLite and PostgreSQL spell
    ON CONFLICT alike."""
    rows = ", ".join(f"(:source{i}, :at)" for i in range(count))  # placeholders only
    return sqlalchemy.text(
        f"INSERT INTO processed_event (source, at) VALUES {rows} "  # noqa: S608
        "ON CONFLICT DO NOTHING RETURNING source"
    ).bindparams(bindparam("at", type_=PROCESSED_EVENTS.c.at.type))


class Events(Repository):
    def __init__(self, session: UnitOfWork) -> None:
        super().__init__(session)
        self.claimed: set[str] = set()  # by this transaction: no need to look them up

    def claim(self, source: str) -> None:
        """Mark an inbound event handled, or raise AlreadyHandled if it already was."""
        if source not in self.claim_all([source]):
            raise AlreadyHandled(source)

    def claim_all(self, sources: Sequence[str]) -> set[str]:
        """Mark inbound events handled; returns those that were not already.

        One statement: the insert skips events that are there, and on PostgreSQL it waits
        for a concurrent twin's transaction and then skips it too.
        """
        statement = claim_statement(len(sources))
        values: dict[str, Any] = {f"source{i}": source for i, source in enumerate(sources)}
        rows = self.session.write(statement, {**values, "at": utcnow()})
        claimed = {source for (source,) in rows}
        self.claimed |= claimed
        return claimed
