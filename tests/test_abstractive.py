"""The abstractive layer against a small OpenAI-compatible server on 127.0.0.1.

The server is real HTTP (aiohttp), started by each test on a free port: it records what
it was sent and answers as the test tells it to, including citing an id that does not
exist, answering too slowly, and failing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.abstractive import Writer
from bot.settings import Settings
from consultations.model import DEFAULT_GROUPS, Kind
from consultations.summary import Input, Paragraph, Participation, Summary, summarise


@dataclass
class FakeModel:
    """What the server answers next, and what it was asked."""

    content: str = "Groups agree on licences [#1] and on diligence [#5, #6]."
    delay: float = 0.0
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(await request.json())
        self.headers.append(request.headers.get("Authorization", ""))
        if self.delay:  # a model too slow for the writer's timeout: the slowness is the test
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"error": {"message": "overloaded"}}, status=self.status)
        return web.json_response(
            {
                "id": "cmpl-1",
                "object": "chat.completion",
                "model": "tiny",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": self.content},
                        "finish_reason": "stop",
                    }
                ],
            }
        )


@pytest.fixture
async def model() -> AsyncIterator[tuple[FakeModel, str]]:
    fake = FakeModel()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://127.0.0.1:{port}/v1"
    await runner.cleanup()


LICENCES = [
    "Export licences must be refused where surveillance tools reach abusive governments.",
    "Licences for surveillance exports need a public register of every licence granted.",
    "Refuse export licences to governments that target journalists with surveillance.",
    "Every export licence for surveillance technology should be reviewed after a year.",
]
DILIGENCE = [
    "Companies should carry out human rights due diligence before every sale.",
    "Human rights due diligence must cover resellers and the whole supply chain.",
    "Due diligence reports by companies should be published, not kept private.",
]


def _summary() -> Summary:
    inputs = [
        Input(i, "p1", "civil-society", Kind.COMMENT, t, "a member of Civil society")
        for i, t in enumerate(LICENCES + DILIGENCE, 1)
    ]
    inputs.append(
        Input(20, "p2", "government", Kind.AMENDMENT, "States must act.", "a member of Government")
    )
    inputs.append(Input(21, "p1", "government", Kind.SUPPORT, None, "a member of Government"))
    invited = {"government": Participation(1, 1), "civil-society": Participation(1, 2)}
    paragraphs = [Paragraph("p1", 1, "Licences."), Paragraph("p2", 2, "States.")]
    return summarise(paragraphs, inputs, DEFAULT_GROUPS, invited)


def _write(writer: Writer, only: int | None = None) -> Any:
    return writer.write(_summary(), "Spyware statement", 1, only)


async def test_prose_that_cites_existing_submissions_is_used(model: tuple[FakeModel, str]) -> None:
    fake, url = model
    writer = Writer(url, "tiny", api_key="sk-test", timeout=5)
    prose = await asyncio.to_thread(_write, writer)
    assert prose.text == "Groups agree on licences [#1] and on diligence [#5, #6]."
    assert prose.failure is None and prose.model == "tiny"
    (request,) = fake.requests
    assert fake.headers == ["Bearer sk-test"]
    assert request["model"] == "tiny"
    assert "[#12]" in request["messages"][0]["content"]  # it is asked to cite ids
    payload = json.loads(request["messages"][1]["content"])
    assert payload["consultation"] == "Spyware statement"
    first = payload["paragraphs"][0]
    assert first["votes"]["Government"] == {"support": 1, "oppose": 0, "abstain": 0}
    assert {q["id"] for t in first["themes"] for q in t["quotes"]} <= set(range(1, 8))
    assert payload["paragraphs"][1]["amendments"][0]["id"] == 20
    # the digest's structure, and no figure that one vote a group cannot define
    assert first["standing"] == "open" and first["positions"]["Government"] == "support"
    assert "consensus" not in first
    assert payload["amendments_ranked"] == [
        {"id": 20, "paragraph": 2, "groups_behind": ["Government"], "endorsements": 0}
    ]
    assert set(payload) >= {"common_ground", "in_dispute", "groups_not_heard_at_all"}
    assert "in English" in request["messages"][0]["content"]


async def test_a_citation_of_a_submission_that_does_not_exist_falls_back(
    model: tuple[FakeModel, str],
) -> None:
    fake, url = model
    fake.content = "Everyone agrees [#1], as shown by [#99]."
    prose = await asyncio.to_thread(_write, Writer(url, "tiny", timeout=5))
    assert prose.text is None
    assert "#99" in (prose.failure or "")


async def test_citing_only_the_requested_paragraph(model: tuple[FakeModel, str]) -> None:
    fake, url = model
    fake.content = "The amendment [#20] asks states to act; licences [#1]."
    prose = await asyncio.to_thread(_write, Writer(url, "tiny", timeout=5), 2)
    assert prose.text is None and "#1" in (prose.failure or "")  # #1 is on paragraph 1
    payload = json.loads(fake.requests[-1]["messages"][1]["content"])
    assert [p["number"] for p in payload["paragraphs"]] == [2]


async def test_prose_without_any_citation_falls_back(model: tuple[FakeModel, str]) -> None:
    fake, url = model
    fake.content = "Broad agreement everywhere."
    prose = await asyncio.to_thread(_write, Writer(url, "tiny", timeout=5))
    assert prose.text is None and "cites no submission" in (prose.failure or "")


async def test_a_slow_endpoint_times_out_and_falls_back(model: tuple[FakeModel, str]) -> None:
    fake, url = model
    fake.delay = 2.0
    prose = await asyncio.to_thread(_write, Writer(url, "tiny", timeout=0.3))
    assert prose.text is None and "no answer within 0.3s" in (prose.failure or "")


async def test_an_error_or_an_unreachable_endpoint_falls_back(
    model: tuple[FakeModel, str],
) -> None:
    fake, url = model
    fake.status = 503
    prose = await asyncio.to_thread(_write, Writer(url, "tiny", timeout=5))
    assert prose.text is None and "503" in (prose.failure or "")
    nobody = Writer("http://127.0.0.1:9/v1", "tiny", timeout=2)
    assert (await asyncio.to_thread(_write, nobody)).text is None


def test_the_layer_is_off_unless_configured() -> None:
    assert Writer.from_settings(Settings()) is None
    writer = Writer.from_settings(
        Settings(llm_base_url="http://127.0.0.1:8080/v1/", llm_model="m", llm_api_key="k")
    )
    assert writer is not None
    assert writer.url == "http://127.0.0.1:8080/v1/chat/completions" and writer.api_key == "k"
    with pytest.raises(ValueError, match="CONSULTBOT_LLM_MODEL"):
        Settings(llm_base_url="http://127.0.0.1:8080/v1")


async def test_in_chat_the_summary_says_which_method_wrote_it(
    chat: Any, model: tuple[FakeModel, str]
) -> None:
    from bot.summary_options import SummaryOptions
    from tests.conversation.scenario import FACILITATOR, open_round
    from tests.conversation.test_summaries import MEMBERS, comment_on_paragraph_1, use_options

    fake, url = model
    use_options(chat, SummaryOptions(writer=Writer(url, "tiny", timeout=5)))
    await open_round(chat, MEMBERS)
    await comment_on_paragraph_1(chat)
    await chat.say(FACILITATOR, "/round close")
    chat.take("sam")
    await chat.say("sam", "/summary")
    text = chat.last("sam")
    assert "Method: abstractive, written by tiny" in text
    assert "Groups agree on licences [#1] and on diligence [#5, #6]." in text
    markdown = chat.files("sam")[0].data.decode()
    assert "## Summary in prose" in markdown and "### Themes" in markdown

    await chat.say("sam", "/language fr")
    await chat.say("sam", "/summary")
    assert "in French" in fake.requests[-1]["messages"][0]["content"]  # the reader's language

    fake.content = "It is all settled [#404]."
    await chat.say("sam", "/language en")
    await chat.say("sam", "/summary")
    text = chat.last("sam")
    assert "The abstractive summary was not used (it cites #404" in text
    assert "Method: extractive; themes by TF-IDF keywords" in text
    assert "#404" not in text.split("\n", 4)[-1]  # the invented id is not shown as a citation
