"""A round in Pol.is's open-data layout, and a Pol.is export read back (CC BY 4.0 data,
see tests/polis.py): what the field's own analysers read, they read from us."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from bot.app import SetupError
from bot.offline import export_polis, import_polis
from storage.records import Store
from tests import polis
from tests.exports.played import SECRETARIAT, Played

BG2050 = "bg2050-volunteers"


def consensus_of(export: polis.PolisExport) -> dict[int, float]:
    """Per comment, the group-informed consensus, computed from the votes as Pol.is does."""
    from consultations.summary import summarise

    shaped = polis.as_statements(export)
    summary = summarise(
        shaped.paragraphs, shaped.inputs, shaped.groups, shaped.participation, themes=None
    )
    return {int(p.paragraph.uid[1:]): p.consensus for p in summary.paragraphs}


def test_a_polis_conversation_imported_then_exported_keeps_its_consensus(
    sqlite_store: Store, tmp_path: Path
) -> None:
    try:
        original = polis.load_export(BG2050)
    except FileNotFoundError as missing:
        pytest.fail(str(missing), pytrace=False)
    consultation, read = import_polis(sqlite_store, polis.POLIS_DATA / BG2050)
    assert read.startswith(f"{len(original.comments)} comments as paragraphs")

    name, files = export_polis(sqlite_store, consultation)
    assert sorted(files) == sorted(
        ["comments.csv", "votes.csv", "participants-votes.csv", "summary.csv"]
    )
    assert name.endswith("-polis-round-1") and "-v1-" in name
    (tmp_path / name).mkdir()
    for filename, content in files.items():
        (tmp_path / name / filename).write_bytes(content)
    exported = polis.load_export(name, root=tmp_path)  # also checks votes.csv against the matrix

    # Comment ids are the paragraph numbers from 0, in the order of the original ids.
    renumbered = {new: old for new, old in enumerate(sorted(original.comments))}
    assert {renumbered[i]: c.text for i, c in exported.comments.items()} == {
        i: c.text for i, c in original.comments.items()
    }
    theirs = {c.id: c.group_informed_consensus for c in original.comments.values()}
    ours = {renumbered[i]: value for i, value in consensus_of(exported).items()}
    assert ours == pytest.approx(theirs, abs=1e-9)
    # and the consensus the summary wrote in comments.csv is Pol.is's own
    written = {renumbered[i]: c.group_informed_consensus for i, c in exported.comments.items()}
    assert written == pytest.approx(theirs, abs=1e-9)
    # the same people in the same groups, with the same latest votes
    assert sorted(map(len, exported.votes.values())) == sorted(map(len, original.votes.values()))
    assert sorted(exported.groups.values(), key=str) == sorted(original.groups.values(), key=str)


def test_a_folder_that_is_not_a_polis_export_is_refused_with_what_is_missing(
    sqlite_store: Store, tmp_path: Path
) -> None:
    (tmp_path / "comments.csv").write_text("comment-id,comment-body\n0,Hello\n")
    with pytest.raises(SetupError, match=r"missing votes\.csv, participants-votes\.csv"):
        import_polis(sqlite_store, tmp_path)
    with pytest.raises(SetupError, match="is not a folder"):
        import_polis(sqlite_store, tmp_path / "nowhere")


async def test_the_secretariat_gets_a_round_as_a_polis_folder_in_a_zip(played: Played) -> None:
    chat = played.chat
    await chat.say(SECRETARIAT, "/export polis")
    sent = chat.files(SECRETARIAT)[-1]
    assert sent.filename.startswith("spyware-statement-v2-") and sent.filename.endswith(
        "-polis-round-2.zip"
    )
    with zipfile.ZipFile(io.BytesIO(sent.data)) as archive:
        files = {Path(n).name: archive.read(n).decode() for n in archive.namelist()}
    assert sorted(files) == ["comments.csv", "participants-votes.csv", "summary.csv", "votes.csv"]
    summary = dict(row for row in csv.reader(io.StringIO(files["summary.csv"])) if len(row) == 2)
    assert summary["topic"] == "Spyware statement"
    groups = {v: k for k, v in summary.items() if k.startswith("group-")}
    participants = list(csv.DictReader(io.StringIO(files["participants-votes.csv"])))
    # round 2: two supports on paragraph 2, by government and civil society
    assert sorted(p["group-id"] for p in participants if p["n-votes"] != "0") == sorted(
        [
            groups["Government"].removeprefix("group-"),
            groups["Civil society"].removeprefix("group-"),
        ]
    )
    assert all(p["1"] == "1" for p in participants if p["n-votes"] != "0")
    # no name, organisation or platform id in any file
    for text in files.values():
        for name in ("Quinta", "Rurik", "Xiomara", "memory:"):
            assert name not in text

    await chat.say(SECRETARIAT, "/export polis 1")
    with zipfile.ZipFile(io.BytesIO(chat.files(SECRETARIAT)[-1].data)) as archive:
        votes = next(
            archive.read(n).decode() for n in archive.namelist() if n.endswith("/votes.csv")
        )
    rows = list(csv.DictReader(io.StringIO(votes)))
    assert len(rows) == 6  # round 1: six stances, one of them changed afterwards
    changed = [r["vote"] for r in rows if r["comment-id"] == "1" and r["vote"] == "1"]
    assert changed == ["1"]  # the private sector's support on paragraph 2, then its oppose
    by_voter: dict[str, list[str]] = {}
    for r in rows:
        if r["comment-id"] == "1":
            by_voter.setdefault(r["voter-id"], []).append(r["vote"])
    assert sorted(by_voter.values()) == [["-1"], ["1", "-1"]]
    await chat.say(SECRETARIAT, "/export polis 9")
    assert "No round was held on version 9" in chat.last(SECRETARIAT)
