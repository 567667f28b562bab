"""Exports of one version hold that version's story and no later one, and say where
every paragraph's text came from since version 1.

The consultation is `played` (two rounds, version 2 from civil society's amendment to
paragraph 2 and the private sector's to paragraph 3) plus a third round on version 2 in
which the government's amendment to paragraph 1 makes version 3.
"""

from __future__ import annotations

import io
import json

import docx
import pytest

from bot.catalog import Catalog
from consultations.exports import Change, render, to_markdown
from tests.exports.played import Clock, Played, play_third_version


def t(key: str, **values: object) -> str:
    return Catalog().text(key, None, **values)


@pytest.fixture
async def third(played: Played, clock: Clock) -> int:
    return await play_third_version(played, clock)


def decision_versions(played: Played, version: int | None) -> dict[int, int | None]:
    return {d.amendment_id: d.version for d in played.record(version).decisions}


async def test_an_export_of_a_version_holds_the_decisions_that_made_it_and_no_later_one(
    played: Played, third: int
) -> None:
    assert decision_versions(played, 1) == {}
    in_v2 = decision_versions(played, 2)
    assert in_v2[played.amendment_cs] == in_v2[played.amendment_ps] == 2
    assert in_v2[played.amendment_rejected] is None  # rejected in round 1, on version 1
    assert third not in in_v2
    assert decision_versions(played, 3)[third] == decision_versions(played, None)[third] == 3

    for version in (1, 2, 3):
        _, _, content = render(played.record(version), "json", t)
        document = json.loads(content)
        numbers = {v["number"] for v in document["versions"]}
        assert max(numbers) == version
        assert all(d["version"] in numbers | {None} for d in document["decisions"])


async def test_the_version_two_word_file_lists_only_its_own_decisions(
    played: Played, third: int
) -> None:
    _, _, content = render(played.record(2), "docx", t)
    table = docx.Document(io.BytesIO(content)).tables[-1]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == [
        "Amendment",
        "Paragraph",
        "Group",
        "Decision",
        "Reason",
        "Applied in version",
    ]
    ids = {row[0].split("\n")[0] for row in rows[1:]}
    assert ids == {f"#{played.amendment_cs}", f"#{played.amendment_ps}"} | {
        f"#{played.amendment_rejected}"
    }
    first = [rows[1][0].split("\n")[0], *rows[1][1:]]
    reason = "Agreed in the drafting group"
    assert first == [f"#{played.amendment_cs}", "2", "Civil society", "accepted", reason, "2"]


async def test_the_version_two_report_lists_only_its_own_decisions(
    played: Played, third: int
) -> None:
    page = render(played.record(2), "html", t)[2].decode()
    decisions = page[page.index('<section id="decisions">') :]
    decisions = decisions[: decisions.index("</section>")]
    assert "<th>Applied in version</th>" in decisions and "<th>Reason</th>" in decisions
    assert f"#{played.amendment_cs}" in decisions and f"#{third}" not in decisions
    assert "<td>Agreed in the drafting group</td>" not in decisions  # it is dir="auto"
    assert '<td dir="auto">Agreed in the drafting group</td><td>2</td>' in decisions


async def test_provenance_is_cumulative_by_version(played: Played, third: int) -> None:
    v3 = played.record().versions[-1]
    by_number = {p.number: p.uid for p in v3.paragraphs}
    assert v3.provenance[by_number[1]] == (Change(3, (third,)),)
    assert v3.provenance[by_number[2]] == (Change(2, (played.amendment_cs,)),)
    assert v3.provenance[by_number[3]] == (Change(2, (played.amendment_ps,)),)
    # sources keep the last version's changes alone: what the tracked changes show
    assert set(v3.sources) == {by_number[1]}

    markdown = to_markdown(played.record(), t)
    line = next(x for x in markdown.splitlines() if x.startswith("2. "))
    assert f"version 2, Civil society (amendment #{played.amendment_cs})" in line
    line = next(x for x in markdown.splitlines() if x.startswith("1. "))
    assert f"version 3, Government (amendment #{third})" in line

    html = render(played.record(), "html", t)[2].decode()
    assert f"version 2, Private sector (amendment #{played.amendment_ps})" in html

    # Version 2's own export knows nothing of version 3.
    v2 = played.record(2).versions[-1]
    assert by_number[1] not in v2.provenance
