"""Turn a draft statement, as a person sends it, into the paragraphs delegates vote on.

A draft arrives as pasted text (Markdown or plain) or as a file (.md, .txt, .docx). We keep
what delegates need to see and number: an optional title and the body paragraphs, in order,
each one normalised string. Section headings, rules, comments and the numbers an author
typed are dropped, because the bot shows its own numbers and votes are per paragraph; each
list item becomes its own paragraph, because operative items are voted on separately.
Everything here works on text or bytes already in memory; a .docx is only opened after a
look at its zip directory, so a small upload cannot unpack into gigabytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from consultations.errors import EmptyDraft, UnreadableDraftFile, UnsupportedDraftFile
from consultations.submissions import MAX_AMENDMENT_CHARS

MAX_DRAFT_BYTES = 2_000_000
"""Largest text draft, in bytes (UTF-8) or characters for pasted text."""

MAX_DOCX_BYTES = 20_000_000
"""Largest .docx upload: larger than text because embedded pictures (logos) count."""

MAX_DOCX_UNPACKED_BYTES = 50_000_000
"""Largest total a .docx may unpack to."""

MAX_DOCX_MEMBER_RATIO = 100
"""Largest compression ratio of one .docx member, once it is big enough to matter."""

# Small XML parts can legitimately compress more than 100:1 and cannot hurt anyone.
_RATIO_CHECK_FROM_BYTES = 1_000_000

MAX_PARAGRAPHS = 500

ACCEPTED_EXTENSIONS = ".md, .txt, .docx"
_TEXT_EXTENSIONS = frozenset({".md", ".markdown", ".txt"})


@dataclass(frozen=True)
class DraftText:
    """A parsed draft: its title, if it opened with one, and the paragraphs to vote on."""

    title: str | None
    paragraphs: tuple[str, ...]


# --- characters ------------------------------------------------------------------------

# Line breaks other than "\n": Word writes a manual line break as "\v" in plain text, so
# these must separate words rather than vanish with the other control characters.
_LINE_BREAKS = str.maketrans(
    {"\r": "\n", "\v": "\n", "\f": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n\n"}
)
# Control characters (Unicode category Cc) other than tab and newline, invisible
# characters that would make two identical-looking paragraphs differ, bidirectional
# overrides and isolates (they can make text read reversed), and lone surrogates (not
# text at all). ZWNJ and ZWJ are kept: Persian and Indic spelling and emoji need them.
_UNWANTED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u180e\u200b\u200e\u200f\u061c\u2060\ufeff"
    "\u202a-\u202e\u2066-\u2069\ud800-\udfff]+"
)


def _clean(text: str) -> str:
    """Unify line breaks; drop control characters (bar newline and tab) and invisibles."""
    return _UNWANTED.sub("", text.replace("\r\n", "\n").translate(_LINE_BREAKS))


def _drop_comments(text: str) -> str:
    """Remove HTML comments; an unclosed "<!--" is left for the author to see.

    A scan rather than a regular expression, which would take quadratic time on a text
    full of unclosed comments.
    """
    kept: list[str] = []
    position = 0
    while (start := text.find("<!--", position)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        kept.append(text[position:start])
        position = end + 3
    kept.append(text[position:])
    return "".join(kept)


def _collapse(text: str) -> str:
    return " ".join(text.split())


# --- the numbers and bullets authors type ----------------------------------------------

_BULLET = "[-*+•◦▪‣]"
_ROMAN = "[ivxlcIVXLC]{1,6}"
# "1." "1)" "(1)" "(a)" "(iv)" "a)" "iv)": not "a." or "V.", which open names ("V. Smith").
_ORDINAL = rf"(?:\d{{1,3}}[.)]|\((?:\d{{1,3}}|[A-Za-z]|{_ROMAN})\)|(?:[A-Za-z]|{_ROMAN})\))"
_LIST_ITEM = re.compile(rf"(?P<marker>{_BULLET}|{_ORDINAL})(?:[ \t]+(?P<rest>.*))?")
_FIRST_ORDINAL = re.compile(r"\(?(?:0*1|[aAiI])[.)]?\)?")
_TYPED_NUMBER = re.compile(rf"^(?:{_ORDINAL}|{_BULLET})(?:\s+|$)")


def _strip_typed_number(paragraph: str) -> str:
    """Drop one leading paragraph number or bullet: the bot numbers paragraphs itself."""
    return _TYPED_NUMBER.sub("", paragraph, count=1)


def _normalise(text: str) -> str:
    return _strip_typed_number(_collapse(text))


# --- Markdown and plain text -----------------------------------------------------------

_QUOTE_MARKS = re.compile(r"(?:>[ \t]*)+")
_ATX_HEADING = re.compile(r"(?P<level>#{1,6})(?:[ \t]+(?P<text>.*))?")
_RULE = re.compile(r"([-*_])[ \t]*(?:\1[ \t]*){2,}")
_SETEXT_H1 = re.compile(r"=+[ \t]*")


def parse_text(text: str, *, filename: str = "pasted text") -> DraftText:
    """Split Markdown or plain text into a title and paragraphs.

    Paragraphs are separated by blank lines; the lines of one paragraph are joined with a
    space. `filename` only names the source in errors.
    """
    if len(text) > MAX_DRAFT_BYTES:
        raise UnreadableDraftFile(filename=filename, reason=_too_large(MAX_DRAFT_BYTES))
    text = _drop_comments(_clean(text))

    title: str | None = None
    paragraphs: list[str] = []
    lines: list[str] = []  # the paragraph being read
    in_item = False  # the paragraph being read is a list item
    blocks = 0  # paragraphs and headings met so far; a title must be the first

    def finish() -> None:
        if lines:
            paragraph = _normalise(" ".join(lines))
            if paragraph:
                paragraphs.append(paragraph)
            lines.clear()

    for raw in text.split("\n"):
        line = raw.strip()
        if line[:1] == ">" and (quoted := _QUOTE_MARKS.match(line)):  # a quoted draft
            line = line[quoted.end() :].rstrip()
        if not line:
            finish()
            in_item = False
            continue

        # Cheap first-character tests keep long plain lines away from the patterns.
        heading = _ATX_HEADING.fullmatch(line) if line[0] == "#" else None
        if heading:
            finish()
            blocks += 1
            words = _heading_text(heading["text"] or "")
            if blocks == 1 and len(heading["level"]) == 1 and words:
                title = words
            continue

        if line[0] == "=" and _SETEXT_H1.fullmatch(line):
            if len(lines) == 1 and not in_item:  # "Title" underlined with "===="
                words = _collapse(lines.pop())
                if blocks == 1 and words:
                    title = words
            finish()
            continue

        if line[0] in "-*_" and _RULE.fullmatch(line):
            finish()
            continue

        item = _LIST_ITEM.fullmatch(line)
        if item and (
            not lines
            or in_item
            or len(item["marker"]) == 1  # a bullet
            or _FIRST_ORDINAL.fullmatch(item["marker"])
        ):
            # Items separate on their own lines; inside a plain paragraph, only a bullet
            # or a first ordinal ("1.", "(a)") starts a list, so that a wrapped line
            # beginning "(3) of the resolution" stays in its paragraph.
            finish()
            blocks += 1
            lines.append(item["rest"] or "")
            in_item = True
            continue

        if not lines:
            blocks += 1
        lines.append(line)

    finish()
    return _checked(DraftText(title=title, paragraphs=tuple(paragraphs)), filename)


def _heading_text(text: str) -> str:
    """The words of an ATX heading, without the optional closing hashes ("# Title #")."""
    unclosed = text.rstrip("#")
    if not unclosed or unclosed[-1] in " \t":
        text = unclosed
    return _collapse(text)


def _checked(draft: DraftText, filename: str) -> DraftText:
    if not draft.paragraphs:
        raise EmptyDraft()
    if len(draft.paragraphs) > MAX_PARAGRAPHS:
        raise UnreadableDraftFile(
            filename=filename,
            reason=f"it has {len(draft.paragraphs)} paragraphs; the limit is {MAX_PARAGRAPHS}",
        )
    for number, paragraph in enumerate(draft.paragraphs, start=1):
        # No amendment could ever replace a paragraph longer than an amendment may be.
        if len(paragraph) > MAX_AMENDMENT_CHARS:
            raise UnreadableDraftFile(
                filename=filename,
                reason=f"paragraph {number} has {len(paragraph)} characters; the limit is "
                f"{MAX_AMENDMENT_CHARS}, so split it with blank lines",
            )
    return draft


def _too_large(limit: int) -> str:
    return f"it is larger than {limit // 1_000_000} MB"


# --- Word ------------------------------------------------------------------------------

_NOT_DOCX = "it is not a Word .docx file, or it is damaged"


def parse_docx(data: bytes, filename: str = "draft.docx") -> DraftText:
    """Read the body paragraphs of a Word .docx, skipping headings and empty paragraphs.

    A paragraph styled 'Title', or a 'Heading 1', becomes the title when it comes first.
    """
    if len(data) > MAX_DOCX_BYTES:
        raise UnreadableDraftFile(filename=filename, reason=_too_large(MAX_DOCX_BYTES))
    _refuse_zip_bomb(data, filename)
    try:
        styled = _styled_paragraphs(data)
    except Exception as error:  # python-docx and lxml raise many kinds on a bad file
        raise UnreadableDraftFile(filename=filename, reason=_NOT_DOCX) from error

    title: str | None = None
    paragraphs: list[str] = []
    first = True
    for style, raw in styled:
        text = _collapse(_clean(raw))
        if not text:
            continue
        if style == "Title" or style == "Subtitle" or style.startswith("Heading"):
            if first and style in ("Title", "Heading 1"):
                title = text
            first = False
            continue
        first = False
        paragraph = _strip_typed_number(text)
        if paragraph:
            paragraphs.append(paragraph)
    return _checked(DraftText(title=title, paragraphs=tuple(paragraphs)), filename)


def _refuse_zip_bomb(data: bytes, filename: str) -> None:
    """Refuse a .docx whose zip directory promises far more than a draft needs.

    zipfile never yields more bytes than a member's declared size, so checking the
    declared sizes bounds what python-docx can unpack.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except Exception as error:  # BadZipFile, but also struct and value errors on junk
        raise UnreadableDraftFile(filename=filename, reason=_NOT_DOCX) from error
    unpacked = sum(member.file_size for member in members)
    suspicious = any(
        member.file_size >= _RATIO_CHECK_FROM_BYTES
        and member.file_size > MAX_DOCX_MEMBER_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if unpacked > MAX_DOCX_UNPACKED_BYTES or suspicious:
        raise UnreadableDraftFile(
            filename=filename,
            reason="it unpacks to far more than a draft needs",
        )


def _styled_paragraphs(data: bytes) -> list[tuple[str, str]]:
    """(style name, text) of each body paragraph, in order."""
    import docx  # deferred: only Word uploads pay for loading python-docx and lxml

    document = docx.Document(io.BytesIO(data))
    result: list[tuple[str, str]] = []
    for paragraph in document.paragraphs:
        style = paragraph.style
        result.append(((style.name if style is not None else None) or "", paragraph.text))
    return result


# --- files -----------------------------------------------------------------------------


def parse_draft_file(filename: str, data: bytes) -> DraftText:
    """Parse an uploaded draft, choosing the reader by the file's extension."""
    _, dot, extension = filename.rpartition(".")
    extension = f".{extension.lower()}" if dot else ""
    if extension == ".docx":
        return parse_docx(data, filename)
    if extension not in _TEXT_EXTENSIONS:
        raise UnsupportedDraftFile(filename=filename, accepted=ACCEPTED_EXTENSIONS)
    if len(data) > MAX_DRAFT_BYTES:
        raise UnreadableDraftFile(filename=filename, reason=_too_large(MAX_DRAFT_BYTES))
    return parse_text(_decode(data, filename), filename=filename)


def _decode(data: bytes, filename: str) -> str:
    """UTF-8, with or without a BOM; UTF-16 only when its BOM says so (Windows Notepad)."""
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise UnreadableDraftFile(
            filename=filename, reason="it is not UTF-8 text; save it again as UTF-8"
        ) from error
