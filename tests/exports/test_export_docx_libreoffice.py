"""The Word export opens in a real word processor: LibreOffice converts it to PDF.

Runs where LibreOffice (`soffice`) and poppler (`pdftoppm`, `pdftotext`) are installed
(`.ci/install-export-tools` installs them). Elsewhere it is skipped, unless
CONSULTBOT_REQUIRE_LIBREOFFICE=1 (as in CI), which makes a missing tool a failure.
The first page, rendered to PNG, is kept in the test's tmp directory for a person to
look at: the tracked deletion struck through and the insertion underlined, in colour.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.catalog import Catalog
from consultations.exports import render
from tests.exports.played import Played

TOOLS = ("soffice", "pdftoppm", "pdftotext")


def t(key: str, **values: object) -> str:
    return Catalog().text(key, None, **values)


@pytest.fixture
def tools() -> dict[str, str]:
    found = {name: shutil.which(name) for name in TOOLS}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        message = f"{', '.join(missing)} not installed (run .ci/install-export-tools)"
        if os.environ.get("CONSULTBOT_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(f"LibreOffice was required: {message}")
        pytest.skip(message)
    return {name: path for name, path in found.items() if path is not None}


def convert(tools: dict[str, str], source: Path, folder: Path) -> tuple[str, Path]:
    """LibreOffice: .docx -> PDF; poppler: the first page's text, and that page as PNG."""
    profile = folder / "libreoffice-profile"  # its own profile: no clash with a running one
    converted = subprocess.run(
        [
            tools["soffice"],
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    pdf = source.with_suffix(".pdf")
    assert converted.returncode == 0 and pdf.exists(), converted.stdout + converted.stderr
    first_page = subprocess.run(
        [tools["pdftotext"], "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    page = folder / "page"
    subprocess.run(
        [tools["pdftoppm"], "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(page)],
        check=True,
        timeout=60,
    )
    return first_page, next(folder.glob("page-*1.png"))


async def test_libreoffice_converts_it_and_shows_the_tracked_changes_on_page_one(
    played: Played, tools: dict[str, str], tmp_path: Path
) -> None:
    filename, _, content = render(played.record(), "docx", t)
    source = tmp_path / filename
    source.write_bytes(content)
    first_page, png = await asyncio.to_thread(convert, tools, source, tmp_path)

    # Both sides of the change are on the page: the deletion is shown, not applied.
    line = next(line for line in first_page.splitlines() if "refuse export licences" in line)
    assert "clearsubstantial" in line.replace(" ", ""), first_page
    assert "publish due diligence" in first_page
    header = png.read_bytes()[:24]
    assert header.startswith(b"\x89PNG") and int.from_bytes(header[16:20], "big") > 500
    print(f"page 1 of the Word export rendered by LibreOffice: {png}")
