"""Themes: comments gathered by what they are about, labelled, quoted verbatim."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from consultations.languages import Words
from consultations.model import DEFAULT_GROUPS, Kind
from consultations.summary import Input, Paragraph, Participation, summarise
from consultations.themes import (
    Comment,
    Method,
    Terms,
    ThemeOptions,
    find_themes,
    gather_by_section,
)

LICENCES = [
    "Export licences must be refused where surveillance tools reach abusive governments.",
    "Licences for surveillance exports need a public register of every licence granted.",
    "Refuse export licences to governments that target journalists with surveillance.",
    "Every export licence for surveillance technology should be reviewed after a year.",
    "A surveillance export licence should name the end user and the purpose.",
    "Export licences for surveillance should lapse if the end user changes.",
]
DUE_DILIGENCE = [
    "Companies should carry out human rights due diligence before every sale.",
    "Human rights due diligence must cover resellers and the whole supply chain.",
    "Due diligence reports by companies should be published, not kept private.",
    "Small companies need guidance on human rights due diligence, not only rules.",
    "Human rights due diligence should continue after the sale, with audits.",
]


def _comments(texts: Sequence[str], group: str = "civil-society", start: int = 1) -> list[Comment]:
    return [Comment(i, text, group, f"a member of {group}") for i, text in enumerate(texts, start)]


def test_too_few_comments_are_left_as_they_are() -> None:
    assert find_themes(_comments(LICENCES[:4])) == ()
    assert find_themes([]) == ()


def test_two_subjects_make_two_labelled_themes_with_verbatim_quotes() -> None:
    comments = _comments(LICENCES, "civil-society") + _comments(DUE_DILIGENCE, "government", 100)
    themes = find_themes(comments)
    assert len(themes) == 2
    by_label = {t.label: t for t in themes}
    licences = next(t for label, t in by_label.items() if "licence" in label)
    diligence = next(t for label, t in by_label.items() if "diligence" in label)
    assert set(licences.ids) == set(range(1, 7))
    assert set(diligence.ids) == set(range(100, 105))
    assert dict(licences.groups) == {"civil-society": 6}
    assert dict(diligence.groups) == {"government": 5}
    texts = {c.id: c.text for c in comments}
    for theme in themes:
        assert 1 <= len(theme.quotes) <= 2
        for quote in theme.quotes:
            assert quote.text == texts[quote.id]
            assert quote.author == f"a member of {quote.group_key}"
    assert themes[0].size >= themes[1].size  # largest first


def test_labels_leave_out_consultation_boilerplate() -> None:
    boilerplate = [f"We should support this paragraph of the statement: {t}" for t in LICENCES]
    for theme in find_themes(_comments(boilerplate) + _comments(DUE_DILIGENCE, start=50)):
        assert not {"paragraph", "statement", "support", "should", "we"} & set(
            " ".join(theme.keywords).split()
        )


def test_a_word_pair_stands_in_for_its_words() -> None:
    themes = find_themes(_comments(DUE_DILIGENCE) + _comments(LICENCES, start=20))
    diligence = next(t for t in themes if any("diligence" in k for k in t.keywords))
    assert "due diligence" in diligence.keywords or "rights due" not in diligence.keywords
    assert "diligence" not in diligence.keywords or "due diligence" not in diligence.keywords


def test_terms_never_bridge_a_stop_word_and_keep_hyphenated_words() -> None:
    terms = Terms(Words("en"))
    result = terms("Representation will reduce decision-making costs; we don't agree, NZ's view")
    assert "represent reduc" not in result  # stems of "representation reduce"
    written = {terms.as_written(t) for t in result}
    assert "decision-making" in written and "decision-making costs" in written
    assert "don't" not in written and "don" not in written and "nz" in written


def test_support_reranks_the_quotes_nearest_the_centre() -> None:
    same = "Export licences for surveillance technology must be refused to abusive governments."
    comments = [Comment(i, same, "government", "g", support=i) for i in range(1, 5)]
    comments += _comments(LICENCES[:2], start=10) + _comments(DUE_DILIGENCE, start=100)
    themes = find_themes(comments, options=ThemeOptions(quotes=2, candidates=4))
    (licences,) = [t for t in themes if 4 in t.ids]
    assert licences.quotes[0].id == 4  # the most supported of the nearest
    assert [q.text for q in licences.quotes].count(same) == 1  # the same text is quoted once


def test_the_same_input_gives_the_same_themes() -> None:
    comments = _comments(LICENCES) + _comments(DUE_DILIGENCE, start=100)
    assert find_themes(comments) == find_themes(comments)


def _topic_vectors(texts: Sequence[str]) -> np.ndarray:
    """A stand-in for a sentence model: one axis per subject, a little noise."""
    rng = np.random.default_rng(0)
    rows = [[1.0, 0.0] if "licen" in t.lower() else [0.0, 1.0] for t in texts]
    return np.asarray(rows) + rng.normal(0, 0.05, (len(texts), 2))


def test_embeddings_gather_by_meaning_and_are_called_once_per_summary() -> None:
    calls: list[int] = []

    def embed(texts: Sequence[str]) -> np.ndarray:
        calls.append(len(texts))
        return _topic_vectors(texts)

    sections = {
        "p1": _comments(LICENCES) + _comments(DUE_DILIGENCE, start=100),
        "p2": _comments(DUE_DILIGENCE, start=200) + _comments(LICENCES, start=300),
        "p3": _comments(LICENCES[:2], start=400),  # too few: not embedded at all
    }
    found = gather_by_section(sections, embed=embed)
    assert calls == [22]
    assert found["p3"].themes == ()
    assert [p.text for p in found["p3"].points] == LICENCES[:2]  # listed as they are
    for key in ("p1", "p2"):
        assert sorted(t.size for t in found[key].themes) == [5, 6]
        licences = next(t for t in found[key].themes if t.size == 6)
        assert any("licence" in k for k in licences.keywords)


def _input(id_: int, kind: Kind, group: str, text: str | None = None, target: int | None = None):
    return Input(id_, "p1", group, kind, text, f"a member of {group}", target)


def test_the_summary_carries_themes_endorsements_and_its_method() -> None:
    inputs = [_input(i, Kind.COMMENT, "civil-society", t) for i, t in enumerate(LICENCES, 1)] + [
        _input(100 + i, Kind.COMMENT, "government", t) for i, t in enumerate(DUE_DILIGENCE)
    ]
    inputs += [
        _input(50, Kind.AMENDMENT, "government", "States must refuse surveillance exports."),
        _input(51, Kind.ENDORSEMENT, "civil-society", target=50),
        _input(52, Kind.ENDORSEMENT, "civil-society", target=50),
        _input(53, Kind.ENDORSEMENT, "government", target=50),
        _input(54, Kind.ENDORSEMENT, "government", target=3),
    ]
    invited = {"government": Participation(2, 3), "civil-society": Participation(3, 3)}
    summary = summarise([Paragraph("p1", 1, "Text.")], inputs, DEFAULT_GROUPS, invited)
    (p,) = summary.paragraphs
    assert summary.method is Method.TFIDF
    assert len(p.themes) == 2
    assert dict(p.support(50)) == {"civil-society": 2, "government": 1}
    assert dict(p.support(3)) == {"government": 1}
    assert p.support(4) == {}
    licences = next(t for t in p.themes if 3 in t.ids)
    assert next(q for q in licences.quotes if q.id == 3).support == 1
    assert summary.unheard == ()
    assert summary.submission_ids() >= {1, 50, 100}
    assert p.totals.seen == 0  # endorsements and comments are not votes

    with_model = summarise(
        [Paragraph("p1", 1, "Text.")], inputs, DEFAULT_GROUPS, invited, embed=_topic_vectors
    )
    assert with_model.method is Method.EMBEDDINGS
    assert {t.size for t in with_model.paragraphs[0].themes} == {5, 6}
    assert summarise([Paragraph("p1", 1, "T")], inputs, DEFAULT_GROUPS, invited, themes=None)


def test_divergent_and_unheard_groups_in_the_summary() -> None:
    votes = [_input(i, Kind.SUPPORT, "government") for i in range(3)]
    votes += [_input(10 + i, Kind.OPPOSE, "civil-society") for i in range(3)]
    invited = {
        "government": Participation(3, 3),
        "civil-society": Participation(3, 3),
        "academia": Participation(0, 2),
    }
    summary = summarise([Paragraph("p1", 1, "Text.")], votes, DEFAULT_GROUPS, invited)
    (p,) = summary.paragraphs
    assert p.divergence == pytest.approx(1.0) and p.divergent
    assert summary.divergent == (p,) and summary.common_ground == ()
    assert summary.unheard == ("academia",)
    assert p.agreement == {"government": 1.0, "civil-society": 0.0, "academia": None}
