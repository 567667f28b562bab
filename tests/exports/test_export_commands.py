"""Asking for an export: in chat (secretariat and facilitators only) and on the command line."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest

from bot.handlers import reading
from tests.exports.played import FACILITATOR, SECRETARIAT, Played

EXE = shutil.which("consultbot") or str(Path(sys.executable).with_name("consultbot"))


@pytest.mark.parametrize(
    ("command", "suffix", "media_type", "starts"),
    [
        ("/export docx", "-v2.docx", "wordprocessingml.document", b"PK"),
        ("/export word 1", "-v1.docx", "wordprocessingml.document", b"PK"),
        ("/export html", "-v2.html", "text/html", b"<!DOCTYPE html>"),
        ("/export csv 2", "-v2.csv", "text/csv", b"\xef\xbb\xbfid,round"),
        ("/export json", "-v2.json", "application/json", b'{\n "schema": "consultbot.record/2"'),
        ("/export md", "-v2.md", "text/markdown", b"# Spyware statement"),
    ],
)
async def test_the_secretariat_gets_the_file(
    played: Played, command: str, suffix: str, media_type: str, starts: bytes
) -> None:
    chat = played.chat
    await chat.say(SECRETARIAT, command)
    files = chat.files(SECRETARIAT)
    assert len(files) == 1, chat.messages(SECRETARIAT)
    sent = files[0]
    number, extension = suffix.removeprefix("-v").split(".")
    date = played.record().versions[int(number) - 1].created_at.strftime("%Y-%m-%d")
    assert sent.filename == f"spyware-statement-v{number}-{date}.{extension}"
    assert media_type in sent.media_type and sent.data.startswith(starts)
    assert f"Here is {sent.filename}" in chat.last(SECRETARIAT)


async def test_an_earlier_version_is_that_version_with_its_changes(played: Played) -> None:
    chat = played.chat
    await chat.say(FACILITATOR, "/export docx 1")
    document = docx.Document(io.BytesIO(chat.files(FACILITATOR)[0].data))
    assert "Draft position, version 1" in [p.text for p in document.paragraphs]
    await chat.say(FACILITATOR, "/export json 9")
    assert "There is no version 9; the latest is version 2." in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/export pdf")
    assert "not an export format" in chat.last(FACILITATOR)
    assert "docx, html, csv, json, markdown" in chat.last(FACILITATOR)
    assert len(chat.files(FACILITATOR)) == 1


async def test_a_record_too_large_for_a_chat_comes_zipped_or_is_refused_with_the_ways_to_get_it(
    played: Played, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram carries a bot's files up to 50 MB; a large consultation's JSON is more. The
    limits are lowered here to this small record's size, to see both answers."""
    chat = played.chat
    await chat.say(SECRETARIAT, "/export json")
    whole = chat.files(SECRETARIAT)[0]
    monkeypatch.setattr(reading, "ZIP_ABOVE", len(whole.data) - 1)

    await chat.say(SECRETARIAT, "/export json")
    sent = chat.files(SECRETARIAT)[-1]
    assert sent.filename == f"{whole.filename}.zip" and sent.media_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(sent.data)) as archive:
        assert archive.namelist() == [whole.filename]
        assert archive.read(whole.filename) == whole.data  # the same record, whole
    said = chat.last(SECRETARIAT)
    assert f"Here is {sent.filename}" in said and f"open the zip to find {whole.filename}" in said

    monkeypatch.setattr(reading, "CHAT_FILE_LIMIT", len(sent.data) - 1)
    await chat.say(SECRETARIAT, "/export json")
    assert len(chat.files(SECRETARIAT)) == 2  # no third file
    refusal = chat.last(SECRETARIAT)
    assert "even zipped, more than a chat can carry" in refusal
    assert "consultbot export --consultation 1 --format json -o FILE" in refusal


async def test_a_stakeholder_may_not_export(played: Played) -> None:
    chat = played.chat
    for command in ("/export docx", "/export csv", "/export json 1"):
        await chat.say("quinta", command)
        assert "not allowed" in chat.last("quinta"), chat.last("quinta")
    assert chat.files("quinta") == []


def consultbot(*args: str, database: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
    environment |= {
        "CONSULTBOT_DATABASE_URL": f"sqlite:///{database}",
        "CONSULTBOT_DATA_DIR": str(cwd / "data"),
        "COLUMNS": "200",
    }
    return subprocess.run(
        [EXE, *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=environment
    )


async def test_the_command_line_exports_every_format_and_version(
    played: Played, tmp_path: Path
) -> None:
    database = tmp_path / "consultbot.db"  # the store the conversation was played on
    assert database.exists()
    for fmt, version in (("docx", "1"), ("html", None), ("csv", None), ("json", "2")):
        out = tmp_path / f"out.{fmt}"
        args = ["export", "--consultation", "1", "--format", fmt, "-o", str(out)]
        if version:
            args += ["--version", version]
        result = consultbot(*args, database=database, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert f"Wrote {out}" in result.stderr
        assert out.stat().st_size > 1000
    document = json.loads((tmp_path / "out.json").read_text())
    assert [v["number"] for v in document["versions"]] == [1, 2]
    first = docx.Document(str(tmp_path / "out.docx"))
    assert "Draft position, version 1" in [p.text for p in first.paragraphs]

    missing = consultbot(
        "export", "--consultation", "1", "--format", "json", "--version", "5",
        database=database, cwd=tmp_path,
    )  # fmt: skip
    assert missing.returncode == 2 and "There is no version 5" in missing.stderr
    assert "Traceback" not in missing.stderr
