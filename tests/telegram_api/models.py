"""The state the loopback Bot API server keeps, and the faults it can be told to serve.

Every object here can render itself as the JSON object the Bot API would return
(``to_api()``); tests read the attributes directly.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

JSON = dict[str, Any]


def now() -> int:
    return int(time.time())


@dataclass
class User:
    """A Telegram user (or the bot itself, with ``is_bot=True``)."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None and not self.is_bot:
            data["language_code"] = self.language_code
        return data


ChatType = Literal["private", "group", "supergroup"]


@dataclass
class Chat:
    """A chat the bot is in: the private chat with one user, or a (super)group."""

    id: int
    type: ChatType
    title: str | None = None
    user: User | None = None  # the other side of a private chat
    members: dict[int, User] = field(default_factory=dict)
    bot_is_member: bool = True
    blocked: bool = False  # private chats: the user blocked the bot
    next_message_id: int = 1

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def to_api(self) -> JSON:
        if self.user is not None:
            data: JSON = {"id": self.id, "type": "private", "first_name": self.user.first_name}
            if self.user.last_name is not None:
                data["last_name"] = self.user.last_name
            if self.user.username is not None:
                data["username"] = self.user.username
            return data
        return {"id": self.id, "type": self.type, "title": self.title or ""}


@dataclass
class StoredFile:
    """A file the server holds: uploaded by the bot or sent by a user."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)

    def to_document(self) -> JSON:
        data: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name is not None:
            data["file_name"] = self.file_name
        if self.mime_type is not None:
            data["mime_type"] = self.mime_type
        return data

    def to_file(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


@dataclass(frozen=True)
class MessageEdit:
    """The state of a message before one edit was applied."""

    text: str | None
    entities: tuple[JSON, ...]
    source_text: str | None
    parse_mode: str | None
    reply_markup: JSON | None
    date: int


@dataclass
class ChatMessage:
    """A message in a chat, sent by the bot (``from_bot``) or by a user.

    ``text`` / ``caption`` are what the recipient sees (entities parsed out);
    ``source_text`` is what the bot passed (with HTML tags, if any), ``parse_mode`` the
    mode it asked for. ``edits`` holds the earlier states, oldest first.
    """

    message_id: int
    chat: Chat
    sender: User
    date: int
    from_bot: bool
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    source_text: str | None = None
    parse_mode: str | None = None
    caption: str | None = None
    caption_entities: list[JSON] = field(default_factory=list)
    document: StoredFile | None = None
    reply_markup: JSON | None = None
    reply_to: ChatMessage | None = None
    edit_date: int | None = None
    edits: list[MessageEdit] = field(default_factory=list)
    deleted: bool = False
    params: JSON = field(default_factory=dict)  # the request parameters that created it
    via_bot: User | None = None  # sent through the bot's inline mode

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        if self.reply_markup is None:
            return []
        rows = self.reply_markup.get("inline_keyboard")
        return list(rows) if isinstance(rows, list) else []

    def inline_switch(self, text: str) -> str | None:
        """The query the button labelled `text` puts in the input field, if it is a
        switch_inline_query_current_chat button."""
        for row in self.inline_keyboard:
            for button in row:
                if button.get("text") == text and "switch_inline_query_current_chat" in button:
                    return str(button["switch_inline_query_current_chat"])
        return None

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """(text, callback_data) of every inline button, row by row."""
        return [
            (str(button.get("text", "")), button.get("callback_data"))
            for row in self.inline_keyboard
            for button in row
        ]

    @property
    def callback_data(self) -> list[str]:
        return [data for _, data in self.buttons if data is not None]

    @property
    def force_reply(self) -> bool:
        return bool(self.reply_markup and self.reply_markup.get("force_reply"))

    def to_api(self, *, with_reply: bool = True) -> JSON:
        data: JSON = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.via_bot is not None:
            data["via_bot"] = self.via_bot.to_api()
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = [dict(e) for e in self.entities]
        if self.document is not None:
            data["document"] = self.document.to_document()
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = [dict(e) for e in self.caption_entities]
        # Telegram only ever returns inline keyboards in Message objects
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data


@dataclass
class Update:
    """One update in the bot's queue; ``kind`` is the Update field (``message``, ...)."""

    update_id: int
    kind: str
    payload: JSON

    def to_api(self) -> JSON:
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass
class CallbackQuery:
    id: str
    user: User
    message: ChatMessage
    data: str
    answered: bool = False
    answer: JSON | None = None


@dataclass
class InlineQuery:
    """A query a user types after the bot's name in the input field (inline mode)."""

    id: str
    user: User
    query: str
    chat_type: str  # "sender": the private chat with the bot itself
    answered: bool = False
    results: list[JSON] = field(default_factory=list)
    answer: JSON | None = None  # cache_time, is_personal, next_offset, button


@dataclass(frozen=True)
class RecordedCall:
    """One API request as the server saw it (files are recorded as their names)."""

    method: str
    params: JSON
    status: int  # HTTP status answered; 0 if the connection was dropped
    at: float  # time.monotonic()


# --- faults -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TooManyRequests:
    """Answer 429 ``Too Many Requests: retry after N`` with ``parameters.retry_after``."""

    retry_after: int = 1


@dataclass(frozen=True)
class BadGateway:
    """Answer 502 Bad Gateway: as JSON, or as the HTML page nginx sends (``html=True``)."""

    html: bool = False


@dataclass(frozen=True)
class ApiError:
    """Answer any Bot API error, e.g. ``ApiError(500, "Internal Server Error")``."""

    error_code: int
    description: str
    retry_after: int | None = None


@dataclass(frozen=True)
class Slow:
    """Delay the answer by ``delay`` seconds; the request is carried out either way.

    ``after_processing=False`` waits before carrying it out, ``True`` carries it out first
    and then waits (a client that times out has still had its message sent).
    """

    delay: float
    after_processing: bool = False


@dataclass(frozen=True)
class DropConnection:
    """Close the socket without answering.

    ``after_processing=True`` carries the request out first (the message is sent, the
    client never learns it), ``False`` drops it unprocessed.
    """

    after_processing: bool = False


@dataclass(frozen=True)
class GarbledSuccess:
    """Carry the request out, then answer 200 with a result the client cannot read (as a
    proxy or a server of another Bot API version might): the message was sent."""


Fault = TooManyRequests | BadGateway | ApiError | Slow | DropConnection | GarbledSuccess


def fault_name(fault: Fault) -> str:
    return type(fault).__name__


@dataclass
class Stats:
    """Counters of what the server served."""

    calls: Counter[str] = field(default_factory=Counter)  # per method
    statuses: Counter[int] = field(default_factory=Counter)  # per HTTP status answered
    rate_limited: int = 0  # 429s served by the rate limiter
    faults_served: Counter[str] = field(default_factory=Counter)  # per fault kind
    dropped_connections: int = 0
    webhook_deliveries: int = 0
    webhook_failures: int = 0

    @property
    def too_many_requests(self) -> int:
        """All 429 answers: the rate limiter's and injected ones."""
        return self.statuses[429]

    @property
    def total_faults(self) -> int:
        return sum(self.faults_served.values())
