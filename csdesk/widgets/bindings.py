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
