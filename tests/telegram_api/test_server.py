"""The loopback Bot API server, driven by python-telegram-bot's real HTTP stack."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from . import (
    BadGateway,
    BotAPIServer,
    DropConnection,
    Slow,
    TooManyRequests,
)
from .formatting import EntityParseError, parse_html

# PTB 22 warns when RetryAfter is built (int vs timedelta); not our concern here
pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)


@pytest.fixture
async def bot(bot_api_server: BotAPIServer) -> AsyncIterator[Bot]:
    url = bot_api_server.base_url
    ptb_bot = Bot(bot_api_server.token, base_url=f"{url}/bot", base_file_url=f"{url}/file/bot")
    async with ptb_bot:
        yield ptb_bot


def _seconds(value: int | float | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def _retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns about int-vs-timedelta here
        warnings.simplefilter("ignore")
        return _seconds(exc.retry_after)


# --- the basics --------------------------------------------------------------------------


async def test_get_me_through_ptb(bot_api_server: BotAPIServer, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == bot_api_server.bot.id
    assert me.username == "consultbot_test_bot"
    assert bot_api_server.base_url.startswith("http://127.0.0.1:")
    assert bot_api_server.stats.calls["getMe"] == 2  # Bot.initialize() asked first


async def test_unknown_and_malformed_tokens(bot_api_server: BotAPIServer) -> None:
    for token in ("987654321:AAunknown-token", "not-a-token"):
        stranger = Bot(token, base_url=bot_api_server.bot_api_url)
        with pytest.raises(InvalidToken):
            async with stranger:  # initialize() calls getMe
                pass
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{bot_api_server.base_url}/bot987654321:AAx/getMe") as answer:
            assert answer.status == 401
            assert await answer.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.get(f"{bot_api_server.base_url}/botnonsense/getMe") as answer:
            assert answer.status == 404


async def test_json_query_and_form_bodies_with_exact_error_format(
    bot_api_server: BotAPIServer,
) -> None:
    server = bot_api_server
    alice = server.create_user("Alice")
    chat = server.private_chat(alice)
    api = f"{server.bot_api_url}{server.token}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api}/sendMessage", json={"chat_id": chat.id, "text": "json"}) as r:
            body = await r.json()
            assert r.status == 200 and body["ok"] is True
            assert body["result"]["text"] == "json"
        async with http.get(f"{api}/sendMessage", params={"chat_id": chat.id, "text": "q"}) as r:
            assert (await r.json())["result"]["message_id"] == 2
        form = {"chat_id": str(chat.id), "text": "<i>x", "parse_mode": "HTML"}
        async with http.post(f"{api}/SENDMESSAGE", data=form) as r:
            assert r.status == 400
            assert await r.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: can't parse entities: "
                'Can\'t find end tag corresponding to start tag "i"',
            }
        async with http.post(f"{api}/noSuchMethod", json={}) as r:
            assert r.status == 404
            assert (await r.json())["description"] == "Not Found"
    assert [m.text for m in server.sent_messages(chat)] == ["json", "q"]


@pytest.mark.parametrize(
    ("html", "error"),
    [
        # error texts and byte offsets as in tdlib's own parse_html tests
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        (
            "🏟 🏟&lt;<i>a</em   >",
            'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
        ),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_html_errors_match_telegram(html: str, error: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(html)
    assert str(caught.value) == error


def test_html_entities_and_offsets_in_utf16() -> None:
    text, entities = parse_html(
        '🏟 <b>bold &amp; <i>both</i></b> <a href="example.org">link</a> '
        '<pre><code class="language-python">x = 1</code></pre> &laquo;kept&raquo;'
    )
    assert text == "🏟 bold & both link x = 1 &laquo;kept&raquo;"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 11},
        {"type": "italic", "offset": 10, "length": 4},
        {"type": "text_link", "url": "http://example.org/", "offset": 15, "length": 4},
        {"type": "pre", "language": "python", "offset": 20, "length": 5},
    ]


# --- updates -------------------------------------------------------------------------------


async def test_echo_bot_built_with_application_builder(bot_api_server: BotAPIServer) -> None:
    server = bot_api_server
    alice = server.create_user("Alice", username="alice")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            f"echo: {update.effective_message.text}", do_quote=True
        )

    # = ApplicationBuilder().token(...).base_url(...).base_file_url(...)
    app = server.application_builder().build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(timeout=10)
        await app.start()
        await server.wait_for(lambda: server.is_long_polling, what="the bot's long poll")
        started = time.monotonic()
        server.user_sends_text(alice, "hello")
        (reply,) = await server.wait_for_messages(alice, 1, timeout=3)
        assert time.monotonic() - started < 2  # the 10 s long poll answered at once
        assert reply.text == "echo: hello"
        assert reply.reply_to is not None and reply.reply_to.text == "hello"
        await app.updater.stop()
        await app.stop()
    assert server.pending_updates == []  # PTB confirmed it on the way out
    assert server.calls_to("deleteWebhook")  # PTB's bootstrap


async def test_update_is_redelivered_until_offset_moves(
    bot_api_server: BotAPIServer, bot: Bot
) -> None:
    server = bot_api_server
    alice = server.create_user("Alice")
    server.user_sends_text(alice, "/start")
    first = await bot.get_updates()
    again = await bot.get_updates()
    assert len(first) == len(again) == 1
    assert first[0].update_id == again[0].update_id
    message = first[0].message
    assert message is not None and message.text == "/start"
    assert message.entities[0].type == "bot_command"
    assert (message.entities[0].offset, message.entities[0].length) == (0, 6)
    server.user_sends_text(alice, "second")
    both = await bot.get_updates(offset=first[0].update_id)
    assert [u.update_id for u in both] == [first[0].update_id, first[0].update_id + 1]
    limited = await bot.get_updates(limit=1)
    assert len(limited) == 1
    assert await bot.get_updates(offset=both[-1].update_id + 1) == ()
    assert server.pending_updates == []


async def test_long_poll_returns_on_update_and_a_second_poll_conflicts(
    bot_api_server: BotAPIServer, bot: Bot
) -> None:
    server = bot_api_server
    alice = server.create_user("Alice")
    poll = asyncio.create_task(bot.get_updates(timeout=5, read_timeout=10))
    await server.wait_for(lambda: server.is_long_polling)
    started = time.monotonic()
    server.user_sends_text(alice, "ping")
    updates = await poll
    assert time.monotonic() - started < 1
    assert updates[0].message is not None and updates[0].message.text == "ping"

    waiting = asyncio.create_task(bot.get_updates(offset=updates[0].update_id + 1, timeout=5))
    await server.wait_for(lambda: server.is_long_polling)
    other = Bot(server.token, base_url=server.bot_api_url)
    async with other:
        assert await other.get_updates(offset=updates[0].update_id + 1) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await waiting


async def test_allowed_updates_filters_new_updates(bot_api_server: BotAPIServer, bot: Bot) -> None:
    server = bot_api_server
    alice = server.create_user("Alice")
    chat = server.private_chat(alice)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    sent = await bot.send_message(chat.id, "Agree?", reply_markup=keyboard)
    await bot.get_updates(allowed_updates=["message"])
    server.user_presses_button(alice, server.message(chat, sent.message_id), "yes")
    server.user_sends_text(alice, "text")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["text"]
    assert len(updates) == 1
    assert len(server.dropped_updates) == 1


# --- buttons and edits -------------------------------------------------------------------


async def test_callback_query_answer_and_edit(bot_api_server: BotAPIServer) -> None:
    server = bot_api_server
    alice = server.create_user("Alice")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Agree", callback_data="vote:agree"),
                    InlineKeyboardButton("Object", callback_data="vote:object"),
                ]
            ]
        )
        await update.effective_message.reply_html(
            "<b>Paragraph 1</b>: agree?", reply_markup=keyboard
        )

    async def vote(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        await query.answer("Recorded")
        await query.edit_message_text(f"You chose <i>{query.data[5:]}</i>", parse_mode="HTML")

    app = server.application_builder().build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(vote, pattern=r"^vote:"))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(timeout=5)
        await app.start()
        server.user_sends_text(alice, "/start")
        (question,) = await server.wait_for_messages(alice, 1)
        assert question.text == "Paragraph 1: agree?"
        assert question.source_text == "<b>Paragraph 1</b>: agree?"
        assert question.parse_mode == ParseMode.HTML
        assert question.entities == [{"type": "bold", "offset": 0, "length": 11}]
        assert question.callback_data == ["vote:agree", "vote:object"]

        query = server.user_presses_button(alice, question, "vote:object")
        answer = await server.wait_for_callback_answer(query)
        assert answer["text"] == "Recorded"
        await server.wait_for(lambda: question.edits, what="the edit")
        await app.updater.stop()
        await app.stop()
    assert question.text == "You chose object"
    assert question.edit_date is not None
    assert question.edits[0].text == "Paragraph 1: agree?"
    assert question.reply_markup is None  # editMessageText without reply_markup drops it
    with pytest.raises(ValueError, match="no button"):
        server.user_presses_button(alice, question, "vote:agree")


async def test_edit_errors_and_reply_markup_edits(bot_api_server: BotAPIServer, bot: Bot) -> None:
    server = bot_api_server
    alice = server.create_user("Alice")
    chat = server.private_chat(alice)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(chat.id, "text", reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("text", chat.id, sent.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("new", chat.id, 999)
    other = InlineKeyboardMarkup([[InlineKeyboardButton("B", callback_data="b")]])
    edited = await bot.edit_message_reply_markup(chat.id, sent.message_id, reply_markup=other)
    assert isinstance(edited, object)
    assert server.message(chat, sent.message_id).callback_data == ["b"]
    await bot.edit_message_reply_markup(chat.id, sent.message_id)
    assert server.message(chat, sent.message_id).reply_markup is None
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat.id, sent.message_id)
    query = server.user_sends_text(alice, "mine")
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("x", chat.id, query.message_id)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("L", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(chat.id, "long data", reply_markup=too_long)


async def test_force_reply_and_the_users_reply(bot_api_server: BotAPIServer, bot: Bot) -> None:
    server = bot_api_server
    alice = server.create_user("Alice")
    chat = server.private_chat(alice)
    sent = await bot.send_message(chat.id, "Your comment?", reply_markup=ForceReply())
    stored = server.last_message(chat)
    assert stored.force_reply
    assert sent.reply_markup is None  # Telegram only echoes inline keyboards
    server.user_sends_text(alice, "Too vague", reply_to=stored)
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.reply_to_message is not None
    assert update.message.reply_to_message.message_id == sent.message_id


# --- files -----------------------------------------------------------------------------------


async def test_send_document_upload_get_file_and_download(
    bot_api_server: BotAPIServer, bot: Bot
) -> None:
    server = bot_api_server
    alice = server.create_user("Alice")
    chat = server.private_chat(alice)
    payload = bytes(range(256)) * 40
    sent = await bot.send_document(
        chat.id,
        document=payload,
        filename="draft.docx",
        caption="<b>Draft</b> v2",
        parse_mode="HTML",
    )
    stored = server.last_message(chat)
    assert stored.document is not None and stored.document.data == payload
    assert stored.document.file_name == "draft.docx"
    assert stored.caption == "Draft v2"
    assert sent.document is not None and sent.document.file_size == len(payload)
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == payload
    again = await bot.send_document(chat.id, document=sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id


async def test_bot_downloads_a_document_the_user_sent(
    bot_api_server: BotAPIServer, bot: Bot
) -> None:
    server = bot_api_server
    alice = server.create_user("Alice")
    server.user_sends_document(alice, "comments.txt", b"my comments\n", caption="see file")
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.document is not None
    assert update.message.document.file_name == "comments.txt"
    file = await update.message.document.get_file()
    assert bytes(await file.download_as_bytearray()) == b"my comments\n"
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


# --- errors ---------------------------------------------------------------------------------


async def test_bad_html_and_too_long_text(bot_api_server: BotAPIServer, bot: Bot) -> None:
    server = bot_api_server
    chat = server.private_chat(server.create_user("Alice"))
    with pytest.raises(BadRequest) as unbalanced:
        await bot.send_message(chat.id, "<b>bold", parse_mode=ParseMode.HTML)
    assert unbalanced.value.message.lower() == (
        "can't parse entities: can't find end tag corresponding to start tag \"b\""
    )
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "div" at byte offset 3'):
        await bot.send_message(chat.id, "ab <div>x</div>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)unmatched end tag"):
        await bot.send_message(chat.id, "<b><i>x</b></i>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(chat.id, "x" * 4097)
    # tags do not count, entities do: 4096 characters after parsing is fine
    fits = await bot.send_message(chat.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert fits.text is not None and len(fits.text) == 4096
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(chat.id, "&lt;" * 4097, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(chat.id, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(-100123, "nobody here")
    assert len(server.sent_messages(chat)) == 1


async def test_scripted_429_raises_retry_after(bot_api_server: BotAPIServer, bot: Bot) -> None:
    server = bot_api_server
    chat = server.private_chat(server.create_user("Alice"))
    server.faults.script("sendMessage", [TooManyRequests(retry_after=7), None])
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(chat.id, "first try")
    assert _retry_after(caught.value) == 7
    await bot.send_message(chat.id, "second try")
    assert [m.text for m in server.sent_messages(chat)] == ["second try"]
    assert server.stats.too_many_requests == 1
    assert server.stats.faults_served["TooManyRequests"] == 1


async def test_rate_limit_per_chat(bot_api_server: BotAPIServer, bot: Bot) -> None:
    server = bot_api_server
    alice_chat = server.private_chat(server.create_user("Alice"))
    bob_chat = server.private_chat(server.create_user("Bob"))
    server.set_rate_limit(global_per_second=30, per_chat_per_second=1)
    await bot.send_message(alice_chat.id, "one")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice_chat.id, "two")
    assert _retry_after(caught.value) == 1
    await bot.send_message(bob_chat.id, "other chat is fine")
    assert server.stats.rate_limited == 1

    server.set_rate_limit(global_per_second=2, per_chat_per_second=None)
    await bot.send_message(alice_chat.id, "a")
    await bot.send_message(bob_chat.id, "b")
    with pytest.raises(RetryAfter):
        await bot.send_message(bob_chat.id, "c")
    assert server.stats.too_many_requests == 2


async def test_blocked_user_gives_forbidden(bot_api_server: BotAPIServer, bot: Bot) -> None:
    server = bot_api_server
    alice = server.create_user("Alice")
    chat = server.private_chat(alice)
    await bot.send_message(chat.id, "hello")
    server.user_blocks_bot(alice)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(chat.id, "still there?")
    (update,) = await bot.get_updates()
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"
    stranger = server.create_user("Stranger")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(stranger.id, "hi")
    server.user_unblocks_bot(alice)
    await bot.send_message(chat.id, "welcome back")


async def test_gateway_errors_dropped_connections_and_slow_answers(
    bot_api_server: BotAPIServer, bot: Bot
) -> None:
    server = bot_api_server
    chat = server.private_chat(server.create_user("Alice"))
    server.faults.script(
        "sendMessage",
        [
            BadGateway(),
            BadGateway(html=True),
            DropConnection(),
            DropConnection(after_processing=True),
            Slow(2.0),
            Slow(0.05),
        ],
    )
    for _ in range(4):
        with pytest.raises(NetworkError):
            await bot.send_message(chat.id, "attempt")
    with pytest.raises(TimedOut):
        await bot.send_message(chat.id, "slow", read_timeout=0.2)
    await bot.send_message(chat.id, "a little slow")
    # the dropped-after-processing message was sent although the client saw an error
    assert server.sent_messages(chat)[0].text == "attempt"
    assert server.stats.dropped_connections == 2
    assert server.stats.statuses[502] == 2
    assert server.stats.total_faults == 6
    assert server.faults.scripted_remaining == 0


async def test_random_faults_are_reproducible_with_a_seed() -> None:
    outcomes: list[list[str]] = []
    for _ in range(2):
        async with BotAPIServer(seed=42) as server:
            chat = server.private_chat(server.create_user("Alice"))
            server.faults.randomly("sendMessage", 0.5, [TooManyRequests(1), BadGateway()])
            seen: list[str] = []
            async with server.ptb_bot() as ptb_bot:
                for i in range(12):
                    try:
                        await ptb_bot.send_message(chat.id, f"m{i}")
                        seen.append("ok")
                    except RetryAfter:
                        seen.append("429")
                    except NetworkError:
                        seen.append("502")
            outcomes.append(seen)
    assert outcomes[0] == outcomes[1]
    assert {"ok", "429", "502"} <= set(outcomes[0])


# --- webhooks, commands, logOut ------------------------------------------------------------


@contextlib.asynccontextmanager
async def webhook_receiver(
    hook: Callable[[web.Request], Awaitable[web.Response]],
) -> AsyncIterator[str]:
    """A webhook on loopback answering with `hook`; its URL."""
    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    finally:
        await runner.cleanup()


async def test_webhook_delivery_with_secret_and_get_updates_conflict(
    bot_api_server: BotAPIServer, bot: Bot
) -> None:
    server = bot_api_server
    received: list[tuple[str | None, Any]] = []
    fail_first = [True]

    async def hook(request: web.Request) -> web.Response:
        if fail_first:
            fail_first.clear()
            return web.Response(status=500)
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(text="ok")

    async with webhook_receiver(hook) as url:
        assert await bot.set_webhook(url, secret_token="s3cret_-x")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        alice = server.create_user("Alice")
        server.user_sends_text(alice, "via webhook")
        await server.wait_for(lambda: received, what="the webhook POST")
        secret, body = received[0]
        assert secret == "s3cret_-x"
        assert body["message"]["text"] == "via webhook"
        await server.wait_for_updates_confirmed()
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert await bot.delete_webhook()
        server.user_sends_text(alice, "polling again")
        (update,) = await bot.get_updates()
        assert update.message is not None and update.message.text == "polling again"


async def test_webhook_delivers_chats_side_by_side_and_each_chat_in_order(
    bot_api_server: BotAPIServer, bot: Bot
) -> None:
    """As Telegram's server does: a slow answer for one chat holds back that chat's later
    updates only; the other chats' come meanwhile, up to ``max_connections`` at once."""
    server = bot_api_server
    arrived: list[str] = []
    release_alice = asyncio.Event()
    in_flight = [0, 0]  # now, most

    async def hook(request: web.Request) -> web.Response:
        text = (await request.json())["message"]["text"]
        arrived.append(text)
        in_flight[0] += 1
        in_flight[1] = max(in_flight)
        try:
            if text == "alice 1":
                await asyncio.wait_for(release_alice.wait(), 30)  # bounded, should the test fail
            else:
                await asyncio.sleep(0.05)
        finally:
            in_flight[0] -= 1
        return web.Response(text="ok")

    async with webhook_receiver(hook) as url:
        assert await bot.set_webhook(url, max_connections=3)
        alice, others = server.create_user("Alice"), [server.create_user(f"U{n}") for n in range(6)]
        server.user_sends_text(alice, "alice 1")
        server.user_sends_text(alice, "alice 2")
        for n, user in enumerate(others):
            server.user_sends_text(user, f"other {n}")
        await server.wait_for(lambda: len(arrived) == 7, what="the other chats' updates")
        assert "alice 2" not in arrived  # behind alice 1, still being answered
        assert in_flight[1] == 3  # three at once, as max_connections says, never more
        assert (await bot.get_webhook_info()).pending_update_count == 2
        release_alice.set()
        await server.wait_for_updates_confirmed()
        assert arrived[0] == "alice 1" and arrived[-1] == "alice 2"
        assert sorted(arrived[1:-1]) == [f"other {n}" for n in range(6)]


