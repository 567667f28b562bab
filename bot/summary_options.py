"""How summaries are made beyond the offline default, as the operator configured: sentence
embeddings for themes, prose from a language model.

Kept apart from the handlers that use them: each turn carries them (`turn.summary_options`),
and the handlers import `bot.turn`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.abstractive import Writer
from bot.embeddings import Embedder
from bot.settings import Settings
from consultations.themes import Embed


@dataclass(frozen=True)
class SummaryOptions:
    """How summaries are made beyond the offline TF-IDF default, as the operator configured.

    The dispatcher hands them to each turn as `turn.summary_options`; a turn without them
    summarises with TF-IDF themes and no abstractive prose.
    """

    embedder: Embedder | None = None
    writer: Writer | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SummaryOptions:
        return cls(
            embedder=Embedder() if settings.embeddings else None,
            writer=Writer.from_settings(settings),
        )

    def embed(self) -> tuple[Embed | None, str | None]:
        """The embedding function to use, or None and why not, where one was configured."""
        if self.embedder is None:
            return None, None
        if self.embedder.ready():
            return self.embedder, None
        return None, self.embedder.failure


DEFAULT_SUMMARY_OPTIONS = SummaryOptions()
