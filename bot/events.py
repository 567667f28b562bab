"""The seam between the core and the chat platforms.

An adapter turns a platform update into an `Inbound` event and an `Outbound` message into
a platform call, pacing and retrying as its platform requires, and nothing else: no
policy, no database. The one thing it says on its own is a `Refusal`, in the catalog's
words (`refusal_text`). Ids carry their platform (`telegram:12345`,
`matrix:@ana:example.org`) so one dispatcher can serve all adapters.

A message may come `styled` (bot/styled.py: spans of text marked deleted or inserted, as
in a diff); an adapter that can show styles writes the marks in its platform's terms,
escaping every span, and any other shows `text`, the same words with the marks written
out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import Enum, Flag, auto
from typing import Any, NewType, Protocol

from bot.catalog import Catalog
from bot.styled import Mark, Span, Styled

__all__ = [
    "Adapter",
    "Attachment",
    "Capability",
    "ChatId",
    "Choice",
    "DeliveryError",
    "Inbound",
    "InboundHandler",
    "Label",
    "Mark",
    "MessageId",
    "Outbound",
    "PlatformId",
    "Refusal",
    "Span",
    "Styled",
    "label_text",
    "local_part",
    "platform_of",
    "refusal_text",
]

PlatformId = NewType("PlatformId", str)  # "telegram:12345", "matrix:@ana:example.org"
ChatId = NewType("ChatId", str)  # "telegram:-100123", "matrix:!room:example.org"
# A message in a chat, as its platform names it: "4711", "$event:example.org".
MessageId = NewType("MessageId", str)


def platform_of(value: str) -> str:
    return value.split(":", 1)[0]


def local_part(value: str) -> str:
    """The platform's own id: 'telegram:12345' -> '12345'."""
    return value.split(":", 1)[1]


class Capability(Flag):
    NONE = 0
    BUTTONS = auto()  # inline buttons whose press comes back as Inbound.button
    EDITS = auto()  # the bot may edit a message it sent
    FILES = auto()  # files in and out
    REACTIONS = auto()


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    media_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Inbound:
    """Something a person did in a chat, in platform-neutral terms."""

    sender: PlatformId
    chat: ChatId
    message_id: MessageId  # unique within the chat; with the chat it makes the event's identity
    text: str = ""
    button: str | None = None  # the data of a pressed button
    attachment: Attachment | None = None
    private: bool = True  # a one-to-one chat with the bot
    display_name: str | None = None
    language: str | None = None
    reply_to: MessageId | None = None  # message id of the bot's message this answers, if any
    reaction: str | None = None  # an emoji reacting to `reply_to`

    @property
    def source(self) -> str:
        """A stable identity for this event across redeliveries."""
        kind = "btn" if self.button is not None else "react" if self.reaction else "msg"
        return f"{self.chat}/{kind}/{self.message_id}"


@dataclass(frozen=True)
class Choice:
    """A button: `data` comes back when it is pressed. With `prefill`, pressing it puts
    that text in the person's input field instead, where the platform can (Telegram's
    inline mode, up to its limit); elsewhere such a button is left out."""

    label: str
    data: str
    prefill: str | None = None


@dataclass(frozen=True)
class Outbound:
    """What the bot says. `choices` become buttons, or numbered lines where there are none.

    `text` is always what to show; with `styled`, it is the plain form of that styled text
    (`Outbound.of` keeps the two together), which a platform with styles shows instead.
    """

    chat: ChatId
    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()  # rows of buttons
    attachment: Attachment | None = None
    edit_of: MessageId | None = None  # replace the text of this earlier message, where possible
    expects_reply: bool = False  # the next plain message answers this one (force-reply)
    styled: Styled | None = None  # the same text with its marks, where a platform shows them
    # For one person only (a notice to them): never into a chat that others read now,
    # such as a Matrix direct chat someone else has since joined.
    private: bool = False

    @classmethod
    def of(cls, chat: ChatId, text: str | Styled, **fields: Any) -> Outbound:
        """A message of plain or styled text (styled only where it has marks)."""
        if isinstance(text, str):
            return cls(chat, text, **fields)
        return cls(chat, text.plain(), styled=text if text.marked else None, **fields)

    def with_text(self, text: str | Styled) -> Outbound:
        """The same message, saying `text` instead."""
        other = Outbound.of(self.chat, text)
        return replace(self, text=other.text, styled=other.styled)


InboundHandler = Callable[[Inbound], Awaitable[None]]


class DeliveryError(Exception):
    """The platform refused a message for good (for example, the person blocked the bot)."""

    def __init__(self, chat: str, reason: str, *, blocked: bool = False) -> None:
        super().__init__(f"{chat}: {reason}")
        self.chat = chat
        self.reason = reason
        self.blocked = blocked


class Refusal(Enum):
    """What an adapter refuses on its own, before the event reaches the dispatcher. The
    value is the key of its text in the catalog (bot/messages.py)."""

    FILE_TOO_LARGE = "error.file_too_large"  # values: megabytes


def refusal_text(refusal: Refusal, language: str | None = None, **values: Any) -> str:
    """The words of `refusal` in `language` (a platform's code, as `Inbound.language`)."""
    return Catalog().text(refusal.value, language, **values)


class Label(Enum):
    """What an adapter names on its own, in its platform's own controls. The value is the
    key of its text in the catalog (bot/messages.py)."""

    SEND_EDITED = "label.send_edited"  # the inline-mode result that sends the edited text


def label_text(label: Label, language: str | None = None) -> str:
    """The words of `label` in `language` (a platform's code, as `Inbound.language`)."""
    return Catalog().text(label.value, language)


class Adapter(Protocol):
    """A chat platform, as the dispatcher sees it."""

    platform: str  # the prefix of its ids: "telegram", "matrix", "console"
    capabilities: Capability
    command_prefix: str  # shown in usage lines: "/" on Telegram, "!" on Matrix

    async def start(self, handler: InboundHandler) -> None:
        """Begin delivering events to `handler`; returns once the adapter is running."""

    async def stop(self) -> None: ...

    async def send(self, message: Outbound) -> MessageId | None:
        """Send (or edit) a message; returns the platform message id where there is one."""

    def private_chat(self, person: PlatformId) -> ChatId | None:
        """The one-to-one chat with `person`, where the platform can tell without asking."""

    def invite_link(self, code: str) -> str | None:
        """A link that joins with `code` in one tap (Telegram's deep links), if any."""

    async def set_menu(self, chat: ChatId, commands: list[tuple[str, str]]) -> None:
        """Show `commands` (name, help) as this chat's command menu; may do nothing."""
