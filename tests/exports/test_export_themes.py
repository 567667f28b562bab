"""Themes, where the summary found some, appear in every document with their quotes."""

from __future__ import annotations

import io
from dataclasses import replace

import docx

from bot.catalog import Catalog
from consultations.exports import Record, render
from consultations.exports.jsonrecord import from_json, to_json
from consultations.points import Point
from consultations.themes import Theme
from tests.exports.played import Played


def t(key: str, **values: object) -> str:
    return Catalog().text(key, None, **values)


def with_a_theme(record: Record) -> Record:
    """Round 1, paragraph 3: civil society's two comments gathered into one theme."""
    round_ = record.rounds[0]
    paragraph = round_.summary.paragraphs[2]
    quotes = tuple(
        Point(c.id, c.text or "", c.author, c.group_key, 1, "en", (c.id,), {"civil-society": 1})
        for c in paragraph.comments[:2]
    )
    theme = Theme(
        label="reporting · duty",
        keywords=("reporting", "duty"),
        ids=tuple(q.id for q in quotes),
        groups={"civil-society": 2},
        quotes=quotes,
    )
    paragraphs = list(round_.summary.paragraphs)
    paragraphs[2] = replace(paragraph, themes=(theme,))
    summary = replace(round_.summary, paragraphs=tuple(paragraphs))
    return replace(record, rounds=(replace(round_, summary=summary), *record.rounds[1:]))


async def test_themes_with_their_quotes_in_html_docx_and_markdown(played: Played) -> None:
    record = with_a_theme(played.record())
    quote = "+1 from us, add a reporting duty"

    html = render(record, "html", t)[2].decode()
    section = html[html.index('id="r1-p3"') :]
    label = "<strong><bdi>reporting · duty</bdi></strong> (2 comments)"
    assert "<h4>Themes</h4>" in section and label in section
    assert quote in section

    document = docx.Document(io.BytesIO(render(record, "docx", t)[2]))
    texts = [p.text for p in document.paragraphs]
    theme = texts.index("reporting · duty (2 comments)")
    assert quote in texts[theme + 1]

    markdown = render(record, "markdown", t)[2].decode()
    assert "- **reporting · duty** (2 comments)" in markdown
    assert f"  - #7 a member of Civil society: “{quote}”" in markdown


async def test_themes_survive_the_json_round_trip(played: Played) -> None:
    record = with_a_theme(played.record())
    assert from_json(to_json(record)) == record
