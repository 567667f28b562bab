"""Exports give the draft back as the document it is: its title, headings, numbered
paragraphs and notes in their places, in Word, HTML, Markdown and JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
import jsonschema

from adapters.memory import MemoryAdapter
from bot.events import Attachment
from tests.conversation.scenario import FACILITATOR
from tests.statements import FOC_BACKGROUND, FOC_MARKDOWN, FOC_TITLE

SCHEMA_FILE = Path(__file__).parents[2] / "docs" / "export-schema.json"


async def exported(chat: MemoryAdapter, fmt: str) -> bytes:
    await chat.say(FACILITATOR, f"/export {fmt}")
    return chat.files(FACILITATOR)[-1].data


async def test_the_foc_statement_exports_with_its_headings_and_notes(chat: MemoryAdapter) -> None:
    await chat.say(FACILITATOR, "/new FOC statement")
    await chat.say(FACILITATOR, "", attachment=Attachment("foc.md", FOC_MARKDOWN.encode()))

    word = docx.Document(io.BytesIO(await exported(chat, "docx")))
    styled = [(p.style.name, p.text) for p in word.paragraphs if p.text]
    assert ("Title", "FOC statement") in styled
    assert ("Subtitle", FOC_TITLE) in styled
    assert ("Heading 2", FOC_BACKGROUND) in styled
    texts = [text for _, text in styled]
    first = texts.index(next(t for t in texts if t.startswith("1. The Freedom Online")))
    background = texts.index(FOC_BACKGROUND)
    assert texts.index("October 2014") < first < background  # the date where it was
    assert texts[background + 1].startswith("5. The Freedom Online Coalition is a cross")
    assert texts[background + 5 : background + 7] == [
        "www.freedomonlinecoalition.com",
        "twitter.com/FO_Coalition",
    ]

    html = (await exported(chat, "html")).decode()
    assert f"<h3>{FOC_BACKGROUND}</h3>" in html
    assert '<ol class="draft"><li value="5">' in html  # numbering goes on after a heading
    assert '<a href="https://twitter.com/FO_Coalition">twitter.com/FO_Coalition</a>' in html
    assert '<p class="note date">October 2014</p>' in html

    markdown = (await exported(chat, "markdown")).decode()
    assert f"\n### {FOC_BACKGROUND}\n\n5. The Freedom Online Coalition" in markdown
    assert "_[twitter.com/FO_Coalition](https://twitter.com/FO_Coalition)_" in markdown

    record = json.loads(await exported(chat, "json"))
    jsonschema.validate(record, json.loads(SCHEMA_FILE.read_text()))
    [version] = record["versions"]
    assert [(s["uid"], s["heading"]) for s in version["sections"]] == [
        ("s0", None),
        ("s1", FOC_BACKGROUND),
    ]
    assert version["sections"][0]["parts"] == ["n1", "p1", "p2", "p3", "p4"]
    assert [(n["uid"], n["kind"]) for n in version["notes"]] == [
        ("n1", "date"),
        ("n2", "link"),
        ("n3", "link"),
    ]
    assert version["paragraphs"][7]["links"] == [
        {"text": "http://www.digitaldefenders.org/", "url": "http://www.digitaldefenders.org/"}
    ]
