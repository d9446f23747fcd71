"""Fixed UI labels that follow the language without rebuilding the screen.

A screen lists ``{selector: message id}``; :func:`apply_texts` writes the
translated text into each widget in place, so a language switch keeps focus,
typed values and scroll positions (a recompose would lose them).
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.dom import DOMNode
from textual.widgets import Button, Static

from csdesk.i18n import t


def apply_texts(node: DOMNode, texts: Mapping[str, str]) -> None:
    """Set each ``selector``'s text to ``t(message id)``: Button labels, Static/Label content."""
    for selector, key in texts.items():
        for widget in node.query(selector):
            if isinstance(widget, Button):
                widget.label = t(key)
            elif isinstance(widget, Static):
                widget.update(t(key))
