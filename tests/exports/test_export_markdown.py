"""The Markdown export in a GitHub-style renderer (markdown-it-py, GFM-like, with linkify):
what people wrote reads as they typed it, and none of it becomes a link, an image, a
heading or markup."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from bot.catalog import Catalog
from consultations.exports import to_markdown
from tests.exports.played import INJECTIONS, MARKUP, Played

pytest.importorskip("linkify_it", reason="linkify-it-py is a test dependency")

HOSTILE = (
    "See http://evil.example/a_b?x=1 for more",
    "Visit www.evil.example today",
    "A *bold* [link](http://evil.example) claim (see https://evil.example/a_(b)).",
    "Write to leaks@evil.example or mailto:leaks@evil.example",
    "[official annex](https://evil.example/annex) and ![i](https://evil.example/x.png)",
    "<https://evil.example/auto> and <b>bold</b>",
    "# not a heading",
    "> not a quote",
    "- not a list",
    "1. not a list either",
    "**not bold** _not italic_ ~~not struck~~ `not code`",
    "=====",
    "snake_case_words stay as typed, and so do 3 * 4 = 12 and +cmd|' /C calc'!A0",
    "&copy; stays an ampersand",
)


def t(key: str, **values: object) -> str:
    return Catalog().text(key, None, **values)


def rendered(markdown: str) -> str:
    return MarkdownIt("gfm-like").render(markdown)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_what_people_wrote_reads_as_typed_and_links_nothing() -> None:
    from consultations.exports.markdown import _md

    for typed in HOSTILE:
        page = rendered(f"- #12 a member of Government: {_md(typed)}\n")
        assert "<a " not in page and "<img" not in page, (typed, page)
        for tag in ("<h1", "<blockquote", "<strong", "<em", "<s>", "<b>", "<ol", "<ul><li><ul"):
            assert tag not in page.replace("<ul>\n<li>", "", 1), (typed, page)
        assert text_of(page).strip() == f"#12 a member of Government: {typed}", page


def test_escaping_is_minimal() -> None:
    from consultations.exports.markdown import _md

    assert _md("+1 from us, add a reporting duty") == "+1 from us, add a reporting duty"
    assert _md("-5 points for vagueness here") == "-5 points for vagueness here"
    assert _md("+cmd|' /C calc'!A0") == "+cmd|' /C calc'!A0"
    assert _md("snake_case #3") == "snake_case #3"
    assert _md("=HYPERLINK(1)") == "=HYPERLINK(1)"


async def test_the_whole_export_has_no_link_a_comment_made(played: Played) -> None:
    markdown = to_markdown(played.record(), t)
    page = rendered(markdown)
    assert "<a " not in page and "<img" not in page and "<script" not in page
    shown = text_of(page)
    for typed in (*INJECTIONS, MARKUP):
        assert typed in shown
    assert "\\|" not in markdown and "\\!" not in markdown
