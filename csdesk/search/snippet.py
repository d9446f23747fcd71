"""Plain-text snippets with the spans of matched words (no markup, ever).

A UI highlights ``text[start:end]`` for each span itself (e.g. with
``rich.text.Text.stylize``); nothing here produces Rich markup or ANSI, and
the text has control characters and escape sequences removed.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from csdesk.domain.text import clean_text

_MD_LINE = re.compile(r"^[ \t]{0,3}(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d{1,3}[.)][ \t]+)", re.M)
_MD_INLINE = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)|<[^>\n]{1,200}>|\*\*|__|`+|~~")
_SPACES = re.compile(r"\s+")


def plain_text(markdown: str) -> str:
    """One line of plain text from Markdown: heading/list/quote markers, emphasis,
    code ticks, HTML tags and link targets removed; whitespace collapsed.

    Escape sequences and control characters are removed too. Returns ``""``
    for empty input. Never raises for any ``str``.
    """
    text = _MD_LINE.sub("", clean_text(markdown))
    text = _MD_INLINE.sub(_inline, text)
    return _SPACES.sub(" ", text).strip()


def _inline(match: re.Match[str]) -> str:
    return match.group(1) or ""


@dataclass(frozen=True, slots=True)
class Snippet:
    """A short plain-text excerpt of one field of an article.

    ``field`` is ``"summary"``, ``"body"``, ``"question"`` or ``"title"``;
    ``text`` the excerpt (an ellipsis "…" marks a cut at either end);
    ``spans`` the ``(start, end)`` character offsets in ``text`` of the
    matched words, sorted and non-overlapping.
    """

    field: str
    text: str
    spans: tuple[tuple[int, int], ...]


def match_spans(folded: str, han_terms: Collection[str], pattern: re.Pattern[str] | None) -> list[tuple[int, int]]:
    """Spans in ``folded`` (a text passed through ``text.fold``, whose offsets are the
    original's) holding a match: each of ``han_terms`` as a substring, and each match
    of ``pattern`` (written forms of English terms; see ``KnowledgeIndex``).
    Overlapping spans are merged; the result is sorted.
    """
    if not folded or (not han_terms and pattern is None):
        return []
    hits: list[tuple[int, int]] = []
    if pattern is not None:
        hits += [m.span() for m in pattern.finditer(folded)]
    for term in han_terms:
        i = folded.find(term)
        while i >= 0:
            hits.append((i, i + len(term)))
            i = folded.find(term, i + len(term))
    hits.sort()
    merged: list[tuple[int, int]] = []
    for start, end in hits:
        if merged and start < merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def best_window(text: str, spans: list[tuple[int, int]], width: int) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Cut ``text`` to about ``width`` characters around the densest group of ``spans``.

    Returns ``(excerpt, spans within the excerpt)``. With no spans the start of
    the text is returned.
    """
    if len(text) <= width:
        return text, tuple(spans)
    best_i, best_count = 0, 0
    for i, (start, _end) in enumerate(spans):
        count = sum(1 for s, e in spans[i:] if e <= start + width)
        if count > best_count:
            best_i, best_count = i, count
    lead = max(8, width // 6)
    begin = max(0, spans[best_i][0] - lead) if spans else 0
    begin = min(begin, max(0, len(text) - width))
    end = min(len(text), begin + width)
    prefix = "…" if begin > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - begin
    inside = tuple((s + shift, e + shift) for s, e in spans if s >= begin and e <= end)
    return prefix + text[begin:end] + suffix, inside
