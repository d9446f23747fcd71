"""HTML → Markdown for ``csdesk kb import`` (issue #5).

``beautifulsoup4`` parses the page (Python's ``html.parser``: lenient, no
network, no entity expansion attacks) and drops what is not content —
scripts, styles, forms, embedded objects, navigation, asides, page footers,
and page headers without a heading. When the page has a ``<main>`` or an
``<article>`` only that is kept. ``markdownify`` then writes Markdown with
ATX headings (``##``), so the headings split the page into articles.
Images become their alt text; links keep only ``http``, ``https`` and
``mailto`` targets. Text that looks like markup (``&lt;script&gt;``) is
escaped, never made into raw HTML.

No Textual, no I/O.
"""

from __future__ import annotations

import re
from typing import Final

from bs4 import BeautifulSoup, Comment, Tag
from markdownify import MarkdownConverter

#: Elements removed with everything inside them.
DROPPED: Final = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "form", "button", "input", "select", "textarea", "nav", "aside", "footer", "link", "meta",
    "head", "audio", "video", "map",
)
_SAFE_SCHEMES: Final = ("http://", "https://", "mailto:")
_HEADINGS: Final = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLANK_RUNS: Final = re.compile(r"\n{3,}")


def _convert(root: Tag | BeautifulSoup) -> str:
    converter = MarkdownConverter(
        heading_style="ATX",
        bullets="-",
        escape_misc=True,
        escape_asterisks=True,
        escape_underscores=True,
        strip_document="strip",
    )
    markdown = converter.convert_soup(root)
    return _BLANK_RUNS.sub("\n\n", markdown).strip()


def _clean(soup: BeautifulSoup) -> None:
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(DROPPED):
        tag.decompose()
    for header in soup.find_all("header"):
        if header.find(_HEADINGS) is None:
            header.decompose()
    for img in soup.find_all("img"):
        alt = str(img.get("alt") or "").strip()
        img.replace_with(alt)
    for link in soup.find_all("a"):
        href = str(link.get("href") or "").strip()
        if not href.lower().startswith(_SAFE_SCHEMES):
            link.unwrap()


def html_to_markdown(html: str) -> tuple[str, str]:
    """Convert a whole HTML page; return ``(markdown, title)``.

    ``title`` is the page's ``<title>`` (one line, ``""`` when none). The
    content root is ``<main>``, else the first ``<article>``, else ``<body>``,
    else the whole document.
    """
    soup = BeautifulSoup(html, "html.parser")
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text(" ").split()) if isinstance(title_tag, Tag) else ""
    _clean(soup)
    root = soup.find("main") or soup.find("article") or soup.find("body") or soup
    return _convert(root), title  # type: ignore[arg-type]


def fragment_to_markdown(html: str) -> str:
    """Convert an HTML fragment (a raw HTML block found in Markdown) to Markdown text.

    Scripts, styles and the other :data:`DROPPED` elements vanish; the text
    of everything else stays. ``""`` when nothing is left.
    """
    soup = BeautifulSoup(html, "html.parser")
    _clean(soup)
    return _convert(soup)
