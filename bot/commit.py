"""Group commit: events that arrive while a transaction is being written share the next one.

A commit costs the same for one event as for fifty (on SQLite it is the WAL append and the
write lock; on PostgreSQL a round trip and a flush of the log). When many people write at
once, `GroupCommit` hands the worker thread everything that queued up while it was busy,
and `run` handles the whole batch in one transaction. Each caller still gets its own
result, and only after the batch committed, so an acknowledgement still means stored.
With one event at a time nothing waits: a batch of one starts at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """Runs `run(batch)` in worker threads, at most `writers` batches at a time.

    `run` returns one result per item, in order; if it raises, every caller in that
    batch gets the exception.
    """

    def __init__(
        self,
        run: Callable[[Sequence[Item]], Sequence[Result]],
        *,
        limit: int = 64,
        writers: int = 1,
    ) -> None:
        self._run = run
        self._limit = limit
        self._writers = writers
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._active = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._active < self._writers:
            self._active += 1
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._limit]
                del self._pending[: self._limit]
                try:
                    results = await asyncio.to_thread(self._run, [item for item, _ in batch])
                except BaseException as error:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    if not isinstance(error, Exception):
                        raise  # cancelled: the loop is going away
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._active -= 1
