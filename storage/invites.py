"""Invite codes: kept only as their SHA-256 (`hash_code`), so a copy of the database
admits nobody; each use is counted off atomically."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from storage.tables import Invite
from storage.unit_of_work import Repository


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


class Invites(Repository):
    def add(self, code: str, invite: Invite) -> Invite:
        invite.code_hash = hash_code(code)
        self.session.add(invite)
        self.session.flush()
        return invite

    def find(self, code: str, now: datetime) -> Invite | None:
        """The invite a code names, if it is valid now; no use is consumed."""
        return self.session.exec(
            select(Invite).where(
                Invite.code_hash == hash_code(code),
                col(Invite.uses_left) > 0,
                (col(Invite.expires_at).is_(None)) | (col(Invite.expires_at) > now),
            )
        ).first()

    def use(self, code: str, now: datetime) -> Invite | None:
        """Consume one use of a valid code atomically; None if unknown, used up or expired."""
        code_hash = hash_code(code)
        result = self.session.execute(
            update(Invite)
            .where(
                col(Invite.code_hash) == code_hash,
                col(Invite.uses_left) > 0,
                (col(Invite.expires_at).is_(None)) | (col(Invite.expires_at) > now),
            )
            .values(uses_left=col(Invite.uses_left) - 1)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return self.session.exec(select(Invite).where(Invite.code_hash == code_hash)).first()
