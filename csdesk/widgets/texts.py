"""Fixed UI labels that follow the language without rebuilding the screen.

A screen lists ``{selector: message id}``; :func:`apply_texts` writes the
translated text into each widget in place, so a language switch keeps focus,
typed values and scroll positions (a recompose would lose them).

A line drawn from state (a message, a question) is kept as a
:data:`LiveText`: a function that words it in the current language, so the
screen can draw it again after a switch (:func:`live_text`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

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


#: A text a screen draws now and again after a language switch: a function
#: returning it in the current language, or a plain string kept as it is
#: (backend text, or words that do not depend on the language).
LiveText = str | Callable[[], str]


def live_text(value: LiveText) -> str:
    """The text of ``value`` in the current language (a function is called now)."""
    return value() if callable(value) else value
