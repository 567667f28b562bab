"""A Word file that is valid but costly to read: refused early, read apart from everyone
else's replies, in a child process that is stopped when it takes too long or too much."""

from __future__ import annotations

import asyncio
import io
import random
import threading
import zipfile

import pytest

from adapters.memory import MemoryAdapter
from bot import dispatcher as dispatcher_module
from bot.events import Attachment
from bot.isolation import TOO_LARGE, parse_isolated
from consultations.errors import UnreadableDraftFile
from consultations.word import MAX_DOCX_PARAGRAPHS
from tests.conversation.scenario import FACILITATOR, open_round
from tests.hostile.corpus import docx_bytes

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def paragraph_flood(count: int) -> bytes:
    """A real .docx whose body is `count` short paragraphs of varied text: small, under
    every size and compression limit, and costly to build into a tree."""
    rng = random.Random(count)
    words = "".join(
        f"<w:p><w:r><w:t>{rng.getrandbits(40):x}</w:t></w:r></w:p>" for _ in range(count)
    )
    body = f"<?xml version='1.0'?><w:document {W}><w:body>{words}</w:body></w:document>"
    source = zipfile.ZipFile(io.BytesIO(docx_bytes("Placeholder.")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = body.encode() if item.filename == "word/document.xml" else source.read(item)
            archive.writestr(item.filename, data)
    return out.getvalue()


async def test_a_paragraph_flood_is_refused_before_it_is_read(chat: MemoryAdapter) -> None:
    flood = paragraph_flood(MAX_DOCX_PARAGRAPHS + 5_000)
    assert len(flood) < 2_000_000
    await chat.say(FACILITATOR, "/new Flooded")
    await chat.say(FACILITATOR, "", attachment=Attachment("flood.docx", flood))
    said = "\n".join(chat.take(FACILITATOR))
    assert f"more than {MAX_DOCX_PARAGRAPHS:,} paragraphs" in said
    await chat.say(FACILITATOR, "", attachment=Attachment("ok.docx", docx_bytes("One.", "Two.")))
    assert "loaded with 2 paragraphs" in chat.last(FACILITATOR)


async def test_a_word_file_being_read_holds_up_nobody_else(
    chat: MemoryAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    await open_round(chat, {"ana": "government"})
    reading, release = threading.Event(), threading.Event()
    real = dispatcher_module.parse_isolated

    def slow(filename: str, data: bytes) -> object:
        reading.set()
        release.wait(timeout=60)
        return real(filename, data)

    monkeypatch.setattr(dispatcher_module, "parse_isolated", slow)
    await chat.say(FACILITATOR, "/new Second statement")
    upload = asyncio.ensure_future(
        chat.say(FACILITATOR, "", attachment=Attachment("d.docx", docx_bytes("A.", "B.")))
    )
    await asyncio.to_thread(reading.wait, 60)
    await chat.say("ana", "/comment 1 Answered while a Word file is read.")
    assert "Recorded" in chat.last("ana") and not upload.done()
    release.set()
    await upload
    assert "loaded with 2 paragraphs" in chat.last(FACILITATOR)


def test_the_reader_is_stopped_past_its_time_or_its_memory() -> None:
    draft = docx_bytes("First paragraph.", "Second paragraph.")
    document = parse_isolated("d.docx", draft)
    assert [p.text for p in document.paragraphs] == ["First paragraph.", "Second paragraph."]
    with pytest.raises(UnreadableDraftFile) as slow:
        parse_isolated("d.docx", draft, seconds=0.001)
    assert "took more than" in slow.value.values["reason"]
    with pytest.raises(UnreadableDraftFile) as large:
        parse_isolated("d.docx", paragraph_flood(15_000), memory=1024 * 1024)
    assert large.value.values["reason"] == TOO_LARGE
