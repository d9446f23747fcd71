"""Markdown: make it safe, split it at its headings, summarise a section (issue #5).

Operating guide §3.1: documents become knowledge articles. Every importer
turns its format into Markdown, then :func:`split_markdown` cuts it into one
section per heading (down to a depth), keeping the heading path as the
section's category. Parsing uses ``markdown-it-py`` (CommonMark, plus the
GFM tables and strikethrough the desk's Markdown viewer understands), so
``#`` inside fenced code or a heading inside a list is never taken for a
section heading.

No Textual, no I/O.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

from markdown_it import MarkdownIt
from markdown_it.token import Token

from csdesk.domain.text import clean_text

#: Characters a summary keeps at most (a chat line; ``KnowledgeArticleDoc.summary`` allows more).
SUMMARY_CHARS: Final = 160

# Markdown punctuation that could start markup inside a line (CommonMark §2.4:
# any ASCII punctuation may be backslash-escaped).
_INLINE_SPECIALS: Final = re.compile(r"([\\`*_\[\]<>|~&])")
# Line starts that would turn text into a block: heading, quote, list, rule, setext underline.
_BLOCK_START: Final = re.compile(r"^(#{1,6}(?=\s|$)|[-+=](?=\s|$|[-=]))")
_ORDERED_START: Final = re.compile(r"^(\d{1,9})([.)])")
_SENTENCE_END: Final = re.compile(r"[。！？!?；;](?=\s|$)|[。！？；]|[.!?](?=\s)")
_UNSAFE_LINK: Final = re.compile(
    r"\[([^\]\n]*)\]\(\s*<?\s*(?:javascript|vbscript|data|file):(?:[^()\s]|\([^()\n]*\))*\s*>?\s*\)",
    re.IGNORECASE,
)
_BLANK_RUNS: Final = re.compile(r"\n{3,}")


@functools.lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """The shared parser: CommonMark with tables and strikethrough."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def escape_inline(text: str) -> str:
    """Backslash the inline markup characters of ``text`` (for a heading's text)."""
    return _INLINE_SPECIALS.sub(r"\\\1", text)


def escape_markdown(line: str) -> str:
    """Escape one line of plain text so that Markdown shows it as it is.

    Inline markup characters (``* _ ` [ ] < > | ~ & \\``) get a backslash,
    and so does a line start that would make a heading, list, quote or rule
    (``# ``, ``- ``, ``+ ``, ``= ``, ``1. ``). Chinese text is left untouched.
    """
    out = _INLINE_SPECIALS.sub(r"\\\1", line)
    if _BLOCK_START.match(out):
        out = "\\" + out
    return _ORDERED_START.sub(r"\1\\\2", out, count=1)


