"""Symbols the desk draws, with plain stand-ins on the Linux console.

DESIGN §1: csdesk must work under ``TERM=linux``. The console's fonts
(the kernel's built-in VGA font, console-setup's Lat15/Terminus fonts) hold
ASCII, Latin-1, the box-drawing lines and the block elements (so borders
and the ``▀▄█`` half-blocks of the QR code are fine) but not the check
marks, dingbats, warning signs, emoji and most arrows. There an agent would
see a blank or a diamond where "rule met" or "offline" should be.

:func:`glyph` is the one place that choice is made: every mark drawn by our
code goes through it. Pure Python (no Textual), so any layer may use it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

#: Stand-ins for symbols the Linux console cannot show: one cell each where
#: the symbol is a one-cell mark, so columns stay aligned.
LINUX_CONSOLE_FALLBACKS: Final[Mapping[str, str]] = {
    "✓": "+",  # check mark: met / acknowledged
    "✔": "+",
    "✗": "x",  # ballot x: not met / refused
    "✘": "x",
    "●": "*",  # filled circle: online
    "○": "o",  # empty circle: offline
    "⚠": "!",
    "→": ">",
    "←": "<",
    "↑": "^",
    "↓": "v",
    "⏎": "<",
    "…": "...",
    "🔎": ">",  # Textual's command palette prompt
}


def is_linux_console(term: str | None = None) -> bool:
    """True when ``term`` (default: ``$TERM``) is the Linux virtual console."""
    value = os.environ.get("TERM", "") if term is None else term
    return value == "linux" or value.startswith("linux-")


#: Outside those ranges but in every console font (CP437 and WGL4): the
#: bullet, which Textual also uses to mask password fields.
_ALSO_SHOWN: Final = frozenset("•")


def linux_console_shows(char: str) -> bool:
    """True when the Linux console's fonts hold ``char`` (one character).

    ASCII, Latin-1, box drawing (U+2500–U+257F), block elements
    (U+2580–U+259F) and the bullet; nothing else is counted on.
    """
    code = ord(char)
    return code < 0x100 or 0x2500 <= code <= 0x259F or char in _ALSO_SHOWN


def glyph(symbol: str, *, term: str | None = None) -> str:
    """``symbol`` as it can be shown on this terminal (``term``: default ``$TERM``).

    Unchanged except on the Linux console, where each character it cannot
    show becomes its stand-in from :data:`LINUX_CONSOLE_FALLBACKS` (``"?"``
    when there is none).
    """
    if not is_linux_console(term):
        return symbol
    return "".join(
        char if linux_console_shows(char) else LINUX_CONSOLE_FALLBACKS.get(char, "?") for char in symbol
    )


def plain_symbols(text: str, *, term: str | None = None) -> str:
    """``text`` with each symbol of :data:`LINUX_CONSOLE_FALLBACKS` replaced by
    its stand-in on the Linux console (other characters, words in any
    script included, are left as they are)."""
    if not is_linux_console(term):
        return text
    return "".join(LINUX_CONSOLE_FALLBACKS.get(char, char) for char in text)