async def test_commands_are_stored_per_scope(bot_api_server: BotAPIServer, bot: Bot) -> None:
    server = bot_api_server
    group = server.create_group("Drafting committee", [server.create_user("Alice")])
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    scope = BotCommandScopeChat(group.id)
    await bot.set_my_commands([BotCommand("status", "Consultation status")], scope=scope)
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.command for c in await bot.get_my_commands(scope=scope)] == ["status"]
    assert server.commands_for("chat", chat_id=group.id)[0]["description"] == (
        "Consultation status"
    )
    await bot.delete_my_commands(scope=scope)
    assert await bot.get_my_commands(scope=scope) == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_group_with_privacy_mode() -> None:
    async with BotAPIServer(privacy_mode=True) as server:
        alice = server.create_user("Alice")
        group = server.create_group("Committee", [alice])
        server.user_sends_text(alice, "just chatting", group)
        server.user_sends_text(alice, "/status@consultbot_test_bot", group)
        async with server.ptb_bot() as ptb_bot:
            assert not (await ptb_bot.get_me()).can_read_all_group_messages
            updates = await ptb_bot.get_updates()
            assert [u.message.text for u in updates if u.message] == ["/status@consultbot_test_bot"]
            await ptb_bot.send_message(group.id, "Status: open")
            server.remove_bot_from_group(group)
            with pytest.raises(Forbidden, match="kicked from the supergroup chat"):
                await ptb_bot.send_message(group.id, "anyone?")
        assert [m.text for m in server.chat_history(group)] == [
            "just chatting",
            "/status@consultbot_test_bot",
            "Status: open",
        ]


