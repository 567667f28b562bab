"""The HTML report in a real browser: headless Chromium, driven by Playwright.

Playwright drives the system Chromium (Debian's `chromium`, installed by
`.ci/install-export-tools`) through its executable path; it never downloads a browser.
Where Chromium or Playwright is missing the test is skipped, unless
CONSULTBOT_REQUIRE_CHROMIUM=1 (as in CI), which makes that a failure. A full-page
screenshot and a printed PDF are kept in the test's tmp directory as artifacts.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from bot.catalog import Catalog
from consultations.exports import render
from consultations.exports.charts import Stack, votes_chart
from consultations.exports.html import _quote
from consultations.ids import SubmissionId
from tests.exports.played import INJECTIONS, MARKUP, Clock, Played, play_third_version

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def t(key: str, **values: object) -> str:
    return Catalog().text(key, None, **values)


@pytest.fixture
def chromium() -> str:
    path = os.environ.get("CONSULTBOT_CHROMIUM") or next(
        filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser"))), None
    )
    missing = []
    if path is None:
        missing.append("chromium")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e '.[test]')")
    if missing:
        message = f"{' and '.join(missing)} not installed (run .ci/install-export-tools)"
        if os.environ.get("CONSULTBOT_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"Chromium was required: {message}")
        pytest.skip(message)
    assert path is not None
    return path


async def test_the_report_loads_offline_without_errors_with_its_charts(
    played: Played, chromium: str, tmp_path: Path
) -> None:
    from playwright.async_api import Request, Route, async_playwright

    filename, media_type, content = render(played.record(), "html", t)
    assert media_type == "text/html"
    report = tmp_path / filename
    report.write_bytes(content)

    console_errors: list[str] = []
    outside: list[str] = []  # every request for anything but the report itself

    async def only_the_file(route: Route, request: Request) -> None:
        if request.url == report.as_uri():
            await route.continue_()
        else:
            outside.append(request.url)
            await route.abort()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1000, "height": 800})
            page.on(
                "console",
                lambda message: (
                    console_errors.append(message.text) if message.type == "error" else None
                ),
            )
            page.on("pageerror", lambda error: console_errors.append(str(error)))
            page.on(
                "request",
                lambda request: (
                    None if request.url == report.as_uri() else outside.append(request.url)
                ),
            )
            await page.route("**/*", only_the_file)
            await page.goto(report.as_uri(), wait_until="load")

            assert console_errors == []
            assert outside == []
            assert await page.title() == "Spyware statement"
            # a chart for each paragraph someone voted on in each round (round 1: ¶1, ¶2;
            # round 2: ¶2), plus participation, timeline and consensus for each round
            charts = await page.locator("svg.chart").count()
            assert await page.locator("svg.votes").count() == 3
            assert await page.locator("svg.participation").count() == 2
            assert await page.locator("svg.timeline").count() == 2
            assert await page.locator("svg.consensus").count() == 2
            assert charts == 9
            for svg in await page.locator("svg.chart").all():
                box = await svg.bounding_box()
                assert box is not None and box["width"] > 100 and box["height"] > 20
            # what a delegate typed is text on the page, never markup
            assert await page.locator("script").count() == 0
            assert await page.locator("img").count() == 0
            assert MARKUP in await page.locator("#round-1").inner_text()
            assert await page.locator("del").count() >= 1 and await page.locator("ins").count() >= 2
            history = await page.locator("#history").inner_text()
            assert "clear" in history and "substantial" in history

            screenshot = tmp_path / "report.png"
            await page.screenshot(path=str(screenshot), full_page=True)
            assert screenshot.stat().st_size > 10_000
            await page.emulate_media(media="print")
            printed = await page.pdf(format="A4")
            (tmp_path / "report.pdf").write_bytes(printed)
            assert printed.startswith(b"%PDF") and printed.count(b"/Type /Page\n") != 1
            print(f"screenshot of the HTML report: {screenshot}")
        finally:
            await browser.close()
    assert console_errors == [] and outside == []


def pages_of(pdf: Path) -> list[str]:
    """Each page's text (poppler's pdftotext), whitespace collapsed."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


