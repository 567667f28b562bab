"""An in-memory platform for tests and the demo: people type, the bot's answers pile up.

Tests read as a transcript:

    await chat.say("ana", "/review")
    assert "Paragraph 1 of 5" in chat.last("ana")

Each person has a private chat `memory:<name>`; `press` taps a button of the last message
that has one. The adapter declares buttons and edits by default; pass
`capabilities=Capability.NONE` to see how the core degrades to numbered choices.
"""

from __future__ import annotations

import itertools
import secrets
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from adapters.kit import ChosenByCommand
from bot.events import (
    Attachment,
    Capability,
    ChatId,
    DeliveryError,
    Inbound,
    InboundHandler,
    MessageId,
    Outbound,
    PlatformId,
)
from bot.settings import NoSettings

if TYPE_CHECKING:
    from bot.app import Platform

PLATFORM = "memory"


@dataclass
class Sent:
    """A message as the person sees it, after any edits: `text` is the plain text, as
    where nothing is styled; `message.styled` keeps the marks."""

    id: MessageId
    message: Outbound
    text: str

    @property
    def buttons(self) -> dict[str, str]:
        return {c.label: c.data for row in self.message.choices for c in row}


class MemoryAdapter:
    command_prefix = "/"

    def __init__(
        self,
        capabilities: Capability = Capability.BUTTONS | Capability.EDITS | Capability.FILES,
        platform: str = PLATFORM,
    ):
        self.platform = platform  # a second instance with another name plays a second platform
        self.capabilities = capabilities
        self.handler: InboundHandler | None = None
        self.inbox: dict[str, list[Sent]] = defaultdict(list)  # chat -> messages, oldest first
        self.blocked: set[str] = set()
        self.menus: dict[str, list[str]] = {}  # chat -> command names in its menu
        self._ids = itertools.count(1)
        self._session = secrets.token_hex(3)  # a restarted platform never reuses message ids

    async def start(self, handler: InboundHandler) -> None:
        self.handler = handler

    async def stop(self) -> None:
        self.handler = None

    async def send(self, message: Outbound) -> MessageId | None:
        if message.chat in self.blocked:
            raise DeliveryError(message.chat, "blocked", blocked=True)
        if message.edit_of is not None:
            for sent in self.inbox[message.chat]:
                if sent.id == message.edit_of:
                    sent.message, sent.text = message, message.text
                    return sent.id
        if Capability.BUTTONS not in self.capabilities:
            message = replace(message, choices=())
        sent = Sent(MessageId(str(next(self._ids))), message, message.text)
        self.inbox[message.chat].append(sent)
        return sent.id

    def private_chat(self, person: PlatformId) -> ChatId | None:
        return ChatId(person)  # memory:<name> is both the person and their chat

    def invite_link(self, code: str) -> str | None:
        return None

    async def set_menu(self, chat: ChatId, commands: list[tuple[str, str]]) -> None:
        self.menus[chat] = [name for name, _ in commands]

    # ---- driving it from a test -------------------------------------------------------

    def chat_of(self, name: str) -> ChatId:
        return ChatId(f"{self.platform}:{name}")

    async def deliver(self, event: Inbound) -> None:
        assert self.handler is not None, "start the dispatcher first"
        await self.handler(event)

    async def say(
        self,
        name: str,
        text: str,
        *,
        attachment: Attachment | None = None,
        message_id: str | None = None,
        group: str | None = None,
        language: str | None = None,
        reply_to: str | None = None,
    ) -> None:
        """`name` writes `text` in their private chat (or in `group`, a shared chat), in
        reply to the bot's message `reply_to` if given."""
        chat = ChatId(f"{self.platform}:{group}") if group else self.chat_of(name)
        await self.deliver(
            Inbound(
                sender=PlatformId(f"{self.platform}:{name}"),
                chat=chat,
                message_id=MessageId(message_id or f"in-{self._session}-{next(self._ids)}"),
                text=text,
                attachment=attachment,
                private=group is None,
                display_name=name.capitalize(),
                language=language,
                reply_to=MessageId(reply_to) if reply_to else None,
            )
        )

    def last_id(self, name: str, containing: str = "") -> str:
        """The id of the latest message to `name` that contains `containing`."""
        for sent in reversed(self.inbox[self.chat_of(name)]):
            if containing in sent.text:
                return sent.id
        raise AssertionError(f"no message with {containing!r} in {name}'s chat")

    async def press(self, name: str, label: str) -> None:
        """`name` taps the button labelled `label` on the latest message that has one."""
        for sent in reversed(self.inbox[self.chat_of(name)]):
            if label in sent.buttons:
                await self.deliver(
                    Inbound(
                        sender=PlatformId(f"{self.platform}:{name}"),
                        chat=self.chat_of(name),
                        message_id=MessageId(f"press-{self._session}-{next(self._ids)}"),
                        button=sent.buttons[label],
                        reply_to=sent.id,
                    )
                )
                return
        raise AssertionError(f"no button {label!r} in {name}'s chat")

    async def react(self, name: str, message_id: str, emoji: str) -> None:
        """`name` reacts with `emoji` to the bot's message `message_id`."""
        await self.deliver(
            Inbound(
                sender=PlatformId(f"{self.platform}:{name}"),
                chat=self.chat_of(name),
                message_id=MessageId(f"react-{self._session}-{next(self._ids)}"),
                reaction=emoji,
                reply_to=MessageId(message_id),
            )
        )

    def messages(self, name: str) -> list[str]:
        return [sent.text for sent in self.inbox[self.chat_of(name)]]

    def last(self, name: str) -> str:
        messages = self.messages(name)
        return messages[-1] if messages else ""

    def files(self, name: str) -> list[Attachment]:
        return [
            s.message.attachment for s in self.inbox[self.chat_of(name)] if s.message.attachment
        ]

    def take(self, name: str) -> list[str]:
        """Everything `name` has received since the last take, and forget it."""
        texts = self.messages(name)
        self.inbox[self.chat_of(name)].clear()
        return texts


platform: Platform[NoSettings] = ChosenByCommand(MemoryAdapter)