async def test_log_out_then_unauthorized(bot_api_server: BotAPIServer, bot: Bot) -> None:
    assert await bot.log_out()
    with pytest.raises(InvalidToken):
        await bot.get_me()
    bot_api_server.log_in()
    assert (await bot.get_me()).id == bot_api_server.bot.id


async def test_inline_mode_prefills_answers_and_sends_via_the_bot(
    bot_api_server: BotAPIServer, bot: Bot
) -> None:
    server = bot_api_server
    alice = server.create_user("Alice")
    server.private_chat(alice)
    me = await bot.get_me()
    assert me.supports_inline_queries
    button = InlineKeyboardButton("Edit", switch_inline_query_current_chat="Clear risk.")
    sent = await bot.send_message(
        alice.id, "Edit it:", reply_markup=InlineKeyboardMarkup([[button]])
    )
    message = server.message(alice, sent.message_id)
    query = server.user_presses_inline_switch(alice, message, "Edit")
    [update] = await bot.get_updates()
    assert update.inline_query is not None
    assert update.inline_query.query == "Clear risk." and update.inline_query.chat_type == "sender"

    article = InlineQueryResultArticle("a", "Send", InputTextMessageContent("Substantial risk."))
    with pytest.raises(BadRequest, match=r"(?i)result_id_duplicate"):
        await bot.answer_inline_query(query.id, [article, article])
    assert await bot.answer_inline_query(query.id, [article], cache_time=0, is_personal=True)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_inline_query(query.id, [article])  # answered once
    assert query.answer is not None and query.answer["is_personal"]

    chosen = server.user_chooses_inline_result(alice, query, "a")
    [update] = await bot.get_updates(offset=update.update_id + 1)
    assert update.message is not None and update.message.text == "Substantial risk."
    assert update.message.via_bot is not None and update.message.via_bot.id == me.id
    assert chosen.via_bot is not None
    assert len(server.user_types_inline_query(alice, "x" * 300).query) == 256  # the field's limit
