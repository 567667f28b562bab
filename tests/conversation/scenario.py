"""Set-ups that many conversation tests share, written as the facilitator would type them."""

from __future__ import annotations

import re

from adapters.memory import MemoryAdapter

FACILITATOR = "fac"
DRAFT = """# Statement on spyware

We are concerned about the misuse of intrusion software.

We will refuse export licences where there is a clear risk of misuse.

We call on companies to respect human rights.
"""
CODE = re.compile(r"^([A-Za-z0-9_-]{20,})$", re.MULTILINE)


async def invite(chat: MemoryAdapter, group: str, uses: int = 1) -> str:
    chat.take(FACILITATOR)
    await chat.say(FACILITATOR, f"/invite {group} {uses}")
    match = CODE.search(chat.last(FACILITATOR))
    assert match, chat.last(FACILITATOR)
    return match.group(1)


async def consultation(chat: MemoryAdapter, members: dict[str, str] | None = None) -> None:
    """A consultation on DRAFT with `members` (name -> group or role) joined."""
    await chat.say(FACILITATOR, "/new Spyware statement")
    await chat.say(FACILITATOR, DRAFT)
    assert "loaded with 3 paragraphs" in chat.last(FACILITATOR), chat.messages(FACILITATOR)
    for name, group in (members or {}).items():
        code = await invite(chat, group)
        await chat.say(name, f"/start {code}")
        if group not in ("facilitator", "secretariat"):
            await chat.say(name, f"{name.capitalize()} Org")
    chat.take(FACILITATOR)
    for name in members or {}:
        chat.take(name)


async def open_round(chat: MemoryAdapter, members: dict[str, str] | None = None) -> None:
    await consultation(chat, members)
    await chat.say(FACILITATOR, "/round open 3d")
    assert "Round 1 is open" in chat.last(FACILITATOR), chat.last(FACILITATOR)
    for name in members or {}:
        chat.take(name)
    chat.take(FACILITATOR)
