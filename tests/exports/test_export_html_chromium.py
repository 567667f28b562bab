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
from pathlib import Path

import pytest

from bot.catalog import Catalog
from consultations.exports import render
from tests.exports.played import MARKUP, Played

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
            # one chart per paragraph and round, plus participation, timeline and consensus
            # for each of the two rounds
            charts = await page.locator("svg.chart").count()
            assert await page.locator("svg.votes").count() == 6
            assert await page.locator("svg.participation").count() == 2
            assert await page.locator("svg.timeline").count() == 2
            assert await page.locator("svg.consensus").count() == 2
            assert charts == 12
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
