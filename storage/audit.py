"""The audit trail: what organisers did, as a hash chain. Each entry's hash covers its
own fields and the previous entry's hash, so editing, deleting or reordering any entry
breaks the chain from that point on (`Audit.verify` finds where).

A chain alone cannot show that its newest entries were cut off, or that it was rebuilt
from scratch: it is anchored by its head (`Head`: how many entries, and the newest one's
hash), which `consultbot audit verify` and every export print. An operator keeps it
elsewhere; `Audit.holds(saved)` then says whether the chain still grows from it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from consultations.ids import ConsultationId
from storage.tables import AuditEvent, utcnow
from storage.unit_of_work import Repository

GENESIS_HASH = "0" * 64  # what the first entry's hash follows


def audit_hash(
    prev_hash: str,
    at: datetime,
    consultation_id: ConsultationId | None,
    actor: str,
    action: str,
    detail: dict[str, Any],
) -> str:
    payload = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), consultation_id, actor, action, detail],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Head:
    """Where the chain stands: its number of entries and the newest entry's hash, written
    `COUNT:HASH`."""

    count: int
    hash: str

    def __str__(self) -> str:
        return f"{self.count}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Head:
        """A head as `__str__` writes it; ValueError for anything else."""
        count, _, hash_ = text.strip().partition(":")
        if not count.isdigit() or len(hash_) != 64 or set(hash_) - set("0123456789abcdef"):
            raise ValueError(f"{text!r} is not an audit head: write COUNT:HASH as printed")
        return cls(int(count), hash_)


class Audit(Repository):
    def append(
        self,
        consultation_id: ConsultationId | None,
        actor: str,
        action: str,
        detail: dict[str, Any],
    ) -> AuditEvent:
        """Append to the hash chain: each entry's hash covers the previous one's."""
        last = self.session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
        prev_hash = last.hash if last is not None else GENESIS_HASH
        at = utcnow()
        event = AuditEvent(
            at=at,
            consultation_id=consultation_id,
            actor=actor,
            action=action,
            detail=detail,
            prev_hash=prev_hash,
            hash=audit_hash(prev_hash, at, consultation_id, actor, action, detail),
        )
        self.session.add(event)
        self.session.flush()
        return event

    def trail(self, consultation_id: ConsultationId | None = None) -> Sequence[AuditEvent]:
        """The entries, oldest first: all, or one consultation's."""
        query = select(AuditEvent)
        if consultation_id is not None:
            query = query.where(AuditEvent.consultation_id == consultation_id)
        return self.session.exec(query.order_by(col(AuditEvent.id))).all()

    def head(self) -> Head:
        """How many entries there are, and the newest one's hash."""
        entries = self.trail()
        return Head(len(entries), entries[-1].hash if entries else GENESIS_HASH)

    def holds(self, saved: Head) -> bool:
        """Whether the chain still has, as its `saved.count`-th entry, the one that was
        its head: False if it was cut short below it, or rebuilt."""
        if saved.count == 0:
            return True
        entries = self.trail()
        return len(entries) >= saved.count and entries[saved.count - 1].hash == saved.hash

    def verify(self) -> int | None:
        """The id of the first entry that does not fit the chain, or None if all do."""
        prev_hash = GENESIS_HASH
        for event in self.trail():
            expected = audit_hash(
                prev_hash, event.at, event.consultation_id, event.actor, event.action, event.detail
            )
            if event.prev_hash != prev_hash or event.hash != expected:
                return event.id
            prev_hash = event.hash
        return None