async def test_the_report_prints_on_a4_and_letter_without_a_page_of_a_lone_heading(
    played: Played, clock: Clock, chromium: str, tmp_path: Path
) -> None:
    """Printed as a secretariat would print it: every page holds more than a heading, on
    A4 and on Letter, and a long table breaks between its rows instead of leaving a page
    to a heading. The consultation has three versions and, to make a table longer than a
    page, its decisions forty times over."""
    from playwright.async_api import async_playwright

    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler) is required: run .ci/install-export-tools")
    await play_third_version(played, clock)
    record = played.record()
    many = tuple(
        replace(d, amendment_id=SubmissionId(1000 * n + d.amendment_id))
        for n in range(1, 41)
        for d in record.decisions
    )
    record = replace(record, decisions=record.decisions + many)
    report = tmp_path / "report.html"
    report.write_bytes(render(record, "html", t)[2])

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(report.as_uri(), wait_until="load")
            headings = await page.eval_on_selector_all(
                "h1, h2, h3, h4", "nodes => nodes.map(n => n.innerText)"
            )
            await page.emulate_media(media="print")
            for paper in ("A4", "Letter"):
                pdf = tmp_path / f"report-{paper}.pdf"
                pdf.write_bytes(await page.pdf(format=paper))
                pages = pages_of(pdf)
                assert len(pages) > 5, pages
                for number, text in enumerate(pages, 1):
                    rest = text
                    for heading in sorted(headings, key=len, reverse=True):
                        rest = rest.replace(" ".join(heading.split()), "")
                    assert rest.strip(), f"{paper} page {number} holds only {text!r} ({pdf})"
                decisions = [p for p in pages if f"#{1000 + record.decisions[0].amendment_id}" in p]
                assert decisions and "Decisions on amendments" in decisions[0], paper
        finally:
            await browser.close()


async def test_legends_wrap_inside_their_chart(chromium: str) -> None:
    """Long group names in a legend go onto more rows, each inside the chart."""
    from playwright.async_api import async_playwright

    names = (
        "Intergovernmental organisations and regional human rights mechanisms",
        "Private sector: surveillance technology vendors and their associations",
        "Abstain",
    )
    chart = votes_chart("Votes", [Stack("Government", 3, 1, 1)], names)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1000, "height": 800})
            await page.set_content(f"<!DOCTYPE html><html><body>{chart}</body></html>")
            svg = await page.locator("svg").bounding_box()
            assert svg is not None
            boxes = [await text.bounding_box() for text in await page.locator("text.legend").all()]
            assert len(boxes) == 3
            for box in boxes:
                assert box is not None
                assert svg["x"] <= box["x"] and box["x"] + box["width"] <= svg["x"] + svg["width"]
                assert box["y"] + box["height"] <= svg["y"] + svg["height"]
            assert len({round(box["y"]) for box in boxes if box}) >= 2  # more than one row
        finally:
            await browser.close()


async def test_what_people_wrote_is_isolated_for_right_to_left_text(played: Played) -> None:
    """A comment, its author and the draft's paragraphs each keep their own direction."""
    page = render(played.record(), "html", t)[2].decode()
    rtl = "نرفض تصدير برامج التجسس"
    assert f"<bdi>{INJECTIONS[1]}</bdi>" in page  # a comment inside the quote's line
    assert "<bdi>a member of Civil society</bdi>" in page
    assert '<p dir="auto">We are concerned' in page and '<blockquote dir="auto">' in page
    line = _quote(t, 7, "a member of Government", rtl)
    assert line == f"#7 <bdi>a member of Government</bdi>: “<bdi>{rtl}</bdi>”", line
