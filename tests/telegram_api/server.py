"""A Telegram Bot API server on loopback, for end-to-end tests of bots (PTB or any client).

It serves ``/bot<token>/<method>`` and ``/file/bot<token>/<file_path>`` over real HTTP on
127.0.0.1 (an ephemeral port), keeps chats, messages, files and the update queue in memory,
and lets the test act as Telegram's users through a Python API (not HTTP).

Followed, as https://core.telegram.org/bots/api documents it (and as the Bot API server,
tdlib/telegram-bot-api, answers):

* requests: GET or POST; parameters in the query string, ``application/json``,
  ``application/x-www-form-urlencoded`` or ``multipart/form-data`` (files); object
  parameters as JSON-serialised strings; method names case-insensitive.
* answers ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
  "description": "...", "parameters": {"retry_after": N}}`` with the HTTP status equal to
  ``error_code``; 401 ``Unauthorized`` for a well-formed but unknown token, 404 ``Not Found``
  for a malformed token or an unknown method.
* getUpdates: the queue keeps every update until getUpdates is called with an ``offset``
  greater than its ``update_id`` (a negative offset keeps only the last ``-offset``);
  ``limit`` 1-100; ``timeout`` long polling that answers as soon as an update arrives; a
  second getUpdates ends a waiting one with 409 ``Conflict: terminated by other getUpdates
  request``; ``allowed_updates`` is remembered and filters updates when they are created
  (default: every type except chat_member, message_reaction, message_reaction_count);
  while a webhook is set getUpdates answers 409.
* setWebhook / deleteWebhook (``drop_pending_updates``) / getWebhookInfo; the server POSTs
  each update as JSON to the webhook with ``X-Telegram-Bot-Api-Secret-Token``, up to
  ``max_connections`` (default 40) at once as Telegram does, but one chat's updates one
  at a time and in order, retrying each until the answer is 2xx, and reports
  ``pending_update_count``, ``last_error_date`` and ``last_error_message``.
* sendMessage / editMessageText: ``parse_mode=HTML`` parsed as tdlib parses it (same tags,
  same errors: ``Bad Request: can't parse entities: ...``); text trimmed; empty text,
  ``message is too long`` (> 4096 UTF-16 code units after entity parsing), ``chat not
  found``, ``message to be replied not found``, ``message to edit not found``, ``message is
  not modified``, ``BUTTON_DATA_INVALID`` (callback_data not 1-64 bytes), text-only inline
  buttons; editMessageText without ``reply_markup`` removes the inline keyboard, as
  Telegram does. Message ids count per chat, shared by the bot's and the users' messages.
* 403 ``Forbidden: bot was blocked by the user`` after :meth:`BotAPIServer.user_blocks_bot`
  (which also queues the ``my_chat_member`` update Telegram sends), ``Forbidden: bot can't
  initiate conversation with a user`` for a user without a private chat with the bot,
  ``Forbidden: bot was kicked from the ... chat`` after :meth:`remove_bot_from_group`.
* sendDocument (upload, ``attach://``, or a known file_id), getFile (20 MB limit) and the
  download URL; answerCallbackQuery (a query is answered once); set/get/deleteMyCommands
  stored per scope and language; deleteMessage, sendChatAction, close, logOut (after which
  the token answers 401 until :meth:`log_in`).
* inline mode (on unless ``inline_mode=False``, as BotFather's /setinline; getMe's
  ``supports_inline_queries`` says which): a ``switch_inline_query_current_chat`` button
  puts "@bot query" in the user's input field (:meth:`BotAPIServer.user_presses_inline_switch`),
  and each query typed there is an ``inline_query`` update (:meth:`user_types_inline_query`,
  ``query`` up to 256 characters, ``chat_type`` ``sender`` in the private chat with the
  bot); answerInlineQuery (once per query; at most 50 results, ids 1-64 bytes and unique,
  ``RESULTS_TOO_MUCH``, ``RESULT_ID_INVALID``, ``RESULT_ID_DUPLICATE``; an article needs a
  title and an ``input_message_content`` with 1-4096 characters of ``message_text``);
  choosing a result (:meth:`user_chooses_inline_result`) sends its text in the chat as the
  user's message with ``via_bot``, which the bot receives as a ``message`` update.
* users' messages carry the entities Telegram adds (``bot_command``, ``mention``,
  ``hashtag``); in groups with ``privacy_mode=True`` the bot only gets commands, mentions of
  itself and replies to its messages.
* flood control on demand (:meth:`BotAPIServer.set_rate_limit`): 429 ``Too Many Requests:
  retry after N`` with ``parameters.retry_after``.

Not followed (left out or simplified):

* MarkdownV2 / Markdown are accepted without being parsed or validated (the text is stored
  as sent, with no entities); explicit ``entities`` are stored unchecked.
* No other message kinds (photos, polls, media groups, forwards, ...); in inline mode
  only article results with text content (no media results, no ``parse_mode`` in the
  content: it is sent as plain text), no ``chosen_inline_result`` updates, no
  ``inline_message_id``, no pagination (``next_offset`` is stored, never asked for); the
  error wordings for results are tdlib's error codes as Telegram shows them. No
  payments, stickers, business or chat administration methods; those methods answer
  404 ``Not Found`` like an unknown method.
* Webhooks: only loopback URLs (http or https) and any port; no certificates, no
  answering a method inside the webhook response.
* Files sent by URL are not fetched (400); limits are checked only for size (50 MB upload,
  20 MB getFile).
* Replies only within the same chat (``reply_parameters.chat_id`` of another chat is
  refused); a blocked user's own messages are not delivered; ``close`` just answers true
  (no 429 in the first ten minutes).
* Link checks for ``<a href>`` are a simplification of tdlib's; flood limits are the
  documented rules of thumb, not Telegram's real (unpublished) algorithm; no 24-hour expiry
  of updates, no chat migration, no callback query expiry.
* Message length is counted in UTF-16 code units, which is as strict as Telegram or
  stricter.

Fault injection (not Bot API behaviour, but the shapes Telegram's failures take): scripted
or random (seeded) 429s, 502s (JSON or nginx's HTML page), any other error, slow answers
and dropped connections (before or after the request is carried out) for chosen methods
and chats; counters of calls, statuses, 429s and faults in :attr:`BotAPIServer.stats`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import math
import random
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import pytest_asyncio
from aiohttp import web

from .formatting import EntityParseError, detect_entities, parse_html, strip_text, utf16_len
from .models import (
    JSON,
    ApiError,
    BadGateway,
    CallbackQuery,
    Chat,
    ChatMessage,
    DropConnection,
    Fault,
    GarbledSuccess,
    InlineQuery,
    MessageEdit,
    RecordedCall,
    Slow,
    Stats,
    StoredFile,
    TooManyRequests,
    Update,
    User,
    fault_name,
    now,
)

if TYPE_CHECKING:
    from telegram import Bot
    from telegram.ext import ApplicationBuilder

T = TypeVar("T")

DEFAULT_TOKEN = "123456789:AAH-loopback-test-token_0123456789abc"
MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_UPLOAD_SIZE = 50 * 1024 * 1024
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
SENDING_METHODS = frozenset(
    {"sendMessage", "sendDocument", "editMessageText", "editMessageReplyMarkup"}
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_INLINE_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
_SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)

ChatRef = Chat | User | int
MessageRef = ChatMessage | int


class _ApiFailure(Exception):
    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def _bad_request(description: str) -> _ApiFailure:
    return _ApiFailure(400, f"Bad Request: {description}")


@dataclass(frozen=True)
class _Upload:
    filename: str | None
    content_type: str | None
    data: bytes


class _Params:
    """Request parameters, typed on access the way the Bot API coerces them."""

    def __init__(self, values: dict[str, Any], files: dict[str, _Upload]) -> None:
        self.values = values
        self.files = files

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list):
            return json.dumps(value)
        return str(value)

    def get_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(float(str(value)))
        except ValueError:
            raise _bad_request(f'field "{name}" must be a valid Number') from None

    def get_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad_request(f'field "{name}" must be a valid Number') from None

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).lower() in ("true", "1")

    def get_json(self, name: str, error: str | None = None) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise _bad_request(error or f"can't parse {name} JSON object") from None
        return value

    def recorded(self) -> JSON:
        data = dict(self.values)
        for name, upload in self.files.items():
            data[name] = f"<file {upload.filename or name}: {len(upload.data)} bytes>"
        return data


@dataclass
class RateLimit:
    """Flood control: at most N messages per window; ``None`` switches a rule off."""

    global_per_second: int | None = 30
    per_chat_per_second: int | None = 1
    per_group_per_minute: int | None = None
    methods: frozenset[str] = SENDING_METHODS


@dataclass
class _Script:
    method: str
    chat_id: int | None
    faults: deque[Fault | None]


@dataclass
class _RandomRule:
    methods: frozenset[str] | None  # None: every method
    probability: float
    faults: tuple[Fault, ...]
    chat_id: int | None
    remaining: int | None


class FaultPlan:
    """Faults to serve: scripted sequences first, then random ones (seeded RNG)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._scripts: list[_Script] = []
        self._random: list[_RandomRule] = []

    def script(
        self, method: str, faults: Iterable[Fault | None], *, chat_id: int | None = None
    ) -> None:
        """Serve ``faults`` to the next calls of ``method`` (``"*"``: any), one per call.

        ``None`` in the sequence lets that call through untouched.
        """
        self._scripts.append(_Script(method.lower(), chat_id, deque(faults)))

    def randomly(
        self,
        methods: str | Iterable[str],
        probability: float,
        faults: Fault | Sequence[Fault],
        *,
        chat_id: int | None = None,
        limit: int | None = None,
    ) -> None:
        """With ``probability``, serve one of ``faults`` (picked by the seeded RNG).

        ``methods`` is a name, ``"*"`` or several names; ``limit`` caps how many are served.
        """
        if isinstance(methods, str):
            names = None if methods == "*" else frozenset({methods.lower()})
        else:
            names = frozenset(m.lower() for m in methods)
        choices = (faults,) if not isinstance(faults, Sequence) else tuple(faults)
        if not choices:
            raise ValueError("no faults given")
        self._random.append(_RandomRule(names, probability, choices, chat_id, limit))

    def clear(self) -> None:
        self._scripts.clear()
        self._random.clear()

    @property
    def scripted_remaining(self) -> int:
        return sum(len(s.faults) for s in self._scripts)

    def next_fault(self, method: str, chat_id: int | None) -> Fault | None:
        name = method.lower()
        for script in self._scripts:
            if script.faults and script.method in (name, "*"):
                if script.chat_id is not None and script.chat_id != chat_id:
                    continue
                return script.faults.popleft()
        for rule in self._random:
            if rule.methods is not None and name not in rule.methods:
                continue
            if rule.chat_id is not None and rule.chat_id != chat_id:
                continue
            if rule.remaining is not None and rule.remaining <= 0:
                continue
            if self._rng.random() < rule.probability:
                if rule.remaining is not None:
                    rule.remaining -= 1
                return self._rng.choice(rule.faults)
        return None


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _Handler:
    name: str
    func: Callable[[_Params], Awaitable[Any]]
    description: Callable[[Any], str | None] | None = None


