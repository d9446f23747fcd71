"""Telling the open screens something: every screen on the app's stack that
has a hook of a given name (``settings_changed``, ``phrases_changed``,
``set_online`` …) is called, the others are passed over."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from textual.app import App

_log = logging.getLogger(__name__)


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


async def reload_then_tell(app: App[Any], service: Any, hook: str, *, skip: object = None) -> None:
    """Read ``service``'s local copy again (its ``reload()``, which runs in the
    store's thread), then :func:`tell_screens` ``hook``. Nothing is told when
    there is no service yet (before sign-in) or the read fails (the store
    closed while signing out: logged at debug level)."""
    if service is None:
        return
    try:
        await service.reload()
    except Exception:
        _log.debug("%s: local copy not read again", hook, exc_info=True)
        return
    tell_screens(app, hook, skip=skip)
