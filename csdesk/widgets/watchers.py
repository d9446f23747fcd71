"""Dropping reactive watchers left behind by removed widgets (Textual 8).

``DOMNode.watch(obj, name, callback)`` and ``data_bind`` store
``(node, callback)`` in ``obj``'s watcher list; Textual drops an entry only
when ``obj.name`` changes again and the node is closing. Watchers on values
that rarely change (the app's ``theme``, watched by every ``TextArea``; the
footer's ``compact``, bound by every footer key) therefore keep removed
widgets — and whole closed screens — alive. :func:`prune_detached_watchers`
drops them.
"""

from __future__ import annotations

from typing import Any


def prune_detached_watchers(obj: Any) -> int:
    """Drop the watchers of ``obj`` (a widget or the app) registered by widgets
    that are no longer attached to the app; return how many were dropped."""
    watchers: dict[str, list[tuple[Any, Any]]] = getattr(obj, "__watchers", {})
    dropped = 0
    for entries in watchers.values():
        kept = [
            (node, callback) for node, callback in entries
            if node is obj or getattr(node, "is_attached", True)
        ]
        dropped += len(entries) - len(kept)
        entries[:] = kept
    return dropped
