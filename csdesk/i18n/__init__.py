"""UI text in zh-CN and English.

Every string the agent sees goes through :func:`t` with a message id. The
language comes from the agent's settings, then the config file, then ``LANG``
(``zh*`` → zh-CN, anything else → English). Catalogues live in ``en.py`` and
``zh_cn.py``; ``tests/test_i18n.py`` checks they hold the same ids and
placeholders.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from csdesk.i18n import en, zh_cn

LANGUAGES: dict[str, Mapping[str, str]] = {"en": en.MESSAGES, "zh-CN": zh_cn.MESSAGES}
DEFAULT_LANGUAGE = "en"

_current = DEFAULT_LANGUAGE


def normalize_language(code: str | None) -> str | None:
    """Map ``zh``, ``zh_CN.UTF-8``, ``zh-cn``, ``en_US`` … to a catalogue name, or None."""
    if not code:
        return None
    value = code.split(".")[0].replace("_", "-").lower()
    if value.startswith("zh"):
        return "zh-CN"
    if value.startswith("en") or value in ("c", "posix"):
        return "en"
    return None


def detect_language(*preferred: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Return the first usable language among ``preferred``, then ``LC_ALL``/``LANG``."""
    env = os.environ if environ is None else environ
    for code in (*preferred, env.get("LC_ALL"), env.get("LC_MESSAGES"), env.get("LANG")):
        lang = normalize_language(code)
        if lang:
            return lang
    return DEFAULT_LANGUAGE


def set_language(code: str | None) -> str:
    """Switch the UI language; unknown codes fall back to English. Returns the one set."""
    global _current
    _current = normalize_language(code) or DEFAULT_LANGUAGE
    return _current


def current_language() -> str:
    """Return the language in use (``"en"`` or ``"zh-CN"``)."""
    return _current


def t(key: str, /, **values: object) -> str:
    """Return the text of message ``key`` in the current language, formatted with ``values``.

    A missing id in the current catalogue falls back to English, then to the id
    itself (so a gap shows, rather than crashing the desk). With ``count=1``
    the current catalogue's ``<key>.one`` is used when it has one (English
    singulars: "1 order", not "1 orders").
    """
    template = LANGUAGES[_current].get(key) or en.MESSAGES.get(key) or key
    if values.get("count") == 1:
        # The singular, where the current language has one ("<id>.one"; Chinese has none).
        template = LANGUAGES[_current].get(f"{key}.one") or template
    if not values:
        return template
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def queue_label(name: str) -> str:
    """A queue's name for people (``"chat.general"`` → "General chat" / "在线综合"):
    the catalogue's ``queue.<name>``, else the name itself (cleaned, 32
    characters at most) for a queue the catalogues do not know."""
    from csdesk.domain.text import clean_text

    key = f"queue.{name}"
    if key in LANGUAGES[_current] or key in en.MESSAGES:
        return t(key)
    return clean_text(name, keep_newlines=False, max_chars=32)
