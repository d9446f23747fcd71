"""The four desk themes the agent picks in settings (Textual only).

``dark`` and ``light`` are Textual's own; ``high-contrast`` and
``monochrome`` are registered here. Monochrome uses only black, white and
grey and marks the cursor, focus and selection by swapping black and white,
so it stays readable when colours are removed (``NO_COLOR``: Textual turns
every colour to grey) or reduced to the 8/16 of ``TERM=linux``.

Colour never carries meaning alone. Text that marks a status (agent state,
online/offline, a rule met, an error) takes its style from
:func:`status_style`: a colour in the colour themes, bold / underline /
reverse in monochrome or under ``NO_COLOR``. And under the monochrome theme
the app adds Textual's grey filter (:func:`monochrome_filters`), so a
colour written anywhere else still reaches the terminal as a grey.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from textual.filter import LineFilter, Monochrome, NoColor
from textual.theme import Theme

if TYPE_CHECKING:
    from textual.app import App

HIGH_CONTRAST: Final = Theme(
    name="csdesk-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#ffff00",
    warning="#ffff00",
    error="#ff4040",
    success="#00ff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#202020",
    boost="#000000",
    dark=True,
    luminosity_spread=0.1,
    text_alpha=1.0,
    variables={
        "text": "#ffffff",
        "text-muted": "#ffffff",
        "foreground-muted": "#ffffff",
        "block-cursor-foreground": "#000000",
        "block-cursor-background": "#ffff00",
        "block-cursor-text-style": "bold",
        "block-cursor-blurred-foreground": "#000000",
        "block-cursor-blurred-background": "#ffffff",
        "border": "#ffff00",
        "border-blurred": "#ffffff",
        "footer-key-foreground": "#ffff00",
        "footer-description-foreground": "#ffffff",
        "input-cursor-background": "#ffff00",
        "input-cursor-foreground": "#000000",
        "input-selection-background": "#00ffff",
        "input-selection-foreground": "#000000",
        "button-focus-text-style": "bold reverse",
        "scrollbar": "#ffffff",
        "scrollbar-background": "#000000",
    },
)

MONOCHROME: Final = Theme(
    name="csdesk-monochrome",
    primary="#ffffff",
    secondary="#c0c0c0",
    accent="#ffffff",
    warning="#ffffff",
    error="#ffffff",
    success="#ffffff",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#000000",
    boost="#000000",
    dark=True,
    luminosity_spread=0.0,
    text_alpha=1.0,
    variables={
        "text": "#ffffff",
        "text-muted": "#c0c0c0",
        "foreground-muted": "#c0c0c0",
        "block-cursor-foreground": "#000000",
        "block-cursor-background": "#ffffff",
        "block-cursor-text-style": "bold",
        "block-cursor-blurred-foreground": "#ffffff",
        "block-cursor-blurred-background": "#000000",
        "block-cursor-blurred-text-style": "underline",
        "block-hover-background": "#000000",
        "border": "#ffffff",
        "border-blurred": "#808080",
        "surface-active": "#000000",
        "footer-foreground": "#ffffff",
        "footer-background": "#000000",
        "footer-key-foreground": "#000000",
        "footer-key-background": "#ffffff",
        "footer-description-foreground": "#ffffff",
        "input-cursor-background": "#ffffff",
        "input-cursor-foreground": "#000000",
        "input-selection-background": "#ffffff",
        "input-selection-foreground": "#000000",
        "button-foreground": "#ffffff",
        "button-color-foreground": "#000000",
        "button-focus-text-style": "bold reverse",
        "scrollbar": "#ffffff",
        "scrollbar-hover": "#ffffff",
        "scrollbar-active": "#ffffff",
        "scrollbar-background": "#000000",
        "screen-selection-background": "#ffffff",
        "screen-selection-foreground": "#000000",
        "link-color": "#ffffff",
    },
)

#: Settings value → registered Textual theme name.
THEME_NAMES: Final = {
    "dark": "textual-dark",
    "light": "textual-light",
    "high-contrast": HIGH_CONTRAST.name,
    "monochrome": MONOCHROME.name,
}

#: Registered by the app at start.
CUSTOM_THEMES: Final = (HIGH_CONTRAST, MONOCHROME)


#: Status role → (style in the colour themes, style without colour).
STATUS_STYLES: Final = {
    "ok": ("bold green", "bold"),
    "warn": ("bold yellow", "bold underline"),
    "error": ("bold red", "bold reverse"),
    "info": ("bold cyan", "bold"),
    "good": ("green", ""),
    "bad": ("red", "bold"),
}


def colourless(app: App) -> bool:
    """True when ``app`` shows no colour: the monochrome theme, or ``NO_COLOR``."""
    return bool(app.no_color) or app.theme == MONOCHROME.name


def status_style(app: App, role: str) -> str:
    """The Rich style of a ``role`` (a :data:`STATUS_STYLES` key) on ``app`` now."""
    coloured, plain = STATUS_STYLES[role]
    return plain if colourless(app) else coloured


def monochrome_filters(app: App, filters: Sequence[LineFilter]) -> list[LineFilter]:
    """``filters`` plus Textual's grey filter while ``app`` uses the monochrome
    theme (``NO_COLOR`` already has one): every colour becomes a grey."""
    result = list(filters)
    if app.theme == MONOCHROME.name and not any(isinstance(f, (Monochrome, NoColor)) for f in result):
        result.append(_GREY)
    return result


_GREY: Final = Monochrome()
