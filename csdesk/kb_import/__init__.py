"""Turn documents into knowledge articles: ``csdesk kb import`` (issue #5, operating guide §3.1).

:func:`read_document` reads one file — Markdown (``.md``, ``.markdown``),
HTML (``.html``, ``.htm``), Word (``.docx``) or plain text (``.txt``) — and
returns its sections, one per heading, each with the heading's text as
title and the headings above it as category path. Every format is first
turned into Markdown (:mod:`.html_doc`, :mod:`.docx_doc`, :mod:`.plaintext`),
made safe (:func:`.markdown_split.sanitize_markdown`: no raw HTML, control
characters or terminal escape sequences) and then split at its headings
(:func:`.markdown_split.split_markdown`). Plain text has no markup: its
numbered headings (``1.2系统登录步骤``) are found, and website boilerplate
around the document is left out (see :mod:`.plaintext`).

Nothing here touches the database: ``csdesk kb import``
(:mod:`csdesk.kb_cli`) stores the sections through
:mod:`csdesk.server.knowledge`. :func:`article_id` gives each section a
stable id, so importing the same file again updates its articles.

Bad input is a :class:`KnowledgeImportError` with a one-line reason, never
a crash: a missing file, a folder, an unsupported type, an empty file, a
file over :data:`MAX_FILE_BYTES`, binary data, text in an unknown encoding,
a DOCX that is not one, a document with no text, a section over
:data:`csdesk.domain.knowledge.BODY_MAX` characters.

No Textual, no database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from csdesk.domain import knowledge as kb
from csdesk.domain.text import clean_text
from csdesk.kb_import.errors import KnowledgeImportError
from csdesk.kb_import.markdown_split import (
    Section,
    sanitize_markdown,
    split_markdown,
    summarize,
)

__all__ = [
    "MAX_FILE_BYTES",
    "SUPPORTED_SUFFIXES",
    "ImportedDocument",
    "ImportedSection",
    "KnowledgeImportError",
    "article_id",
    "decode_text",
    "read_document",
]

#: Largest file accepted (bytes): far more than any manual, far less than memory.
MAX_FILE_BYTES: Final = 20 * 1024 * 1024
#: File name endings and the format each means.
SUPPORTED_SUFFIXES: Final = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".txt": "text",
}
#: Heading levels that split a document by default (deeper ones stay in the body).
DEFAULT_DEPTH: Final = 3
#: Share of control characters above which decoded "text" is taken for binary data.
_CONTROL_SHARE: Final = 0.05
#: Controls that text carries: whitespace, and ESC/BEL of terminal escape sequences
#: (removed later by ``clean_text``, not a sign of binary data).
_TEXT_CONTROLS: Final = "\t\n\r\f\x1b\x07"


@dataclass(frozen=True)
class ImportedSection:
    """One future article: ``title`` (one line, ≤ 200 characters, e.g. ``"2.1 客户接入与身份核实"``),
    ``category`` (the heading path above it), ``body`` (Markdown), ``summary``
    (one line, may be ``""``) and ``key`` (stable within the file, see
    :func:`article_id`)."""

    title: str
    category: tuple[str, ...]
    body: str
    summary: str
    key: str


@dataclass(frozen=True)
class ImportedDocument:
    """What :func:`read_document` found in one file: its ``kind`` (``markdown``,
    ``html``, ``docx``, ``text``), the sections in document order and
    ``warnings`` (one line each, e.g. a heading with no text under it)."""

    path: Path
    kind: str
    sections: list[ImportedSection]
    warnings: list[str] = field(default_factory=list)


def article_id(file_name: str, key: str) -> str:
    """The id of an imported section: ``KB-IMP-`` + 12 hex digits of SHA-256 of file name and key.

    Stable: the same file (by name) imported again gives the same ids, so
    its articles are updated, not copied. Matches ``kb.ID_PATTERN``.
    """
    raw = f"{file_name}\x1e{key}".encode("utf-8", "surrogateescape")  # undecodable file names too
    digest = hashlib.sha256(raw).hexdigest()[:12].upper()
    return f"KB-IMP-{digest}"


def decode_text(raw: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030.

    Raises :class:`KnowledgeImportError` for binary data (NUL bytes, or more
    than 5 % control characters other than whitespace and the ESC/BEL of
    escape sequences) and for bytes that are none of those.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise KnowledgeImportError("not readable text (broken UTF-16)") from exc
    else:
        if b"\x00" in raw:
            raise KnowledgeImportError("binary data, not text")
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise KnowledgeImportError("not text in UTF-8 or GB18030 (binary data?)")
    controls = sum(1 for ch in text if ch < " " and ch not in _TEXT_CONTROLS or "\x7f" <= ch <= "\x9f")
    if controls > max(8, len(text) * _CONTROL_SHARE):
        raise KnowledgeImportError("binary data, not text")
    return text


def _read(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise KnowledgeImportError(
                f"too large ({size / 1e6:,.1f} MB; at most {max_bytes / 1e6:,.0f} MB)"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise KnowledgeImportError(f"cannot read it: {exc.strerror or exc}") from exc
    if len(raw) > max_bytes:  # grew since stat
        raise KnowledgeImportError(f"too large (at most {max_bytes / 1e6:,.0f} MB)")
    if not raw.strip():
        raise KnowledgeImportError("empty file")
    return raw


def _to_markdown(path: Path, kind: str, raw: bytes) -> tuple[str, str]:
    if kind == "docx":
        from csdesk.kb_import.docx_doc import docx_to_markdown

        markdown, title = docx_to_markdown(path)
        return sanitize_markdown(markdown), title
    text = clean_text(decode_text(raw))
    if kind == "text":
        from csdesk.kb_import.plaintext import text_to_markdown

        return text_to_markdown(text)
    if kind == "html":
        from csdesk.kb_import.html_doc import html_to_markdown

        markdown, title = html_to_markdown(text)
        return sanitize_markdown(markdown), title
    return sanitize_markdown(text), ""


def _section(raw: Section, file_label: str) -> ImportedSection:
    title = clean_text(raw.title, keep_newlines=False, max_chars=kb.TITLE_MAX).strip()
    category = tuple(
        clean_text(part, keep_newlines=False, max_chars=kb.CATEGORY_PART_MAX).strip()
        for part in raw.path
    )
    body = clean_text(raw.body).strip()
    if len(body) > kb.BODY_MAX:
        raise KnowledgeImportError(
            f"section {title!r} is {len(body):,} characters; an article holds at most "
            f"{kb.BODY_MAX:,}: split it with more headings"
        )
    return ImportedSection(
        title=title or file_label,
        category=tuple(part for part in category if part),
        body=body,
        summary=summarize(body),
        key=raw.key,
    )


def read_document(
    path: Path, *, depth: int = DEFAULT_DEPTH, max_bytes: int = MAX_FILE_BYTES
) -> ImportedDocument:
    """Read ``path`` and split it into sections (see the module docstring).

    ``depth``: how many heading levels split the document (1–6; deeper
    headings stay inside the bodies). Text before the first heading becomes
    a section titled by the document's title (HTML ``<title>``, DOCX title,
    the first line of a plain text without headings) or else the file name
    without its ending. Raises :class:`KnowledgeImportError` (one line) for
    bad input and ``ValueError`` for a ``depth`` out of range.
    """
    if not 1 <= depth <= 6:
        raise ValueError(f"depth must be 1-6, not {depth}")
    path = Path(path)
    if not path.exists():
        raise KnowledgeImportError("no such file")
    if path.is_dir():
        raise KnowledgeImportError("is a folder; name the files to import")
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(SUPPORTED_SUFFIXES))
        shown = clean_text(path.suffix, keep_newlines=False) or "(none)"
        raise KnowledgeImportError(f"unsupported file type {shown}; use one of {known}")
    raw = _read(path, max_bytes)
    markdown, title = _to_markdown(path, kind, raw)
    label = clean_text(title or path.stem, keep_newlines=False, max_chars=kb.TITLE_MAX).strip()
    sections, warnings = split_markdown(markdown, depth=depth, preamble_title=label or "untitled")
    if not sections:
        raise KnowledgeImportError("no text found in it")
    return ImportedDocument(
        path=path,
        kind=kind,
        sections=[_section(s, label or "untitled") for s in sections],
        warnings=warnings,
    )
