"""The unit of work: one transaction's session, and what it remembers while it lasts.

`Store.transaction()` (storage/records.py) opens one `UnitOfWork` per transaction; the
repositories read and write through it. It keeps what the transaction read, so that
looking it up again is free, and forgets it as soon as it may be stale. SQLAlchemy tells
it what happens through four event hooks, at the bottom of this module:

* `loaded_as_persistent`: a row was loaded; it is held (`held`) until the transaction
  ends, since SQLAlchemy's identity map alone holds rows weakly and would read a row
  dropped between two lookups again.
* `after_flush`: the ORM wrote; the write is counted (`writes`, for `Records.mark` and
  `wrote_since`) and what was remembered from the tables it wrote is forgotten.
* `do_orm_execute`: a write statement through the session (an update, a delete);
  counted and forgotten alike. Statements run on the driver (`write`) do the same
  themselves.
* `after_soft_rollback`: anything rolled back (a savepoint too) forgets everything
  remembered.

A transaction refused by a unique constraint raises `Duplicate`, one that PostgreSQL gave
up to keep concurrent ones consistent raises `Contention`:

    Duplicate              a concurrent writer got there first; the unit of work may be done again
     ├── AlreadyHandled    this very event (or submission) was stored before: a redelivery
     └── Contention        a deadlock or a serialization failure: nothing changed, try again
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar, cast

from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, UOWTransaction
from sqlalchemy.sql import ClauseElement, Executable, Insert
from sqlmodel import Session

from storage.driver import Row, compiled

T = TypeVar("T")

SENDERS = "sender"  # what `UnitOfWork.memo` keeps senders under
SENDER_TABLES = frozenset({"identity", "person", "membership"})  # a write to any drops them


class Duplicate(Exception):
    """A unique constraint refused the transaction: a concurrent writer got there first.

    Nothing was changed. Trying the whole unit of work again sees what the other wrote.
    """


class AlreadyHandled(Duplicate):
    """This very event (or submission) was stored before: a redelivery, to be ignored."""


class Contention(Duplicate):
    """PostgreSQL ended the transaction to keep concurrent ones consistent (a deadlock
    between two workers, a serialization failure). Nothing was changed; done again, it
    goes through."""

    SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected


class UnitOfWork(Session):
    """A session that keeps what it read until the transaction ends.

    SQLAlchemy's identity map holds rows weakly, so a row read, used and dropped (the
    person's consultation, their group, the open round) would be read again by the next
    lookup of the same key. Holding them makes those lookups free, for one event and
    across the events a batch handles in one transaction. `remembered` does the same for
    a few queries every event makes; what it keeps is dropped as soon as this session
    writes to the table it came from, or rolls anything back.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, expire_on_commit=False)
        self.held: list[object] = []
        self.memo: dict[str, dict[Hashable, Any]] = {}  # table -> lookup -> what it gave
        self.writes = 0  # flushes and write statements so far

    def remembered(self, table: str, key: Hashable, load: Callable[[], T]) -> T:
        """`load()`, or what it gave before in this transaction if `table` is unchanged."""
        known = self.memo.setdefault(table, {})
        if key not in known:
            known[key] = load()
        return cast(T, known[key])

    def row(self, model: type[T], key: int) -> T | None:
        """`get`, answered from memory after the first time in this transaction: the
        identity map would give the same object, at several times the cost."""
        table: str = model.__tablename__  # type: ignore[attr-defined]
        return self.remembered(table, key, lambda: self.get(model, key))

    def wrote(self, tables: Iterable[str]) -> None:
        for table in tables:
            self.memo.pop(table, None)
            if table in SENDER_TABLES:
                self.memo.pop(SENDERS, None)

    def wrote_with(self, statement: Executable) -> None:
        """Count a write statement and forget what it may have changed."""
        self.writes += 1
        if self.memo:
            table = getattr(statement, "table", None)
            if table is None:
                self.memo.clear()
            else:
                self.wrote([table.name])

    def read(self, statement: ClauseElement, values: dict[str, Any]) -> list[Row]:
        """A read on this transaction's connection, run on the driver's cursor (see
        `storage.driver`): the rows, converted as SQLAlchemy would convert them.
        What the ORM holds unflushed goes first, so the read sees it."""
        self.flush()
        connection = self.connection()
        return compiled(statement, connection.dialect).run(connection, values)

    def write(self, statement: Executable, values: dict[str, Any]) -> list[Row]:
        """A write on this transaction's connection, run on the driver's cursor (see
        `storage.driver`) and counted like any write; the rows it returns. What the ORM
        holds unflushed goes first, so rows land in the order made. For an insert,
        `values` name the columns it sets."""
        self.flush()
        connection = self.connection()
        columns = tuple(values) if isinstance(statement, Insert) else ()
        rows = compiled(statement, connection.dialect, columns).run(connection, values)
        self.wrote_with(statement)
        return rows


class Repository:
    """One subject's reads and writes (people, rounds, the outbox...) within one unit of
    work; `Records` gathers them for a transaction."""

    def __init__(self, session: UnitOfWork) -> None:
        self.session = session


@sqlalchemy_event.listens_for(UnitOfWork, "loaded_as_persistent")
def _hold(session: Session, instance: object) -> None:
    if isinstance(session, UnitOfWork):
        session.held.append(instance)


@sqlalchemy_event.listens_for(UnitOfWork, "after_flush")
def _flushed(session: Session, flush: UOWTransaction) -> None:
    if isinstance(session, UnitOfWork):
        session.writes += 1
        if session.memo:
            session.wrote({state.mapper.local_table.name for state in flush.states})


@sqlalchemy_event.listens_for(UnitOfWork, "do_orm_execute")
def _executing(state: ORMExecuteState) -> None:
    session = state.session
    if isinstance(session, UnitOfWork) and not state.is_select:
        session.wrote_with(state.statement)


@sqlalchemy_event.listens_for(UnitOfWork, "after_soft_rollback")
def _rolled_back(session: Session, _previous: Any) -> None:
    if isinstance(session, UnitOfWork):
        session.memo.clear()
