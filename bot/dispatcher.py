"""One dispatcher for every adapter: event in, turn handled in one transaction, replies out.

    adapter ──Inbound──> Dispatcher.handle
                           │  (per-chat lock: one person's messages are handled in order)
                           ├─ group commit → thread: transaction {
                           │      claim · who wrote · route · notices into the outbox }
                           ├─ send replies to the chat
                           └─ then notices to other people (in the background if many)

An event already handled (a redelivery) is dropped. A refusal or a person's error rolls
back everything the handler did and answers with the catalog's text. Messages are sent
only after the commit, so an acknowledgement always means the input is stored; messages
to others stay in the outbox until delivered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import (
    buttons,
    handlers,  # noqa: F401  (declares the commands)
)
from bot.buttons import ReviewAction
from bot.commands import UsageError, registry, split_command
from bot.commit import GroupCommit
from bot.events import (
    Adapter,
    Capability,
    ChatId,
    Choice,
    Inbound,
    Outbound,
    PlatformId,
    platform_of,
)
from bot.handlers import language
from bot.messages import Catalog
from bot.outbox import Delivery, Outbox
from bot.permissions import allowed, check_button, check_command
from bot.summary_options import SummaryOptions
from bot.turn import Refusal, Turn
from consultations.errors import ConsultationError
from storage.records import AlreadyHandled, Duplicate, Records, Store

log = logging.getLogger(__name__)

REFUSALS = (Refusal, ConsultationError, UsageError)  # the person's mistakes, answered in kind


class Unguarded(Exception):
    """A refusal came after the turn had written: redo the event with a savepoint."""


Clock = Callable[[], datetime]
CHOICES = "_choices"
ATTEMPTS = 3  # a turn that conflicts with a concurrent writer is tried again this often
SYSTEM = PlatformId("system:scheduler")
STOP_GRACE = timedelta(seconds=10)  # how long a stopping bot lets announcements go on


def utc_now() -> datetime:
    return datetime.now(UTC)


REACTIONS = {
    "👍": ReviewAction.SUPPORT,
    "👎": ReviewAction.OPPOSE,
    "+1": ReviewAction.SUPPORT,
    "-1": ReviewAction.OPPOSE,
}


def reaction_action(emoji: str) -> ReviewAction | None:
    """'support' for a thumbs up in any skin tone, 'oppose' for a thumbs down."""
    bare = "".join(ch for ch in emoji if not ("\U0001f3fb" <= ch <= "\U0001f3ff" or ch == "\ufe0f"))
    return REACTIONS.get(bare.strip())


@dataclass
class Outcome:
    """What one handled event asks to be sent."""

    messages: list[tuple[Adapter, Outbound]] = field(default_factory=list)  # to the sender
    notices: list[Delivery] = field(default_factory=list)  # to others, in the outbox
    duplicate: bool = False
    # The person's command menu changed (joined, new role, switched consultation).
    menu: tuple[Adapter, ChatId, list[tuple[str, str]]] | None = None
    schedule_changed: bool = False


class Dispatcher:
    def __init__(
        self,
        store: Store,
        *,
        catalog: Catalog | None = None,
        admins: Iterable[str] = (),
        clock: Clock = utc_now,
        summary_options: SummaryOptions | None = None,
    ) -> None:
        self.store = store
        self.summary_options = summary_options
        self.catalog = catalog or Catalog()
        self.admins = frozenset(admins)
        self.clock = clock
        self.adapters: dict[str, Adapter] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self.outbox = Outbox(store, self.adapters, self.catalog, clock)
        # Events waiting while a transaction is written go together into the next one.
        # SQLite has one writer at a time anyway; PostgreSQL may write a few batches at
        # once, so one slow command (a summary, an export) does not hold up the rest.
        writers = 1 if store.engine.dialect.name == "sqlite" else 4
        self._writer = GroupCommit(self.process_batch, writers=writers)
        # Called after a turn that changed a round's times or state (the scheduler re-plans).
        self.on_schedule_change: Callable[[], Awaitable[None]] | None = None

    def add(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter

    async def start(self) -> None:
        for adapter in self.adapters.values():
            await adapter.start(self.handle)

    async def stop(self) -> None:
        """Let announcements under way finish for a while (the outbox keeps the rest for
        the next start), then stop the adapters."""
        await self.outbox.stop(STOP_GRACE)
        for adapter in self.adapters.values():
            await adapter.stop()

    async def idle(self) -> None:
        """Wait until the announcements going out in the background are out."""
        await self.outbox.idle()

    # ---- inbound --------------------------------------------------------------------

    async def handle(self, event: Inbound) -> None:
        """Handle one event from any adapter; safe to call concurrently."""
        lock = self._locks.get(event.chat)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[event.chat] = lock
        async with lock:
            started = time.perf_counter()
            outcome = await self._writer.submit(event)
            await self.outbox.deliver(outcome.messages)
            if outcome.menu is not None:
                adapter, chat, commands = outcome.menu
                await adapter.set_menu(chat, commands)
            if outcome.schedule_changed and self.on_schedule_change is not None:
                await self.on_schedule_change()
            log.debug(
                "event handled platform=%s duplicate=%s messages=%d ms=%.1f",
                platform_of(event.chat),
                outcome.duplicate,
                len(outcome.messages),
                1000 * (time.perf_counter() - started),
            )
        await self.outbox.announce(outcome.notices)  # other chats: this one may go on meanwhile

    def process_batch(self, events: Sequence[Inbound]) -> list[Outcome]:
        """Events from different chats, handled one after another in one transaction.

        All are claimed in one statement first; a redelivered one is then dropped. Any
        failure rolls the whole batch back, and every event of it is then done alone, with
        the retries and the error reply of `process_alone`. Only events from different
        chats meet in a batch (`handle` holds each chat's lock).
        """
        if len(events) == 1:
            return [self.process_alone(events[0])]
        try:
            with self.store.transaction() as batch:
                claimed = batch.claim_events([event.source for event in events])
                batch.read_ahead(event.sender for event in events if event.source in claimed)
                return [
                    self._process(batch.sibling(), event)
                    if event.source in claimed
                    else Outcome(duplicate=True)
                    for event in events
                ]
        except Unguarded:
            log.debug("batch of %d events rolled back for a savepoint", len(events))
        except Exception:
            log.info("batch of %d events rolled back; handling each alone", len(events))
            log.debug("batch failure", exc_info=True)
        return [self.process_alone(event) for event in events]

    def process_alone(self, event: Inbound) -> Outcome:
        """`process`, with a bug answered by an apology instead of silence."""
        try:
            return self.process(event)
        except Exception as error:  # a bug must not mean silence: say so, keep serving
            log.error(
                "event failed platform=%s error=%s", platform_of(event.chat), type(error).__name__
            )
            log.debug("event failure", exc_info=True)
            return self._failed(event)

    def process(self, event: Inbound) -> Outcome:
        """Everything but sending, in one transaction (runs in a worker thread)."""
        guarded = False
        attempt = 1
        while True:
            try:
                with self.store.transaction() as records:
                    records.claim_event(event.source)
                    records.read_ahead([event.sender])
                    return self._process(records, event, guarded=guarded)
            except AlreadyHandled:
                return Outcome(duplicate=True)
            except Unguarded:
                guarded = True
            except Duplicate:
                # Another worker committed something this turn conflicts with (the same
                # amendment decided, the same person created): do the turn again on top of it.
                if attempt == ATTEMPTS:
                    raise
                attempt += 1

    def _process(self, records: Records, event: Inbound, *, guarded: bool = False) -> Outcome:
        """The turn for a claimed event: who, what they asked, what to send."""
        adapter = self.adapters.get(platform_of(event.chat))
        if adapter is None:
            raise LookupError(f"no adapter for platform {platform_of(event.chat)!r}")
        turn = self._turn(records, event, adapter)
        self._route(records, turn, guarded=guarded)
        messages = [(adapter, self._adapt(records, turn, adapter, m)) for m in turn.replies]
        menu = (adapter, turn.chat, self.menu(turn)) if turn.menu_changed else None
        return Outcome(
            messages,
            self.outbox.queue(records, turn),
            menu=menu,
            schedule_changed=turn.schedule_changed,
        )

    def _failed(self, event: Inbound) -> Outcome:
        adapter = self.adapters.get(platform_of(event.chat))
        if adapter is None:
            return Outcome()
        text = self.catalog.text("internal_error", event.language)
        return Outcome([(adapter, Outbound(chat=event.chat, text=text))])

    # ---- outbound (bot/outbox.py) -------------------------------------------------------

    async def deliver(self, messages: list[tuple[Adapter, Outbound]]) -> None:
        """Send a turn's replies, in order (they go to the chat it came from)."""
        await self.outbox.deliver(messages)

    async def resend(self) -> int:
        """Send what stayed in the outbox (see `Outbox.resend`); returns how many it tried."""
        return await self.outbox.resend()

    # ---- jobs (the scheduler) ----------------------------------------------------------

    async def run_job(self, job: Callable[[Turn], None]) -> None:
        """Run `job` as the system in one transaction, then send what it asked to send."""
        outcome = await asyncio.to_thread(self._process_job, job)
        await self.outbox.announce(outcome.notices)

    def _process_job(self, job: Callable[[Turn], None]) -> Outcome:
        try:
            with self.store.transaction() as records:
                turn = Turn(
                    records=records,
                    event=Inbound(sender=SYSTEM, chat=ChatId(SYSTEM), message_id="job"),
                    sender=records.sender_for(SYSTEM, display_name="consultbot", language=None),
                    now=self.clock(),
                    catalog=self.catalog,
                    capabilities=Capability.NONE,
                    admin=True,
                    summary_options=self.summary_options,
                )
                job(turn)
                return Outcome(notices=self.outbox.queue(records, turn))  # replies go nowhere
        except (Refusal, ConsultationError, Duplicate) as error:
            log.warning("scheduled job did nothing: %s", type(error).__name__)
            return Outcome()

    def _turn(self, records: Records, event: Inbound, adapter: Adapter) -> Turn:
        sender = records.sender_for(
            event.sender, display_name=event.display_name, language=event.language
        )
        if event.private:
            records.note_dm_chat(sender, event.chat)

        def links(code: str) -> list[str]:
            return [link for a in self.adapters.values() if (link := a.invite_link(code))]

        turn = Turn(
            records=records,
            event=event,
            sender=sender,
            now=self.clock(),
            catalog=self.catalog,
            capabilities=adapter.capabilities,
            admin=event.sender in self.admins,
            invite_links=links,
            summary_options=self.summary_options,
        )
        language.follow_platform(turn, event.language)  # unless they chose one
        return turn

    def _route(self, records: Records, turn: Turn, *, guarded: bool) -> None:
        """Find what the event asks for and run it; a refusal undoes what it wrote.

        Most refusals come before the handler writes anything, so the turn runs without
        a savepoint (two statements, a fifth of a comment's cost): a refusal that finds
        nothing written just answers. One that comes after a write raises `Unguarded`,
        and the event is done again, `guarded`, inside a savepoint it can roll back to.
        """
        if guarded:
            savepoint = records.session.begin_nested()
            try:
                self._run(turn)
                savepoint.commit()
            except REFUSALS as error:
                savepoint.rollback()
                self._refused(turn, error)
            return
        mark = records.session.mark()
        try:
            self._run(turn)
        except REFUSALS as error:
            if records.session.wrote_since(mark):
                raise Unguarded from error
            self._refused(turn, error)

    def _refused(self, turn: Turn, error: Exception) -> None:
        turn.replies.clear()
        turn.notices.clear()
        self._explain(turn, error)

    def _explain(self, turn: Turn, error: Exception) -> None:
        if isinstance(error, (Refusal, ConsultationError)):
            turn.say(error.key, **error.values)
        elif isinstance(error, UsageError):
            if error.detail:
                turn.say(error.detail, **error.values)
            if error.command is not None:
                turn.say("usage", usage=self._prefix(turn) + error.command.usage())

    def _prefix(self, turn: Turn) -> str:
        adapter = self.adapters.get(platform_of(turn.chat))
        return adapter.command_prefix if adapter is not None else "/"

    def menu(self, turn: Turn) -> list[tuple[str, str]]:
        """The commands this person may use now, with their help, for a platform's menu."""
        return [
            (command.name, turn.t(command.help_key))
            for command in registry.commands.values()
            if allowed(turn, command.access)
        ]

    def _run(self, turn: Turn) -> None:
        event = turn.event
        if event.button is not None:
            self._press(turn, event.button)
            return
        if event.reaction is not None:
            self._react(turn, event.reaction, event.reply_to)
            return
        parsed = split_command(event.text)
        if parsed is not None:
            self._command(turn, *parsed)
            return
        if not event.private:
            return  # plain talk in a group is not for the bot
        dialog = turn.records.dialog(turn.person_id, turn.chat)
        text = event.text.strip()
        if dialog is not None and text.isdigit() and CHOICES in dialog.data:
            options = dialog.data[CHOICES]
            if 1 <= int(text) <= len(options):
                self._press(turn, options[int(text) - 1])
                return
        step = registry.dialog_step(dialog.step) if dialog is not None else None
        if dialog is not None and step is not None and (text or not step.needs_text):
            step.handler(turn, dialog.data)
        else:
            turn.say("not_understood")

    def _react(self, turn: Turn, emoji: str, message_id: str | None) -> None:
        """A reaction on a message that offered choices counts as pressing the matching one."""
        action = reaction_action(emoji)
        stored = (
            turn.records.get_value(buttons.offered_key(turn.chat, message_id))
            if message_id
            else None
        )
        if action is None or stored is None:
            return  # reactions are also just reactions: stay quiet
        for data in json.loads(stored):
            button = buttons.decode(data)
            if isinstance(button, buttons.Review) and button.action is action:
                self._push(turn, button)
                return

    def _press(self, turn: Turn, data: str) -> None:
        self._push(turn, buttons.decode(data))

    def _push(self, turn: Turn, button: buttons.Button | None) -> None:
        if isinstance(button, buttons.Forget):
            self._command(turn, "forget", "confirm")
        elif isinstance(button, buttons.Cancel):
            self._command(turn, "cancel", "")
        elif button is not None and type(button) in registry.buttons:
            check_button(turn)
            registry.buttons[type(button)](turn, button)
        else:
            raise Refusal("button.stale")

    def _command(self, turn: Turn, name: str, rest: str) -> None:
        words = [name, *rest.split(" ", 1)[:1]]
        found = registry.find(words)
        if found is None:
            family = registry.family(name)
            if family:  # "round" alone, or "round foo": show the family's usages
                prefix = self._prefix(turn)
                raise Refusal("usage", usage="\n".join(prefix + c.usage() for c in family))
            raise Refusal("unknown_command", name=name)
        command, used = found
        arguments = (
            rest.split(" ", 1)[1] if used == 2 and " " in rest else ("" if used == 2 else rest)
        )
        check_command(turn, command)
        command.handler(turn, **command.parse(arguments))

    # ---- outbound -------------------------------------------------------------------

    def _adapt(self, records: Records, turn: Turn, adapter: Adapter, message: Outbound) -> Outbound:
        """Where the platform has no buttons, number the choices and remember them."""
        if not message.choices or Capability.BUTTONS in adapter.capabilities:
            return message
        flat: list[Choice] = [c for row in message.choices for c in row]
        numbered = "\n".join(f"{i}. {c.label}" for i, c in enumerate(flat, start=1))
        dialog = records.dialog(turn.person_id, message.chat)
        data: dict[str, Any] = dict(dialog.data) if dialog else {}
        data[CHOICES] = [c.data for c in flat]
        records.set_dialog(turn.person_id, message.chat, dialog.step if dialog else "choices", data)
        return Outbound(
            chat=message.chat,
            text=f"{message.text}\n\n{turn.t('choice.prompt')}\n{numbered}",
            choices=message.choices,  # kept so reactions can answer them too
            attachment=message.attachment,
            expects_reply=message.expects_reply,
        )
