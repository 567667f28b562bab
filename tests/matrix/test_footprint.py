"""What `consultbot run` loads before anyone asks for a summary, an export or a migration.

Every worker pays in resident memory for each library it imports (bench/matrix_memory.py
measures it, goal: 120 MB idle with both adapters). Libraries only some commands need are
loaded by those commands: a new import at the top of a module on the run path shows here.
No homeserver is needed: the bot is built with both adapters configured, not started.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from storage.engine import make_engine, upgrade

# Summaries and themes (numpy, scikit-learn, scipy, embeddings), Word files (python-docx,
# lxml), the HTML report's checks (jinja2, playwright), migrations (Alembic, Mako),
# translations and dates (Babel), a PostgreSQL driver on SQLite (psycopg, via nio's peewee).
ON_DEMAND = (
    "numpy",
    "sklearn",
    "scipy",
    "torch",
    "sentence_transformers",
    "docx",
    "lxml",
    "jinja2",
    "playwright",
    "alembic",
    "mako",
    "babel",
    "psycopg",
    "psycopg2",
)

PROBE = f"""
import sys
from bot.cli import load_configuration
from bot.app import build
import bot.scheduler

configuration = load_configuration()
dispatcher = build(configuration.core, configuration.adapters())
assert sorted(dispatcher.adapters) == ["matrix", "telegram"], dispatcher.adapters
print(" ".join(sorted({{name.split(".")[0] for name in sys.modules}} & set({ON_DEMAND!r}))))
"""


def test_an_idle_bot_with_both_adapters_loads_nothing_it_does_not_need(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'consultbot.db'}"
    engine = make_engine(database)
    upgrade(engine)  # a restart: the schema is current
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
    env.update(
        {
            "CONSULTBOT_DATABASE_URL": database,
            "CONSULTBOT_DATA_DIR": str(tmp_path / "data"),
            "CONSULTBOT_TELEGRAM_TOKEN": "123456:loopback",
            "CONSULTBOT_TELEGRAM_API_URL": "http://127.0.0.1:9/bot",
            "CONSULTBOT_MATRIX_HOMESERVER": "http://127.0.0.1:9",
            "CONSULTBOT_MATRIX_USER_ID": "@consultbot:localhost",
            "CONSULTBOT_MATRIX_PASSWORD": "unused",
            "CONSULTBOT_MATRIX_STORE_PATH": str(tmp_path / "store"),
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []
