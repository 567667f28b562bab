"""Turn a draft statement, as a person sends it, into a document (`consultations.document`).

A draft arrives as pasted text (Markdown or plain) or as a file (.md, .txt, .docx). Text
is read by markdown-it-py (CommonMark, with tables and footnotes): headings become
sections (a first "# Title" the title), each list item its own paragraph (operative items
are voted on separately) with its typed number kept as a label, links their text plus
their URL, emphasis and code plain text; dates, references, signatures and link-only
lines become notes; tables stay whole as one note; images are left out (and said).
Inside a plain paragraph, lines that open with a bullet or a first ordinal ("1.", "(a)")
start separate items, so a list pasted without blank lines still splits. Word files are
read by `consultations.word`. Everything here works on text or bytes already in memory.
"""

from __future__ import annotations

import re
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from consultations.document import Document, Link, NoteKind
from consultations.errors import UnreadableDraftFile, UnsupportedDraftFile
from consultations.reading import FIRST_ORDINAL, LIST_ITEM, MAX_PARAGRAPHS, Builder, clean_lines
from consultations.word import parse_docx

__all__ = ["MAX_DRAFT_BYTES", "MAX_PARAGRAPHS", "parse_docx", "parse_draft_file", "parse_text"]

MAX_DRAFT_BYTES = 2_000_000
"""Largest text draft, in bytes (UTF-8) or characters for pasted text."""

ACCEPTED_EXTENSIONS = ".md, .txt, .docx"
_TEXT_EXTENSIONS = frozenset({".md", ".markdown", ".txt"})


@cache
def _markdown() -> MarkdownIt:
    # No indented code (a pasted text indented by a tab is prose), no fenced code, no raw
    # HTML: a draft is words. Comments are taken out before (`_drop_comments`).
    return (
        MarkdownIt("commonmark")
        .enable("table")
        .use(footnote_plugin)
        .disable(["code", "fence", "html_block", "html_inline"])
    )


def parse_text(text: str, *, filename: str = "pasted text") -> Document:
    """Read Markdown or plain text; `filename` only names the source in errors."""
    if len(text) > MAX_DRAFT_BYTES:
        raise UnreadableDraftFile(filename=filename, reason=_too_large(MAX_DRAFT_BYTES))
    builder = Builder(filename)
    _Reader(builder).read(_markdown().parse(_drop_comments(clean_lines(text))))
    return builder.build()


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


# Authors' tools escape twice ("FO\\_Coalition"): a backslash left before punctuation
# after Markdown's own unescaping is one more escape, not text.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")

Line = tuple[str, tuple[Link, ...]]


class _Reader:
    """Walks markdown-it's tokens, telling the builder what each block is."""

    def __init__(self, builder: Builder) -> None:
        self.builder = builder
        self.lists: list[bool] = []  # open lists, innermost last: ordered or not
        self.label: str | None = None  # the typed number of the list item just opened
        self.item_open = False  # the next paragraph is a list item's first
        self.footnote: str | None = None  # inside a footnote's definition: its label
        self.images = 0

    def read(self, tokens: list[Token]) -> None:
        index = 0
        while index < len(tokens):
            token = tokens[index]
            kind = token.type
            if kind == "heading_open":
                text, _ = _joined(self._lines(tokens[index + 1]))
                self.builder.heading(text, int(token.tag[1:]))
            elif kind in ("bullet_list_open", "ordered_list_open"):
                self.lists.append(kind == "ordered_list_open")
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif kind == "list_item_open":
                self.item_open = True
                self.label = f"{token.info}{token.markup}" if self.lists[-1] else None
            elif kind == "paragraph_open":
                self._paragraph(self._lines(tokens[index + 1]))
            elif kind == "footnote_open":
                self.footnote = str(token.meta.get("label", token.meta.get("id", 0) + 1))
            elif kind == "footnote_close":
                self.footnote = None
            elif kind == "table_open":
                index = self._table(tokens, index)
            index += 1
        if self.images:
            self.builder.remark("draft.remark.images", count=self.images)

    def _paragraph(self, lines: list[Line]) -> None:
        if self.footnote is not None:
            text, links = _joined(lines)
            self.builder.note(NoteKind.FOOTNOTE, f"[{self.footnote}] {text}", links)
            return
        listed, label = self.item_open, self.label
        self.item_open, self.label = False, None
        if label is not None and len(label) > 4 and lines:  # "2014. A year...": not a list
            lines[0] = (f"{label} {lines[0][0]}", lines[0][1])
            listed, label = False, None
        # Lines that open with a bullet, or a first ordinal ("1.", "(a)"), start items;
        # then every typed ordinal does, so that "(a)...(b)..." on separate lines splits
        # but a wrapped line opening "(3) of the resolution" stays in its paragraph.
        current: list[Line] = []
        in_item = listed
        for text, links in lines:
            item = LIST_ITEM.fullmatch(text)
            if item and (
                not current
                or in_item
                or len(item["marker"]) == 1
                or FIRST_ORDINAL.fullmatch(item["marker"])
            ):
                if current:
                    self._body(current, label, listed)
                    label, listed = None, True
                current, in_item = [(text, links)], True
            else:
                current.append((text, links))
        if current:
            self._body(current, label, listed)

    def _body(self, lines: list[Line], label: str | None, listed: bool) -> None:
        text, links = _joined(lines)
        self.builder.body(text, links, label=label, listed=listed)

    def _lines(self, inline: Token) -> list[Line]:
        """The inline content as plain text, line by line, with its links."""
        lines: list[Line] = []
        words: list[str] = []
        links: list[Link] = []
        href: str | None = None
        link_words: list[str] = []
        for child in inline.children or []:
            kind = child.type
            if kind in ("softbreak", "hardbreak"):
                lines.append(("".join(words).strip(), tuple(links)))
                words, links = [], []
                continue
            if kind == "link_open":
                href, link_words = str(child.attrs.get("href", "")), []
                continue
            if kind == "link_close":
                text = " ".join("".join(link_words).split())
                if href and text:
                    links.append(Link(text, href))
                href = None
                continue
            if kind == "image":
                self.images += 1
                continue
            if kind == "footnote_ref":
                piece = f"[{child.meta.get('label', child.meta.get('id', 0) + 1)}]"
            elif kind in ("text", "code_inline"):
                piece = _ESCAPE.sub(r"\1", child.content)
            else:
                continue  # emphasis marks and the like: their text comes as text
            words.append(piece)
            if href is not None:
                link_words.append(piece)
        lines.append(("".join(words).strip(), tuple(links)))
        return [line for line in lines if line[0]]

    def _table(self, tokens: list[Token], index: int) -> int:
        """A table, kept whole as one note: rows on lines, cells apart by tabs."""
        rows: list[list[str]] = []
        links: list[Link] = []
        while tokens[index].type != "table_close":
            token = tokens[index]
            if token.type == "tr_open":
                rows.append([])
            elif token.type == "inline":
                text, found = _joined(self._lines(token))
                rows[-1].append(text)
                links.extend(found)
            index += 1
        self.builder.note(NoteKind.TABLE, "\n".join("\t".join(row) for row in rows), links)
        return index


def _joined(lines: list[Line]) -> tuple[str, tuple[Link, ...]]:
    return " ".join(text for text, _ in lines), tuple(x for _, found in lines for x in found)


def _too_large(limit: int) -> str:
    return f"it is larger than {limit // 1_000_000} MB"


# --- files -----------------------------------------------------------------------------


def parse_draft_file(filename: str, data: bytes) -> Document:
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
