"""The `consultbot` command line, run as a person would run it: as a real process."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXE = shutil.which("consultbot") or str(Path(sys.executable).with_name("consultbot"))


def consultbot(
    *args: str, tmp_path: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
    environment |= {"CONSULTBOT_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200", **env}
    return subprocess.run(
        [EXE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=environment,
    )


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = consultbot("--help", tmp_path=tmp_path)
    assert result.returncode == 0
    for command in ("run", "chat", "demo", "export", "db", "invite"):
        assert command in result.stdout


def test_demo_runs_a_whole_consultation_and_leaves_the_record(tmp_path: Path) -> None:
    result = consultbot("demo", "--quiet", "--out", str(tmp_path / "record"), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Version 2 published with 3 accepted amendments" in result.stdout
    assert "[clear → substantial]" in result.stdout
    # the facilitator's digest: common ground and disputes, never the same paragraph in both
    summary = " ".join(result.stdout.replace("│", " ").split())
    common = re.search(r"Common ground, keep as it is \(\d\): ((?:¶\d(?:, )?)+)", summary)
    assert common, summary
    disputed = set(re.findall(r"(¶\d) (?:groups divided|contested|opposed by every)", summary))
    assert disputed and not set(common.group(1).split(", ")) & disputed
    assert str(tmp_path / "record") in result.stdout
    exported = list((tmp_path / "record").glob("*-v2-*.md"))
    assert len(exported) == 1
    record = exported[0].read_text()
    assert "Draft position, version 2" in record and "Decisions on amendments" in record
    assert "**rejected** — It turns a commitment" in record

    # the secretariat exports the same record again from the command line
    database = f"sqlite:///{tmp_path / 'record' / 'demo.db'}"
    out = tmp_path / "again.md"
    again = consultbot(
        "export",
        "--consultation",
        "1",
        "-o",
        str(out),
        tmp_path=tmp_path,
        CONSULTBOT_DATABASE_URL=database,
    )
    assert again.returncode == 0, again.stderr
    assert "Draft position, version 2" in out.read_text()

    # Without -o, into the exports folder of the data directory, named by title, version
    # and date; never over an earlier file, and saying so.
    def export(*args: str) -> subprocess.CompletedProcess[str]:
        return consultbot(
            "export",
            "--consultation",
            "1",
            *args,
            tmp_path=tmp_path,
            CONSULTBOT_DATABASE_URL=database,
        )

    first, second = export("-f", "docx"), export("-f", "docx")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    folder = tmp_path / "data" / "exports"
    names = sorted((p.name for p in folder.iterdir()), key=len)
    assert len(names) == 2 and re.fullmatch(r"[a-z0-9-]+-v2-\d{4}-\d\d-\d\d\.docx", names[0])
    assert names[1] == names[0].replace(".docx", "-2.docx")
    assert "already exists and was left as it was" in " ".join(second.stderr.split())
    assert export("-o", str(out)).returncode == 0
    assert (tmp_path / "again-2.md").exists() and "Draft position" in out.read_text()


def test_run_without_any_platform_says_what_to_set(tmp_path: Path) -> None:
    result = consultbot("run", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "CONSULTBOT_TELEGRAM_TOKEN" in result.stderr and "consultbot demo" in result.stderr


def test_bad_configuration_is_reported_not_a_traceback(tmp_path: Path) -> None:
    result = consultbot("run", tmp_path=tmp_path, CONSULTBOT_ADMINS="alice")
    assert result.returncode == 2
    assert "Configuration error" in result.stderr and "not a platform id" in result.stderr
    assert "Traceback" not in result.stderr


def test_each_platforms_settings_are_checked_at_start_from_the_file_too(tmp_path: Path) -> None:
    config = tmp_path / "consultbot.toml"
    config.write_text('matrix_homeserver = "http://127.0.0.1:9"\nmatrix_user_id = "@bot:x"\n')
    result = consultbot(
        "run",
        tmp_path=tmp_path,
        CONSULTBOT_CONFIG=str(config),
        CONSULTBOT_TELEGRAM_WEBHOOK_PORT="70000",
    )
    assert result.returncode == 2
    assert "CONSULTBOT_MATRIX_PASSWORD or CONSULTBOT_MATRIX_ACCESS_TOKEN" in result.stderr
    assert "Configuration error in telegram_webhook_port" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_and_invite_from_the_command_line(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'ops.db'}"
    assert (
        consultbot("db", "upgrade", tmp_path=tmp_path, CONSULTBOT_DATABASE_URL=database).returncode
        == 0
    )
    missing = consultbot(
        "invite",
        "--consultation",
        "7",
        "facilitator",
        tmp_path=tmp_path,
        CONSULTBOT_DATABASE_URL=database,
    )
    assert missing.returncode == 2 and "no consultation 7" in missing.stderr


def test_the_console_plays_facilitator_and_stakeholder(tmp_path: Path) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text("# A statement\n\nFirst paragraph.\n\nSecond paragraph.\n")
    script = "\n".join(
        [
            "/new Console statement",
            f":file {draft}",
            "/invite government",
            "/export md",
            "/export md",
            ":quit",
        ]
    )
    first = consultbot("chat", tmp_path=tmp_path, stdin=script + "\n")
    assert first.returncode == 0, first.stderr
    assert "loaded with 2 paragraphs" in first.stdout
    # exports go to the data directory's exports folder, the second beside the first
    saved = sorted(
        (tmp_path / "data" / "exports").glob("console-statement-v1-*.md"), key=lambda p: len(p.name)
    )
    assert [p.name.endswith("-2.md") for p in saved] == [False, True], first.stdout
    assert f"{saved[0].name} was already there" in " ".join(first.stdout.split())
    code = next(
        line.strip()
        for line in first.stdout.splitlines()
        if len(line.strip()) >= 20
        and " " not in line.strip()
        and not line.startswith(("facilitator>", "http"))
    )
    second = consultbot(
        "chat",
        tmp_path=tmp_path,
        stdin="\n".join(
            [
                "/round open 1d",
                ":as ana",
                f"/start {code}",
                "Ana Org",
                "/review",
                "1",
                "/mine",
                ":quit",
            ]
        )
        + "\n",
    )
    assert second.returncode == 0, second.stderr
    assert "Round 1 is open" in second.stdout
    assert "Reply with a number" in second.stdout
    assert "paragraph 1 · support" in second.stdout


@pytest.mark.parametrize("args", [("export", "--consultation", "1", "--format", "pdf")])
def test_export_of_an_unknown_format_is_refused(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = consultbot(*args, tmp_path=tmp_path)
    assert result.returncode == 2 and "not an export format" in result.stderr


def test_audit_verify_finds_tampering(tmp_path: Path) -> None:
    import sqlite3

    result = consultbot("demo", "--quiet", "--out", str(tmp_path / "record"), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    database = f"sqlite:///{tmp_path / 'record' / 'demo.db'}"
    intact = consultbot("audit", "verify", tmp_path=tmp_path, CONSULTBOT_DATABASE_URL=database)
    assert intact.returncode == 0 and "intact" in intact.stdout
    shown = consultbot("audit", "show", tmp_path=tmp_path, CONSULTBOT_DATABASE_URL=database)
    assert "amendment.rejected" in shown.stdout and "gustav" not in shown.stdout.lower()
    with sqlite3.connect(tmp_path / "record" / "demo.db") as db:
        db.execute(
            "UPDATE audit_event SET action = 'amendment.accepted'"
            " WHERE action = 'amendment.rejected'"
        )
    broken = consultbot("audit", "verify", tmp_path=tmp_path, CONSULTBOT_DATABASE_URL=database)
    assert broken.returncode == 1 and "broken at event" in broken.stderr


def test_a_polis_export_imported_and_exported_again_from_the_command_line(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "polis"
    imported = consultbot("import", "polis", str(source / "brexit-consensus"), tmp_path=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert (
        "Consultation 1 created" in imported.stdout
        and "50 comments as paragraphs" in imported.stdout
    )
    exported = consultbot("export", "--consultation", "1", "--format", "polis", tmp_path=tmp_path)
    assert exported.returncode == 0, exported.stderr
    (folder,) = (tmp_path / "data" / "exports").iterdir()
    assert folder.name.startswith("can-there-be-consensus-on-brexit-v1-")
    assert sorted(p.name for p in folder.iterdir()) == [
        "comments.csv",
        "participants-votes.csv",
        "summary.csv",
        "votes.csv",
    ]
    refused = consultbot("import", "polis", str(tmp_path), tmp_path=tmp_path)
    assert refused.returncode == 2 and "is not a Pol.is export" in refused.stderr


def test_a_second_process_on_one_sqlite_database_is_refused(tmp_path: Path) -> None:
    from storage.engine import hold_database, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'consultbot.db'}")
    lock = hold_database(engine)  # as a running `consultbot run` holds it
    try:
        second = consultbot("chat", tmp_path=tmp_path, stdin=":quit\n")
        said = " ".join(second.stderr.split())
        assert second.returncode == 2 and "Traceback" not in said
        assert "already serving" in said and "stop it first" in said
        assert f"process {os.getpid()}" in said
    finally:
        assert lock is not None
        lock.close()
        engine.dispose()
    again = consultbot("chat", tmp_path=tmp_path, stdin=":quit\n")  # released: it starts
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_saved_audit_head_shows_events_cut_off_or_a_rebuilt_trail(tmp_path: Path) -> None:
    import sqlite3

    from storage.audit import GENESIS_HASH, audit_hash

    result = consultbot("demo", "--quiet", "--out", str(tmp_path / "record"), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "record" / "demo.db"
    database = f"sqlite:///{path}"
    intact = consultbot("audit", "verify", tmp_path=tmp_path, CONSULTBOT_DATABASE_URL=database)
    head = re.search(r"Head: (\d+:[0-9a-f]{64})", intact.stdout)
    assert intact.returncode == 0 and head, intact.stdout
    exported = consultbot(
        "export", "--consultation", "1", "--format", "json", "--output", str(tmp_path / "r.json"),
        tmp_path=tmp_path, CONSULTBOT_DATABASE_URL=database,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert f"Head: {head.group(1)}" in " ".join(exported.stderr.split())

    def verify() -> subprocess.CompletedProcess[str]:
        return consultbot(
            "audit", "verify", "--head", head.group(1),
            tmp_path=tmp_path, CONSULTBOT_DATABASE_URL=database,
        )  # fmt: skip

    assert verify().returncode == 0
    with sqlite3.connect(path) as db:  # the newest events deleted: the chain still links
        db.execute("DELETE FROM audit_event WHERE id > (SELECT max(id) - 2 FROM audit_event)")
    alone = consultbot("audit", "verify", tmp_path=tmp_path, CONSULTBOT_DATABASE_URL=database)
    assert alone.returncode == 0  # what the chain alone cannot see
    cut = verify()
    assert cut.returncode == 1 and "does not grow from head" in " ".join(cut.stderr.split())

    with sqlite3.connect(path) as db:  # all of it rebuilt, one event left out
        rows = db.execute(
            "SELECT id, at, consultation_id, actor, action, detail FROM audit_event ORDER BY id"
        ).fetchall()
        db.execute("DELETE FROM audit_event")
        previous = GENESIS_HASH
        for id_, at, consultation_id, actor, action, detail in rows[:2] + rows[3:]:
            from datetime import UTC, datetime

            when = datetime.fromisoformat(at).replace(tzinfo=UTC)  # stored as UTC
            digest = audit_hash(previous, when, consultation_id, actor, action, json.loads(detail))
            db.execute(
                "INSERT INTO audit_event (id, at, consultation_id, actor, action, detail,"
                " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (id_, at, consultation_id, actor, action, detail, previous, digest),
            )
            previous = digest
    rebuilt = consultbot("audit", "verify", tmp_path=tmp_path, CONSULTBOT_DATABASE_URL=database)
    assert rebuilt.returncode == 0, rebuilt.stderr  # the rebuilt chain links up
    assert verify().returncode == 1
