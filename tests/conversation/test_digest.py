"""The facilitator's digest after a round of three groups of two delegates, as they read it."""

from __future__ import annotations

import re

from adapters.memory import MemoryAdapter
from tests.conversation.scenario import FACILITATOR, open_round

MEMBERS = {
    "ana": "government",
    "amir": "government",
    "ben": "civil-society",
    "bea": "civil-society",
    "cho": "industry",
    "chen": "industry",
    "sam": "secretariat",
}
OBJECTION = "A clear risk test is unworkable for companies that sell to many countries."
CS_AMENDMENT = "We will refuse export licences where there is a substantial risk of misuse."
PS_AMENDMENT = "We will refuse export licences where misuse is established."
GOV_AMENDMENT = "We call on companies to respect and protect human rights."


def ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"#(\d+)", text)]


async def play_the_round(chat: MemoryAdapter) -> dict[str, int]:
    """¶1 all six support; ¶2 two groups support, industry opposes; ¶3 industry silent."""
    await open_round(chat, MEMBERS)
    for name in ("ana", "amir", "ben", "bea", "cho", "chen"):
        await chat.say(name, "/support 1")
    for name in ("ana", "amir", "ben", "bea"):
        await chat.say(name, "/support 2")
    for name in ("cho", "chen"):
        await chat.say(name, "/oppose 2")
        await chat.say(name, f"/comment 2 {OBJECTION}")
    for name in ("ana", "amir", "ben"):
        await chat.say(name, "/support 3")
    made = {}
    for name, number, text in (
        ("ben", 2, CS_AMENDMENT),
        ("cho", 2, PS_AMENDMENT),
        ("amir", 3, GOV_AMENDMENT),
    ):
        await chat.say(name, f"/amend {number} {text}")
        made[name] = ids(chat.last(name))[0]
    await chat.say("ana", f"/endorse {made['ben']}")
    await chat.say("chen", f"/endorse {made['ben']}")
    await chat.say("chen", f"/endorse {made['cho']}")
    await chat.say(FACILITATOR, "/round close")
    return made


async def test_the_digest_answers_the_facilitator_s_questions(chat: MemoryAdapter) -> None:
    made = await play_the_round(chat)
    chat.take("sam")
    await chat.say("sam", "/summary")
    text = chat.last("sam")
    lines = text.splitlines()

    # where they already agree: keep as it is, saying who was not heard
    assert "Common ground, keep as it is (2): ¶1, ¶3 (not heard: Private sector)" in lines
    # where they disagree: each group's position in one line, and the words behind it
    assert "In dispute (1):" in lines
    dispute = lines.index(
        "¶2 groups divided: Government 2 of 2 support · Civil society 2 of 2 support"
        " · Private sector 2 of 2 oppose"
    )
    assert lines[dispute + 1].endswith(
        f"a member of Private sector: “{OBJECTION}” (raised by 2 delegates of Private sector)"
    )
    assert re.match(r"  #\d+ ", lines[dispute + 1])
    # which amendments would carry the groups: the one backed in three groups first
    amendments = lines[lines.index("Amendments, most backed across groups first:") + 1 :][:3]
    assert [ids(line)[0] for line in amendments] == [made["ben"], made["cho"], made["amir"]]
    assert "endorsed by Government 1, Private sector 1; groups behind it: 3" in amendments[0]
    assert "no endorsements yet" in amendments[2]
    # who has not been heard
    assert "Not heard on some paragraphs: Private sector on ¶3" in lines
    # no paragraph is on both sides, and no figure from two votes a group
    common = set(re.findall(r"¶(\d)", lines[lines.index("In dispute (1):") - 1]))
    disputed = {line[1] for line in lines if re.match(r"¶\d groups divided", line)}
    assert common == {"1", "3"} and disputed == {"2"}
    assert "Consensus 0." not in text
    assert len(lines) <= 30


async def test_one_paragraph_in_full_says_where_the_groups_stand(chat: MemoryAdapter) -> None:
    await play_the_round(chat)
    await chat.say("sam", "/summary 2")
    text = chat.last("sam")
    assert "  Groups divided\n  Government: 2 support, 0 oppose, 0 abstain" in text
    assert "2 comments, too few for themes; as they were written:" in text
    assert f"“{OBJECTION}” (raised by 2 delegates of Private sector)" in text
    assert "Consensus 0." not in text
    markdown = chat.files("sam")[-1].data.decode()
    assert "**Groups divided**" in markdown
    assert "| Private sector | 0 | 2 | 0 | 0% | opposes |" in markdown
    assert "the same point, also made in \\#" in markdown  # Markdown-escaped
