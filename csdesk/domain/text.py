"""Make untrusted text (customer messages, names, announcement bodies) safe to show.

Design §7: untrusted text is rendered as plain text; control characters and
terminal escape sequences are stripped before display.
"""

from __future__ import annotations

import re
from typing import Final

# CSI, OSC, DCS/SOS/PM/APC strings and two-byte ESC sequences (ECMA-48 §5).
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"          # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"   # DCS, SOS, PM, APC ... ST
    r"|\x1b[@-Z\\-_]"                   # 7-bit C1 (two bytes)
    r"|\x9b[0-?]*[ -/]*[@-~]"           # 8-bit CSI
    # 8-bit OSC / DCS, SOS, PM, APC strings only with their terminator: a lone
    # C1 byte (mojibake) must not swallow the rest of the message.
    r"|\x9d[^\x07\x9c\x1b]*(?:\x07|\x9c)"
    r"|[\x90\x98\x9e\x9f][^\x9c\x1b]*\x9c"
)
# C0 except TAB and LF, DEL, C1, bidi overrides/isolates/marks that can reorder
# text (LRM, RLM, ALM, LRE…RLO, LRI…PDI), and the BOM / zero-width no-break space.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

#: Characters of a paste or prefill that are cleaned, in multiples of the cap
#: (what lies beyond can never fit: it is only counted, as it came).
CLEAN_WINDOW_CAPS: Final = 2


def clean_text(raw: str, *, keep_newlines: bool = True, max_chars: int | None = None) -> str:
    """Return ``raw`` with escape sequences and control characters removed.

    CR LF, lone CR and the Unicode line/paragraph separators (U+2028/U+2029)
    become LF; TAB is kept. With ``keep_newlines=False`` line
    breaks become single spaces (for one-line fields such as names). With
    ``max_chars`` the result is cut to that many characters and ends with "…".
    Markup characters (``[``, ``]``) are left as they are: callers render the
    result as plain text, never as markup.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("", text)
    if not keep_newlines:
        text = " ".join(text.split("\n"))
    if max_chars is not None and len(text) > max_chars:
        text = text[: max(0, max_chars - 1)] + "…"
    return text


def one_line(raw: str) -> str:
    """``raw`` as a one-line field (title, category, tag): cleaned
    (:func:`clean_text` without newlines), every run of white space one space,
    no white space at either end."""
    return " ".join(clean_text(raw, keep_newlines=False).split())


def clean_body(raw: str) -> str:
    """A multi-line text (a phrase or article body) as stored: cleaned
    (:func:`clean_text`, newlines kept), trailing white space of every line
    and blank lines at both ends removed."""
    lines = [line.rstrip() for line in clean_text(raw).split("\n")]
    return "\n".join(lines).strip("\n")


def fit_text(raw: str, room: int, cap: int) -> tuple[str, int]:
    """A paste ``raw`` made to fit a field of ``cap`` characters that has room
    for ``room`` more: ``(text, dropped)``.

    ``text`` is ``raw`` cleaned (:func:`clean_text`, newlines kept) and cut to
    ``room`` characters (a ``room`` below 0 counts as 0). Only the first
    ``cap`` × :data:`CLEAN_WINDOW_CAPS` characters are cleaned; ``dropped``
    counts the characters left out: those of the cleaned text past ``room``,
    plus all past the part cleaned, counted as they came (0 when all fit).
    """
    room = max(0, room)
    window = cap * CLEAN_WINDOW_CAPS
    beyond = max(0, len(raw) - window)
    cleaned = clean_text(raw[:window] if beyond else raw)
    return cleaned[:room], max(0, len(cleaned) - room) + beyond
