"""Statements run on the database driver's own cursor: the few that every event makes.

SQLAlchemy's execution around a statement (its context, result and events) costs several
times what the statement itself costs on SQLite, and every inbound event makes a claim,
reads who sent it and usually inserts. Those statements are compiled here once per
dialect and set of columns, with the conversions SQLAlchemy would apply to parameters and
to a select's columns (SQLite's dates and booleans), and run on the cursor of the
transaction's own connection.
Driver errors are raised as SQLAlchemy's exceptions (a unique violation is still an
`IntegrityError`), so they fail their unit of work as any other statement's would. Engine
logging (`echo`) does not show these statements.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement, Select
from sqlalchemy.sql.compiler import SQLCompiler

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """A statement compiled for one dialect: its SQL, parameter order and conversions."""

    sql: str
    order: tuple[str, ...] | None  # parameter names in order; None for named parameters
    convert: tuple[tuple[str, Callable[[Any], Any]], ...]  # per parameter, where needed
    results: tuple[Callable[[Any], Any] | None, ...] | None  # per column; None: none needed

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        converted = dict(values)
        for name, process in self.convert:
            if name in converted:
                converted[name] = process(converted[name])
        if self.order is None:
            return converted
        return tuple(converted[name] for name in self.order)

    def run(self, connection: Connection, values: Mapping[str, Any]) -> list[Row]:
        """Execute in `connection`'s transaction; the rows it returns."""
        dialect = connection.dialect
        parameters = self.parameters(values)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(self.sql, parameters)
            rows = cursor.fetchall() if cursor.description else []
        except dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                self.sql, parameters, exc, dialect.loaded_dbapi.Error, dialect=dialect
            ) from exc
        finally:
            cursor.close()
        if self.results is None:
            return [tuple(row) for row in rows]
        processors = self.results
        return [
            tuple(
                value if p is None else p(value) for p, value in zip(processors, row, strict=True)
            )
            for row in rows
        ]


@lru_cache(maxsize=256)  # a few statements per engine
def compiled(
    statement: ClauseElement, dialect: Dialect, columns: tuple[str, ...] = ()
) -> DriverStatement:
    """`statement` for `dialect`; for an insert, `columns` are the ones it sets."""
    compiled = statement.compile(dialect=dialect, column_keys=list(columns) or None)
    assert isinstance(compiled, SQLCompiler)
    convert = []
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            convert.append((name, process))
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    results = None
    if isinstance(statement, Select):
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        )
        results = processors if any(processors) else None
    return DriverStatement(compiled.string, order, tuple(convert), results)
