"""Hostile input, kept in the tests: what careless, unlucky or malicious people will send.

Each item is a plain value (text, bytes, a command line) with a name for test ids. The
conversation tests (`test_hostile_input.py`) send each where it applies — as a
stakeholder's comment or amendment, as a facilitator's draft, as command arguments — and
check that the answer says what to do, that nothing crashed, and that nothing stored
before changed. Files are built in memory, small and fast: the zip bomb is a few hundred
kilobytes that promise a hundred megabytes.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import cache

import docx

MEGABYTE = 1_000_000

# ---- text for comments and amendments -------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    """One piece of hostile text and what the bot should do with it.

    `stored` is the text as the bot must record and show it back (control characters and
    invisibles gone, line breaks as spaces, markup kept literally); `refused` inputs must
    be turned down with a reason. An accepted item with `stored` None is checked by its
    properties instead.
    """

    name: str
    text: str
    stored: str | None
    refused: bool = False


SCRIPT = "<script>alert(document.cookie)</script>"
LINK_HTML = '<a href="https://evil.example/phish">official annex</a>'
LINK_URL = "https://evil.example/phish"
LINK_MARKDOWN = f"[official annex]({LINK_URL})"


def literal(name: str, text: str) -> Hostile:
    """Text that must be stored and shown back exactly as written, character for character."""
    return Hostile(name, text, text)


def refused(name: str, text: str) -> Hostile:
    return Hostile(name, text, None, refused=True)


COMMENT_LIMIT = 2000  # consultations.submissions.MAX_COMMENT_CHARS, restated on purpose

TEXTS: tuple[Hostile, ...] = (
    # sizes
    refused("one_megabyte", "A" * MEGABYTE),
    refused("one_megabyte_of_words", "word " * (MEGABYTE // 5)),
    refused("just_over_the_comment_limit", "x" * (COMMENT_LIMIT + 1)),
    literal("exactly_the_comment_limit", "y" * COMMENT_LIMIT),
    # nothing to say
    refused("empty", ""),
    refused("whitespace_only", " \t \n\n \u3000 \u00a0 "),
    refused("invisible_only", "\u200b\u200b\u2060\ufeff\u200e\u202e"),
    refused("control_only", "\x00\x01\x07\x1b\x7f"),
    # invisible and control characters around real words: they go, the words stay
    Hostile(
        "control_characters",
        "Clear\x00 risk\x07 is\x1b[31m too\x08 weak\x7f a\x9b test.",
        "Clear risk is[31m too weak a test.",
    ),
    Hostile(
        "newlines_and_tabs",
        "First line.\r\n\r\nSecond\tline.\vThird\fline.\x85Fourth\u2028line.",
        "First line. Second line. Third line. Fourth line.",
    ),
    Hostile(
        "zero_width", "Cl\u200bear risk\u2060 is\ufeff too we\u200bak.", "Clear risk is too weak."
    ),
    Hostile(
        "right_to_left_override",
        "The licence \u202etxet siht\u202c is \u2067nested\u2069 \u200fhere\u200e.",
        "The licence txet siht is nested here.",
    ),
    # checked by its properties: at most three marks stacked on a letter
    Hostile(
        "combining_flood", "Ze" + "\u0301" * 5000 + "ro tolerance" + "\u0336" * 3000 + ".", None
    ),
    # markup that would break formatting or smuggle links: kept as text, never interpreted
    literal("html", f"<b>Strong</b> {SCRIPT} {LINK_HTML} &amp; &lt;"),
    literal("telegram_html", "<tg-spoiler>x</tg-spoiler> <code>y</code> <pre>z"),
    literal(
        "markdown",
        f"**bold** _it_ `code` ```fence``` # heading {LINK_MARKDOWN} ![i](https://evil.example/x.png)",
    ),
    literal("markdown_v2_specials", r"_*[]()~`>#+-=|{}.! \ end"),
    # text that means something to other programs
    literal("csv_formula_equals", '=HYPERLINK("https://evil.example","click")'),
    literal("csv_formula_dde", "=cmd|' /C calc'!A0"),
    literal("csv_formula_plus_minus_at", "+1+1 -2+3 @SUM(A1:A9)"),
    literal("sql_drop", "'; DROP TABLE submission; --"),
    literal("sql_or", "\" OR 1=1; -- Robert'); DROP TABLE person;--"),
    literal("format_string", "{title} {0} {id!r} %s %(name)s {__class__.__mro__}"),
    literal("path_and_shell", "../../etc/passwd $(rm -rf /) `id` ${HOME}"),
    # joiners inside emoji sequences and Persian words are spelling, not noise
    literal("emoji_sequences", "👩🏽\u200d⚖️ 🏳️\u200d🌈 support 👍🏿"),
    literal("persian_zwnj", "ما می\u200cخواهیم این بند حذف شود."),
)
"""Comment and amendment text, each with the form it must be stored and shown in."""

# A lone surrogate: valid in a Python str (JSON from Telegram or Matrix can carry one,
# "\ud800"), but not encodable as UTF-8, so not storable as it is.
LONE_SURROGATE = "Clear risk \ud800 is too weak."

# ---- commands with missing, extra and malformed arguments ------------------------------

HUGE = "99999999999999999999999"  # more than a 64-bit integer holds

STAKEHOLDER_COMMANDS: tuple[str, ...] = (
    "/comment",
    "/comment x",
    "/comment 1",
    "/comment 1    ",
    "/comment x some text",
    "/comment 0 zero is not a paragraph",
    "/comment -1 negative",
    "/comment 1.5 fractional",
    "/comment 4 past the last paragraph",
    f"/comment {HUGE} huge paragraph number",
    "/comment ⁵ superscript digit",
    "/support",
    "/support 1 2",
    "/support one",
    "/support 1 ; DROP TABLE submission",
    "/oppose 99",
    "/abstain 0x1",
    "/amend 2",
    "/withdraw",
    "/withdraw -3",
    "/withdraw abc",
    "/withdraw 1 2",
    "/withdraw 99999",
    f"/withdraw {HUGE}",
    "/mine please",
    "/review now",
    "/round open 3d",  # a stakeholder trying a facilitator's command
    "/dropdb",
    "/",
    "//",
    "/" + "c" * 10_000,
)

FACILITATOR_COMMANDS: tuple[str, ...] = (
    "/invite",
    "/invite nosuchgroup",
    "/invite civil-society 0",
    "/invite civil-society -1",
    "/invite civil-society x",
    "/invite civil-society 2 0d",
    "/invite civil-society 2 99999d",
    "/invite civil-society 2 3d extra",
    f"/invite civil-society {HUGE}",
    "/round",
    "/round foo",
    "/round open",
    "/round open 99999d",
    "/round open 0m",
    "/round open -3d",
    "/round open 3x",
    "/round open 3d extra",
    "/round extend",
    "/round extend 99999d",
    "/round close now",
    "/accept",
    "/accept abc",
    "/accept 0",
    "/accept -1",
    "/accept 99999",
    f"/accept {HUGE}",
    "/reject 1",
    "/summary 0",
    "/summary 99",
    f"/summary {HUGE}",
    "/diff 1 2 3",
    "/diff x",
    f"/diff 1 {HUGE}",
    "/export",
    "/export ../../etc/passwd",
    "/use 0",
    f"/use {HUGE}",
    "/remind nosuchgroup",
    "/timezone Mars/Olympus_Mons",
    "/timezone ../../../etc/localtime",
)

ROUND_SCHEDULES: tuple[str, ...] = (
    "/round schedule",
    "/round schedule 2020-01-01 09:00 3d",
    "/round schedule 9999-12-31 09:00 3d",
    "/round schedule 9999-12-31 09:00 9999-12-31 10:00 Asia/Tokyo",
    "/round schedule 0001-01-01 00:00 3d Europe/Zurich",
    "/round schedule 2026-12-01 09:00 2027-12-30 09:00",
    "/round schedule 2026-12-05 09:00 2026-12-04 09:00",
    "/round schedule 2026-13-45 09:00 3d",
    "/round schedule 2026-12-05 25:00 3d",
    "/round schedule 2026-12-05 09:00 99999d",
    "/round schedule tomorrow at nine",
    "/round schedule 2026-12-05 09:00 3d Mars/Olympus_Mons",
    "/round schedule 2027-03-28 02:30 3d Europe/Zurich",  # skipped by the clocks
    "/round schedule 2027-10-31 02:30 3d Europe/Zurich",  # happens twice
)

# ---- drafts -------------------------------------------------------------------------------

PASTED_DRAFTS: dict[str, str] = {
    "empty": "",
    "whitespace_only": "   \n\n\t\n   ",
    "headings_only": "# Title\n\n## Section\n\n---\n\n<!-- nothing -->",
    "three_megabytes": "Paragraph text. " * (3 * MEGABYTE // 16),
    "too_many_paragraphs": "\n\n".join(f"Paragraph {i}." for i in range(600)),
    "control_and_invisible_only": "\x00\x01\u200b\ufeff\x7f\n\n\x1b\x1b",
}


def docx_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@cache
def zip_bomb(unpacked: int = 100 * MEGABYTE, name: str = "word/document.xml") -> bytes:
    """A .docx-looking zip whose one member inflates to `unpacked` bytes of zeros.

    Streamed in 1 MB chunks, so building it never holds the unpacked size in memory.
    """
    buffer = io.BytesIO()
    chunk = bytes(MEGABYTE)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(name, "w", force_zip64=True) as member:
            for _ in range(unpacked // MEGABYTE):
                member.write(chunk)
    return buffer.getvalue()


@cache
def many_small_members(count: int = 600, each: int = 100_000) -> bytes:
    """Many members each under the ratio check, together over the unpacked limit."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for index in range(count):
            archive.writestr(f"word/media/part{index}.xml", bytes(each))
    return buffer.getvalue()


