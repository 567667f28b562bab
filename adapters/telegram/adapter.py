"""The Telegram adapter: Bot API updates in, `Inbound` events out; `Outbound` messages in,
Bot API calls out.

python-telegram-bot (PTB) does the HTTP: an `Application` is built only for its `ExtBot`
(request pools, generous timeouts, `FloodControl` as its rate limiter) and that bot's
lifecycle. Updates come by long polling (`polling.py`) or, with a public URL, by webhook
(`webhook.py`); either way each one is handled with retry and confirmed only after.
A refusal for good raises `DeliveryError` (`blocked=True` for Forbidden: blocked,
kicked, never started) and nothing else, so one failed message does not stop the rest
of a turn.

    Outbound ──> sendMessage (HTML, escaped, split < 4096, keyboard / ForceReply on the last;
                              styled text as <s> and <b>)
             ├─> editMessageText (edit_of)     └─> sendDocument (attachment)
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from telegram import (
    BotCommandScopeChat,
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    InlineQuery,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder, ExtBot

from adapters import kit
from adapters.telegram.pacing import MESSAGES_PER_SECOND, FloodControl, Lane, call
from adapters.telegram.polling import Polling
from adapters.telegram.translate import (
    CAPTION_LIMIT,
    PLATFORM,
    addressed_to_another_bot,
    button_event,
    chat_number,
    chat_ref,
    html_parts,
    inline_answer,
    keyboard,
    menu_commands,
    message_event,
    message_ref,
    update_chat,
)
from bot.app import SetupError
from bot.events import (
    Attachment,
    Capability,
    ChatId,
    DeliveryError,
    Inbound,
    InboundHandler,
    Label,
    MessageId,
    Outbound,
    PlatformId,
    label_text,
)

if TYPE_CHECKING:
    from adapters.telegram.settings import TelegramSettings
    from adapters.telegram.webhook import Webhook

log = logging.getLogger(__name__)

ANSWER_DEADLINE = 10.0  # a callback answer later than this is no use to anyone
# Seconds of retrying a failing Bot API at start (502s while a server restarts) before
# stopping with a line that names it: an operator starting the bot is waiting for it.
START_DEADLINE = 30.0
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


# ---- the adapter ------------------------------------------------------------------------


class TelegramAdapter:
    platform = PLATFORM
    capabilities = Capability.BUTTONS | Capability.EDITS | Capability.FILES
    command_prefix = "/"

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        *,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        webhook_listen: str = "127.0.0.1",
        webhook_port: int = 8443,
        max_file_bytes: int = 20 * 1024 * 1024,
        api_url: str = "the Bot API server",
    ) -> None:
        self.application = application
        self.api_url = api_url  # named in start-up errors (never with the token)
        self.bot: ExtBot[Any] = application.bot
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.webhook_listen = webhook_listen
        self.webhook_port = webhook_port
        self.max_file_bytes = max_file_bytes
        self.username: str | None = None
        self.bot_id: int | None = None
        self.handler: InboundHandler | None = None
        self._updates: Polling | Webhook | None = None
        self._answering: Counter[int] = Counter()  # chats whose updates are being handled

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self, handler: InboundHandler) -> None:
        self.handler = handler
        try:
            await call(self.application.initialize, deadline=START_DEADLINE)
        except InvalidToken:  # its message carries the token: do not repeat it
            raise SetupError(
                f"the Telegram Bot API at {self.api_url} answered 401 or 404 to getMe: check "
                "CONSULTBOT_TELEGRAM_TOKEN, and CONSULTBOT_TELEGRAM_API_URL (the server's "
                "address, e.g. https://api.telegram.org)"
            ) from None
        except TelegramError as error:
            reason = str(error).replace(self.bot.token, "<token>")
            raise SetupError(
                f"the Telegram Bot API at {self.api_url} failed at start (getMe): {reason}; "
                "check CONSULTBOT_TELEGRAM_API_URL and that the server is up"
            ) from None
        self.username = self.bot.username
        self.bot_id = self.bot.id
        if self.webhook_url:
            from adapters.telegram.webhook import Webhook  # aiohttp, for this mode only

            self._updates = Webhook(
                self.bot,
                self.handle_reliably,
                url=self.webhook_url,
                secret=self.webhook_secret,
                listen=self.webhook_listen,
                port=self.webhook_port,
            )
        else:
            self._updates = Polling(self.bot, self.handle_reliably)
        await self._updates.start()
        log.info(
            "telegram adapter running as @%s (%s)",
            self.username,
            "webhook" if self.webhook_url else "long polling",
        )

    async def stop(self) -> None:
        """Stop taking updates; those in hand are finished (and confirmed) first."""
        if self._updates is not None:
            await self._updates.stop()
            self._updates = None
        await self.application.shutdown()

    # ---- updates in -----------------------------------------------------------------------

    async def handle_reliably(self, update: Update) -> bool:
        """Handle one update, trying again on failure; False if it was given up."""
        chat = update_chat(update)
        if chat is None:
            return await self._handle_reliably(update)
        self._answering[chat] += 1  # what goes to this chat meanwhile is a reply
        try:
            return await self._handle_reliably(update)
        finally:
            self._answering[chat] -= 1
            if not self._answering[chat]:
                del self._answering[chat]

    async def _handle_reliably(self, update: Update) -> bool:
        return await kit.handle_with_retry(
            lambda: self.handle_update(update), f"telegram: update {update.update_id}"
        )

    async def handle_update(self, update: Update) -> None:
        """Translate one update and hand it to the dispatcher; raises if handling failed."""
        assert self.handler is not None, "start the adapter first"
        if update.callback_query is not None:
            await self._on_button(update.callback_query)
        elif update.message is not None:
            await self._on_message(update.message)
        elif update.inline_query is not None:
            await self._on_inline_query(update.inline_query)

    async def _on_message(self, message: Message) -> None:
        if addressed_to_another_bot(message.text or message.caption or "", self.username):
            return
        event = message_event(message, bot_id=self.bot_id, username=self.username)
        if event is None or self.handler is None:
            return
        if message.document is not None and event.private:
            attachment = await self._download(message, event)
            if attachment is None:
                return
            event = replace(event, attachment=attachment)
        await self.handler(event)

    async def _on_button(self, query: CallbackQuery) -> None:
        # Answered alongside the handling: the person's spinner stops as the edit arrives.
        answer = asyncio.create_task(self._answer(query))
        try:
            event = button_event(query)
            if event is not None and self.handler is not None:
                await self.handler(event)
        finally:
            await answer

    async def _on_inline_query(self, query: InlineQuery) -> None:
        """The text a prefill button put in the input field, as the person edits it:
        answered with one result that sends it (never cached: it is theirs alone)."""
        title = label_text(Label.SEND_EDITED, query.from_user.language_code)
        try:
            await call(
                self.bot.answer_inline_query,
                query.id,
                inline_answer(query, title),
                cache_time=0,
                is_personal=True,
                deadline=ANSWER_DEADLINE,
            )
        except TelegramError as error:  # too old (they typed on), or answered already
            log.debug("telegram: inline answer failed (%s)", type(error).__name__)

    async def _answer(self, query: CallbackQuery) -> None:
        try:
            await call(self.bot.answer_callback_query, query.id, deadline=ANSWER_DEADLINE)
        except TelegramError as error:  # already answered (a redelivery), or too old
            log.debug("telegram: callback answer failed (%s)", type(error).__name__)

    async def _download(self, message: Message, event: Inbound) -> Attachment | None:
        """The document's bytes via getFile; None after telling the person it is too big."""
        document = message.document
        assert document is not None

        async def download() -> bytes:
            file = await call(self.bot.get_file, document.file_id)
            return bytes(await call(file.download_as_bytearray))

        data = await kit.take_file(
            download,
            announced=document.file_size,
            limit=self.max_file_bytes,
            send=self.send,
            chat=event.chat,
            language=event.language,
        )
        if data is None:
            return None
        return Attachment(
            filename=document.file_name or "document",
            data=data,
            media_type=document.mime_type or "application/octet-stream",
        )

    # ---- our messages out ---------------------------------------------------------------

    async def send(self, message: Outbound) -> MessageId | None:
        """Send (or edit) `message`; the id returned is that of its last part."""
        chat_id = chat_number(message.chat)
        if chat_id is None:
            raise DeliveryError(message.chat, "not a Telegram chat")
        lane = Lane.REPLY if chat_id in self._answering else Lane.NOTICE
        try:
            if message.edit_of is not None:
                return await self._edit(chat_id, message, lane)
            if message.attachment is not None:
                return await self._send_document(chat_id, message, lane)
            return await self._send_texts(chat_id, html_parts(message), message, lane)
        except Forbidden as error:
            raise DeliveryError(message.chat, str(error), blocked=True) from None
        except TelegramError as error:
            raise DeliveryError(message.chat, str(error)) from None
        except (KeyError, TypeError, AttributeError) as error:
            # The server answered success with a result python-telegram-bot could not
            # read: the message went out. Sending it again would repeat it to the person.
            log.warning(
                "telegram: sent, but the answer could not be read: %s", type(error).__name__
            )
            return None

    def _markup(self, message: Outbound) -> InlineKeyboardMarkup | ForceReply | None:
        markup = keyboard(message.choices)
        if markup is None and message.expects_reply:
            return ForceReply()
        return markup

    async def _send_texts(
        self,
        chat_id: int,
        parts: list[str],
        message: Outbound,
        lane: Lane,
        *,
        markup_last: bool = True,
    ) -> MessageId | None:
        """Send `parts` (HTML, each under the length limit) as messages, in order."""
        sent_id: MessageId | None = None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            sent = await call(
                self.bot.send_message,
                chat_id=chat_id,
                text=part,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=self._markup(message) if last and markup_last else None,
                rate_limit_args=lane,
            )
            sent_id = message_ref(sent.message_id)
        return sent_id

    async def _edit(self, chat_id: int, message: Outbound, lane: Lane) -> MessageId | None:
        assert message.edit_of is not None
        parts = html_parts(message) or ["…"]
        markup = keyboard(message.choices) if len(parts) == 1 else None
        try:
            await call(
                self.bot.edit_message_text,
                text=parts[0],
                chat_id=chat_id,
                message_id=int(message.edit_of),
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=markup,
                rate_limit_args=lane,
            )
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return message.edit_of
            # Too old or gone: say it as a new message instead.
            return await self._send_texts(chat_id, parts, message, lane)
        if len(parts) > 1:
            return await self._send_texts(chat_id, parts[1:], message, lane)
        return message.edit_of

    async def _send_document(self, chat_id: int, message: Outbound, lane: Lane) -> MessageId | None:
        assert message.attachment is not None
        short = html_parts(message, CAPTION_LIMIT)
        caption = short[0] if len(short) == 1 else None
        if len(short) > 1:  # too long for a caption: the text goes first
            await self._send_texts(chat_id, html_parts(message), message, lane, markup_last=False)
        sent = await call(
            self.bot.send_document,
            chat_id=chat_id,
            document=message.attachment.data,
            filename=message.attachment.filename,
            caption=caption,
            parse_mode=ParseMode.HTML if caption else None,
            reply_markup=self._markup(message),
            rate_limit_args=lane,
        )
        return message_ref(sent.message_id)

    # ---- the rest of the protocol --------------------------------------------------------

    def private_chat(self, person: PlatformId) -> ChatId | None:
        """A person's private chat with the bot has the person's own id."""
        number = chat_number(person)
        return chat_ref(number) if number is not None else None

    def invite_link(self, code: str) -> str | None:
        if self.username is None:
            return None
        return f"https://t.me/{self.username}?start={code}"

    @property
    def rate_limited(self) -> int:
        """429s Telegram answered so far (read by the operator's metrics)."""
        limiter = self.bot.rate_limiter
        return limiter.rate_limited if isinstance(limiter, FloodControl) else 0

    async def set_menu(self, chat: ChatId, commands: list[tuple[str, str]]) -> None:
        """The person's menu in their private chat; groups keep the default (it would show
        one member's role to all)."""
        chat_id = chat_number(chat)
        if chat_id is None or chat_id < 0:
            return
        try:
            await call(
                self.bot.set_my_commands,
                menu_commands(commands),
                scope=BotCommandScopeChat(chat_id),
            )
        except TelegramError as error:
            log.warning("telegram: setMyCommands failed: %s", error)