def inline_text(token: Token | None) -> str:
    """The plain text of an ``inline`` token (markup, links and HTML tags dropped)."""
    if token is None or not token.children:
        return "" if token is None else token.content
    parts: list[str] = []
    for child in token.children:
        if child.type in ("text", "code_inline", "text_special"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(inline_text(child))
    return "".join(parts)


def _strip_inline_html(lines: list[str], start: int, end: int, tags: set[str]) -> None:
    for n in range(start, min(end, len(lines))):
        for tag in tags:
            lines[n] = lines[n].replace(tag, "")


def sanitize_markdown(markdown: str) -> str:
    """Markdown with no raw HTML, control characters or terminal escape sequences.

    Design §7 (untrusted text) and issue #5 (a Markdown file with raw HTML
    and escape sequences): escape sequences and control characters go first
    (:func:`csdesk.domain.text.clean_text`); HTML blocks are replaced by
    their text as Markdown (``csdesk.kb_import.html_doc.fragment_to_markdown``:
    scripts and styles dropped); inline tags (``<b>``, ``<span …>``) are
    removed, their text kept; links to ``javascript:``, ``vbscript:``,
    ``data:`` or ``file:`` become their text; runs of blank lines become one.
    Code spans and blocks are kept.
    """
    from csdesk.kb_import.html_doc import fragment_to_markdown

    text = clean_text(markdown)
    tokens = parser().parse(text)
    lines = text.split("\n")
    blocks: list[tuple[int, int, str]] = []
    for token in tokens:
        if token.type == "html_block" and token.map:
            blocks.append((token.map[0], token.map[1], fragment_to_markdown(token.content)))
        elif token.type == "inline" and token.map and token.children:
            tags = {c.content for c in token.children if c.type == "html_inline"}
            if tags:
                _strip_inline_html(lines, token.map[0], token.map[1], tags)
    for start, end, replacement in sorted(blocks, reverse=True):
        lines[start:end] = [*replacement.split("\n"), ""] if replacement else [""]
    return _BLANK_RUNS.sub("\n\n", _UNSAFE_LINK.sub(r"\1", "\n".join(lines)))


@dataclass(frozen=True)
class Section:
    """One piece of a split document.

    ``title``: the heading's plain text (one line); ``path``: the headings
    above it, outermost first (its category below the import root);
    ``body``: its Markdown (deeper headings included), stripped; ``key``:
    stable within the document (path, title and an occurrence number), for
    article ids; ``level``: heading depth, 1 = outermost split level
    (0 for the text before the first heading).
    """

    title: str
    path: tuple[str, ...]
    body: str
    key: str
    level: int


def _heading_level(token: Token) -> int:
    return int(token.tag[1:])


def split_markdown(markdown: str, *, depth: int = 3, preamble_title: str) -> tuple[list[Section], list[str]]:
    """Cut ``markdown`` into sections at its headings; return ``(sections, warnings)``.

    Headings of the top ``depth`` levels used in the document split it (a
    document whose largest heading is ``##`` splits at ``##`` … ``####`` for
    depth 3); deeper ones stay inside the body. Each heading with text
    under it is a section; its path is the split headings above it. A
    heading with nothing under it and no sub-heading (a document cut short)
    gives a warning instead. Text before the first heading is a section
    titled ``preamble_title``; a document without headings is one section.
    Sections come in document order.
    """
    tokens = parser().parse(markdown)
    lines = markdown.split("\n")
    heads: list[tuple[int, Token, str]] = []  # (level, heading_open, title)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0 and token.map:
            title = " ".join(inline_text(tokens[i + 1] if i + 1 < len(tokens) else None).split())
            heads.append((_heading_level(token), token, title))
    sections: list[Section] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}

    def add(title: str, path: tuple[str, ...], body: str, level: int) -> None:
        base = "\x1f".join((*path, title))
        seen[base] = seen.get(base, 0) + 1
        key = base if seen[base] == 1 else f"{base}\x1f#{seen[base]}"
        sections.append(Section(title=title, path=path, body=body, key=key, level=level))

    if heads:
        top = min(level for level, _t, _title in heads)
        heads = [h for h in heads if h[0] - top < depth]
    first_line = heads[0][1].map[0] if heads and heads[0][1].map else len(lines)
    preamble = "\n".join(lines[:first_line]).strip()
    if preamble:
        add(preamble_title, (), preamble, 0)
    stack: list[tuple[int, str]] = []
    for n, (level, token, title) in enumerate(heads):
        assert token.map is not None
        next_start = heads[n + 1][1].map[0] if n + 1 < len(heads) else len(lines)  # type: ignore[index]
        body = "\n".join(lines[token.map[1]:next_start]).strip()
        while stack and stack[-1][0] >= level:
            stack.pop()
        path = tuple(t for _l, t in stack)
        title = title or "(untitled)"
        has_children = n + 1 < len(heads) and heads[n + 1][0] > level
        if body:
            add(title, path, body, level - top + 1)
        elif not has_children:
            warnings.append(f"skipped {title!r}: no text under the heading")
        stack.append((level, title))
    return sections, warnings


def summarize(markdown: str, max_chars: int = SUMMARY_CHARS) -> str:
    """A one-line plain-text summary: the first paragraphs (or list items) of ``markdown``,
    as many as make half of ``max_chars`` (a lead-in line alone says little).

    Cut at the last sentence end within ``max_chars`` characters, else at
    ``max_chars`` with "…". ``""`` when there is no text.
    """
    tokens = parser().parse(markdown)
    parts: list[str] = []
    for i, token in enumerate(tokens):
        if token.type == "inline" and i and tokens[i - 1].type == "paragraph_open":
            part = " ".join(inline_text(token).split())
            if part:
                parts.append(part)
                if sum(len(p) + 1 for p in parts) >= max_chars // 2:
                    break
    text = " ".join(parts)
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= max_chars // 3:
        return head[: ends[-1]].strip()
    return head[: max_chars - 1].rstrip() + "…"
