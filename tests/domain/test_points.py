"""Points: the same thing said by many is one point with its count, never dropped."""

from __future__ import annotations

import itertools

from consultations.model import DEFAULT_GROUPS, Kind
from consultations.points import Comment, gather
from consultations.summary import Input, Paragraph, Participation, summarise
from consultations.themes import find_themes, gather_by_section
from tests.data import multilingual

SAME = "Export licences must be refused where there is a substantial risk of misuse."
OTHERS = [
    "Companies should carry out human rights due diligence before every sale.",
    "Human rights due diligence must cover resellers and the whole supply chain.",
    "Due diligence reports by companies should be published, not kept private.",
]


def _said(texts: list[str], start: int = 1, group: str = "civil-society") -> list[Comment]:
    return [Comment(i, t, group, "a member", person=i) for i, t in enumerate(texts, start)]


def test_twenty_identical_comments_are_one_point_raised_by_twenty_delegates() -> None:
    comments = _said([SAME] * 12, 1, "civil-society") + _said([SAME] * 8, 100, "government")
    comments += _said(OTHERS, 200)
    found = gather_by_section({"p1": comments})["p1"]
    top = found.points[0]
    assert top.text == SAME and top.count == 20 and top.delegates == 20
    assert dict(top.groups) == {"civil-society": 12, "government": 8}
    assert sorted(top.ids) == sorted(c.id for c in comments if c.text == SAME)
    # four distinct points are too few for themes: every one is listed, none dropped
    assert found.themes == ()
    assert sum(p.count for p in found.unthemed) == len(comments)


def test_near_identical_comments_are_one_point_and_the_most_endorsed_speaks() -> None:
    variants = [
        SAME,
        "export licences must be refused where there is a substantial risk of misuse",
        "Export licenses must be refused where there is a substantial risk of misuse!",
        "Export licences must be refused where there is a substancial risk of misuse.",
    ]
    comments = [
        Comment(i, t, "government", "a member", support=2 if i == 3 else 0, person=i)
        for i, t in enumerate(variants, 1)
    ]
    (point,) = gather(comments, "en")
    assert point.id == 3 and point.text == variants[2]  # the endorsed one, verbatim
    assert point.ids[0] == 3 and sorted(point.ids) == [1, 2, 3, 4]
    assert point.support == 2


def test_negations_and_numbers_keep_points_apart() -> None:
    comments = _said(
        [
            "Licences must be reviewed within 30 days of the application.",
            "Licences must be reviewed within 90 days of the application.",
            "Licences must not be reviewed within 30 days of the application.",
            "Licences must be reviewed within 30 days of the application!",
        ]
    )
    points = gather(comments, "en", frozenset({"not"}))
    assert sorted(p.count for p in points) == [1, 1, 2]


def test_one_delegate_saying_the_same_twice_is_one_delegate() -> None:
    comments = [
        Comment(1, SAME, "government", "a", person=7),
        Comment(2, SAME, "government", "a", person=7),
    ]
    (point,) = gather(comments, "en")
    assert point.count == 2 and point.delegates == 1


def test_a_point_most_people_made_still_leads_a_theme() -> None:
    french = [w.text for w in multilingual.comments("fr")[:20]]
    majority = "Le critère du risque manifeste est trop faible pour protéger les journalistes."
    comments = _said([majority] * 25, 1) + _said(french, 100)
    themes = find_themes(comments)
    assert themes
    holding = [t for t in themes if 1 in t.ids]
    assert len(holding) == 1
    assert holding[0].quotes[0].text == majority and holding[0].quotes[0].count == 25


def test_the_summary_counts_points_per_paragraph() -> None:
    inputs = [
        Input(i, "p1", "civil-society", Kind.COMMENT, SAME, "a member of Civil society", person=i)
        for i in range(1, 22)
    ]
    invited = {"civil-society": Participation(21, 21)}
    (p,) = summarise([Paragraph("p1", 1, "Text.")], inputs, DEFAULT_GROUPS, invited).paragraphs
    assert len(p.comments) == 21
    assert [(q.count, q.delegates) for q in p.points] == [(21, 21)]


def test_comments_in_a_small_vocabulary_are_still_gathered() -> None:
    """Six words said forty ways: each word is in most comments, which leaves no
    word that tells comments apart; every comment is still a point, none is lost."""
    words = ["export", "licence", "risk", "human", "rights", "spyware"]
    texts = [" ".join(order) for order in itertools.islice(itertools.permutations(words, 5), 40)]
    found = gather(_said(texts))
    assert sum(p.count for p in found) == 40
    assert {p.text for p in found} <= set(texts)
