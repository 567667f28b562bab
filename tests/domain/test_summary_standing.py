"""Where the groups stand, as the summary reports it: at the sizes consultations have."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from consultations.consensus import Position, Standing
from consultations.model import DEFAULT_GROUPS, Kind
from consultations.summary import Input, Paragraph, Participation, summarise

GROUPS = ("government", "civil-society", "private-sector")
PARAGRAPHS = [Paragraph(f"p{i}", i, f"Paragraph {i}.") for i in range(1, 5)]
STANCE = {"S": Kind.SUPPORT, "O": Kind.OPPOSE, "A": Kind.ABSTAIN}


def _votes(table: dict[str, list[str]]) -> list[Input]:
    """{group: ["SO-A", ...]}: one string per delegate, one letter per paragraph."""
    inputs, next_id = [], 1
    for group, delegates in table.items():
        for person, stances in enumerate(delegates):
            for number, letter in enumerate(stances, 1):
                if letter in STANCE:
                    inputs.append(
                        Input(next_id, f"p{number}", group, STANCE[letter], None, "", person=person)
                    )
                    next_id += 1
    return inputs


def test_three_groups_of_two_delegates_each_flag_right() -> None:
    inputs = _votes(
        {
            "government": ["SSSS", "SSO-"],
            "civil-society": ["SSOS", "SSO-"],
            "private-sector": ["SOOA", "SO--"],
        }
    )
    invited = {g: Participation(2, 2) for g in GROUPS}
    summary = summarise(PARAGRAPHS, inputs, DEFAULT_GROUPS, invited, themes=None)
    first, second, third, fourth = summary.paragraphs
    assert first.standing is Standing.COMMON_GROUND  # all six support
    assert first.consensus_defined is False  # 2 votes a group: no consensus figure
    assert second.standing is Standing.DIVIDED  # 2/0/0, 2/0/0, 0/2/0
    assert second.positions == {
        "government": Position.SUPPORT,
        "civil-society": Position.SUPPORT,
        "private-sector": Position.OPPOSE,
    }
    assert third.standing is Standing.CONTESTED  # government split 1/1, the others oppose
    # one delegate a group answered: government 1 support, civil society 1 support,
    # private sector 1 abstention (split)
    assert fourth.standing is Standing.CONTESTED
    assert summary.common_ground == (first,)
    assert summary.divergent == (second,)
    assert summary.disputed == (second, third, fourth)


def test_a_paragraph_nobody_answered_is_open_and_has_no_figures_to_show() -> None:
    invited = {g: Participation(0, 2) for g in GROUPS}
    summary = summarise(PARAGRAPHS[:1], [], DEFAULT_GROUPS, invited, themes=None)
    (p,) = summary.paragraphs
    assert p.standing is Standing.OPEN and not p.consensus_defined
    assert p.divergence is None
    assert set(p.positions.values()) == {Position.UNHEARD}


def test_hundreds_of_participants() -> None:
    inputs = _votes(
        {
            "government": ["S"] * 80 + ["O"] * 20,
            "civil-society": ["S"] * 70 + ["A"] * 10,
            "private-sector": ["S", "S"],  # two of 150 answered: too few to tell
        }
    )
    invited = {
        "government": Participation(100, 120),
        "civil-society": Participation(80, 90),
        "private-sector": Participation(2, 150),
    }
    summary = summarise(PARAGRAPHS[:1], inputs, DEFAULT_GROUPS, invited, themes=None)
    (p,) = summary.paragraphs
    assert p.positions["private-sector"] is Position.TOO_FEW
    assert p.standing is Standing.COMMON_GROUND
    assert p.consensus_defined is False  # a group below ten votes
    assert p.divergence is not None and round(p.divergence, 3) == round(0.875 - 0.8, 3)


small_group = st.lists(st.sampled_from("SOA-"), min_size=0, max_size=5)
large_group = st.lists(st.sampled_from("SOA-"), min_size=0, max_size=300)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(GROUPS), st.one_of(small_group, large_group), min_size=1, max_size=3
    ),
    st.lists(st.integers(min_value=0, max_value=400), min_size=3, max_size=3),
)
def test_no_paragraph_is_both_common_ground_and_divided(
    stances: dict[str, list[str]], members: list[int]
) -> None:
    inputs = _votes({group: list(letters) for group, letters in stances.items()})
    invited = {g: Participation(0, n) for g, n in zip(GROUPS, members, strict=True)}
    summary = summarise(PARAGRAPHS[:1], inputs, DEFAULT_GROUPS, invited, themes=None)
    (p,) = summary.paragraphs
    assert not (p.common_ground and p.divergent)
    common = {q.paragraph.number for q in summary.common_ground}
    assert not common & {q.paragraph.number for q in summary.divergent}
    assert p.common_ground == (p.standing is Standing.COMMON_GROUND)
    assert p.divergent == (p.standing is Standing.DIVIDED)
    if p.common_ground:
        assert all(v.agree >= 0.6 * v.seen for k, v in p.votes.items() if p.positions[k].taken)
