"""Real drafts to test with, and the same draft as Word file and as pasted text.

The Freedom Online Coalition's 2014 joint statement on the use and export of
surveillance technology (public), as Markdown: a title, a date line, four paragraphs, a
heading, four paragraphs and two link lines.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

FOC_MARKDOWN = (Path(__file__).parent / "foc-2014-surveillance-export-statement.md").read_text()
FOC_TITLE = "FOC Joint Statement on the Use and Export of Surveillance Technology"
FOC_BACKGROUND = "Freedom Online Coalition Background"
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def _blocks() -> list[str]:
    return [b.strip() for b in FOC_MARKDOWN.split("\n\n") if b.strip()]


def foc_pasted() -> str:
    """The statement as a person pastes it from a web page: no Markdown at all."""
    lines = []
    for block in _blocks():
        block = block.lstrip("# ")
        block = _LINK.sub(lambda m: m[1].replace("\\\\", ""), block)
        lines.append(block.replace("<", "").replace(">", ""))
    return "\n\n".join(lines) + "\n"


def foc_docx() -> bytes:
    """The statement as a delegation's Word file: Title and Heading 1 styles, links as
    Word hyperlinks."""
    document = docx.Document()
    for block in _blocks():
        if block.startswith("## "):
            document.add_heading(block[3:], level=1)
        elif block.startswith("# "):
            document.add_paragraph(block[2:], style="Title")
        elif (link := _LINK.fullmatch(block)) is not None:
            hyperlink(document.add_paragraph(), link[1].replace("\\\\", ""), link[2])
        else:
            document.add_paragraph(block.replace("<", "").replace(">", ""))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def hyperlink(paragraph: docx.text.paragraph.Paragraph, text: str, url: str) -> None:
    """A Word hyperlink (python-docx writes none of its own)."""
    rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    element = OxmlElement("w:hyperlink")
    element.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    text_element = OxmlElement("w:t")
    text_element.text = text
    run.append(text_element)
    element.append(run)
    paragraph._p.append(element)
