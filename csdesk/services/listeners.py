"""Calling the desk's listeners from the service loops.

The sync and event-stream loops tell the desk what happened through plain
callbacks (``on_sent``, ``on_status``, ``on_announcement`` …). The loops must
outlive a listener's bug: an exception raised by one would otherwise end the
outbox push or the event stream for the rest of the shift (and, in a Textual
worker, the app). The error is logged with its traceback instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("csdesk.services")


def tell(listener: Callable[..., Any] | None, *args: Any) -> None:
    """Call ``listener(*args)`` if set; log (never raise) what it raises.

    The loop that calls it carries on: an item already settled in the outbox
    stays settled, the next event is still read.
    """
    if listener is None:
        return
    try:
        listener(*args)
    except Exception:
        name = getattr(listener, "__qualname__", repr(listener))
        log.exception("listener %s failed; the loop carries on", name)
