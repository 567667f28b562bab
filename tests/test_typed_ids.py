"""Each kind of id is its own type (consultations/ids.py): mypy, as the gates run it,
refuses a round's id where a person's is expected, from a variable or from a row."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MIXED_UP = """\
from bot.events import ChatId
from consultations.ids import PersonId, RoundId
from storage.records import Records
from storage.tables import Submission


def review_ended(records: Records, person: PersonId, round_: RoundId, seen: Submission) -> None:
    records.dialogs.clear(person, ChatId("memory:ana"))
    records.dialogs.clear(round_, ChatId("memory:ana"))  # line 9: a round for a person
    records.submissions.responders(seen.round_id)
    records.people.person(seen.round_id)  # line 11: a row's round for a person
"""


def test_mypy_refuses_an_id_of_another_kind(tmp_path: Path) -> None:
    snippet = tmp_path / "mixed_up.py"
    snippet.write_text(MIXED_UP)
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            str(snippet),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in errors] == ["9", "11"], checked.stdout
    assert all('incompatible type "RoundId"; expected "PersonId"' in line for line in errors)
