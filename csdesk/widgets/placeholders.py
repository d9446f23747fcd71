"""Placeholders drawn highlighted in text areas and previews (issue #5, guide §3.4).

The composer and the phrase editor show each ``{…}`` placeholder
(:func:`csdesk.domain.phrases.find_placeholders`) in a style that cannot be
missed, also without colour (``NO_COLOR``, the monochrome theme): reversed
for a value still to be filled (``{?label}``, or a known one without a value
yet), underlined on the error colour for an unknown one. Pure drawing: no I/O.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App

from csdesk.domain.phrases import Placeholder, find_placeholders
from csdesk.themes import status_style


def placeholder_style(app: App, placeholder: Placeholder, *, known_fill: bool = False) -> str:
    """The Rich style of ``placeholder`` on ``app`` now (by its kind).

    ``known_fill``: a known placeholder will be filled by itself (a phrase
    being written, not a message about to be sent): drawn calmly."""
    if placeholder.kind == "unknown":
        return f"{status_style(app, 'error')} underline"
    if known_fill and placeholder.kind == "known":
        return f"{status_style(app, 'info')} underline"
    return f"{status_style(app, 'warn')} reverse"


def highlight_placeholders(text: Text, app: App, *, known_fill: bool = False) -> Text:
    """Stylize the placeholders of ``text`` (in place) and return it
    (``known_fill``: see :func:`placeholder_style`)."""
    plain = text.plain
    if "{" not in plain:
        return text
    for placeholder in find_placeholders(plain):
        style = placeholder_style(app, placeholder, known_fill=known_fill)
        text.stylize(style, placeholder.start, placeholder.end)
    return text


def plain_with_placeholders(value: str, app: App, *, style: str = "") -> Text:
    """``value`` as plain text (never markup) with its placeholders highlighted."""
    return highlight_placeholders(Text(value, style=style), app)


class PlaceholderHighlight:
    """Mixin for a ``TextArea``: each line is drawn with its placeholders
    highlighted (``TextArea.get_line`` is the hook Textual offers for extra
    styling). Set :attr:`highlight_placeholders` False to turn it off, and
    :attr:`known_placeholders_fill` True where known placeholders will still
    be filled (the phrase editor)."""

    highlight_placeholders: bool = True
    known_placeholders_fill: bool = False

    def get_line(self, line_index: int) -> Text:
        """The line ``line_index`` with its placeholders highlighted."""
        line: Text = super().get_line(line_index)  # type: ignore[misc]
        if self.highlight_placeholders and "{" in line.plain:
            highlight_placeholders(line, self.app, known_fill=self.known_placeholders_fill)  # type: ignore[attr-defined]
        return line

    def redraw_placeholders(self) -> None:
        """Draw the lines again (the theme, hence the styles, changed)."""
        cache = getattr(self, "_line_cache", None)
        if cache is not None:
            cache.clear()
        self.refresh()  # type: ignore[attr-defined]
