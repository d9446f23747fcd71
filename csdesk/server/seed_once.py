"""Demo data put into a database once: a ``meta`` row remembers it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.models import Meta

Loaded = TypeVar("Loaded")


def seed_once(
    ctx: ServerContext, key: str, load: Callable[[], Loaded],
    add: Callable[[Session, Loaded, datetime], int],
) -> int:
    """Run ``add(session, load(), now)`` once per database; return what it returns
    (how many rows it added), or 0 when ``key`` was seeded before.

    The ``meta`` row ``key`` (value: the UTC time of the seeding) is written in
    the same transaction, so rows removed or retired later are not brought back
    and a database made by an older csdesk gets the new data once. ``load``
    runs outside the write transaction (files are read and checked first);
    what it raises (``ValueError`` for a broken data file) propagates and
    nothing is written.
    """
    with ctx.db.read() as session:
        if session.get(Meta, key) is not None:
            return 0
    loaded = load()
    now = utcnow()
    with ctx.db.write() as session:
        if session.get(Meta, key) is not None:
            return 0  # another process seeded meanwhile
        added = add(session, loaded, now)
        session.add(Meta(key=key, value=now.isoformat()))
    return added
