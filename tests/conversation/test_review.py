"""The stakeholder's review: buttons, numbered choices, direct commands, own records."""

from __future__ import annotations

from adapters.memory import MemoryAdapter
from bot.dispatcher import Dispatcher
from bot.events import Capability, Inbound, PlatformId
from storage.records import Store
from tests.conversation.scenario import FACILITATOR, open_round

MEMBERS = {"ana": "government", "ben": "civil-society", "cho": "industry"}


async def test_review_walk_with_buttons_records_and_moves_on(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/review")
    assert "Paragraph 1 of 3" in chat.last("ana")
    assert "intrusion software" in chat.last("ana")
    await chat.press("ana", "Support")
    first, second = chat.messages("ana")[-2:]
    assert first.startswith("Paragraph 1: Support (#")  # the pressed message now shows the choice
    assert "Paragraph 2 of 3" in second
    await chat.press("ana", "Comment")
    assert "Your comment on paragraph 2" in chat.last("ana")
    await chat.say("ana", "Clear risk is too weak a test.")
    recorded = chat.last("ana")  # the acknowledgement, then the next paragraph
    assert recorded.startswith("Recorded #") and "comment on paragraph 2." in recorded
    assert "Paragraph 3 of 3" in recorded
    await chat.press("ana", "Back")
    assert "Paragraph 2 of 3" in chat.last("ana")
    await chat.press("ana", "Skip")
    await chat.press("ana", "Oppose")
    assert "Why do you oppose paragraph 3?" in chat.last("ana")
    await chat.press("ana", "Skip")  # no reason: one tap
    assert "You have answered all 3 paragraphs" in chat.last("ana")
    await chat.say("ana", "/mine")
    mine = chat.last("ana")
    assert "paragraph 1 · support" in mine
    assert "paragraph 2 · comment: Clear risk is too weak a test." in mine
    assert "paragraph 3 · oppose" in mine


async def test_text_asked_for_before_the_round_closed_is_refused_once(chat: MemoryAdapter) -> None:
    """Asked for a comment, the round closes before it comes: the comment is refused,
    and what they write next is no longer taken for that comment."""
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/review")
    await chat.press("ana", "Comment")
    await chat.say(FACILITATOR, "/round close")
    await chat.say("ana", "My late comment.")
    assert "Round 1 is closed" in chat.last("ana")
    await chat.say("ana", "Hello?")
    assert chat.last("ana").startswith("I did not understand that.")


async def test_amend_with_unchanged_text_is_refused_and_can_be_retried(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ben", "/review")
    await chat.press("ben", "Skip")
    await chat.press("ben", "Amend")
    assert "copy the paragraph below" in chat.last("ben")
    await chat.say("ben", "We will refuse export licences where there is a clear risk of misuse.")
    assert "same as the paragraph" in chat.last("ben")
    await chat.say(
        "ben", "We will refuse export licences where there is a substantial risk of misuse."
    )
    await chat.press("ben", "Record it")
    assert "amendment on paragraph 2" in chat.last("ben")


async def test_a_button_from_an_earlier_step_says_so(chat: MemoryAdapter) -> None:
    """A button whose round is gone, or whose data no longer reads, is refused kindly."""
    await open_round(chat, MEMBERS)
    for data in ("rv:999:0:support", "rv:1:0:dance", "rv:1:0", "menu:1"):
        await chat.deliver(
            Inbound(
                sender=PlatformId("memory:ana"),
                chat=chat.chat_of("ana"),
                message_id=f"press-{data}",
                button=data,
            )
        )
        assert chat.last("ana").startswith("That button belongs to an earlier step"), data
    await chat.say("ana", "/mine")
    assert "You have not given any input" in chat.last("ana")


async def test_numbered_choices_where_the_platform_has_no_buttons(
    sqlite_store: Store, clock
) -> None:
    plain = MemoryAdapter(capabilities=Capability.NONE)
    dispatcher = Dispatcher(sqlite_store, admins=[f"memory:{FACILITATOR}"], clock=clock)
    dispatcher.add(plain)
    await dispatcher.start()
    await open_round(plain, MEMBERS)
    await plain.say("cho", "/review")
    prompt = plain.last("cho")
    assert "Reply with a number" in prompt and "1. Support" in prompt and "4. Amend" in prompt
    await plain.say("cho", "2")  # Oppose
    assert plain.last("cho").startswith("Recorded #1: oppose on paragraph 1.")
    assert "Why do you oppose paragraph 1?" in plain.last("cho") and "1. Skip" in plain.last("cho")
    await plain.say("cho", "1")  # no reason
    assert "Paragraph 2 of 3" in plain.last("cho")
    await plain.say("cho", "/mine")
    assert "paragraph 1 · oppose" in plain.last("cho")


async def test_direct_commands_and_their_errors(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("cho", "/support 1")
    assert "Recorded #" in chat.last("cho") and "support on paragraph 1" in chat.last("cho")
    await chat.say("cho", "/oppose 9")
    assert "no paragraph 9" in chat.last("cho") and "1 to 3" in chat.last("cho")
    await chat.say("cho", "/comment 2    ")
    assert "Usage: /comment N TEXT..." in chat.last("cho")
    await chat.say("cho", "/comment 2 " + "x" * 2500)
    assert "limit is 2000" in chat.last("cho")
    await chat.say("cho", "/amend 3 We call on companies to respect human rights.")
    assert "same as the paragraph" in chat.last("cho")
    await chat.say("cho", "/mine")
    assert chat.last("cho").count("\n#") == 1  # only the support was recorded


async def test_a_new_stance_replaces_the_old_one(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/support 1")
    await chat.say("ana", "/oppose 1")
    await chat.say(FACILITATOR, "/summary 1")
    assert "Government: 0 support, 1 oppose" in chat.last(FACILITATOR)
    await chat.say("ana", "/mine")
    assert "replaced by a later stance" in chat.last("ana")


async def test_withdraw_own_input_while_open_only(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/comment 1 Please define intrusion software.")
    ana_id = chat.last("ana").split("#")[1].split(":")[0]
    await chat.say("ben", f"/withdraw {ana_id}")
    assert "not one of your submissions" in chat.last("ben")
    await chat.say("ana", f"/withdraw {ana_id}")
    assert f"#{ana_id} withdrawn" in chat.last("ana")
    await chat.say("ana", "/comment 2 Keep the clear risk test.")
    second = chat.last("ana").split("#")[1].split(":")[0]
    await chat.say(FACILITATOR, "/round close")
    await chat.say("ana", f"/withdraw {second}")
    assert "closed round" in chat.last("ana")


async def test_a_message_delivered_twice_is_stored_once(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/comment 1 Delivered twice.", message_id="tg-42")
    chat.take("ana")
    await chat.say("ana", "/comment 1 Delivered twice.", message_id="tg-42")
    assert chat.messages("ana") == []  # the redelivery is not answered again
    await chat.say("ana", "/mine")
    assert chat.last("ana").count("Delivered twice.") == 1


async def test_the_review_survives_a_restart(sqlite_store: Store, clock) -> None:
    first = MemoryAdapter()
    dispatcher = Dispatcher(sqlite_store, admins=[f"memory:{FACILITATOR}"], clock=clock)
    dispatcher.add(first)
    await dispatcher.start()
    await open_round(first, MEMBERS)
    await first.say("ben", "/review")
    await first.press("ben", "Comment")
    await dispatcher.stop()

    second = MemoryAdapter()  # a new process: nothing in memory, the same database
    restarted = Dispatcher(sqlite_store, admins=[f"memory:{FACILITATOR}"], clock=clock)
    restarted.add(second)
    await restarted.start()
    await second.say("ben", "Said after the restart.")
    assert "comment on paragraph 1" in second.messages("ben")[0]
    assert "Paragraph 2 of 3" in second.last("ben")


async def test_input_after_close_is_refused_and_earlier_input_kept(
    chat: MemoryAdapter, clock
) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/support 2")
    clock.advance(days=4)  # past the closing time, even before anyone closes it
    await chat.say("ana", "/oppose 2")
    assert "closed" in chat.last("ana") and "earlier input is kept" in chat.last("ana")
    await chat.say("ana", "/mine")
    assert "paragraph 2 · support" in chat.last("ana") and "oppose" not in chat.last("ana")


async def test_plain_text_outside_a_dialog_points_to_help(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "hello?")
    assert "Send /help" in chat.last("ana")


async def test_a_thumbs_up_on_a_paragraph_counts_as_support(sqlite_store: Store, clock) -> None:
    reacting = MemoryAdapter(capabilities=Capability.REACTIONS)
    dispatcher = Dispatcher(sqlite_store, admins=[f"memory:{FACILITATOR}"], clock=clock)
    dispatcher.add(reacting)
    await dispatcher.start()
    await open_round(reacting, MEMBERS)
    await reacting.say("ana", "/review")
    paragraph = reacting.inbox[reacting.chat_of("ana")][-1]
    await reacting.react("ana", paragraph.id, "👍🏽")
    assert "Paragraph 2 of 3" in reacting.last("ana")
    await reacting.react("ana", paragraph.id, "🎉")  # other reactions are just reactions
    assert "Paragraph 2 of 3" in reacting.last("ana")
    await reacting.say("ana", "/mine")
    assert "paragraph 1 · support" in reacting.last("ana")


async def test_the_command_menu_follows_the_role(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    assert "review" in chat.menus[chat.chat_of("ana")]
    assert "round close" not in chat.menus[chat.chat_of("ana")]
    assert "round close" in chat.menus[chat.chat_of(FACILITATOR)]


async def test_mine_says_what_an_endorsement_backs(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/amend 2 We will refuse export licences where misuse is likely.")
    assert chat.last("ana").startswith("Recorded #1: amendment on paragraph 2.")
    await chat.say("ben", "/endorse 1")
    await chat.say("ben", "/mine")
    assert "#2 · round 1 · paragraph 2 · endorsement of #1" in chat.last("ben")
