"""The agent's personal settings: names, allowed values, defaults (pure, no I/O).

The settings document (``GET/PUT /me/settings`` ``data``, and the local copy
in the ``settings`` collection) is a JSON object. The desk reads these keys;
anything else in the document is kept untouched (other features own it)::

    {
      "theme": "dark" | "light" | "high-contrast" | "monochrome",
      "language": "zh-CN" | "en",
      "offer_alert": "bell" | "flash" | "both" | "none",
      "idle_lock_minutes": 1 .. the bank's maximum,
      "keymap": {"<binding id>": "<key>[,<key>…]", …},
      "phrase_key": "<key>"
    }

Keys are Textual key names (``"f6"``, ``"ctrl+t"``, ``"alt+x"``, ``"a"``,
``"A"``, ``"question_mark"``). The document comes from the backend or from another
terminal, so :meth:`DeskSettings.from_document` never trusts it: a missing or
bad value falls back to its default.

The bank's maximum idle lock comes from the backend (``GET
/auth/desk-policy``, ``DeskPolicyView.max_idle_lock_minutes``; server setting
``ServerSettings.max_idle_lock_minutes``). :data:`MAX_IDLE_LOCK_MINUTES` is
only the fallback while the backend's answer is unknown (an older backend).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

#: Fallback for the bank's maximum idle lock, minutes, used only until the
#: backend's policy is known (the backend's own default is the same 15).
MAX_IDLE_LOCK_MINUTES: Final = 15
#: Idle minutes before the screen locks when the agent chose nothing.
DEFAULT_IDLE_LOCK_MINUTES: Final = 5

#: Settings document keys.
THEME: Final = "theme"
LANGUAGE: Final = "language"
OFFER_ALERT: Final = "offer_alert"
IDLE_LOCK_MINUTES: Final = "idle_lock_minutes"
KEYMAP: Final = "keymap"
PHRASE_KEY: Final = "phrase_key"

THEMES: Final = ("dark", "light", "high-contrast", "monochrome")
DEFAULT_THEME: Final = "dark"
LANGUAGES: Final = ("zh-CN", "en")
OFFER_ALERTS: Final = ("bell", "flash", "both", "none")
DEFAULT_OFFER_ALERT: Final = "both"
#: Default key of the quick-phrase list (DESIGN §6: F6).
DEFAULT_PHRASE_KEY: Final = "f6"

#: Most entries a keymap may hold (there are far fewer bindings).
MAX_KEYMAP_ENTRIES: Final = 200

_KEY = re.compile(r"\A[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*\Z")
_BINDING_ID = re.compile(r"\A[a-z][a-z0-9_]*(\.[a-z0-9_]+)+\Z")

#: Keys that move focus, confirm, cancel or edit text everywhere: never remapped onto.
RESERVED_KEYS: Final = frozenset(
    {
        "tab", "shift+tab", "enter", "escape", "space", "backspace", "delete",
        "up", "down", "left", "right", "home", "end", "pageup", "pagedown",
        "ctrl+c", "ctrl+v", "ctrl+x", "ctrl+a", "ctrl+e", "ctrl+k", "ctrl+u", "ctrl+w",
    }
)


def is_valid_key(key: object) -> bool:
    """True for one Textual key name such as ``"f6"`` or ``"ctrl+t"`` (1–40 chars)."""
    return isinstance(key, str) and 0 < len(key) <= 40 and bool(_KEY.match(key))


def is_valid_binding_id(binding_id: object) -> bool:
    """True for a dotted binding id such as ``"desk.toggle_ready"`` (≤ 64 chars)."""
    return isinstance(binding_id, str) and len(binding_id) <= 64 and bool(_BINDING_ID.match(binding_id))


def clamp_idle_minutes(value: object, maximum: int = MAX_IDLE_LOCK_MINUTES) -> int:
    """Return ``value`` as whole minutes within ``1..maximum``.

    Non-integers (including booleans and strings) give
    :data:`DEFAULT_IDLE_LOCK_MINUTES` (itself clamped to ``maximum``).
    ``maximum`` below 1 counts as 1.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        value = DEFAULT_IDLE_LOCK_MINUTES
    return max(1, min(int(value), maximum))


