"""DOCX → Markdown for ``csdesk kb import`` (issue #5).

``python-docx`` reads the paragraphs and tables in document order. A
paragraph is a heading when its style is a heading style (``Heading 1``…,
``标题 1``…, or any style or paragraph with an outline level); a ``Title``
paragraph is the document's title and sits above the ``Heading 1``
level. List paragraphs become Markdown list items (``List Number`` styles
ordered), bold and italic runs ``**…**`` and ``*…*``, hyperlinks to
``http``/``https``/``mailto`` links, tables pipe tables. All text is
escaped, so a paragraph that reads ``# x`` or ``<b>`` stays text.

Before python-docx sees the file, :func:`check_docx_package` makes sure it
is a ZIP package with a Word document inside and that it does not unpack
to more than :data:`MAX_UNPACKED_BYTES` (a "zip bomb").

No Textual.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from csdesk.kb_import.errors import KnowledgeImportError
from csdesk.kb_import.markdown_split import escape_markdown

#: Largest total size of the package's parts once unpacked (bytes).
MAX_UNPACKED_BYTES: Final = 200 * 1024 * 1024
_HEADING_STYLE: Final = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_SAFE_URL: Final = re.compile(r"^(?:https?://|mailto:)", re.IGNORECASE)


def check_docx_package(path: Path) -> None:
    """Raise :class:`KnowledgeImportError` unless ``path`` is a ZIP holding ``word/document.xml``
    whose parts unpack to at most :data:`MAX_UNPACKED_BYTES`."""
    if not zipfile.is_zipfile(path):
        raise KnowledgeImportError("not a DOCX file (it is not a ZIP package; DOCX files are)")
    try:
        with zipfile.ZipFile(path) as package:
            infos = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise KnowledgeImportError(f"not a readable DOCX file ({exc})") from exc
    names = {info.filename for info in infos}
    if "word/document.xml" not in names:
        raise KnowledgeImportError("not a DOCX file (a ZIP package without word/document.xml)")
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise KnowledgeImportError(
            f"the DOCX unpacks to {unpacked / 1e6:,.0f} MB; at most {MAX_UNPACKED_BYTES / 1e6:,.0f} MB allowed"
        )


@dataclass
class _Segment:
    text: str
    bold: bool
    italic: bool
    url: str


def _segments(paragraph: object) -> list[_Segment]:
    from docx.text.hyperlink import Hyperlink
    from docx.text.run import Run

    out: list[_Segment] = []
    for item in paragraph.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(item, Run):
            seg = _Segment(item.text, bool(item.bold), bool(item.italic), "")
        elif isinstance(item, Hyperlink):
            url = item.url if _SAFE_URL.match(item.url or "") else ""
            seg = _Segment(item.text, False, False, url)
        else:
            continue
        if not seg.text:
            continue
        last = out[-1] if out else None
        if last and (last.bold, last.italic, last.url) == (seg.bold, seg.italic, seg.url):
            last.text += seg.text
        else:
            out.append(seg)
    return out


def _render(segments: list[_Segment]) -> str:
    parts: list[str] = []
    for seg in segments:
        text = " ".join(seg.text.replace("\n", " ").split(" "))
        core = text.strip()
        if not core:
            parts.append(text)
            continue
        lead = text[: len(text) - len(text.lstrip())]
        tail = text[len(text.rstrip()):]
        inner = escape_markdown(core)
        if seg.url:
            inner = f"[{inner}](<{seg.url.replace('>', '%3E')}>)"
        if seg.bold and seg.italic:
            inner = f"***{inner}***"
        elif seg.bold:
            inner = f"**{inner}**"
        elif seg.italic:
            inner = f"*{inner}*"
        parts.append(f"{lead}{inner}{tail}")
    return "".join(parts).strip()


def _outline_level(paragraph: object) -> int | None:
    """1-based heading level from the style name or an outline level, else None."""
    style = getattr(paragraph, "style", None)
    name = (getattr(style, "name", "") or "").strip()
    match = _HEADING_STYLE.match(name)
    if match:
        return int(match.group(1))
    element = paragraph._p  # type: ignore[attr-defined]
    values = element.xpath("./w:pPr/w:outlineLvl/@w:val")
    if not values and style is not None:
        values = style.element.xpath("./w:pPr/w:outlineLvl/@w:val")
    if values and str(values[0]).isdigit() and int(values[0]) < 9:
        return int(values[0]) + 1
    return None


def _table(table: object) -> list[str]:
    rows: list[list[str]] = []
    for row in table.rows:  # type: ignore[attr-defined]
        rows.append([escape_markdown(" ".join(cell.text.split())) for cell in row.cells])
    if not rows:
        return []
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return lines


def docx_to_markdown(path: Path) -> tuple[str, str]:
    """Convert a DOCX file; return ``(markdown, title)``.

    ``title`` is the core property title, else the first ``Title``
    paragraph, else ``""``. Raises :class:`KnowledgeImportError` for a file
    that is not a readable DOCX (checked by :func:`check_docx_package`
    first; python-docx errors are turned into one line).
    """
    check_docx_package(path)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises KeyError, lxml errors, PackageNotFoundError…
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise KnowledgeImportError(f"not a readable DOCX file ({reason})") from exc
    title = " ".join((document.core_properties.title or "").split())
    blocks: list[str] = []
    shift = 0
    try:
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                lines = _table(item)
                if lines:
                    blocks.append("\n".join(lines))
                continue
            if not isinstance(item, Paragraph):
                continue
            text = _render(_segments(item))
            if not text:
                continue
            style_name = (getattr(item.style, "name", "") or "").strip().lower()
            if style_name == "title":
                if not title:
                    title = " ".join(item.text.split())
                shift = 1
                blocks.append(f"# {text}")
                continue
            level = _outline_level(item)
            if level is not None:
                blocks.append("#" * min(6, level + shift) + " " + text)
            elif style_name.startswith("list number"):
                blocks.append(f"1. {text}")
            elif style_name.startswith("list") or item._p.xpath("./w:pPr/w:numPr"):
                blocks.append(f"- {text}")
            else:
                blocks.append(text)
    except KnowledgeImportError:
        raise
    except Exception as exc:  # a malformed part deep inside the document
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise KnowledgeImportError(f"not a readable DOCX file ({reason})") from exc
    return "\n\n".join(blocks), title
