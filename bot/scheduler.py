"""The application's scheduler: rounds open, remind and close by themselves.

APScheduler (3.x, asyncio) holds one date job per upcoming moment. The jobs themselves
are not persisted: they are rebuilt from the rounds table on start, after every change a
facilitator makes, and on a periodic poll (which also picks up changes made by other
workers). Every job does the same thing, `tick()`: work out from the database what is
due now (`consultations.schedule.plan`/`due`) and run it. So a close that fell due while
the bot was down runs at start; a reminder more than half an hour late is dropped.

With several workers on PostgreSQL only the leader ticks (`storage.leadership`): every
poll asks again, so when the leader dies another worker takes over within one poll.
Every worker's poll sends what waits in the outbox for the platforms it serves
(`Dispatcher.resend`): queued by a worker that does not serve them, or left by a crash.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.dispatcher import Dispatcher
from bot.handlers.common import chosen_reminders
from bot.handlers.schedule import close_due, open_due, remind_due
from consultations.model import RoundState
from consultations.schedule import DEFAULT_REMINDERS, Action, RoundTimes, due, plan
from storage.leadership import Leadership
from storage.tables import id_of

POLL = "consultbot-poll"
PRUNE_EVERY = timedelta(hours=1)  # how often the leader forgets events past their window


class RoundScheduler:
    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        reminders: Sequence[timedelta] = DEFAULT_REMINDERS,
        poll: timedelta = timedelta(seconds=30),
    ) -> None:
        self.dispatcher = dispatcher
        self.reminders = tuple(reminders)
        self.poll = poll
        self.leadership = Leadership(dispatcher.store.engine)
        self.jobs = AsyncIOScheduler(timezone=UTC)
        self._lock = asyncio.Lock()
        self._pruned: datetime | None = None

    async def start(self) -> None:
        self.dispatcher.on_schedule_change = self.reconcile
        self.jobs.start()
        self.jobs.add_job(
            self.reconcile,
            "interval",
            seconds=self.poll.total_seconds(),
            id=POLL,
            max_instances=1,
            coalesce=True,
        )
        await self.reconcile()

    async def stop(self) -> None:
        self.jobs.shutdown(wait=False)
        await asyncio.to_thread(self.leadership.release)

    def _plan(self) -> list[Action]:
        with self.dispatcher.store.transaction() as records:
            rounds = [
                RoundTimes(
                    id_of(r),
                    RoundState(r.state),
                    r.opens_at or r.opened_at,
                    r.closes_at,
                    chosen_reminders(r),
                )
                for r in records.rounds.live()
            ]
            done = frozenset(
                k.removeprefix("scheduler:") for k in records.values.with_prefix("scheduler:")
            )
        return plan(rounds, self.reminders, done)

    async def reconcile(self) -> None:
        """Send what waits in the outbox for the platforms served here (every worker);
        run what is due and set a job for each upcoming moment (the leader only)."""
        await self.dispatcher.resend()  # queued elsewhere, or left by a crash or an outage
        if not await asyncio.to_thread(self.leadership.acquire):
            for job in self.jobs.get_jobs():
                if job.id != POLL:
                    job.remove()
            return
        await self.tick()
        now = self.dispatcher.clock()
        wanted = {a.at for a in await asyncio.to_thread(self._plan) if a.at > now}
        for job in self.jobs.get_jobs():
            if job.id != POLL and job.next_run_time not in wanted:
                job.remove()
        for at in wanted:
            self.jobs.add_job(
                self.tick,
                DateTrigger(run_date=at),
                id=f"at-{at.isoformat()}",
                replace_existing=True,
                misfire_grace_time=None,
                coalesce=True,
            )
        if self._pruned is None or now - self._pruned >= PRUNE_EVERY:
            self._pruned = now
            await asyncio.to_thread(self.dispatcher.prune_events)

    async def tick(self) -> int:
        """Run every action due now; returns how many ran."""
        async with self._lock:
            now = self.dispatcher.clock()
            actions = due(await asyncio.to_thread(self._plan), now)
            for action in actions:
                lag = (now - action.at).total_seconds()
                self.dispatcher.metrics.scheduler_lag.observe(max(0.0, lag))
                await self.dispatcher.run_job(self._job(action))
            return len(actions)

    @staticmethod
    def _job(action: Action) -> Any:
        if action.kind == "open":
            return partial(open_due, round_id=action.round_id)
        if action.kind == "close":
            return partial(close_due, round_id=action.round_id)
        assert action.offset is not None
        return partial(remind_due, round_id=action.round_id, key=action.key, offset=action.offset)
