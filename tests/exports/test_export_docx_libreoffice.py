"""The Word export opens in a real word processor: LibreOffice converts it to PDF.

Runs where LibreOffice (`soffice`) and poppler (`pdftoppm`, `pdftotext`) are installed
(`.ci/install-export-tools` installs them). Elsewhere it is skipped, unless
CONSULTBOT_REQUIRE_LIBREOFFICE=1 (as in CI), which makes a missing tool a failure.
The draft's first page (page 2, after the title page), rendered to PNG, is kept in the
test's tmp directory for a person to look at: the tracked deletion struck through and
the insertion underlined, in colour.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import docx
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


def convert(
    tools: dict[str, str], source: Path, folder: Path, page_number: int = 2
) -> tuple[str, str, Path]:
    """LibreOffice: .docx -> PDF; poppler: the first page's text, the text of page
    `page_number`, and that page as PNG."""
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

    def text(number: int) -> str:
        return subprocess.run(
            [tools["pdftotext"], "-f", str(number), "-l", str(number), "-layout", str(pdf), "-"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout

    page = folder / "page"
    n = str(page_number)
    subprocess.run(
        [tools["pdftoppm"], "-png", "-r", "80", "-f", n, "-l", n, str(pdf), str(page)],
        check=True,
        timeout=60,
    )
    return text(1), text(page_number), next(folder.glob(f"page-*{n}.png"))


async def test_libreoffice_shows_the_title_page_then_the_tracked_changes(
    played: Played, tools: dict[str, str], tmp_path: Path
) -> None:
    filename, _, content = render(played.record(), "docx", t)
    source = tmp_path / filename
    source.write_bytes(content)
    cover, first_page, png = await asyncio.to_thread(convert, tools, source, tmp_path)

    # The title page: title, version, the version's date, round and status.
    lines = [line.strip() for line in cover.splitlines() if line.strip()]
    version = played.record().versions[-1]
    assert lines[:5] == [
        "Spyware statement",
        "Version 2",
        f"Date: {version.created_at:%Y-%m-%d}",
        "Round: 2",
        "Status: review closed",
    ], cover

    # Both sides of the change are on the page: the deletion is shown, not applied.
    line = next(line for line in first_page.splitlines() if "refuse export licences" in line)
    assert "clearsubstantial" in line.replace(" ", ""), first_page
    assert "publish due diligence" in first_page
    header = png.read_bytes()[:24]
    assert header.startswith(b"\x89PNG") and int.from_bytes(header[16:20], "big") > 500
    print(f"page 2 of the Word export rendered by LibreOffice: {png}")


def to_flat_odt(tools: dict[str, str], sources: list[Path], folder: Path) -> list[Path]:
    """LibreOffice: each .docx -> flat ODT (one XML file), in one run."""
    profile = folder / "libreoffice-profile"
    converted = subprocess.run(
        [
            tools["soffice"],
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "fodt",
            "--outdir",
            str(folder / "fodt"),
            *map(str, sources),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    flat = [folder / "fodt" / source.with_suffix(".fodt").name for source in sources]
    assert converted.returncode == 0 and all(f.exists() for f in flat), (
        converted.stdout + converted.stderr
    )
    return flat


ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"
WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def tracked_changes(flat_odt: Path) -> list[tuple[str, str]]:
    """(insertion / deletion / format-change, author) of each change region LibreOffice
    shows, whatever page it is on."""
    tree = ElementTree.parse(flat_odt)
    changes = []
    for region in tree.iter(f"{ODF_TEXT}changed-region"):
        kind = next(iter(region))
        creator = kind.find(f".//{DC}creator")
        changes.append(
            (kind.tag.removeprefix(ODF_TEXT), creator.text if creator is not None else "")
        )
    return changes


def real_changes(content: bytes) -> list[tuple[str, str]]:
    """(insertion / deletion, author) of each revision the Word file itself holds."""
    body = docx.Document(io.BytesIO(content)).element.body
    kinds = {f"{WORD}ins": "insertion", f"{WORD}del": "deletion"}
    return [
        (kinds[e.tag], e.get(f"{WORD}author") or "")
        for e in body.iter(*kinds)
        if e.getparent().tag != f"{WORD}rPr"  # a paragraph mark's, part of the same change
    ]


async def test_libreoffice_shows_only_the_real_changes_each_by_its_group(
    played: Played, tools: dict[str, str], tmp_path: Path
) -> None:
    files = {}
    for version in (1, 2):
        _, _, content = render(played.record(version), "docx", t)
        files[version] = content
        (tmp_path / f"v{version}.docx").write_bytes(content)
    flat = await asyncio.to_thread(
        to_flat_odt, tools, [tmp_path / f"v{v}.docx" for v in files], tmp_path
    )
    shown = {version: tracked_changes(f) for version, f in zip(files, flat, strict=True)}

    # Version 1 has no change at all, and LibreOffice shows none.
    assert shown[1] == []
    # Version 2: exactly the word-level changes of the two accepted amendments.
    assert sorted(shown[2]) == sorted(real_changes(files[2]))
    assert sorted(shown[2]) == sorted(
        [
            ("deletion", f"Civil society (amendment #{played.amendment_cs})"),
            ("insertion", f"Civil society (amendment #{played.amendment_cs})"),
            ("insertion", f"Private sector (amendment #{played.amendment_ps})"),
        ]
    )
    assert not any("unknown" in author.lower() or not author for _, author in shown[2])
