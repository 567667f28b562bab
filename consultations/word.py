"""Read a Word .docx draft into a document (`consultations.document`).

Word is the working format of delegations, so its paragraph styles carry the structure:
Title, Heading 1-3 (sections), List Bullet / List Number (items, numbered as Word shows
them), Footnote Text; real footnotes come from the footnotes part and are kept as notes.
The text taken is the text as it reads with every tracked change accepted (insertions in,
deletions out), and the facilitator is told so; comments, pictures and drawings are left
out, and said; a table stays whole, as one note. The body is read as WordprocessingML
with lxml (python-docx has no API for revisions, footnotes or numbering), in order,
including what content controls hold. A .docx is only opened after a look at its zip
directory, so a small upload cannot unpack into gigabytes, and after its body was
streamed once to count its paragraphs, so a file of a million empty ones is refused in
a fraction of a second instead of being built into a tree. (The bot reads uploads in a
child process with a time and memory limit besides: `bot/isolation.py`.)
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from consultations.document import Document, Link, NoteKind
from consultations.errors import UnreadableDraftFile
from consultations.reading import Builder

MAX_DOCX_BYTES = 20_000_000
"""Largest .docx upload: larger than text because embedded pictures (logos) count."""

MAX_DOCX_UNPACKED_BYTES = 50_000_000
"""Largest total a .docx may unpack to."""

MAX_DOCX_MEMBER_RATIO = 100
"""Largest compression ratio of one .docx member, once it is big enough to matter."""

MAX_DOCX_PARAGRAPHS = 20_000
"""Most paragraphs (empty ones, table cells and notes included) a .docx body may hold: a
draft has at most `reading.MAX_PARAGRAPHS` to review, and a long one some thousands."""

_PARAGRAPH_TAGS = (b"<w:p>", b"<w:p ", b"<w:p/>")  # a paragraph; <w:pPr> is not one
_STREAM_CHUNK = 1 << 20

# Small XML parts can legitimately compress more than 100:1 and cannot hurt anyone.
_RATIO_CHECK_FROM_BYTES = 1_000_000

_NOT_DOCX = "it is not a Word .docx file, or it is damaged"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REMOVED = {f"{_W}del", f"{_W}moveFrom"}  # tracked deletions: not in the accepted text
_REVISIONS = {f"{_W}ins", f"{_W}del", f"{_W}moveFrom", f"{_W}moveTo"}
_PICTURES = {f"{_W}drawing", f"{_W}pict", f"{_W}object"}
_COMMENTS = {f"{_W}commentReference", f"{_W}commentRangeStart"}


def parse_docx(data: bytes, filename: str = "draft.docx") -> Document:
    """Read a Word .docx: title, headings, paragraphs, lists, tables and footnotes."""
    if len(data) > MAX_DOCX_BYTES:
        raise UnreadableDraftFile(filename=filename, reason=_too_large(MAX_DOCX_BYTES))
    _refuse_zip_bomb(data, filename)
    _refuse_paragraph_flood(data, filename)
    try:
        import docx  # deferred: only Word uploads pay for loading python-docx and lxml

        word = docx.Document(io.BytesIO(data))
        styles = {s.style_id: s.name or "" for s in word.styles}
        reader = _Reader(Builder(filename), word.part, styles)
        reader.read(word.element.body)
    except (UnreadableDraftFile, MemoryError):  # the file's fault, said; or the reader's limit
        raise
    except Exception as error:  # python-docx and lxml raise many kinds on a bad file
        raise UnreadableDraftFile(filename=filename, reason=_NOT_DOCX) from error
    return reader.finish()


def _too_large(limit: int) -> str:
    return f"it is larger than {limit // 1_000_000} MB"


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


def _refuse_paragraph_flood(data: bytes, filename: str) -> None:
    """Refuse a body of more than `MAX_DOCX_PARAGRAPHS` paragraphs, counted while its XML
    is streamed out of the zip (a megabyte at a time), before anything is parsed."""
    count = 0
    tail = b""
    try:
        with (
            zipfile.ZipFile(io.BytesIO(data)) as archive,
            archive.open("word/document.xml") as body,
        ):
            while chunk := body.read(_STREAM_CHUNK):
                # A tag cut by the chunk's end is counted with the next chunk; one that
                # ended within the kept tail was counted already.
                window = tail + chunk
                count += sum(window.count(tag) - tail.count(tag) for tag in _PARAGRAPH_TAGS)
                tail = window[-5:]
                if count > MAX_DOCX_PARAGRAPHS:
                    raise UnreadableDraftFile(
                        filename=filename,
                        reason=f"it has more than {MAX_DOCX_PARAGRAPHS:,} paragraphs",
                    )
    except UnreadableDraftFile:
        raise
    except Exception as error:  # no body part, a damaged member
        raise UnreadableDraftFile(filename=filename, reason=_NOT_DOCX) from error


def body_blocks(body: Any) -> Iterator[Any]:
    """The body's paragraphs (w:p) and tables (w:tbl) in order, those in content
    controls included."""
    for child in body:
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            yield child
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from body_blocks(content)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ROMANS = ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMANS:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _formatted(n: int, fmt: str) -> str | None:
    if fmt == "bullet" or fmt == "none":
        return None
    if fmt in ("lowerLetter", "upperLetter"):
        letter = _LETTERS[(n - 1) % 26]
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(n).upper() if fmt == "upperRoman" else _roman(n)
    return str(n)


class _Reader:
    def __init__(self, builder: Builder, part: Any, styles: dict[str, str]) -> None:
        self.builder = builder
        self.part = part
        self.styles = styles
        self.formats = self._numbering()  # (numId, level) -> (format, pattern)
        self.counters: dict[tuple[str, int], int] = {}
        self.footnotes: dict[str, str] = {}  # Word's footnote id -> its number as shown
        self.images = 0
        self.revisions = False
        self.comments = False

    def read(self, body: Any) -> None:
        for block in body_blocks(body):
            if block.tag == f"{_W}tbl":
                self._table(block)
            else:
                self._paragraph(block)

    def finish(self) -> Document:
        self._footnote_texts()
        if self.revisions:
            self.builder.remark("draft.remark.tracked_changes")
        if self.comments:
            self.builder.remark("draft.remark.comments")
        if self.images:
            self.builder.remark("draft.remark.images", count=self.images)
        return self.builder.build()

    def _style(self, p: Any) -> str:
        found = p.find(f"{_W}pPr/{_W}pStyle")
        style_id = found.get(f"{_W}val") if found is not None else None
        return self.styles.get(style_id or "", "") if style_id else "Normal"

    def _paragraph(self, p: Any) -> None:
        text, links = self._text(p)
        style = self._style(p)
        if style == "Title":
            self.builder.heading(text, 1, title=True)
        elif style.startswith("Heading") and style[7:].strip().isdigit():
            self.builder.heading(text, int(style[7:]))
        elif style == "Subtitle":
            self.builder.note(NoteKind.TEXT, text, links)
        elif style.lower().startswith("footnote"):
            self.builder.note(NoteKind.FOOTNOTE, text, links)
        elif style.startswith("List") or p.find(f"{_W}pPr/{_W}numPr") is not None:
            self.builder.body(text, links, label=self._label(p, style), listed=True)
        else:
            self.builder.body(text, links)

    def _text(self, element: Any) -> tuple[str, tuple[Link, ...]]:
        """The text as it reads with tracked changes accepted, and its links."""
        words: list[str] = []
        links: list[Link] = []
        self._walk(element, words, links)
        return "".join(words), tuple(links)

    def _walk(self, element: Any, words: list[str], links: list[Link]) -> None:
        for child in element:
            tag = child.tag
            if tag in _REVISIONS:
                self.revisions = True
            if tag in _REMOVED:
                continue
            if tag in _COMMENTS:
                self.comments = True
            elif tag in _PICTURES:
                self.images += 1
            elif tag == f"{_W}t":
                words.append(child.text or "")
            elif tag in (f"{_W}tab", f"{_W}br", f"{_W}cr"):
                words.append(" ")
            elif tag == f"{_W}footnoteReference":
                number = self.footnotes.setdefault(
                    child.get(f"{_W}id", ""), str(len(self.footnotes) + 1)
                )
                words.append(f"[{number}]")
            elif tag == f"{_W}hyperlink":
                inner: list[str] = []
                self._walk(child, inner, links)
                words.extend(inner)
                url = self._url(child.get(_R_ID))
                text = " ".join("".join(inner).split())
                if url and text:
                    links.append(Link(text, url))
            elif tag != f"{_W}instrText":  # field codes are not text
                self._walk(child, words, links)

    def _url(self, rel_id: str | None) -> str | None:
        relationship = self.part.rels.get(rel_id) if rel_id else None
        return str(relationship.target_ref) if relationship is not None else None

    def _table(self, table: Any) -> None:
        rows = []
        links: list[Link] = []
        for row in table.iter(f"{_W}tr"):
            cells = []
            for cell in row.findall(f"{_W}tc"):
                texts = []
                for p in cell.iter(f"{_W}p"):
                    text, found = self._text(p)
                    texts.append(" ".join(text.split()))
                    links.extend(found)
                cells.append(" ".join(t for t in texts if t))
            rows.append("\t".join(cells))
        self.builder.note(NoteKind.TABLE, "\n".join(r for r in rows if r.strip()), links)

    # --- numbering: the numbers Word shows before list paragraphs ------------------------

    def _numbering(self) -> dict[tuple[str, int], tuple[str, str]]:
        try:
            numbering = self.part.numbering_part.element
        except Exception:  # a document without numbering definitions
            return {}
        abstract = {}
        for definition in numbering.findall(f"{_W}abstractNum"):
            levels = {}
            for level in definition.findall(f"{_W}lvl"):
                fmt = level.find(f"{_W}numFmt")
                pattern = level.find(f"{_W}lvlText")
                levels[int(level.get(f"{_W}ilvl", "0"))] = (
                    fmt.get(f"{_W}val", "decimal") if fmt is not None else "decimal",
                    pattern.get(f"{_W}val", "") if pattern is not None else "",
                )
            abstract[definition.get(f"{_W}abstractNumId")] = levels
        found = {}
        for num in numbering.findall(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            levels = abstract.get(ref.get(f"{_W}val") if ref is not None else None, {})
            for level, value in levels.items():
                found[(num.get(f"{_W}numId", ""), level)] = value
        return found

    def _label(self, p: Any, style: str) -> str | None:
        """The number Word shows before a list paragraph ("3.", "(b)"), or None."""
        num_id = p.find(f"{_W}pPr/{_W}numPr/{_W}numId")
        ilvl = p.find(f"{_W}pPr/{_W}numPr/{_W}ilvl")
        level = int(ilvl.get(f"{_W}val", "0")) if ilvl is not None else 0
        if num_id is not None:
            key = num_id.get(f"{_W}val", "")
            fmt, pattern = self.formats.get((key, level), ("decimal", f"%{level + 1}."))
        elif "Number" in style:
            key, fmt, pattern = style, "decimal", "%1."
        else:
            return None
        counter = (key, level)
        self.counters[counter] = self.counters.get(counter, 0) + 1
        for deeper in [c for c in self.counters if c[0] == key and c[1] > level]:
            del self.counters[deeper]
        shown = _formatted(self.counters[counter], fmt)
        if shown is None:
            return None
        return pattern.replace(f"%{level + 1}", shown) if f"%{level + 1}" in pattern else shown

    # --- footnotes -----------------------------------------------------------------------

    def _footnote_texts(self) -> None:
        """Each footnote referred to in the body, as a note at the end, in order."""
        if not self.footnotes:
            return
        from docx.oxml import parse_xml

        part = next(
            (r.target_part for r in self.part.rels.values() if r.reltype.endswith("/footnotes")),
            None,
        )
        if part is None:
            return
        texts = {}
        for footnote in parse_xml(part.blob).findall(f"{_W}footnote"):
            words: list[str] = []
            links: list[Link] = []
            for p in footnote.iter(f"{_W}p"):
                self._walk(p, words, links)
                words.append(" ")
            texts[footnote.get(f"{_W}id")] = ("".join(words), tuple(links))
        for word_id, number in self.footnotes.items():
            text, found = texts.get(word_id, ("", ()))
            if text.strip():
                self.builder.note(NoteKind.FOOTNOTE, f"[{number}] {text}", found)
