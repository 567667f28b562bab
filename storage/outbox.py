"""The outbox: messages to other people, written in the transaction that makes them
true and deleted once a platform took them, so that what a commit announces is sure to
go out, even across a crash (`Dispatcher.resend` sends what stayed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Table, delete, func, insert
from sqlmodel import col, select

from storage.tables import OutboxMessage
from storage.unit_of_work import Repository

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]


class Outbox(Repository):
    def queue(self, messages: Sequence[tuple[str, str]], at: datetime) -> list[int]:
        """Keep messages (chat, text) until `delivered`; their ids, in the same order."""
        if not messages:
            return []
        rows = self.session.execute(
            insert(OUTBOX).returning(OUTBOX.c.id, sort_by_parameter_order=True),
            [{"chat": chat, "text": text, "created_at": at} for chat, text in messages],
        )
        return [row.id for row in rows]

    def delivered(self, ids: Iterable[int]) -> None:
        self.session.execute(delete(OUTBOX).where(OUTBOX.c.id.in_(list(ids))))

    def drop(self, chats: Iterable[str]) -> None:
        """Forget what waits for these chats (an erased person's: it names their account)."""
        self.session.execute(delete(OUTBOX).where(OUTBOX.c.chat.in_(chats)))

    def undelivered(self, *, before: datetime, limit: int) -> Sequence[OutboxMessage]:
        """Messages queued before `before` and still not delivered, oldest first."""
        return self.session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.created_at) < before)
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        ).all()

    def depth(self) -> int:
        """How many messages wait to be delivered."""
        return int(self.session.execute(select(func.count()).select_from(OUTBOX)).scalar_one())