def _queue_key(update: Update) -> object:
    """What Telegram's server delivers one at a time: the updates of one chat (or, for
    those without a chat, of one sender)."""
    payload = update.payload
    chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
    if isinstance(chat, dict) and "id" in chat:
        return ("chat", chat["id"])
    sender = payload.get("from")
    if isinstance(sender, dict) and "id" in sender:
        return ("user", sender["id"])
    return ("update", update.update_id)


def _is_loopback_host(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BotAPIServer:
    """The loopback Bot API server; see the module docstring for what it emulates.

    Use as ``async with BotAPIServer() as server:`` or through the ``bot_api_server``
    fixture. Point PTB at ``server.bot_api_url`` / ``server.file_api_url`` (or use
    :meth:`ptb_bot` / :meth:`application_builder`).

    Control API (plain Python, called from the test's event loop):

    * people and chats: :meth:`create_user`, :meth:`private_chat` (alias
      :meth:`create_private_chat`), :meth:`create_group`, :meth:`add_member`,
      :meth:`remove_bot_from_group`, :meth:`user_blocks_bot`, :meth:`user_unblocks_bot`;
    * users act: :meth:`user_sends_text`, :meth:`user_sends_document`,
      :meth:`user_presses_button`, :meth:`push_update`;
    * inspection: :meth:`sent_messages`, :meth:`chat_history`, :meth:`last_message`,
      :meth:`message`, :attr:`pending_updates`, :attr:`calls` / :meth:`calls_to`,
      :attr:`stats`, :attr:`callback_queries`, :attr:`files`, :meth:`commands_for`,
      :attr:`webhook_url`, :attr:`is_long_polling`;
    * waiting: :meth:`wait_for_messages`, :meth:`wait_for`, :meth:`wait_for_calls`,
      :meth:`wait_for_updates_confirmed`, :meth:`wait_for_callback_answer`;
    * faults: :attr:`faults` (:meth:`FaultPlan.script`, :meth:`FaultPlan.randomly`,
      :meth:`FaultPlan.clear`), :meth:`set_rate_limit`, :meth:`clear_rate_limit`.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "consultbot_test_bot",
        bot_first_name: str = "Consultbot Test",
        seed: int = 0,
        privacy_mode: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_retry_delay: float = 0.05,
    ) -> None:
        if not _TOKEN_RE.match(token):
            raise ValueError(f"not a well-formed bot token: {token!r}")
        if not _is_loopback_host(host):
            raise ValueError("the test Bot API server only listens on loopback")
        self.token = token
        self.bot = User(
            id=int(token.split(":", 1)[0]),
            first_name=bot_first_name,
            username=bot_username,
            is_bot=True,
        )
        self.privacy_mode = privacy_mode
        self.rng = random.Random(seed)
        self.faults = FaultPlan(self.rng)
        self.stats = Stats()
        self.calls: list[RecordedCall] = []
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.inline_queries: dict[str, InlineQuery] = {}
        self.inline_mode = True
        self.commands: dict[tuple[str, int | None, int | None, str], list[JSON]] = {}
        self.dropped_updates: list[Update] = []  # filtered out by allowed_updates
        self.logged_out = False
        self.closed = False
        self._host = host
        self._port = port
        self._webhook_retry_delay = webhook_retry_delay
        self._messages: dict[int, list[ChatMessage]] = {}
        self._updates: list[Update] = []
        self._next_update_id = self.rng.randint(10_000_000, 900_000_000)
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._polls_waiting = 0
        self._webhook: _Webhook | None = None
        self._rate_limit: RateLimit | None = None
        self._rate_global: deque[float] = deque()
        self._rate_chat: dict[int, deque[float]] = {}
        self._rate_group: dict[int, deque[float]] = {}
        self._next_user_id = 100_000_001
        self._next_group_id = 1
        self._next_file = 1
        self._next_callback = self.rng.randint(10**17, 9 * 10**17)
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._methods: dict[str, _Handler] = {}
        for name, func in (
            ("getMe", self._get_me),
            ("getUpdates", self._get_updates),
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("sendMessage", self._send_message),
            ("editMessageText", self._edit_message_text),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("deleteMessage", self._delete_message),
            ("sendChatAction", self._send_chat_action),
            ("answerCallbackQuery", self._answer_callback_query),
            ("answerInlineQuery", self._answer_inline_query),
            ("sendDocument", self._send_document),
            ("getFile", self._get_file),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("close", self._close),
            ("logOut", self._log_out),
        ):
            self._methods[name.lower()] = _Handler(name, func)

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("already started")
        # Room past the limit, so that a file over it meets sendDocument's own 413 (JSON,
        # as Telegram answers) rather than aiohttp's plain-text one.
        app = web.Application(client_max_size=4 * MAX_UPLOAD_SIZE)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._webhook_task = asyncio.create_task(self._webhook_loop())

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotAPIServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._runner is None:
            raise RuntimeError("the server is not started")
        return f"http://{self._host}:{self._port}"

    @property
    def bot_api_url(self) -> str:
        """PTB's ``base_url``: ``<base_url>/bot`` (the token follows)."""
        return f"{self.base_url}/bot"

    @property
    def file_api_url(self) -> str:
        """PTB's ``base_file_url``: ``<base_url>/file/bot``."""
        return f"{self.base_url}/file/bot"

    def ptb_bot(self, **kwargs: Any) -> Bot:
        """A ``telegram.Bot`` pointed at this server (not initialised)."""
        from telegram import Bot

        return Bot(self.token, base_url=self.bot_api_url, base_file_url=self.file_api_url, **kwargs)

    def application_builder(self) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
        """A ``telegram.ext.ApplicationBuilder`` with token and URLs set for this server."""
        from telegram.ext import ApplicationBuilder

        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.bot_api_url)
            .base_file_url(self.file_api_url)
        )

    # --- control API: users and chats -------------------------------------------------

    def create_user(
        self,
        first_name: str = "Alice",
        *,
        user_id: int | None = None,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "en",
    ) -> User:
        """A Telegram user; they have no private chat with the bot until they write to it."""
        if user_id is None:
            while self._next_user_id in self.users:
                self._next_user_id += 1
            user_id = self._next_user_id
            self._next_user_id += 1
        if user_id in self.users or user_id == self.bot.id:
            raise ValueError(f"user {user_id} exists")
        user = User(user_id, first_name, username, last_name, language_code)
        self.users[user_id] = user
        return user

    def private_chat(self, user: User) -> Chat:
        """The user's private chat with the bot, created (the user started the bot) if new."""
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(id=user.id, type="private", user=user, members={user.id: user})
            self.chats[chat.id] = chat
            self._messages[chat.id] = []
        return chat

    def create_private_chat(self, user: User) -> Chat:
        """Same as :meth:`private_chat`; reads better where a test sets chats up."""
        return self.private_chat(user)

    def create_group(
        self,
        title: str = "Consultation group",
        members: Iterable[User] = (),
        *,
        chat_id: int | None = None,
        supergroup: bool = True,
    ) -> Chat:
        """A group (supergroup by default, id ``-100...``) with the bot and ``members``."""
        if chat_id is None:
            base = -1_001_000_000_000 if supergroup else -4_000_000_000
            chat_id = base - self._next_group_id
            self._next_group_id += 1
        if chat_id >= 0 or chat_id in self.chats:
            raise ValueError(f"bad or taken group id {chat_id}")
        chat = Chat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            members={u.id: u for u in members},
        )
        self.chats[chat_id] = chat
        self._messages[chat_id] = []
        return chat

    def add_member(self, chat: Chat, user: User) -> None:
        chat.members[user.id] = user

    def remove_bot_from_group(self, chat: Chat, by: User | None = None) -> None:
        """The bot is kicked: sends to the chat answer 403; queues ``my_chat_member``."""
        if chat.is_private:
            raise ValueError("use user_blocks_bot for private chats")
        actor = by or next(iter(chat.members.values()), None) or self.bot
        chat.bot_is_member = False
        self._chat_member_update(chat, actor, "member", "kicked")

    def user_blocks_bot(self, user: User) -> None:
        """The user blocks the bot: sends to them answer 403 ``bot was blocked by the user``."""
        chat = self.private_chat(user)
        if not chat.blocked:
            chat.blocked = True
            self._chat_member_update(chat, user, "member", "kicked")

    def user_unblocks_bot(self, user: User) -> None:
        chat = self.private_chat(user)
        if chat.blocked:
            chat.blocked = False
            self._chat_member_update(chat, user, "kicked", "member")

    def log_in(self) -> None:
        """Undo ``logOut``: the token works again."""
        self.logged_out = False

    # --- control API: users act -----------------------------------------------------------

    def user_sends_text(
        self,
        user: User,
        text: str,
        chat: Chat | None = None,
        *,
        reply_to: MessageRef | None = None,
    ) -> ChatMessage:
        """The user writes ``text`` (to the bot privately, or in ``chat``); queues an update."""
        chat = self._chat_for_user(user, chat)
        message = self._add_message(
            chat,
            sender=user,
            from_bot=False,
            text=text,
            entities=detect_entities(text),
            reply_to=self._resolve_message(chat, reply_to) if reply_to is not None else None,
        )
        if self._bot_sees(message):
            self._enqueue("message", message.to_api())
        return message

    def user_sends_document(
        self,
        user: User,
        filename: str,
        data: bytes,
        chat: Chat | None = None,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> ChatMessage:
        """The user sends a file; the bot can getFile and download it."""
        chat = self._chat_for_user(user, chat)
        stored = self._store_file(data, filename, mime_type or _guess_mime(filename))
        message = self._add_message(
            chat,
            sender=user,
            from_bot=False,
            document=stored,
            caption=caption,
            caption_entities=detect_entities(caption) if caption else [],
        )
        if self._bot_sees(message):
            self._enqueue("message", message.to_api())
        return message

    def user_presses_button(
        self, user: User, message: ChatMessage, callback_data: str
    ) -> CallbackQuery:
        """The user presses the inline button carrying ``callback_data`` under ``message``.

        Raises ``ValueError`` if the message (as it is now) has no such button: a client
        cannot press a button that is not there.
        """
        current = self._resolve_message(message.chat, message.message_id)
        if current.deleted or callback_data not in current.callback_data:
            raise ValueError(
                f"message {current.message_id} has no button with callback_data "
                f"{callback_data!r} (buttons: {current.buttons})"
            )
        if current.chat.is_private and current.chat.id != user.id:
            raise ValueError("the user cannot see a message in another user's private chat")
        if not current.chat.is_private and user.id not in current.chat.members:
            raise ValueError(f"{user.first_name} is not a member of {current.chat.title!r}")
        query_id = str(self._next_callback)
        self._next_callback += self.rng.randint(1, 1000)
        query = CallbackQuery(query_id, user, current, callback_data)
        self.callback_queries[query_id] = query
        self._enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_api(),
                "message": current.to_api(),
                "chat_instance": str(abs(hash((current.chat.id, self.bot.id))) % 10**18),
                "data": callback_data,
            },
        )
        return query

    def user_presses_inline_switch(
        self, user: User, message: ChatMessage, text: str
    ) -> InlineQuery:
        """The user presses the switch_inline_query_current_chat button labelled `text`
        under `message`: the client puts "@bot <query>" in the input field and, the bot
        being inline, sends the query as it stands."""
        current = self._resolve_message(message.chat, message.message_id)
        query = current.inline_switch(text)
        if current.deleted or query is None:
            raise ValueError(
                f"message {current.message_id} has no inline switch button {text!r} "
                f"(buttons: {current.buttons})"
            )
        if not current.chat.is_private or current.chat.id != user.id:
            raise ValueError("this server only switches inline in the user's private chat")
        return self.user_types_inline_query(user, query)

    def user_types_inline_query(self, user: User, query: str) -> InlineQuery:
        """The user's input field reads "@bot <query>" in their private chat with the bot:
        the client sends the query (cut to 256 characters, as the field takes no more)."""
        if not self.inline_mode:
            raise ValueError("the bot has no inline mode (BotFather's /setinline)")
        query_id = str(self._next_callback)
        self._next_callback += self.rng.randint(1, 1000)
        inline = InlineQuery(query_id, user, query[:256], "sender")
        self.inline_queries[query_id] = inline
        self._enqueue(
            "inline_query",
            {
                "id": query_id,
                "from": user.to_api(),
                "query": inline.query,
                "offset": "",
                "chat_type": inline.chat_type,
            },
        )
        return inline

    def user_chooses_inline_result(
        self, user: User, query: InlineQuery, result_id: str
    ) -> ChatMessage:
        """The user taps result `result_id` of an answered query: its text is sent in
        their private chat with the bot, as their message, via the bot."""
        if not query.answered:
            raise ValueError(f"inline query {query.id} has no answer to choose from")
        result = next((r for r in query.results if r.get("id") == result_id), None)
        if result is None:
            raise ValueError(f"inline query {query.id} has no result {result_id!r}")
        text = str(result["input_message_content"]["message_text"]).strip()
        chat = self._chat_for_user(user, None)
        message = self._add_message(
            chat,
            sender=user,
            from_bot=False,
            text=text,
            entities=detect_entities(text),
            via_bot=self.bot,
        )
        if self._bot_sees(message):
            self._enqueue("message", message.to_api())
        return message

    def push_update(self, kind: str, payload: JSON) -> Update | None:
        """Queue any raw update (``kind`` is the Update field, e.g. ``"edited_message"``)."""
        return self._enqueue(kind, payload)

    # --- control API: inspection ------------------------------------------------------------

    def sent_messages(self, chat: ChatRef, *, include_deleted: bool = False) -> list[ChatMessage]:
        """The bot's messages in a chat, oldest first, with edits applied."""
        return [
            m
            for m in self._messages.get(self._chat_id(chat), [])
            if m.from_bot and (include_deleted or not m.deleted)
        ]

    def chat_history(self, chat: ChatRef) -> list[ChatMessage]:
        """Every message in the chat, the users' and the bot's, oldest first."""
        return list(self._messages.get(self._chat_id(chat), []))

    def last_message(self, chat: ChatRef) -> ChatMessage:
        sent = self.sent_messages(chat)
        if not sent:
            raise LookupError(f"the bot sent nothing to chat {self._chat_id(chat)}")
        return sent[-1]

    def message(self, chat: ChatRef, message_id: int) -> ChatMessage:
        return self._resolve_message(self._chat_id(chat), message_id)

    @property
    def pending_updates(self) -> list[Update]:
        """Updates not yet confirmed by the bot."""
        return list(self._updates)

    @property
    def is_long_polling(self) -> bool:
        """A getUpdates call is waiting for updates right now."""
        return self._polls_waiting > 0

    @property
    def webhook_url(self) -> str | None:
        return self._webhook.url if self._webhook else None

    @property
    def allowed_updates(self) -> frozenset[str]:
        return self._allowed_updates or DEFAULT_ALLOWED_UPDATES

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def commands_for(
        self,
        scope_type: str = "default",
        *,
        chat_id: int | None = None,
        user_id: int | None = None,
        language_code: str = "",
    ) -> list[JSON]:
        return list(self.commands.get((scope_type, chat_id, user_id, language_code), []))

    # --- control API: faults -----------------------------------------------------------

    def set_rate_limit(
        self,
        *,
        global_per_second: int | None = 30,
        per_chat_per_second: int | None = 1,
        per_group_per_minute: int | None = None,
        methods: Iterable[str] = SENDING_METHODS,
    ) -> None:
        """Turn on flood control for ``methods`` (answers 429 with retry_after)."""
        self._rate_limit = RateLimit(
            global_per_second, per_chat_per_second, per_group_per_minute, frozenset(methods)
        )
        self._rate_global.clear()
        self._rate_chat.clear()
        self._rate_group.clear()

    def clear_rate_limit(self) -> None:
        self._rate_limit = None

    # --- control API: waiting ----------------------------------------------------------

    # The wait helpers take ``timeout`` (ASYNC109) on purpose: it reads better in tests than
    # wrapping every call in ``asyncio.timeout``, and the error names what was awaited.
    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "the condition",
    ) -> T:
        """Wait until ``predicate()`` is truthy (re-checked on every state change)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            await self._wait_changed(remaining)

    async def wait_for_messages(
        self,
        chat: ChatRef,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[ChatMessage]:
        """Wait until the bot has sent at least ``count`` messages to ``chat``; returns them."""
        chat_id = self._chat_id(chat)

        def enough() -> list[ChatMessage] | None:
            sent = self.sent_messages(chat_id)
            return sent if len(sent) >= count else None

        try:
            return await self.wait_for(enough, timeout, f"{count} messages in chat {chat_id}")
        except TimeoutError as exc:
            texts = [m.text or m.caption for m in self.sent_messages(chat_id)]
            raise TimeoutError(f"{exc}; the bot sent {len(texts)}: {texts!r}") from None

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[RecordedCall]:
        def enough() -> list[RecordedCall] | None:
            calls = self.calls_to(method)
            return calls if len(calls) >= count else None

        return await self.wait_for(enough, timeout, f"{count} calls to {method}")

    async def wait_for_updates_confirmed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has confirmed (or taken by webhook) every queued update."""
        await self.wait_for(lambda: not self._updates, timeout, "the update queue to drain")

    async def wait_for_callback_answer(
        self,
        query: CallbackQuery | str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JSON:
        query_id = query if isinstance(query, str) else query.id

        def answered() -> JSON | None:
            found = self.callback_queries.get(query_id)
            return found.answer if found is not None and found.answered else None

        return await self.wait_for(answered, timeout, f"an answer to callback query {query_id}")

    async def wait_for_inline_answer(
        self,
        query: InlineQuery,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[JSON]:
        """The results the bot answered `query` with."""

        def answered() -> list[JSON] | None:
            return query.results if query.answered else None

        return await self.wait_for(answered, timeout, f"an answer to inline query {query.id}")

    # --- internals: state --------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_changed(self, timeout: float | None) -> None:  # noqa: ASYNC109
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    async def _sleep(self, delay: float) -> None:
        """Sleep, but wake up when the server stops."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay
        while not self._closing and (remaining := deadline - loop.time()) > 0:
            await self._wait_changed(remaining)

    def _chat_id(self, chat: ChatRef) -> int:
        if isinstance(chat, Chat | User):
            return chat.id
        return int(chat)

    def _chat_for_user(self, user: User, chat: Chat | None) -> Chat:
        if user.id not in self.users:
            raise ValueError(f"unknown user {user.id}; use create_user")
        if chat is None:
            return self.private_chat(user)
        if chat.is_private:
            if chat.id != user.id:
                raise ValueError("a user can only write in their own private chat")
        elif user.id not in chat.members:
            raise ValueError(f"{user.first_name} is not a member of {chat.title!r}")
        return chat

    def _resolve_message(self, chat: Chat | int, message: MessageRef) -> ChatMessage:
        chat_id = chat.id if isinstance(chat, Chat) else chat
        message_id = message.message_id if isinstance(message, ChatMessage) else message
        for candidate in self._messages.get(chat_id, []):
            if candidate.message_id == message_id:
                return candidate
        raise LookupError(f"no message {message_id} in chat {chat_id}")

    def _find_message(self, chat: Chat, message_id: int) -> ChatMessage | None:
        with contextlib.suppress(LookupError):
            found = self._resolve_message(chat, message_id)
            if not found.deleted:
                return found
        return None

    def _add_message(
        self, chat: Chat, *, sender: User, from_bot: bool, **fields: Any
    ) -> ChatMessage:
        message = ChatMessage(
            message_id=chat.next_message_id,
            chat=chat,
            sender=sender,
            date=now(),
            from_bot=from_bot,
            **fields,
        )
        chat.next_message_id += 1
        self._messages.setdefault(chat.id, []).append(message)
        self._notify()
        return message

    def _bot_sees(self, message: ChatMessage) -> bool:
        chat = message.chat
        if chat.is_private:
            return not chat.blocked
        if not chat.bot_is_member:
            return False
        if not self.privacy_mode:
            return True
        if message.reply_to is not None and message.reply_to.from_bot:
            return True
        text = message.text or message.caption or ""
        username = (self.bot.username or "").lower()
        return text.startswith("/") or f"@{username}" in text.lower()

    def _enqueue(self, kind: str, payload: JSON) -> Update | None:
        update = Update(self._next_update_id, kind, payload)
        self._next_update_id += 1
        if kind not in self.allowed_updates:
            self.dropped_updates.append(update)
            return None
        self._updates.append(update)
        self._notify()
        return update

    def _chat_member_update(self, chat: Chat, actor: User, old: str, new: str) -> None:
        bot = self.bot.to_api()
        member: JSON = {"status": new, "user": bot}
        if new == "kicked":
            member["until_date"] = 0
        self._enqueue(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": actor.to_api(),
                "date": now(),
                "old_chat_member": {"status": old, "user": bot},
                "new_chat_member": member,
            },
        )

    def _store_file(self, data: bytes, file_name: str | None, mime_type: str | None) -> StoredFile:
        number = self._next_file
        self._next_file += 1
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:05d}{self.rng.getrandbits(64):016x}",
            file_unique_id=f"AgAD{number:05d}{self.rng.getrandbits(24):06x}",
            file_path=f"documents/file_{number - 1}{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    # --- internals: HTTP ----------------------------------------------------------------

    @staticmethod
    def _error(code: int, description: str, retry_after: int | None = None) -> web.Response:
        body: JSON = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=code)

    async def _read_params(self, request: web.Request) -> _Params:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, _Upload] = {}
        if request.method == "POST" and request.can_read_body:
            content_type = request.content_type
            if content_type == "application/json":
                try:
                    body = json.loads(await request.read() or b"{}")
                except ValueError:
                    raise _bad_request("can't parse JSON encoded request body") from None
                if not isinstance(body, dict):
                    raise _bad_request("JSON encoded request body must be an Object")
                values.update(body)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        files[name] = _Upload(value.filename, value.content_type, value.file.read())
                    else:
                        values[name] = value
            else:
                await request.read()
        return _Params(values, files)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if not _TOKEN_RE.match(token):
            return self._error(404, "Not Found")
        if token != self.token or self.logged_out:
            return self._error(401, "Unauthorized")
        handler = self._methods.get(request.match_info["method"].lower())
        method = handler.name if handler else request.match_info["method"]
        params = _Params({}, {})
        status = 0
        response: web.Response | None
        self.stats.calls[method] += 1
        try:
            params = await self._read_params(request)
            if handler is None:
                response = self._error(404, "Not Found")
            else:
                response = await self._serve(request, handler, params)
        except _ApiFailure as failure:
            response = self._error(failure.code, failure.description, failure.retry_after)
        if response is not None:
            status = response.status
            self.stats.statuses[status] += 1
        else:
            self.stats.dropped_connections += 1
        self.calls.append(RecordedCall(method, params.recorded(), status, time.monotonic()))
        self._notify()
        if response is None:
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)  # never reaches the closed socket
        return response

    async def _serve(
        self, request: web.Request, handler: _Handler, params: _Params
    ) -> web.Response | None:
        chat_id: int | None
        try:
            chat_id = params.get_int("chat_id")
        except _ApiFailure:
            chat_id = None
        fault = self.faults.next_fault(handler.name, chat_id)
        if fault is not None:
            self.stats.faults_served[fault_name(fault)] += 1
        match fault:
            case TooManyRequests(retry_after=retry_after):
                return self._error(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after
                )
            case BadGateway(html=True):
                return web.Response(
                    status=502,
                    content_type="text/html",
                    text="<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx"
                    "</center>\r\n</body>\r\n</html>\r\n",
                )
            case BadGateway():
                return self._error(502, "Bad Gateway")
            case ApiError(error_code=code, description=description, retry_after=retry):
                return self._error(code, description, retry)
            case Slow(delay=delay, after_processing=False):
                await self._sleep(delay)
            case DropConnection(after_processing=False):
                return None
            case _:
                pass
        try:
            result = await handler.func(params)
            body: JSON = {"ok": True, "result": result}
            if isinstance(result, _Described):
                body = {"ok": True, "result": result.result, "description": result.description}
            response = web.json_response(body)
        except _ApiFailure as failure:
            response = self._error(failure.code, failure.description, failure.retry_after)
        match fault:
            case Slow(delay=delay, after_processing=True):
                await self._sleep(delay)
            case DropConnection(after_processing=True):
                return None
            case GarbledSuccess():
                return web.json_response({"ok": True, "result": {"not": "a message"}})
            case _:
                pass
        return response

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if not _TOKEN_RE.match(token):
            return self._error(404, "Not Found")
        if token != self.token or self.logged_out:
            return self._error(401, "Unauthorized")
        path = request.match_info["path"]
        self.stats.calls["<download>"] += 1
        for stored in self.files.values():
            if stored.file_path == path:
                self.stats.statuses[200] += 1
                return web.Response(body=stored.data, content_type="application/octet-stream")
        self.stats.statuses[404] += 1
        return self._error(404, "Not Found")

    # --- internals: webhooks ------------------------------------------------------------

    async def _webhook_loop(self) -> None:
        """Deliver queued updates as Telegram's server does: up to the webhook's
        ``max_connections`` POSTs at once, never two of one chat at a time, each chat's in
        order; a failed one is retried after a growing pause, holding back its chat only."""
        busy: set[object] = set()  # chats (or senders) with an update being delivered: one
        # each, so these are the connections in use too
        delivering: set[asyncio.Task[None]] = set()
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=10),
            trust_env=False,
            connector=aiohttp.TCPConnector(limit=0),
        ) as session:
            try:
                while not self._closing:
                    webhook = self._webhook
                    if webhook is not None:
                        held: set[object] = set()
                        for update in list(self._updates):
                            if len(busy) >= webhook.max_connections:
                                break
                            key = _queue_key(update)
                            if key in busy or key in held:
                                held.add(key)  # its chat's earlier update goes first
                                continue
                            held.add(key)
                            busy.add(key)
                            task = asyncio.create_task(
                                self._deliver(session, webhook, update, key, busy)
                            )
                            delivering.add(task)
                            task.add_done_callback(delivering.discard)
                    await self._wait_changed(None)
            finally:
                for task in delivering:
                    task.cancel()
                await asyncio.gather(*delivering, return_exceptions=True)

    async def _deliver(
        self,
        session: aiohttp.ClientSession,
        webhook: _Webhook,
        update: Update,
        key: object,
        busy: set[object],
    ) -> None:
        delay = self._webhook_retry_delay
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        try:
            while not self._closing and self._webhook is webhook and update in self._updates:
                error: str | None = None
                try:
                    async with session.post(
                        webhook.url, data=json.dumps(update.to_api()), headers=headers
                    ) as answer:
                        await answer.read()
                        if not 200 <= answer.status < 300:
                            error = (
                                f"Wrong response from the webhook: {answer.status} "
                                f"{answer.reason or ''}".rstrip()
                            )
                except aiohttp.ClientConnectorError:
                    error = "Connection refused"
                except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                    error = f"Connection error: {type(exc).__name__}"
                if error is None:
                    self.stats.webhook_deliveries += 1
                    if update in self._updates:
                        self._updates.remove(update)
                    return
                self.stats.webhook_failures += 1
                webhook.last_error_date = now()
                webhook.last_error_message = error
                self._notify()
                await self._sleep(delay)
                delay = min(delay * 2, 1.0)
        finally:
            busy.discard(key)
            self._notify()

    # --- internals: validation helpers --------------------------------------------------

    def _target_chat(self, params: _Params, *, sending: bool = True) -> Chat:
        raw = params.raw("chat_id")
        if raw is None or raw == "":
            raise _bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise _bad_request("chat not found") from None
        chat = self.chats.get(chat_id)
        if chat is None:
            if chat_id in self.users:
                raise _ApiFailure(403, "Forbidden: bot can't initiate conversation with a user")
            raise _bad_request("chat not found")
        if sending:
            if chat.is_private and chat.blocked:
                raise _ApiFailure(403, "Forbidden: bot was blocked by the user")
            if not chat.is_private and not chat.bot_is_member:
                kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
                raise _ApiFailure(403, f"Forbidden: bot was kicked from the {kind}")
        return chat

    def _formatted(
        self, text: str, parse_mode: str | None, entities: Any, *, caption: bool = False
    ) -> tuple[str, list[JSON]]:
        mode = (parse_mode or "").lower()
        if mode not in ("", "html", "markdown", "markdownv2"):
            raise _bad_request("unsupported parse_mode")
        parsed: list[JSON] = []
        if mode == "html":
            try:
                text, parsed = parse_html(text)
            except EntityParseError as exc:
                raise _bad_request(f"can't parse entities: {exc}") from None
        elif mode == "" and isinstance(entities, list):
            parsed = [dict(e) for e in entities if isinstance(e, dict)]
        text, parsed = strip_text(text, parsed)
        limit = MAX_CAPTION_LENGTH if caption else MAX_MESSAGE_LENGTH
        if utf16_len(text) > limit:
            raise _bad_request("message caption is too long" if caption else "message is too long")
        return text, parsed

    def _reply_markup(self, params: _Params, *, inline_only: bool = False) -> JSON | None:
        error = "can't parse reply keyboard markup JSON object"
        markup = params.get_json("reply_markup", error)
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request(error)
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request(
                    'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            return markup if any(rows) else None
        if inline_only:
            raise _bad_request("inline keyboard expected")
        if "force_reply" in markup:
            if markup["force_reply"] is not True:
                raise _bad_request(error)
            return markup
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
            return markup
        if markup.get("remove_keyboard") is True:
            return markup
        raise _bad_request(error)

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict):
            raise _bad_request(
                "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
            )
        if not isinstance(button.get("text"), str):
            raise _bad_request(
                'can\'t parse inline keyboard button: Field "text" must be of type String'
            )
        actions = _INLINE_BUTTON_ACTIONS & button.keys()
        if not actions:
            raise _bad_request(
                "can't parse inline keyboard button: Text buttons are "
                "unallowed in the inline keyboard"
            )
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                raise _bad_request("BUTTON_DATA_INVALID")
        if "url" in button and not str(button["url"]).strip():
            raise _bad_request("inline keyboard button URL '' is invalid: Wrong HTTP URL")

    def _reply_target(self, chat: Chat, params: _Params) -> ChatMessage | None:
        reply = params.get_json("reply_parameters", "can't parse reply parameters JSON object")
        message_id: int | None = None
        allow_without = params.get_bool("allow_sending_without_reply")
        if isinstance(reply, dict):
            if reply.get("chat_id") not in (None, chat.id, str(chat.id)):
                raise _bad_request("replies to messages in other chats are not supported here")
            message_id = int(reply.get("message_id") or 0)
            allow_without = bool(reply.get("allow_sending_without_reply"))
        elif params.get_int("reply_to_message_id") is not None:
            message_id = params.get_int("reply_to_message_id")
        if message_id is None:
            return None
        found = self._find_message(chat, message_id)
        if found is None and not allow_without:
            raise _bad_request("message to be replied not found")
        return found

    def _check_rate_limit(self, chat: Chat, method: str) -> None:
        limit = self._rate_limit
        if limit is None or method.lower() not in {m.lower() for m in limit.methods}:
            return
        moment = time.monotonic()
        waits: list[float] = []

        def check(stamps: deque[float], window: float, allowed: int | None) -> None:
            while stamps and stamps[0] <= moment - window:
                stamps.popleft()
            if allowed is not None and len(stamps) >= allowed:
                waits.append(stamps[len(stamps) - allowed] + window - moment)

        chat_stamps = self._rate_chat.setdefault(chat.id, deque())
        check(self._rate_global, 1.0, limit.global_per_second)
        check(chat_stamps, 1.0, limit.per_chat_per_second)
        group_stamps: deque[float] | None = None
        if not chat.is_private:
            group_stamps = self._rate_group.setdefault(chat.id, deque())
            check(group_stamps, 60.0, limit.per_group_per_minute)
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            self.stats.rate_limited += 1
            raise _ApiFailure(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        self._rate_global.append(moment)
        chat_stamps.append(moment)
        if group_stamps is not None:
            group_stamps.append(moment)

    def _message_to_edit(self, params: _Params) -> ChatMessage:
        if params.raw("inline_message_id"):
            raise _bad_request("inline messages are not supported by this test server")
        chat = self._target_chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        message = self._find_message(chat, message_id)
        if message is None:
            raise _bad_request("message to edit not found")
        if not message.from_bot:
            raise _bad_request("message can't be edited")
        return message

    @staticmethod
    def _snapshot(message: ChatMessage) -> MessageEdit:
        return MessageEdit(
            text=message.text,
            entities=tuple(message.entities),
            source_text=message.source_text,
            parse_mode=message.parse_mode,
            reply_markup=message.reply_markup,
            date=message.edit_date or message.date,
        )

    # --- methods -----------------------------------------------------------------------

    async def _get_me(self, params: _Params) -> JSON:
        return {
            **self.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": self.inline_mode,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: _Params) -> list[JSON]:
        if self._webhook is not None:
            raise _ApiFailure(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset") or 0
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        timeout = max(params.get_float("timeout") or 0.0, 0.0)
        allowed = params.get_json("allowed_updates", "can't parse allowed_updates JSON object")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(a) for a in allowed) or None
        self._poll_generation += 1
        generation = self._poll_generation
        if offset > 0:
            self._updates = [u for u in self._updates if u.update_id >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._polls_waiting += 1
        try:
            return await self._poll(generation, limit, deadline)
        finally:
            self._polls_waiting -= 1
            self._notify()

    async def _poll(self, generation: int, limit: int, deadline: float) -> list[JSON]:
        loop = asyncio.get_running_loop()
        while True:
            if self._poll_generation != generation:
                raise _ApiFailure(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            if self._updates or self._closing or self._webhook is not None:
                return [u.to_api() for u in self._updates[:limit]]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await self._wait_changed(remaining)

    async def _set_webhook(self, params: _Params) -> _Described:
        url = params.get_str("url") or ""
        if not url:
            return await self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _bad_request("bad webhook: Webhook URL is invalid")
        if not _is_loopback_host(parts.hostname):
            raise _bad_request("bad webhook: this test server only delivers to loopback URLs")
        secret = params.get_str("secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise _bad_request("secret token contains unallowed characters")
        allowed = params.get_json("allowed_updates", "can't parse allowed_updates JSON object")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(a) for a in allowed) or None
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        unchanged = self._webhook is not None and self._webhook.url == url
        self._webhook = _Webhook(url, secret, params.get_int("max_connections") or 40)
        self._notify()
        return _Described(True, "Webhook is already set" if unchanged else "Webhook was set")

    async def _delete_webhook(self, params: _Params) -> _Described:
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        existed = self._webhook is not None
        self._webhook = None
        self._notify()
        return _Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    async def _get_webhook_info(self, params: _Params) -> JSON:
        info: JSON = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook is not None:
            info["url"] = self._webhook.url
            info["max_connections"] = self._webhook.max_connections
            if self._webhook.last_error_date is not None:
                info["last_error_date"] = self._webhook.last_error_date
                info["last_error_message"] = self._webhook.last_error_message
            if self._allowed_updates is not None:
                info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    async def _send_message(self, params: _Params) -> JSON:
        chat = self._target_chat(params)
        source = params.get_str("text")
        if not source:
            raise _bad_request("message text is empty")
        parse_mode = params.get_str("parse_mode")
        text, entities = self._formatted(source, parse_mode, params.get_json("entities"))
        if not text:
            raise _bad_request("message text is empty")
        markup = self._reply_markup(params)
        reply_to = self._reply_target(chat, params)
        self._check_rate_limit(chat, "sendMessage")
        message = self._add_message(
            chat,
            sender=self.bot,
            from_bot=True,
            text=text,
            entities=entities,
            source_text=source,
            parse_mode=parse_mode,
            reply_markup=markup,
            reply_to=reply_to,
            params=params.recorded(),
        )
        return message.to_api()

    async def _edit_message_text(self, params: _Params) -> JSON:
        message = self._message_to_edit(params)
        if message.text is None:
            raise _bad_request("there is no text in the message to edit")
        source = params.get_str("text")
        if not source:
            raise _bad_request("message text is empty")
        parse_mode = params.get_str("parse_mode")
        text, entities = self._formatted(source, parse_mode, params.get_json("entities"))
        if not text:
            raise _bad_request("message text is empty")
        markup = self._reply_markup(params, inline_only=True)
        old_inline = message.reply_markup if message.inline_keyboard else None
        if text == message.text and entities == message.entities and markup == old_inline:
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._check_rate_limit(message.chat, "editMessageText")
        message.edits.append(self._snapshot(message))
        message.text = text
        message.entities = entities
        message.source_text = source
        message.parse_mode = parse_mode
        if markup is not None or old_inline is not None:
            message.reply_markup = markup
        message.edit_date = now()
        self._notify()
        return message.to_api()

    async def _edit_message_reply_markup(self, params: _Params) -> JSON:
        message = self._message_to_edit(params)
        markup = self._reply_markup(params, inline_only=True)
        old_inline = message.reply_markup if message.inline_keyboard else None
        if markup == old_inline:
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._check_rate_limit(message.chat, "editMessageReplyMarkup")
        message.edits.append(self._snapshot(message))
        message.reply_markup = markup
        message.edit_date = now()
        self._notify()
        return message.to_api()

    async def _delete_message(self, params: _Params) -> bool:
        chat = self._target_chat(params, sending=False)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        message = self._find_message(chat, message_id)
        if message is None:
            raise _bad_request("message to delete not found")
        if chat.is_private is False and not message.from_bot and not chat.bot_is_member:
            raise _bad_request("message can't be deleted")
        message.deleted = True
        self._notify()
        return True

    async def _send_chat_action(self, params: _Params) -> bool:
        self._target_chat(params)
        if not params.get_str("action"):
            raise _bad_request("action is empty")  # wording approximated
        return True

    async def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        query = self.callback_queries.get(query_id)
        if query is None or query.answered:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get_str("text")
        if text is not None and len(text) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        query.answer = {
            "text": text,
            "show_alert": params.get_bool("show_alert"),
            "url": params.get_str("url"),
            "cache_time": params.get_int("cache_time") or 0,
        }
        self._notify()
        return True

    async def _answer_inline_query(self, params: _Params) -> bool:
        query = self.inline_queries.get(params.get_str("inline_query_id") or "")
        if query is None or query.answered:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        results = params.get_json("results", "can't parse inline query results JSON object")
        if not isinstance(results, list):
            raise _bad_request("can't parse inline query results JSON object")
        if len(results) > 50:
            raise _bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            self._check_inline_result(result, seen)
        query.answered = True
        query.results = [dict(r) for r in results]
        query.answer = {
            "cache_time": params.get_int("cache_time"),
            "is_personal": params.get_bool("is_personal"),
            "next_offset": params.get_str("next_offset"),
            "button": params.get_json("button"),
        }
        self._notify()
        return True

    @staticmethod
    def _check_inline_result(result: Any, seen: set[str]) -> None:
        if not isinstance(result, dict) or not isinstance(result.get("type"), str):
            raise _bad_request(
                'can\'t parse InlineQueryResult: Field "type" must be of type String'
            )
        result_id = result.get("id")
        if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
            raise _bad_request("RESULT_ID_INVALID")
        if result_id in seen:
            raise _bad_request("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        if result["type"] != "article":
            raise _bad_request(f"inline results of type {result['type']!r} are not served here")
        if not str(result.get("title") or "").strip():
            raise _bad_request("ARTICLE_TITLE_EMPTY")
        content = result.get("input_message_content")
        text = content.get("message_text") if isinstance(content, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("MESSAGE_EMPTY")
        if utf16_len(text) > 4096:
            raise _bad_request("MESSAGE_TOO_LONG")

    async def _send_document(self, params: _Params) -> JSON:
        chat = self._target_chat(params)
        upload = params.files.get("document")
        existing: StoredFile | None = None
        reference = params.get_str("document")
        if upload is None and reference:
            if reference.startswith("attach://"):
                upload = params.files.get(reference.removeprefix("attach://"))
                if upload is None:
                    raise _bad_request("wrong file identifier/HTTP URL specified")
            elif reference.startswith(("http://", "https://")):
                raise _bad_request("failed to get HTTP URL content")
            else:
                existing = self.files.get(reference)
                if existing is None:
                    raise _bad_request("wrong file identifier/HTTP URL specified")
        if upload is None and existing is None:
            raise _bad_request("there is no document in the request")
        if upload is not None:
            if not upload.data:
                raise _bad_request("file must be non-empty")
            if len(upload.data) > MAX_UPLOAD_SIZE:
                raise _ApiFailure(413, "Request Entity Too Large")
        caption_source = params.get_str("caption")
        parse_mode = params.get_str("parse_mode")
        caption: str | None = None
        caption_entities: list[JSON] = []
        if caption_source:
            caption, caption_entities = self._formatted(
                caption_source, parse_mode, params.get_json("caption_entities"), caption=True
            )
        markup = self._reply_markup(params)
        reply_to = self._reply_target(chat, params)
        self._check_rate_limit(chat, "sendDocument")
        if upload is not None:
            existing = self._store_file(
                upload.data,
                upload.filename,
                upload.content_type or _guess_mime(upload.filename or ""),
            )
        message = self._add_message(
            chat,
            sender=self.bot,
            from_bot=True,
            document=existing,
            caption=caption or None,
            caption_entities=caption_entities,
            source_text=caption_source,
            parse_mode=parse_mode,
            reply_markup=markup,
            reply_to=reply_to,
            params=params.recorded(),
        )
        return message.to_api()

    async def _get_file(self, params: _Params) -> JSON:
        file_id = params.get_str("file_id")
        if not file_id:
            raise _bad_request("file_id not specified")  # wording approximated
        stored = self.files.get(file_id)
        if stored is None:
            raise _bad_request("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_SIZE:
            raise _bad_request("file is too big")
        return stored.to_file()

    def _scope_key(self, params: _Params) -> tuple[str, int | None, int | None, str]:
        scope = params.get_json("scope", "can't parse BotCommandScope JSON object") or {
            "type": "default"
        }
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad_request("unsupported bot command scope type")
        scope_type = str(scope["type"])
        chat_id = user_id = None
        if scope_type in ("chat", "chat_administrators", "chat_member"):
            chat_id = _as_int(scope.get("chat_id"))
            if chat_id is None or chat_id not in self.chats:
                raise _bad_request("chat not found")
        if scope_type == "chat_member":
            user_id = _as_int(scope.get("user_id"))
            if user_id is None:
                raise _bad_request("invalid user_id specified")
        language = params.get_str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad_request("invalid language code specified")  # wording approximated
        return scope_type, chat_id, user_id, language

    async def _set_my_commands(self, params: _Params) -> bool:
        commands = params.get_json("commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise _bad_request('field "commands" must be an Array')
        if len(commands) > 100:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        cleaned: list[JSON] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("BotCommand must be an Object")
            name = str(command.get("command", "")).removeprefix("/")
            description = str(command.get("description", ""))
            if not _COMMAND_RE.match(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._scope_key(params)
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        self._notify()
        return True

    async def _get_my_commands(self, params: _Params) -> list[JSON]:
        return [dict(c) for c in self.commands.get(self._scope_key(params), [])]

    async def _delete_my_commands(self, params: _Params) -> bool:
        self.commands.pop(self._scope_key(params), None)
        self._notify()
        return True

    async def _close(self, params: _Params) -> bool:
        self.closed = True
        return True

    async def _log_out(self, params: _Params) -> bool:
        self.logged_out = True
        return True


@dataclass(frozen=True)
class _Described:
    """A successful result that Telegram answers with a ``description`` beside it."""

    result: Any
    description: str


_MIME_TYPES = {
    "pdf": "application/pdf",
    "txt": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "md": "text/markdown",
}


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _guess_mime(filename: str) -> str | None:
    if "." not in filename:
        return None
    return _MIME_TYPES.get(filename.rsplit(".", 1)[1].lower(), "application/octet-stream")


@pytest_asyncio.fixture
async def bot_api_server() -> AsyncIterator[BotAPIServer]:
    """A started :class:`BotAPIServer` on 127.0.0.1 (ephemeral port), stopped afterwards."""
    async with BotAPIServer() as server:
        yield server


__all__ = [
    "DEFAULT_TOKEN",
    "BotAPIServer",
    "FaultPlan",
    "RateLimit",
    "bot_api_server",
]
