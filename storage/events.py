"""Inbound events claimed: each event's stable source (`Inbound.source`) is stored with
what it did, in the same transaction, so a redelivered event is told apart and dropped.

A source names a chat and a message in it (on Telegram a private chat's id is the
person's), so it is never stored as it is: the table holds a keyed hash of it (HMAC with
the store's event key, which lives outside the database), and its rows are pruned once a
platform could no longer redeliver the event (`EVENT_WINDOW`). A database that leaks
alone cannot say who sent what."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy
from sqlalchemy import Table, bindparam, delete
from sqlalchemy.sql.elements import TextClause

from storage.tables import ProcessedEvent, utcnow
from storage.unit_of_work import AlreadyHandled, Repository, UnitOfWork

PROCESSED_EVENTS: Table = ProcessedEvent.__table__  # type: ignore[attr-defined]
# How long a handled event is remembered: Telegram keeps an unconfirmed update for 24
# hours, and a Matrix sync resumes from its saved position; two days covers both.
EVENT_WINDOW = timedelta(days=2)


def event_identity(key: bytes, source: str) -> str:
    """What is stored for an event's `source`: its HMAC-SHA256 under `key`."""
    return hmac.new(key, source.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


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
    def __init__(self, session: UnitOfWork, key: bytes) -> None:
        super().__init__(session)
        self.key = key
        self.claimed: set[str] = set()  # identities claimed by this transaction

    def identity(self, source: str) -> str:
        """The keyed pseudonym of an event's source, as stored (here and on its input)."""
        return event_identity(self.key, source)

    def claim(self, source: str, at: datetime | None = None) -> None:
        """Mark an inbound event handled, or raise AlreadyHandled if it already was."""
        if source not in self.claim_all([source], at):
            raise AlreadyHandled(source)

    def claim_all(self, sources: Sequence[str], at: datetime | None = None) -> set[str]:
        """Mark inbound events handled (`at`: now by default); returns those that were not
        already.

        One statement: the insert skips events that are there, and on PostgreSQL it waits
        for a concurrent twin's transaction and then skips it too.
        """
        identities = {self.identity(source): source for source in sources}
        statement = claim_statement(len(identities))
        values: dict[str, Any] = {f"source{i}": ident for i, ident in enumerate(identities)}
        rows = self.session.write(statement, {**values, "at": at or utcnow()})
        claimed = {ident for (ident,) in rows}
        self.claimed |= claimed
        return {identities[ident] for ident in claimed}

    def prune(self, before: datetime) -> int:
        """Forget events handled before `before` (no platform redelivers them); returns
        how many were forgotten."""
        result = self.session.execute(
            delete(PROCESSED_EVENTS).where(PROCESSED_EVENTS.c.at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
