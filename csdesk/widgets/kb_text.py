"""Plain-text pieces of a knowledge article for the screens (never markup)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.text import Text

from csdesk.domain.text import clean_text


def category_text(path: Iterable[str]) -> str:
    """A category path on one line (levels cleaned, joined by " / ")."""
    return " / ".join(clean_text(str(part), keep_newlines=False) for part in path)


def article_titles(article: Mapping[str, Any], *, favourite: bool, star_style: str, separator: str) -> Text:
    """★ (a favourite), the Chinese title in bold, then ``separator`` and the
    English title in italics when there is one. Article text is untrusted:
    cleaned of control characters and appended as plain text."""
    titles = Text()
    if favourite:
        titles.append("★ ", style=star_style)
    titles.append(clean_text(str(article.get("title") or ""), keep_newlines=False), style="bold")
    english = clean_text(str(article.get("title_en") or ""), keep_newlines=False)
    if english:
        titles.append(separator + english, style="italic")
    return titles
