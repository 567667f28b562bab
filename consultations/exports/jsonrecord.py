"""The record as JSON (schema `consultbot.record/2`), and back.

The JSON is the record's own shape: every field of every dataclass under `Record`, named
as in the code, documented in docs/export-schema.md (with a JSON Schema beside it). The
codec walks the dataclasses' type hints both ways instead of listing fields by hand, so a
field added to the record or its summary appears in the export and reads back without a
second place to update; the round-trip test holds the two directions together.

A field marked private (`field(metadata={"private": True})`, such as who gave an input,
which would link everything one person said) is never written.

Within a schema version changes are additive: readers ignore fields they do not know,
and a field that is missing takes its default. Renaming or removing a field is a new
schema version. Version 2 added the draft's structure (a version's sections and notes,
a paragraph's label, kind and links); a version 1 document still reads, each version as
its paragraphs alone.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, fields, is_dataclass
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any

from consultations.exports.record import Record, Text

SCHEMA = "consultbot.record/2"
READABLE = (SCHEMA, "consultbot.record/1")  # 2 only added fields: 1 reads as 2


class RecordFormatError(ValueError):
    """The document is not a consultbot record this version can read."""


def to_json(record: Record, t: Text | None = None) -> bytes:
    """The whole record, with its schema name first; `t` is unused (JSON is data)."""
    document = {"schema": SCHEMA, **_encode(record)}
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def from_json(data: bytes | str) -> Record:
    """Rebuild a record from `to_json`'s output."""
    try:
        document = json.loads(data)
    except ValueError as error:
        raise RecordFormatError(f"not JSON: {error}") from None
    if not isinstance(document, dict) or document.get("schema") not in READABLE:
        raise RecordFormatError(f"not a {SCHEMA} document")
    record = _decode(Record, {k: v for k, v in document.items() if k != "schema"}, "$")
    assert isinstance(record, Record)
    return record


_PLAIN = (str, int, float, bool, type(None))


def _encode(value: Any) -> Any:
    # Most values are plain (a 10,000-submission record holds hundreds of thousands):
    # they go first, and each dataclass's exported fields are listed once.
    if isinstance(value, _PLAIN) and not isinstance(value, Enum):
        return value
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    kind: type = type(value)
    exported = _exported(kind)
    if exported is not None:
        return {name: _encode(getattr(value, name)) for name in exported}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


@cache
def _exported(cls: type) -> tuple[str, ...] | None:
    """The fields of a dataclass that are written (not private); None for other types."""
    if not is_dataclass(cls):
        return None
    return tuple(f.name for f in fields(cls) if not f.metadata.get("private"))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(hint: Any, value: Any, where: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        for option in options[:-1]:
            try:
                return _decode(option, value, where)
            except RecordFormatError:
                continue
        return _decode(options[-1], value, where)
    if isinstance(hint, typing.NewType):  # an id: its plain value
        return _decode(hint.__supertype__, value, where)
    if origin is typing.Literal:
        if value not in args:
            raise RecordFormatError(f"{where}: {value!r} is not one of {args}")
        return value
    if origin is tuple or origin in (list, Sequence):
        if not isinstance(value, list):
            raise RecordFormatError(f"{where}: expected a list")
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(value):
                raise RecordFormatError(f"{where}: expected {len(args)} items")
            pairs = enumerate(zip(args, value, strict=True))
            items = [_decode(a, v, f"{where}[{i}]") for i, (a, v) in pairs]
        else:
            item = args[0] if args else Any
            items = [_decode(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return list(items) if origin is list else tuple(items)
    if origin in (dict, Mapping):
        if not isinstance(value, dict):
            raise RecordFormatError(f"{where}: expected an object")
        item = args[1] if args else Any
        return {k: _decode(item, v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(hint, type):
        return _decode_class(hint, value, where)
    raise RecordFormatError(f"{where}: cannot read a {hint!r}")


def _decode_class(cls: type, value: Any, where: str) -> Any:
    if is_dataclass(cls):
        if not isinstance(value, dict):
            raise RecordFormatError(f"{where}: expected an object")
        hints = _hints(cls)
        values = {}
        for f in fields(cls):
            if f.name in value:
                values[f.name] = _decode(hints[f.name], value[f.name], f"{where}.{f.name}")
            elif f.default is MISSING and f.default_factory is MISSING:
                raise RecordFormatError(f"{where}: {f.name} is missing")
        return cls(**values)
    if issubclass(cls, Enum):
        try:
            return cls(value)
        except ValueError:
            raise RecordFormatError(f"{where}: {value!r} is not a {cls.__name__}") from None
    if cls is datetime:
        if not isinstance(value, str):
            raise RecordFormatError(f"{where}: expected an ISO 8601 time")
        return datetime.fromisoformat(value)
    if cls is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if cls is int and isinstance(value, bool):
        raise RecordFormatError(f"{where}: expected a number")
    if isinstance(value, cls):
        return value
    raise RecordFormatError(f"{where}: expected {cls.__name__}, got {type(value).__name__}")
