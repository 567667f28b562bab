"""The Telegram adapter alone: updates through PTB in, Bot API calls out, on the loopback server."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp
import pytest
from telegram.error import RetryAfter

from adapters.telegram import platform as telegram_platform
from adapters.telegram.adapter import TelegramAdapter, build_application, create
from adapters.telegram.pacing import FloodControl, Lane
from adapters.telegram.settings import TelegramSettings
from adapters.telegram.translate import menu_commands, split_text
from bot.events import Attachment, Choice, DeliveryError, Inbound, Mark, Outbound, Styled
from bot.settings import Settings
from tests.telegram.loopback import Recorder
from tests.telegram_api import BadGateway, BotAPIServer, GarbledSuccess, TooManyRequests
from tests.waits import MachineLoad

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)
BOT = "consultbot_test_bot"


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# ---- texts and menus --------------------------------------------------------------------


def test_long_text_is_split_at_paragraphs_below_the_limit() -> None:
    paragraphs = [f"Paragraph {i}: " + "word " * 300 for i in range(1, 8)]  # ~1,500 chars each
    parts = split_text("\n\n".join(paragraphs))
    assert len(parts) == 4
    assert all(utf16(part) <= 4096 for part in parts)
    assert parts[0].startswith("Paragraph 1:") and parts[1].startswith("Paragraph 3:")
    assert "\n\n".join(parts).split() == "\n\n".join(paragraphs).split()  # nothing lost


def test_a_paragraph_longer_than_the_limit_is_cut_at_words_and_emoji_count_double() -> None:
    long_paragraph = "🇪🇺 " * 3000  # each flag is 4 UTF-16 units
    parts = split_text(f"Intro.\n\n{long_paragraph}")
    assert parts[0].startswith("Intro.")
    assert all(utf16(part) <= 4096 for part in parts)
    assert sum(part.count("🇪🇺") for part in parts) == 3000
    assert split_text("x" * 5000) == ["x" * 4096, "x" * 904]
    assert split_text("   ") == []


def test_menu_has_one_entry_per_command_family_with_telegram_names() -> None:
    menu = menu_commands(
        [
            ("review", "walk the paragraphs"),
            ("review all", "walk them all again"),
            ("round open", "open a round"),
            ("round extend", "extend it"),
            ("round close", "close it"),
            ("Weird-Name", "not a Telegram command name"),
        ]
    )
    assert [(c.command, c.description) for c in menu] == [
        ("review", "walk the paragraphs"),
        ("round", "open, extend, close"),
    ]


def test_webhook_needs_a_secret_that_telegram_accepts() -> None:
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        TelegramSettings(webhook_url="https://bot.example.org/telegram")
    with pytest.raises(ValueError, match="letters, digits"):
        TelegramSettings(
            webhook_url="https://bot.example.org/telegram", webhook_secret="has spaces"
        )
    settings = TelegramSettings(api_url="http://127.0.0.1:8081/")
    assert settings.api_url == "http://127.0.0.1:8081"
    assert not telegram_platform.configured(settings)  # no token, no Telegram


def test_a_workers_share_of_the_rate_is_what_its_sends_are_paced_to() -> None:
    with pytest.raises(ValueError, match="less than or equal to 30"):
        TelegramSettings(messages_per_second=60)  # Telegram's limit is the bot's, in all
    settings = TelegramSettings(token="123:abc", messages_per_second=15)
    limiter = create(settings).application.bot.rate_limiter
    assert isinstance(limiter, FloodControl)
    assert (limiter.per_window, limiter.window) == (15, 1.0)


async def test_sends_are_paced_so_no_window_holds_more_than_the_limit() -> None:
    # Telegram's 30 a second, on the real clock: at most 30 in any second, counted when each
    # request lands somewhere in its round trip (0.5 to 2 ms each way, at random). The
    # pacing interval (33 ms) is ten times what a busy machine's timers wander.
    pace = FloodControl(30, window=1.0)
    loop = asyncio.get_running_loop()
    load = MachineLoad()
    rng = random.Random(7)
    started: list[float] = []
    landed: list[float] = []

    async def send() -> bool:
        started.append(loop.time())
        await asyncio.sleep(rng.uniform(0.0005, 0.002))
        landed.append(loop.time())
        await asyncio.sleep(rng.uniform(0.0005, 0.002))
        return True

    async def burst(count: int) -> None:  # to as many chats (one chat is paced on its own)
        await asyncio.gather(
            *(pace.process_request(send, (), {}, "sendMessage", {"chat_id": 1 + n}, None)
              for n in range(count))
        )  # fmt: skip

    await burst(75)
    # a reply, an edit, the next paragraph: at once, well before the next slot
    assert started[2] - started[0] < pace.interval / 2
    assert started[3] - started[0] >= pace.interval - 0.001  # then evenly spaced
    landed.sort()
    most = max(sum(1 for t in landed if end - 1.0 < t <= end) for end in landed)
    assert most <= 30  # as the server counts them
    # and not much slower: 72 slots after the burst take 2.4 s at the rate; each second
    # also pays a round trip and the timers' wander; a busy machine, the CPU it withheld
    assert landed[-1] - landed[0] < 2.4 * 1.15 + load.waited()


async def test_while_replies_and_notices_wait_every_third_slot_is_a_notice() -> None:
    pace = FloodControl(300, window=0.1)
    order: list[str] = []

    def request(kind: str, chat: int) -> Awaitable[object]:
        async def send() -> bool:
            order.append(kind)
            return True

        lane = Lane.REPLY if kind == "reply" else Lane.NOTICE
        return pace.process_request(send, (), {}, "sendMessage", {"chat_id": chat}, lane)

    # an announcement to 30 under way when 30 people's replies queue up behind it
    await asyncio.gather(
        *(request("notice", 1 + n) for n in range(30)),
        *(request("reply", 100 + n) for n in range(30)),
    )
    first, last = order.index("reply"), len(order) - 1 - order[::-1].index("reply")
    both_wait = ", ".join(order[first : last + 1])
    assert "reply, reply, reply" not in both_wait  # a notice after two replies
    assert "notice, notice" not in both_wait  # and replies still go first
    assert both_wait.count("notice") >= 14


async def test_a_429_holds_every_send_for_its_retry_after() -> None:
    pace = FloodControl(300, window=0.1)
    loop = asyncio.get_running_loop()
    load = MachineLoad()
    started: list[float] = []
    refusals = [True]

    async def send() -> bool:
        started.append(loop.time())
        if refusals and len(started) == 2:
            refusals.pop()
            raise RetryAfter(1)
        return True

    await asyncio.gather(
        *(pace.process_request(send, (), {}, "sendMessage", {"chat_id": n}, None)
          for n in range(4))
    )  # fmt: skip
    assert len(started) == 5
    assert started[2] - started[1] >= 1.0  # the refused one again, after the wait
    assert started[4] - started[1] < 1.3 + load.waited()  # and the rest right behind it


async def test_a_429_in_a_chat_just_written_to_holds_only_that_chat() -> None:
    pace = FloodControl(300, window=0.1)
    loop = asyncio.get_running_loop()
    load = MachineLoad()
    started: dict[int, list[float]] = {}
    refusals = [True]

    def send(chat: int) -> Callable[[], Coroutine[Any, Any, bool]]:
        async def call() -> bool:
            started.setdefault(chat, []).append(loop.time())
            if chat == 1 and len(started[1]) == 2 and refusals:
                refusals.pop()
                raise RetryAfter(1)  # one a second in a chat: the announcement, then the reply
            return True

        return call

    await pace.process_request(send(1), (), {}, "sendMessage", {"chat_id": 1}, None)
    await asyncio.gather(
        *(pace.process_request(send(n), (), {}, "sendMessage", {"chat_id": n}, None)
          for n in [1, *range(2, 12)])
    )  # fmt: skip
    assert started[1][2] - started[1][1] >= 1.0  # that chat waited out its retry_after
    others = max(started[n][0] for n in range(2, 12))
    assert others < started[1][1] + 0.5 + load.waited()  # the others did not


async def test_a_reply_goes_ahead_of_announcements_waiting_for_their_slots() -> None:
    pace = FloodControl(300, window=0.1)
    started: list[object] = []

    def send(name: object) -> Callable[[], Coroutine[Any, Any, bool]]:
        async def call() -> bool:
            started.append(name)
            return True

        return call

    announcements = [
        asyncio.create_task(
            pace.process_request(send(n), (), {}, "sendMessage", {"chat_id": n}, Lane.NOTICE)
        )
        for n in range(1, 21)
    ]
    await asyncio.sleep(0)  # they queue up
    await pace.process_request(send("reply"), (), {}, "sendMessage", {"chat_id": 99}, Lane.REPLY)
    await asyncio.gather(*announcements)
    assert started.index("reply") <= 4  # behind the one taking its slot, not behind twenty
    assert [n for n in started if n != "reply"] == list(range(1, 21))  # the rest in order


# ---- updates in -------------------------------------------------------------------------


async def test_a_private_message_becomes_an_event(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter, recorder: Recorder
) -> None:
    ana = bot_api_server.create_user("Ana", last_name="Lima", language_code="pt-BR")
    sent = bot_api_server.user_sends_text(ana, "/start abcDEF_123-x")
    await recorder.wait()
    event = recorder.events[0]
    assert event.sender == f"telegram:{ana.id}" and event.chat == f"telegram:{ana.id}"
    assert event.text == "/start abcDEF_123-x" and event.private
    assert event.message_id == str(sent.message_id)
    assert (event.display_name, event.language) == ("Ana Lima", "pt-BR")
    assert adapter.invite_link("abc") == f"https://t.me/{BOT}?start=abc"
    assert adapter.private_chat(event.sender) == event.chat


async def test_in_groups_only_commands_for_this_bot_become_events(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter, recorder: Recorder
) -> None:
    ana, ben = bot_api_server.create_user("Ana"), bot_api_server.create_user("Ben")
    group = bot_api_server.create_group("Coalition", [ana, ben])
    bot_api_server.user_sends_text(ana, "I support paragraph 2", group)
    bot_api_server.user_sends_text(ben, "/help@some_other_bot", group)
    bot_api_server.user_sends_text(ben, f"/comment@{BOT} 2 Too weak", group)
    await bot_api_server.wait_for_updates_confirmed()
    assert [(e.text, e.private, e.chat) for e in recorder.events] == [
        (f"/comment@{BOT} 2 Too weak", False, f"telegram:{group.id}")
    ]


async def test_a_button_press_names_the_message_and_is_answered(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter, recorder: Recorder
) -> None:
    ana = bot_api_server.create_user("Ana")
    bot_api_server.private_chat(ana)
    choices = ((Choice("Support", "rv:1:0:support"), Choice("Oppose", "rv:1:0:oppose")),)
    sent_id = await adapter.send(Outbound(f"telegram:{ana.id}", "Paragraph 1", choices=choices))
    message = bot_api_server.last_message(ana)
    assert message.buttons == [("Support", "rv:1:0:support"), ("Oppose", "rv:1:0:oppose")]
    query = bot_api_server.user_presses_button(ana, message, "rv:1:0:oppose")
    await bot_api_server.wait_for_callback_answer(query)
    [event] = recorder.events
    assert event.button == "rv:1:0:oppose" and event.reply_to == sent_id == str(message.message_id)
    assert event.source.startswith(f"telegram:{ana.id}/btn/")


async def test_a_reply_to_a_force_reply_prompt_names_the_prompt(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter, recorder: Recorder
) -> None:
    ana = bot_api_server.create_user("Ana")
    bot_api_server.private_chat(ana)
    await adapter.send(Outbound(f"telegram:{ana.id}", "Your comment?", expects_reply=True))
    prompt = bot_api_server.last_message(ana)
    assert prompt.force_reply
    bot_api_server.user_sends_text(ana, "Too weak.", reply_to=prompt)
    await recorder.wait()
    assert recorder.events[0].reply_to == str(prompt.message_id)


async def test_a_document_is_downloaded_and_a_too_large_one_refused(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter, recorder: Recorder
) -> None:
    ana = bot_api_server.create_user("Ana")
    bot_api_server.user_sends_document(ana, "draft.md", b"# Draft\n\nOne.\n\nTwo.\n")
    bot_api_server.user_sends_document(ana, "huge.docx", b"x" * 5000)  # the limit here is 1000
    await bot_api_server.wait_for_updates_confirmed()
    [event] = recorder.events
    assert event.attachment == Attachment("draft.md", b"# Draft\n\nOne.\n\nTwo.\n", "text/markdown")
    assert "too large" in bot_api_server.last_message(ana).text


async def test_a_too_large_file_is_refused_in_the_persons_language(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter, recorder: Recorder
) -> None:
    marie = bot_api_server.create_user("Marie", language_code="fr-FR")
    bot_api_server.user_sends_document(marie, "projet.docx", b"x" * 5000)
    await bot_api_server.wait_for_updates_confirmed()
    assert recorder.events == []
    refusal = bot_api_server.last_message(marie).text
    assert "trop volumineux" in refusal and "0 Mo" in refusal  # the limit here is 1000 bytes


# ---- updates are confirmed only once handled ----------------------------------------------


async def test_an_update_is_confirmed_only_after_it_was_handled(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter, recorder: Recorder
) -> None:
    ana, ben = bot_api_server.create_user("Ana"), bot_api_server.create_user("Ben")
    recorder.gate = gate = asyncio.Event()
    recorder.gated_chats = {f"telegram:{ana.id}"}
    bot_api_server.user_sends_text(ana, "/comment 1 slow to store")
    await recorder.wait()
    bot_api_server.user_sends_text(ben, "/support 2")
    await recorder.wait(2)  # other chats are not held up by a slow one
    polls = len(bot_api_server.calls_to("getUpdates"))
    await bot_api_server.wait_for_calls("getUpdates", polls + 3)
    # Asked again and again, but never past Ana's update: it is fetched, not confirmed.
    assert [u.payload["text"] for u in bot_api_server.pending_updates] == [
        "/comment 1 slow to store",
        "/support 2",
    ]
    assert [e.text for e in recorder.events] == ["/comment 1 slow to store", "/support 2"]
    gate.set()
    await bot_api_server.wait_for_updates_confirmed()
    assert len(recorder.events) == 2  # and nothing was handled twice


async def test_a_failed_handling_is_tried_again(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter, recorder: Recorder
) -> None:
    ana = bot_api_server.create_user("Ana")
    recorder.failures_left = 1
    bot_api_server.user_sends_text(ana, "/support 1")
    await bot_api_server.wait_for_updates_confirmed()
    assert [e.text for e in recorder.events] == ["/support 1", "/support 1"]


async def test_each_chat_in_order_while_chats_go_side_by_side(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter, recorder: Recorder
) -> None:
    people = [bot_api_server.create_user(f"P{i}") for i in range(5)]
    for n in range(4):
        for person in people:
            bot_api_server.user_sends_text(person, f"/comment 1 note {n}")
    await recorder.wait(20)
    for person in people:
        texts = [e.text for e in recorder.events if e.chat == f"telegram:{person.id}"]
        assert texts == [f"/comment 1 note {n}" for n in range(4)]


async def test_stopping_confirms_what_was_handled(bot_api_server: BotAPIServer) -> None:
    recorder = Recorder()
    telegram = TelegramAdapter(build_application(bot_api_server.token, bot_api_server.base_url))
    await telegram.start(recorder)
    bot_api_server.user_sends_text(bot_api_server.create_user("Ana"), "/help")
    await recorder.wait()
    await telegram.stop()
    assert bot_api_server.pending_updates == []


# ---- messages out -----------------------------------------------------------------------


async def test_text_is_escaped_html_and_long_text_split_with_buttons_last(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter
) -> None:
    ana = bot_api_server.create_user("Ana")
    bot_api_server.private_chat(ana)
    body = "\n\n".join(f"<b>{i}</b> & " + "text " * 400 for i in range(5))  # ~10,000 chars
    choices = ((Choice("Yes", "y"), Choice("No", "n")),)
    last_id = await adapter.send(Outbound(f"telegram:{ana.id}", body, choices=choices))
    sent = bot_api_server.sent_messages(ana)
    assert len(sent) == 3 and all(m.parse_mode == "HTML" for m in sent)
    assert sent[0].text.startswith("<b>0</b> & text")  # shown as typed, not as bold
    assert [bool(m.buttons) for m in sent] == [False, False, True]
    assert last_id == str(sent[-1].message_id)


def shown(message: object) -> list[tuple[str, str]]:
    """(entity type, the text it covers) for each formatted stretch of a sent message."""
    text = getattr(message, "text", "") or ""
    units = text.encode("utf-16-le")
    return [
        (
            entity["type"],
            units[2 * entity["offset"] : 2 * (entity["offset"] + entity["length"])].decode(
                "utf-16-le"
            ),
        )
        for entity in getattr(message, "entities", [])
    ]


async def test_styled_text_is_struck_through_and_bold_and_split_with_its_marks(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter
) -> None:
    ana = bot_api_server.create_user("Ana")
    bot_api_server.private_chat(ana)
    change = (
        "¶2: where there is a "
        + Styled.of("clear", Mark.DELETED)
        + Styled.of("substantial <b>&</b> 🙂", Mark.INSERTED)
        + " risk"
    )
    await adapter.send(Outbound.of(f"telegram:{ana.id}", change))
    [message] = bot_api_server.sent_messages(ana)
    assert message.text == "¶2: where there is a clearsubstantial <b>&</b> 🙂 risk"
    assert shown(message) == [("strikethrough", "clear"), ("bold", "substantial <b>&</b> 🙂")]

    long = Styled.join("\n\n", [f"¶{i}: " + Styled.of("x " * 900, Mark.DELETED) for i in range(5)])
    await adapter.send(Outbound.of(f"telegram:{ana.id}", long))
    parts = bot_api_server.sent_messages(ana)[1:]
    assert [len(shown(part)) for part in parts] == [2, 2, 1]  # 1,805 characters a paragraph
    assert [kind for part in parts for kind, _ in shown(part)] == ["strikethrough"] * 5


async def test_an_edit_replaces_text_and_keyboard(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter
) -> None:
    ana = bot_api_server.create_user("Ana")
    bot_api_server.private_chat(ana)
    chat = f"telegram:{ana.id}"
    first = await adapter.send(Outbound(chat, "Paragraph 1", choices=((Choice("Support", "s"),),)))
    assert await adapter.send(Outbound(chat, "Paragraph 1: Support", edit_of=first)) == first
    assert await adapter.send(Outbound(chat, "Paragraph 1: Support", edit_of=first)) == first
    [message] = bot_api_server.sent_messages(ana)
    assert message.text == "Paragraph 1: Support" and message.buttons == []


async def test_a_file_goes_out_as_a_document_with_its_caption(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter
) -> None:
    ana = bot_api_server.create_user("Ana")
    bot_api_server.private_chat(ana)
    export = Attachment("record.md", b"# Record\n", "text/markdown")
    await adapter.send(Outbound(f"telegram:{ana.id}", "Here is record.md.", attachment=export))
    message = bot_api_server.last_message(ana)
    assert message.caption == "Here is record.md."
    assert message.document is not None and message.document.data == b"# Record\n"
    assert message.document.file_name == "record.md"


async def test_a_file_over_telegrams_limit_is_refused_at_once_not_retried(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter
) -> None:
    ana = bot_api_server.create_user("Ana")
    bot_api_server.private_chat(ana)
    huge = Attachment("record.json", b"x" * (50 * 2**20 + 1), "application/json")
    with pytest.raises(DeliveryError, match="Too Large"):
        await adapter.send(Outbound(f"telegram:{ana.id}", "Here it is.", attachment=huge))
    assert [c.status for c in bot_api_server.calls if c.method == "sendDocument"] == [413]
    assert bot_api_server.sent_messages(ana) == []


async def test_blocked_means_delivery_refused_for_good(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter
) -> None:
    ana = bot_api_server.create_user("Ana")
    bot_api_server.user_blocks_bot(ana)
    with pytest.raises(DeliveryError) as blocked:
        await adapter.send(Outbound(f"telegram:{ana.id}", "Round 2 is open"))
    assert blocked.value.blocked
    with pytest.raises(DeliveryError) as unknown:
        await adapter.send(Outbound("telegram:424242", "Round 2 is open"))
    assert not unknown.value.blocked


async def test_flood_control_and_gateway_errors_are_waited_out(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter
) -> None:
    ana = bot_api_server.create_user("Ana")
    bot_api_server.private_chat(ana)
    bot_api_server.faults.script(
        "sendMessage", [TooManyRequests(retry_after=1), BadGateway(), BadGateway(html=True)]
    )
    await adapter.send(Outbound(f"telegram:{ana.id}", "Round 2 is open"))
    assert [m.text for m in bot_api_server.sent_messages(ana)] == ["Round 2 is open"]
    assert [c.status for c in bot_api_server.calls_to("sendMessage")] == [429, 502, 502, 200]


async def test_a_send_the_server_took_but_answered_unreadably_counts_as_sent(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    ana = bot_api_server.create_user("Ana")
    bot_api_server.private_chat(ana)
    bot_api_server.faults.script("sendMessage", [GarbledSuccess()])
    assert await adapter.send(Outbound(f"telegram:{ana.id}", "Round 2 is open")) is None
    assert [m.text for m in bot_api_server.sent_messages(ana)] == ["Round 2 is open"]
    assert "sent, but the answer could not be read" in caplog.text


async def test_announcing_to_many_keeps_to_the_flood_limits_and_replies_go_first(
    bot_api_server: BotAPIServer,
) -> None:
    server = bot_api_server
    people = [server.create_user(f"P{n}") for n in range(60)]
    for person in people:
        server.private_chat(person)
    ana = server.create_user("Ana")
    server.private_chat(ana)
    server.set_rate_limit(global_per_second=30, per_chat_per_second=1)
    telegram = TelegramAdapter(build_application(server.token, server.base_url))

    async def answer(event: Inbound) -> None:
        await telegram.send(Outbound(event.chat, "Noted"))

    await telegram.start(answer)
    try:
        loop = asyncio.get_running_loop()
        load = MachineLoad()
        started = loop.time()
        announcing = asyncio.gather(
            *(telegram.send(Outbound(f"telegram:{p.id}", "Round 2 is open")) for p in people)
        )  # side by side, as the dispatcher hands them over
        await server.wait_for_calls("sendMessage", 10, timeout=5)
        server.user_sends_text(ana, "/status")
        await server.wait_for_messages(ana, timeout=5)
        await announcing
        finished = loop.time()
    finally:
        await telegram.stop()
    assert all(len(server.sent_messages(p)) == 1 for p in people)  # each once
    assert server.stats.rate_limited == 0  # no 429
    # at the full rate all the same, but for the time a busy machine gave the loop no CPU
    assert finished - started < 1.1 * 60 / 30 + load.waited()
    # Ana did not wait behind the announcements: a quarter of them went out after her reply
    chats = [str(call.params["chat_id"]) for call in server.calls_to("sendMessage")]
    assert len(chats) - 1 - chats.index(str(ana.id)) >= 15


async def test_a_long_reply_in_one_chat_keeps_to_its_limit_without_a_429(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter
) -> None:
    server = bot_api_server
    ana = server.create_user("Ana")
    server.private_chat(ana)
    server.set_rate_limit(global_per_second=30, per_chat_per_second=3)  # a burst of three
    for part in range(6):  # a summary in six messages, sent as the courier sends: in order
        await adapter.send(Outbound(f"telegram:{ana.id}", f"Part {part + 1}"))
    assert [m.text for m in server.sent_messages(ana)] == [f"Part {n}" for n in range(1, 7)]
    assert server.stats.rate_limited == 0
    sent = [call.at for call in server.calls_to("sendMessage")]
    assert sent[3] - sent[0] >= 0.9  # three at once, then about one a second
    assert sent[5] - sent[3] >= 1.9


async def test_menus_are_per_private_chat_and_groups_keep_theirs(
    bot_api_server: BotAPIServer, adapter: TelegramAdapter
) -> None:
    ana = bot_api_server.create_user("Ana")
    bot_api_server.private_chat(ana)
    group = bot_api_server.create_group("Coalition", [ana])
    commands = [("help", "the commands"), ("round open", "open"), ("round close", "close")]
    await adapter.set_menu(f"telegram:{ana.id}", commands)
    await adapter.set_menu(f"telegram:{group.id}", commands)
    menu = bot_api_server.commands_for("chat", chat_id=ana.id)
    assert [c["command"] for c in menu] == ["help", "round"]
    assert bot_api_server.commands_for("chat", chat_id=group.id) == []


# ---- webhook ----------------------------------------------------------------------------


async def test_webhook_mode_checks_the_secret_and_answers_after_handling(
    bot_api_server: BotAPIServer, unused_tcp_port: int
) -> None:
    recorder = Recorder()
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram"
    settings = TelegramSettings(
        token=bot_api_server.token,
        api_url=bot_api_server.base_url,
        webhook_url=url,
        webhook_secret="s3cret_-x",
        webhook_port=unused_tcp_port,
    )  # as CONSULTBOT_TELEGRAM_WEBHOOK_URL and friends would set them
    assert telegram_platform.configured(settings)
    telegram = telegram_platform.create(Settings(), settings)
    await telegram.start(recorder)
    try:
        assert bot_api_server.webhook_url == url
        ana = bot_api_server.create_user("Ana")
        bot_api_server.user_sends_text(ana, "/review")
        await bot_api_server.wait_for_updates_confirmed()
        assert [e.text for e in recorder.events] == ["/review"]
        async with aiohttp.ClientSession() as session:
            forged = {"update_id": 1, "message": {"message_id": 9, "date": 0, "text": "/forget"}}
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
                async with session.post(url, json=forged, headers=headers) as response:
                    assert response.status == 403
            secret = {"X-Telegram-Bot-Api-Secret-Token": "s3cret_-x"}
            for malformed in (b"{not json", b"[1, 2]", b'"text"', b"\xff"):
                async with session.post(url, data=malformed, headers=secret) as response:
                    assert response.status == 400  # the sender's mistake, not the bot's
        assert len(recorder.events) == 1
        bot_api_server.user_sends_text(ana, "/mine")  # and the webhook goes on
        await bot_api_server.wait_for_updates_confirmed()
        assert [e.text for e in recorder.events] == ["/review", "/mine"]
    finally:
        await telegram.stop()


async def test_two_webhook_workers_on_one_machine_share_its_port(
    bot_api_server: BotAPIServer, unused_tcp_port: int
) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram"
    settings = TelegramSettings(
        token=bot_api_server.token,
        api_url=bot_api_server.base_url,
        webhook_url=url,
        webhook_secret="s3cret_-x",
        webhook_port=unused_tcp_port,
    )
    first, second = Recorder(), Recorder()
    workers = [telegram_platform.create(Settings(), settings) for _ in range(2)]
    await workers[0].start(first)
    await workers[1].start(second)  # the same port: no "address already in use"
    try:
        people = [bot_api_server.create_user(f"P{n}") for n in range(6)]
        for person in people:
            bot_api_server.user_sends_text(person, "/review")
        await bot_api_server.wait_for_updates_confirmed()
        await workers[0].stop()  # one worker goes; the other serves the port alone
        bot_api_server.user_sends_text(people[0], "/mine")
        await bot_api_server.wait_for_updates_confirmed()
    finally:
        for worker in workers:
            await worker.stop()
    texts = [e.text for e in first.events + second.events]
    assert sorted(texts) == sorted(["/review"] * 6 + ["/mine"])  # each update once
    assert "/mine" in [e.text for e in second.events]
