"""The outbox: messages to other people, written in the transaction that makes them
true and deleted once a platform took them, so that what a commit announces is sure to
go out, even across a crash (`Dispatcher.resend` sends what stayed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Table, delete, func, insert, or_, update
from sqlmodel import col, select

from storage.tables import OutboxMessage, Round
from storage.unit_of_work import Repository

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]


class Outbox(Repository):
    def queue(
        self,
        messages: Sequence[tuple[str, str] | tuple[str, str, int | None]],
        at: datetime,
        *,
        claimed: bool = True,
    ) -> list[int]:
        """Keep messages (chat, text, and the round they are true for while it is open, if
        any) until `delivered`; their ids, in the same order. `claimed`: the caller sends
        them now; otherwise they wait for a worker that serves their platform (`claim`)."""
        if not messages:
            return []
        rows = self.session.execute(
            insert(OUTBOX).returning(OUTBOX.c.id, sort_by_parameter_order=True),
            [
                {
                    "chat": m[0],
                    "text": m[1],
                    "created_at": at,
                    "while_open": (*m, None)[2],
                    "claimed_at": at if claimed else None,
                }
                for m in messages
            ],
        )
        return [row.id for row in rows]

    def claim(self, ids: Iterable[int], *, before: datetime, at: datetime) -> list[int]:
        """Take these messages to send, those that nobody took since `before`; the ids
        taken. Of two workers claiming one message at once, one gets it."""
        rows = self.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(list(ids)), _unclaimed(before))
            .values(claimed_at=at)
            .returning(OUTBOX.c.id)
        )
        return sorted(row.id for row in rows)

    def failed(self, ids: Iterable[int], at: datetime) -> None:
        """One more failed attempt for each of these messages, which are free to be
        claimed again once their back-off has passed."""
        self.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(list(ids)))
            .values(attempts=OUTBOX.c.attempts + 1, tried_at=at, claimed_at=None)
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

    def undelivered(
        self, *, before: datetime, limit: int, platforms: Iterable[str] | None = None
    ) -> Sequence[OutboxMessage]:
        """Messages nobody is sending (never claimed, or claimed before `before`), oldest
        first; only those to chats on `platforms` when given."""
        query = select(OutboxMessage).where(_unclaimed(before))
        if platforms is not None:
            platforms = list(platforms)
            if not platforms:
                return []
            chat = col(OutboxMessage.chat)
            query = query.where(or_(*(chat.startswith(f"{p}:") for p in platforms)))
        return self.session.exec(query.order_by(col(OutboxMessage.id)).limit(limit)).all()

    def drop_older(self, than: datetime) -> int:
        """Forget messages queued before `than`, whoever was to send them; how many."""
        result = self.session.execute(delete(OUTBOX).where(OUTBOX.c.created_at < than))
        return int(getattr(result, "rowcount", 0) or 0)

    def depth(self) -> int:
        """How many messages wait to be delivered."""
        return int(self.session.execute(select(func.count()).select_from(OUTBOX)).scalar_one())


def _unclaimed(before: datetime) -> ColumnElement[bool]:
    return or_(OUTBOX.c.claimed_at.is_(None), OUTBOX.c.claimed_at < before)
