"""Languages: the catalogs and conversations in English, French and Spanish (issue 9)."""

from __future__ import annotations

import sys
from pathlib import Path

# tests/conversation, for the shared set-ups in scenario.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conversation"))
