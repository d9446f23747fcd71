"""Everything one backend instance shares between requests."""

from __future__ import annotations

from dataclasses import dataclass

from csdesk.server.config import ServerSettings
from csdesk.server.db import Database
from csdesk.server.events import EventHub
from csdesk.server.security import Passwords


@dataclass
class ServerContext:
    """Settings, database, password hasher and event hub of one backend.

    Stored as ``app.state.ctx`` by :func:`csdesk.server.app.create_app`;
    :class:`csdesk.server.runner.BackgroundServer` exposes it as ``.context``
    so tests and admin tools can call the service functions
    (``csdesk.server.announcements``, ``csdesk.server.agents``) in-process.
    """

    settings: ServerSettings
    db: Database
    passwords: Passwords
    hub: EventHub

    @classmethod
    def open(cls, settings: ServerSettings) -> ServerContext:
        """Open the database at ``settings.db_path``, create the tables and wire the hub."""
        db = Database(settings.db_path)
        db.create_tables()
        hub = EventHub()
        hub.watch(db.sessions)
        return cls(settings=settings, db=db, passwords=Passwords(settings), hub=hub)

    def close(self) -> None:
        """End the event streams and close the database connections."""
        self.hub.close()
        self.db.dispose()
