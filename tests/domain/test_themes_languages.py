"""Themes in the languages delegates write: found, labelled and quoted in each of them."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from consultations.languages import Words, detect, stop_words
from consultations.themes import Comment, Theme, find_themes, gather_by_section
from tests.data import multilingual

GROUPS = ("government", "civil-society", "private-sector")


def _as_comments(written: list[multilingual.Written]) -> list[Comment]:
    return [
        Comment(w.id, w.text, GROUPS[w.id % 3], f"a member of {GROUPS[w.id % 3]}", person=w.id)
        for w in written
    ]


def purity(themes: tuple[Theme, ...], subject: dict[int, str]) -> float:
    """Share of the themed comments whose subject is their theme's most common one."""
    themed = sum(t.size for t in themes)
    agreeing = sum(Counter(subject[i] for i in t.ids).most_common(1)[0][1] for t in themes)
    return agreeing / themed


def shuffled_purity(themes: tuple[Theme, ...], subject: dict[int, str], seed: int = 0) -> float:
    """The same theme sizes with comments dealt at random: what chance alone gives."""
    ids = [i for t in themes for i in t.ids]
    random.Random(seed).shuffle(ids)
    dealt, start = [], 0
    for t in themes:
        dealt.append(Theme(t.label, t.keywords, tuple(ids[start : start + t.size]), {}, ()))
        start += t.size
    return purity(tuple(dealt), subject)


def test_each_comment_s_language_is_detected() -> None:
    written = multilingual.comments()
    assert {w.language for w in written} == {"fr", "es", "de"}
    assert detect([w.text for w in written], [None] * len(written)) == [w.language for w in written]


def test_too_short_to_tell_takes_the_author_s_language() -> None:
    texts = ["D'accord.", "Trop vague.", "Demasiado vago.", "Fine.", "Zu vage."]
    assert detect(texts, ["fr", "fr", "es", "en", "de"]) == ["fr", "fr", "es", "en", "de"]
    # without the author's language, the language the others are surely in
    french = [w.text for w in multilingual.comments("fr")[:5]]
    assert detect([*french, "Trop vague."], [None] * 6)[-1] == "fr"


@pytest.mark.parametrize("language", ["fr", "es"])
def test_themes_gather_comments_on_the_same_subject(language: str) -> None:
    written = multilingual.comments(language)
    assert len(written) >= 60
    subject = {w.id: w.subject for w in written}
    themes = find_themes(_as_comments(written))
    assert 4 <= len(themes) <= 8
    assert sum(t.size for t in themes) >= 0.9 * len(written)
    found = purity(themes, subject)
    assert found >= 0.65
    assert found >= shuffled_purity(themes, subject) + 0.35
    # each subject of the fixture leads at least one theme
    leading = {Counter(subject[i] for i in t.ids).most_common(1)[0][0] for t in themes}
    assert len(leading) >= 5


@pytest.mark.parametrize("language", ["fr", "es", "de"])
def test_no_theme_label_is_made_of_stop_words_and_labels_are_written_words(
    language: str,
) -> None:
    written = multilingual.comments(language)
    themes = find_themes(_as_comments(written))
    assert themes
    stop = stop_words(language)
    vocabulary = {word for w in written for word in Words(language).split(w.text)}
    for theme in themes:
        assert theme.language == language
        for keyword in theme.keywords:
            for word in keyword.split():
                assert word not in stop, (theme.label, word)
                assert word in vocabulary, (theme.label, word)  # as written, not a stem


def test_themes_are_formed_within_a_language_and_labelled_in_it() -> None:
    written = multilingual.comments()
    language = {w.id: w.language for w in written}
    found = gather_by_section({"p1": _as_comments(written)})["p1"]
    assert {t.language for t in found.themes} == {"fr", "es", "de"}
    for theme in found.themes:
        assert {language[i] for i in theme.ids} == {theme.language}
        assert {q.language for q in theme.quotes} == {theme.language}


def test_a_language_with_too_few_comments_is_listed_as_it_is() -> None:
    french = multilingual.comments("fr")
    german = multilingual.comments("de")[:3]
    found = gather_by_section({"p1": _as_comments([*french, *german])})["p1"]
    assert {t.language for t in found.themes} == {"fr"}
    assert {p.text for p in found.unthemed if p.language == "de"} == {w.text for w in german}
