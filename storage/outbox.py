"""The outbox: messages to other people, written in the transaction that makes them
true and deleted once a platform took them, so that what a commit announces is sure to
go out, even across a crash (`Dispatcher.resend` sends what stayed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Table, delete, func, insert, update
from sqlmodel import col, select

from storage.tables import OutboxMessage, Round
from storage.unit_of_work import Repository

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]


class Outbox(Repository):
    def queue(
        self, messages: Sequence[tuple[str, str] | tuple[str, str, int | None]], at: datetime
    ) -> list[int]:
        """Keep messages (chat, text, and the round they are true for while it is open, if
        any) until `delivered`; their ids, in the same order."""
        if not messages:
            return []
        rows = self.session.execute(
            insert(OUTBOX).returning(OUTBOX.c.id, sort_by_parameter_order=True),
            [
                {"chat": m[0], "text": m[1], "created_at": at, "while_open": (*m, None)[2]}
                for m in messages
            ],
        )
        return [row.id for row in rows]

    def failed(self, ids: Iterable[int], at: datetime) -> None:
        """One more failed attempt for each of these messages."""
        self.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(list(ids)))
            .values(attempts=OUTBOX.c.attempts + 1, tried_at=at)
        )

    def no_longer_true(self, rows: Sequence[OutboxMessage]) -> set[int]:
        """Those of `rows` about a round that is no longer open."""
        rounds = {row.while_open for row in rows if row.while_open is not None}
        if not rounds:
            return set()
        still_open = set(
            self.session.exec(
                select(Round.id).where(col(Round.id).in_(rounds), Round.state == "open")
            ).all()
        )
        return {
            row.id
            for row in rows
            if row.id is not None
            and row.while_open is not None
            and row.while_open not in still_open
        }

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
