"""`consultbot demo`: a whole consultation with nine simulated delegates, in seconds.

Everything goes through the real dispatcher, commands and storage (a SQLite file in the
output folder), on the in-memory platform: a facilitator loads the bundled sample draft,
invites three stakeholder groups, the delegates review it (some with the paragraph walk
and its buttons, some with direct commands), the round closes, amendments are decided,
version 2 is published and the record is exported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol, cast

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.app import create_adapter
from bot.dispatcher import Dispatcher
from bot.events import Adapter, Attachment
from bot.settings import Settings
from storage.engine import make_engine, upgrade
from storage.records import Store

SAMPLE = "digital-surveillance-exports.md"
FACILITATOR = "facilitator"


@dataclass(frozen=True)
class Delegate:
    name: str
    group: str
    organisation: str
    stances: str  # one letter per paragraph: S support, O oppose, A abstain, - skip
    walk: bool  # reviews with the paragraph-by-paragraph buttons, or with direct commands


DELEGATES = (
    Delegate(
        "amara", "government", "Ministry of Foreign Affairs, Republic of Avalon", "SSSSSSSS", True
    ),
    Delegate("bruno", "government", "Federal Trade Office, Borealia", "SSSOSSOS", False),
    Delegate("chiara", "government", "Ministry of Economy, Caldera", "SSSASS-S", True),
    Delegate("dilnoza", "civil-society", "Digital Rights Watch", "SSOSOSSS", True),
    Delegate("emeka", "civil-society", "Press Freedom Network", "SSSSOSSS", False),
    Delegate("farah", "civil-society", "Human Rights Technology Lab", "SSSSASSO", True),
    Delegate("gustav", "private-sector", "Secure Networks Ltd", "SAOSOSSA", False),
    Delegate("hana", "private-sector", "Global ICT Industry Association", "SSOSOSSS", True),
    Delegate("ivan", "private-sector", "Northwind Cloud Services", "SSSOSSAS", False),
)

COMMENTS = {
    "dilnoza": (
        3,
        "A 'clear risk' test sets the bar too high; licensing authorities rarely find one.",
    ),
    "emeka": (5, "Due diligence means little unless companies must publish what they find."),
    "gustav": (5, "Small firms cannot carry the same due diligence burden as large vendors."),
    "bruno": (
        7,
        "Information on end users must stay within the limits of national data protection law.",
    ),
    "farah": (
        4,
        "Aggregate numbers hide which technologies were sold; publish the categories too.",
    ),
    "hana": (6, "Industry should be consulted before the control list changes, not after."),
}

AMENDMENTS = {
    "dilnoza": (
        3,
        "We will assess the human rights risks of every export licence application for "
        "surveillance technologies, and refuse licences where there is a substantial risk "
        "that the items could be used for, or contribute to, violations of human rights.",
    ),
    "farah": (
        4,
        "We will publish, at least once a year, information on the licences we have granted "
        "and refused for these technologies, including the destination countries and the "
        "categories of technology concerned.",
    ),
    "gustav": (
        5,
        "We encourage companies that develop or sell surveillance technologies to consider "
        "human rights risks where appropriate to the size of the company.",
    ),
    "bruno": (
        7,
        "We will share information among ourselves on end users of concern, to the extent "
        "permitted by national law, to prevent a licence refused by one participant from "
        "being granted by another.",
    ),
}
ACCEPT = {
    "dilnoza": "Agreed in the drafting group.",
    "farah": "",
    "bruno": "Reflects several governments' views.",
}
REJECT = {
    "gustav": "It turns a commitment into an encouragement, unlike the UN Guiding Principles."
}

CODE = re.compile(r"^([A-Za-z0-9_-]{20,})$", re.MULTILINE)


class ScriptedChat(Adapter, Protocol):
    """The in-memory platform, as the demo drives it (adapters.memory.MemoryAdapter)."""

    async def say(self, name: str, text: str, **kwargs: Any) -> None: ...
    async def press(self, name: str, label: str) -> None: ...
    def take(self, name: str) -> list[str]: ...
    def messages(self, name: str) -> list[str]: ...
    def files(self, name: str) -> list[Attachment]: ...


class Demo:
    def __init__(self, folder: Path, console: Console, quiet: bool) -> None:
        self.folder = folder
        self.console = console
        self.amendments: dict[str, int] = {}  # delegate -> the id their amendment got
        self.quiet = quiet
        store = Store(make_engine(f"sqlite:///{folder / 'demo.db'}"))
        upgrade(store.engine)
        self.chat = cast(ScriptedChat, create_adapter("memory", Settings(data_dir=folder)))
        self.dispatcher = Dispatcher(store, admins=[f"memory:{FACILITATOR}"])
        self.dispatcher.add(self.chat)

    def show(self, who: str, text: str, *, always: bool = False) -> None:
        if always or not self.quiet:
            # Text, not markup: what the bot says (a change in [brackets]) is shown as said.
            self.console.print(Panel(Text(text), title=who, title_align="left", expand=False))

    async def say(self, name: str, text: str, **kwargs: object) -> str:
        """`name` says `text`; returns what the bot answered them."""
        self.chat.take(name)
        await self.chat.say(name, text, **kwargs)
        return "\n\n".join(self.chat.take(name))

    async def run(self) -> Path:
        await self.dispatcher.start()
        try:
            await self.setup()
            await self.review()
            await self.close_and_decide()
            return await self.export()
        finally:
            await self.dispatcher.stop()

    async def setup(self) -> None:
        draft = files("bot.samples").joinpath(SAMPLE).read_text(encoding="utf-8")
        self.show(
            "facilitator",
            await self.say(FACILITATOR, "/new Responsible trade in surveillance technology"),
        )
        self.show("facilitator sends the draft", await self.say(FACILITATOR, draft))
        self.codes = {}
        for group in ("government", "civil-society", "private-sector", "secretariat"):
            answer = await self.say(FACILITATOR, f"/invite {group} 3 7d")
            match = CODE.search(answer)
            assert match, answer
            self.codes[group] = match.group(1)
        self.show("facilitator", f"Invite codes created for {', '.join(self.codes)}.")
        await self.say("sam", f"/start {self.codes['secretariat']}")
        for d in DELEGATES:
            await self.say(d.name, f"/start {self.codes[d.group]}")
            await self.say(d.name, d.organisation)
        self.show("facilitator", await self.say(FACILITATOR, "/round open 3d"))

    async def review(self) -> None:
        for d in DELEGATES:
            if d.walk:
                await self.walk(d)
            else:
                await self.direct(d)
            if d.name in AMENDMENTS:
                number, text = AMENDMENTS[d.name]
                answer = await self.say(d.name, f"/amend {number} {text}")
                self.amendments[d.name] = int(answer.split("#", 1)[1].split(":", 1)[0])
            if d.name in COMMENTS:
                number, text = COMMENTS[d.name]
                await self.say(d.name, f"/comment {number} {text}")
            self.show(d.name, f"{d.organisation} ({d.group}) reviewed: {d.stances}")
        self.show("facilitator: /status", await self.say(FACILITATOR, "/status"), always=True)

    async def walk(self, d: Delegate) -> None:
        await self.chat.say(d.name, "/review")
        labels = {"S": "Support", "O": "Oppose", "A": "Skip", "-": "Skip"}
        for stance in d.stances:
            await self.chat.press(d.name, labels[stance])
            if stance == "O":
                await self.chat.press(d.name, "Skip")  # no reason given for opposing

    async def direct(self, d: Delegate) -> None:
        verbs = {"S": "support", "O": "oppose", "A": "abstain"}
        for number, stance in enumerate(d.stances, start=1):
            if stance in verbs:
                await self.say(d.name, f"/{verbs[stance]} {number}")

    async def close_and_decide(self) -> None:
        self.show(
            "facilitator: /round close", await self.say(FACILITATOR, "/round close"), always=True
        )
        listing = await self.say(FACILITATOR, "/amendments")
        self.show("facilitator: /amendments", listing)
        ids = self.amendment_ids(listing, self.amendments)
        for name, note in ACCEPT.items():
            self.show(
                "facilitator", await self.say(FACILITATOR, f"/accept {ids[name]} {note}".strip())
            )
        for name, reason in REJECT.items():
            self.show("facilitator", await self.say(FACILITATOR, f"/reject {ids[name]} {reason}"))
        self.show("facilitator: /publish", await self.say(FACILITATOR, "/publish"), always=True)

    @staticmethod
    def amendment_ids(listing: str, recorded: dict[str, int]) -> dict[str, int]:
        """Each delegate's amendment id, as the bot acknowledged it, checked against the
        facilitator's listing (which shows each as its change, not its text)."""
        listed = {int(block.split(" ", 1)[0]) for block in listing.split("\n#")[1:]}
        ids = {name: number for name, number in recorded.items() if number in listed}
        missing = set(AMENDMENTS) - set(ids)
        assert not missing, f"amendments not listed: {missing}"
        return ids

    async def export(self) -> Path:
        self.chat.take("sam")
        await self.chat.say("sam", "/export markdown")
        paths = []
        for attachment in self.chat.files("sam"):
            path = self.folder / attachment.filename
            path.write_bytes(attachment.data)
            paths.append(path)
        assert paths, "the export did not arrive"
        self.show(
            "secretariat: /export markdown",
            f"Saved {', '.join(str(p) for p in paths)}",
            always=True,
        )
        return self.folder


async def run_demo(out: Path | None, console: Console, *, quiet: bool = False) -> Path:
    folder = out or Path.cwd() / f"consultbot-demo-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=True)
    return await Demo(folder, console, quiet).run()
