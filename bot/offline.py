"""What the operator and the secretariat do from the command line, without a chat."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.app import SetupError
from bot.catalog import Catalog
from bot.handlers.people import issue_invite
from bot.handlers.record import build_record
from bot.turn import Refusal
from consultations import exports
from consultations.ids import ConsultationId
from storage.records import Records, Store
from storage.tables import Consultation


def list_consultations(store: Store) -> list[str]:
    with store.transaction() as records:
        return [f"{c.id}\t{c.title}" for c in records.consultations.all()]


def export_record(
    store: Store,
    consultation_id: ConsultationId,
    fmt: str,
    language: str | None = None,
    *,
    version: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[str, bytes]:
    """(file name, content) of a consultation's record; `progress` hears each stage begin."""
    name = exports.export_format(fmt)
    if name is None:
        raise SetupError(
            f"{fmt!r} is not an export format; use one of: {', '.join(exports.EXPORTERS)}"
        )
    step = progress or (lambda stage: None)
    catalog = Catalog()
    step("reading the record")
    with store.transaction() as records:
        consultation = existing(records, consultation_id)
        try:
            record = build_record(
                records, catalog, language, consultation, datetime.now(UTC), version
            )
        except Refusal as refusal:
            raise SetupError(catalog.text(refusal.key, language, **refusal.values)) from None

    def t(key: str, **values: Any) -> str:
        return catalog.text(key, language, **values)

    step(f"writing {name}")
    filename, _, content = exports.render(record, name, t)
    return filename, content


def existing(records: Records, consultation_id: ConsultationId) -> Consultation:
    consultation = records.consultations.get(consultation_id)
    if consultation is None:
        raise SetupError(
            f"there is no consultation {consultation_id}; `consultbot consultations` lists them"
        )
    return consultation


def create_invite(
    store: Store, consultation_id: ConsultationId, group: str, uses: int, days: int
) -> str:
    with store.transaction() as records:
        consultation = existing(records, consultation_id)
        try:
            code, role = issue_invite(
                records, consultation, group, uses, datetime.now(UTC) + timedelta(days=days), None
            )
        except Refusal as refusal:
            raise SetupError(Catalog().text(refusal.key, **refusal.values)) from None
        records.audit.append(
            consultation_id,
            "operator",
            "invite.created",
            {"role": role.value, "group": group, "uses": uses},
        )
    return code