def build_application(
    token: str,
    api_url: str = "https://api.telegram.org",
    *,
    local: bool = False,
    per_second: float = MESSAGES_PER_SECOND,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """PTB's Application for `token` at `api_url`, with rate limiter and timeouts; no Updater.

    `local`: the Bot API server runs here with --local, and files are read from its disk.
    `per_second`: this process's share of Telegram's 30 messages a second.
    """
    api_url = api_url.rstrip("/")
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .local_mode(local)
        .rate_limiter(FloodControl(per_second))
        .connect_timeout(10)
        .read_timeout(30)
        .write_timeout(30)
        .media_write_timeout(120)
        .pool_timeout(30)
        .get_updates_read_timeout(10)  # PTB adds the long poll's own timeout to this
        .updater(None)
        .build()
    )


def create(settings: TelegramSettings) -> TelegramAdapter:
    """The adapter `settings` describe."""
    if settings.token is None:
        raise SetupError("set CONSULTBOT_TELEGRAM_TOKEN to use Telegram")
    secret = settings.webhook_secret
    return TelegramAdapter(
        build_application(
            settings.token.get_secret_value(),
            settings.api_url,
            local=settings.api_local,
            per_second=settings.messages_per_second,
        ),
        webhook_url=settings.webhook_url,
        webhook_secret=secret.get_secret_value() if secret is not None else None,
        webhook_listen=settings.webhook_listen,
        webhook_port=settings.webhook_port,
        max_file_bytes=settings.max_file_bytes,
        api_url=settings.api_url,
    )