# A minimal PDF, with the binary comment line real PDFs carry after the header.
PDF = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass(frozen=True)
class HostileFile:
    name: str
    filename: str
    data: bytes


def draft_files() -> tuple[HostileFile, ...]:
    """Files a facilitator might send as a draft that must be refused with a reason."""
    real = docx_bytes("First paragraph.", "Second paragraph.")
    return (
        HostileFile("pdf_named_md", "draft.md", PDF),
        HostileFile("png_named_docx", "draft.docx", PNG),
        HostileFile("docx_named_md", "draft.md", real),
        HostileFile("pdf_extension", "draft.pdf", PDF),
        HostileFile("no_extension", "draft", b"First paragraph.\n\nSecond."),
        HostileFile("html_filename", "<b>draft</b>.exe", b"MZ\x90\x00"),
        HostileFile("random_bytes_docx", "draft.docx", bytes(range(256)) * 40),
        HostileFile("truncated_docx", "draft.docx", real[: len(real) // 2]),
        HostileFile("empty_docx", "draft.docx", b""),
        HostileFile("zip_without_document", "draft.docx", _zip_without_document()),
        HostileFile("oversized_docx", "draft.docx", b"PK\x03\x04" + bytes(21 * MEGABYTE)),
        HostileFile("zip_bomb_docx", "draft.docx", zip_bomb()),
        HostileFile("zip_bomb_small_ratio_docx", "draft.docx", zip_bomb(10 * MEGABYTE)),
        HostileFile("many_members_docx", "draft.docx", many_small_members()),
        HostileFile(
            "latin1_text", "draft.txt", "Caf\xe9 paragraph.\n\nNa\xefve.".encode("latin-1")
        ),
        HostileFile("empty_text_file", "draft.md", b""),
        HostileFile("three_megabyte_text", "draft.md", b"Paragraph. " * (3 * MEGABYTE // 11)),
    )


def _zip_without_document() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a Word document")
    return buffer.getvalue()


# ---- a draft whose text is itself hostile but legitimate: loaded, shown literally ----------

LITERAL_DRAFT = (
    "# <b>Statement</b>\n\n"
    f"We condemn {SCRIPT} and {LINK_MARKDOWN}.\n\n"
    "=SUM(A1:A9) is not a policy; '; DROP TABLE paragraph; -- is not either.\n\n"
    "Zero\u200bwidth\x00 and \u202eoverride\u202c characters vanish.\n"
)
# A draft's Markdown link is read as its text (and its address, kept beside it).
LITERAL_PARAGRAPHS = (
    f"We condemn {SCRIPT} and official annex.",
    "=SUM(A1:A9) is not a policy; '; DROP TABLE paragraph; -- is not either.",
)