def idle_minutes_problem(value: object, maximum: int) -> str | None:
    """Why ``value`` cannot be the idle-lock minutes under the bank's ``maximum``, or None.

    Returns ``"not-whole-minutes"`` (not an int, or a bool), ``"below-one"``
    or ``"above-maximum"``; None when ``1 <= value <= maximum``. The caller
    words the message (the settings screen, in the agent's language).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return "not-whole-minutes"
    if value < 1:
        return "below-one"
    if value > maximum:
        return "above-maximum"
    return None


def limit_idle_minutes(data: Mapping[str, Any], maximum: int) -> dict[str, Any]:
    """A copy of settings document ``data`` whose ``idle_lock_minutes`` obeys ``maximum``.

    A whole number above ``maximum`` becomes ``maximum`` and one below 1
    becomes 1 (what the backend stores, ``PUT /me/settings``); anything else
    (absent, not a number) is left as it is: readers fall back to the
    default for it (:meth:`DeskSettings.from_document`).
    """
    result = dict(data)
    value = result.get(IDLE_LOCK_MINUTES)
    if isinstance(value, int) and not isinstance(value, bool):
        result[IDLE_LOCK_MINUTES] = max(1, min(value, maximum))
    return result


#: Keys whose own binding must always work (sign out, quit, palette): no
#: other binding may be remapped onto them, even by a settings document
#: written straight to the server.
ESSENTIAL_KEYS: Final = {"f10": "app.sign_out", "ctrl+q": "app.quit", "ctrl+p": "app.palette"}


def clean_keymap(raw: object) -> dict[str, str]:
    """Keep the well-formed, safe ``{binding id: "key[,key…]"}`` entries of ``raw``.

    Each key of a comma-separated list must pass :func:`is_valid_key`, must
    not be one of :data:`RESERVED_KEYS`, must not take an
    :data:`ESSENTIAL_KEYS` key from its binding, and must not be given to two
    bindings; an entry with any bad part is dropped whole (the binding keeps
    its default key). At most :data:`MAX_KEYMAP_ENTRIES` entries are kept.
    The settings document comes from the server, so it is untrusted.
    """
    if not isinstance(raw, Mapping):
        return {}
    result: dict[str, str] = {}
    for binding_id, keys in raw.items():
        if len(result) >= MAX_KEYMAP_ENTRIES:
            break
        if not is_valid_binding_id(binding_id) or not isinstance(keys, str):
            continue
        parts = [part.strip() for part in keys.split(",")]
        taken = {key for value in result.values() for key in value.split(",")}
        if parts and all(
            is_valid_key(part)
            and part not in RESERVED_KEYS
            and ESSENTIAL_KEYS.get(part, binding_id) == binding_id
            and part not in taken
            for part in parts
        ):
            result[binding_id] = ",".join(parts)
    return result


@dataclass(frozen=True)
class DeskSettings:
    """The desk's view of the settings document, every field valid.

    ``language`` is None when the agent never chose one (the terminal's
    language is kept). ``keymap`` maps binding ids to key strings.
    """

    theme: str = DEFAULT_THEME
    language: str | None = None
    offer_alert: str = DEFAULT_OFFER_ALERT
    idle_lock_minutes: int = DEFAULT_IDLE_LOCK_MINUTES
    keymap: dict[str, str] = field(default_factory=dict)
    phrase_key: str = DEFAULT_PHRASE_KEY

    @classmethod
    def from_document(
        cls,
        data: Mapping[str, Any] | None,
        *,
        max_idle_lock_minutes: int = MAX_IDLE_LOCK_MINUTES,
    ) -> DeskSettings:
        """Read the settings document ``data`` (untrusted); bad values → defaults.

        ``idle_lock_minutes`` is clamped to ``1..max_idle_lock_minutes`` (the
        bank's maximum from the backend): a value stored before the maximum
        was lowered is applied as the maximum.
        """
        data = data if isinstance(data, Mapping) else {}
        theme = data.get(THEME)
        language = data.get(LANGUAGE)
        alert = data.get(OFFER_ALERT)
        phrase_key = data.get(PHRASE_KEY)
        return cls(
            theme=theme if theme in THEMES else DEFAULT_THEME,
            language=language if language in LANGUAGES else None,
            offer_alert=alert if alert in OFFER_ALERTS else DEFAULT_OFFER_ALERT,
            idle_lock_minutes=clamp_idle_minutes(data.get(IDLE_LOCK_MINUTES), max_idle_lock_minutes),
            keymap=clean_keymap(data.get(KEYMAP)),
            phrase_key=phrase_key if is_valid_key(phrase_key) else DEFAULT_PHRASE_KEY,
        )
