"""The summary path measured on real Pol.is conversations (CC BY 4.0, see tests/polis.py)."""

from __future__ import annotations

import pytest

from consultations.summary import summarise
from tests import polis


def _load(name: str) -> polis.PolisExport:
    try:
        return polis.load_export(name)
    except FileNotFoundError as missing:
        pytest.fail(str(missing), pytrace=False)


def test_consensus_through_the_summary_matches_polis_for_bg2050() -> None:
    export = _load("bg2050-volunteers")
    shaped = polis.as_statements(export)
    summary = summarise(
        shaped.paragraphs, shaped.inputs, shaped.groups, shaped.participation, themes=None
    )
    assert [g.key for g in summary.groups] == ["polis-0", "polis-1"]
    assert len(summary.paragraphs) == 371
    ours = {int(p.paragraph.uid[1:]): p.consensus for p in summary.paragraphs}
    theirs = {c.id: c.group_informed_consensus for c in export.comments.values()}
    assert None not in theirs.values()
    assert ours == pytest.approx(theirs, abs=1e-9)
    # what a facilitator would read off the same summary is consistent with the counts
    for p in summary.paragraphs:
        if p.common_ground:
            assert all(v.seen >= 3 and v.agree / v.seen >= 0.6 for v in p.votes.values())


@pytest.mark.parametrize("name", ["scoop-hivemind.biodiversity", "canadian-electoral-reform"])
def test_themes_on_real_comments_are_labelled_and_quote_verbatim(name: str) -> None:
    export = _load(name)
    shaped = polis.as_comments(export, paragraphs=2)
    summary = summarise(shaped.paragraphs, shaped.inputs, shaped.groups, shaped.participation)
    texts = {c.id: c.text for c in export.comments.values()}
    for p in summary.paragraphs:
        assert 3 <= len(p.themes) <= 8
        assert sum(t.size for t in p.themes) + len(p.unthemed) == len(p.comments)
        for theme in p.themes:
            assert theme.label and len(theme.keywords) <= 3
            assert 1 <= len(theme.quotes) <= 2
            for quote in theme.quotes:
                assert quote.text == texts[quote.id]  # verbatim, traceable to its comment
                assert quote.id in theme.ids
                assert quote.support == sum(p.support(quote.id).values())
            assert sum(theme.groups.values()) <= theme.size


def test_the_biodiversity_themes_find_what_people_wrote_about() -> None:
    """Not a quality bar, a tripwire: themes a reader of the conversation would expect."""
    export = _load("scoop-hivemind.biodiversity")
    shaped = polis.as_comments(export)
    (p,) = summarise(
        shaped.paragraphs, shaped.inputs, shaped.groups, shaped.participation
    ).paragraphs
    words = " ".join(t.label for t in p.themes)
    assert "pest control" in words
    assert "land" in words
    assert "species" in words
