"""Telling the open screens something: every screen on the app's stack that
has a hook of a given name (``settings_changed``, ``phrases_changed``,
``set_online`` …) is called, the others are passed over."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from textual.app import App


def screen_hooks(app: App[Any], hook: str, *, skip: object = None) -> Iterator[Callable[..., Any]]:
    """The bound methods ``hook`` of the screens on ``app``'s stack, bottom
    first (a snapshot: screens pushed or popped meanwhile do not count),
    leaving out ``skip`` (usually the screen asking) and screens without a
    callable attribute of that name."""
    for screen in list(app.screen_stack):
        method = getattr(screen, hook, None)
        if screen is not skip and callable(method):
            yield method


def tell_screens(app: App[Any], hook: str, *args: Any, skip: object = None) -> None:
    """Call ``hook(*args)`` on every screen on ``app``'s stack that has it
    (see :func:`screen_hooks`), bottom first, skipping ``skip``. What a hook
    raises propagates (the screens after it are not told)."""
    for method in screen_hooks(app, hook, skip=skip):
        method(*args)
