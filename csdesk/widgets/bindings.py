"""Translated key descriptions for bindings that carry an ``id``.

Every binding in csdesk has an ``id`` (DESIGN §6: the agent can remap it by
id through ``App.set_keymap``). The footer text of a binding is the
catalogue message ``key.<id>`` in the current language; :func:`translate_bindings`
rewrites a node's own binding map so that switching language takes effect
without a restart.
"""

from __future__ import annotations

from dataclasses import replace

from textual.dom import DOMNode

from csdesk.i18n import t


def translate_bindings(node: DOMNode) -> None:
    """Set each binding description of ``node`` to ``t("key.<binding id>")``.

    Textual copies the class ``BINDINGS`` into a per-instance map at
    construction (``DOMNode._bindings``); only that copy is changed.
    """
    mapping = node._bindings.key_to_bindings
    for key, bindings in list(mapping.items()):
        mapping[key] = [
            replace(b, description=t(f"key.{b.id}")) if b.id else b for b in bindings
        ]


#: Key names shown in hints in their usual spelling (the rest as Textual names them).
_KEY_NAMES = {
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "delete": "Delete",
    "backspace": "Backspace",
    "space": "Space",
    "insert": "Insert",
    "home": "Home",
    "end": "End",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
}


def key_label(key: str) -> str:
    """One key as hints write it: ``"f2"`` → ``"F2"``, ``"ctrl+r"`` → ``"ctrl+r"``,
    ``"escape"`` → ``"Esc"``, ``"question_mark"`` → ``"?"``."""
    from textual.keys import format_key

    *modifiers, name = key.strip().split("+") if key.strip() != "+" else ["+"]
    if name[:1] == "f" and name[1:].isdigit():
        shown = name.upper()
    else:
        shown = _KEY_NAMES.get(name) or format_key(name)
    return "+".join([*modifiers, shown])


def current_keys(node: DOMNode, binding_id: str) -> list[str]:
    """The keys binding ``binding_id`` answers to now: the app's keymap (the
    agent's remapping), else its default on ``node``, its ancestors or the app."""
    app = node.app
    keymap = getattr(app, "_keymap", {}) or {}
    if keymap.get(binding_id):
        return [k.strip() for k in keymap[binding_id].split(",") if k.strip()]
    keys: list[str] = []
    for owner in (node, *node.ancestors):
        for key, bindings in owner._bindings.key_to_bindings.items():
            if any(b.id == binding_id for b in bindings) and key not in keys:
                keys.append(key)
        if keys:
            break
    return keys


def key_hint(node: DOMNode, binding_id: str, separator: str = "/") -> str:
    """The current key(s) of ``binding_id``, as a hint shows them (``"F2"``,
    ``"Esc/Enter"``): use it wherever a text names a key, so a remapped
    binding is never shown by its old key."""
    return separator.join(key_label(k) for k in current_keys(node, binding_id)) or "?"
