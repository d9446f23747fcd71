"""Everything one backend instance shares between requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from csdesk.server.config import ServerSettings
from csdesk.server.db import Database
from csdesk.server.events import EventHub
from csdesk.server.security import Passwords
from csdesk.server.sms import FileSmsSender, SmsSender

if TYPE_CHECKING:
    from csdesk.server.work_order_config import WorkOrderConfig


def _set_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


@dataclass
class ServerContext:
    """Settings, database, password hasher, event hub and SMS sender of one backend.

    Stored as ``app.state.ctx`` by :func:`csdesk.server.app.create_app`;
    :class:`csdesk.server.runner.BackgroundServer` exposes it as ``.context``
    so tests and admin tools can call the service functions
    (``csdesk.server.announcements``, ``csdesk.server.agents``) in-process.
    ``sms_sender`` may be replaced at any time (tests put a
    :class:`csdesk.server.sms.MemorySmsSender` there).
    """

    settings: ServerSettings
    db: Database
    passwords: Passwords
    hub: EventHub
    sms_sender: SmsSender
    #: Set to make the routing engine (``csdesk.server.routing``) look at the
    #: queues now instead of at its next tick (issue #4).
    routing_wake: threading.Event = field(default_factory=threading.Event)
    #: Clear while the demo customers are being seeded in the background
    #: (``csdesk.server.customers.start_seeding``); set otherwise.
    customers_ready: threading.Event = field(default_factory=_set_event)

    @classmethod
    def open(
        cls, settings: ServerSettings, *, sms_sender: SmsSender | None = None
    ) -> ServerContext:
        """Open the database at ``settings.db_path``, create the tables and wire the hub.

        ``sms_sender`` defaults to the demo :class:`FileSmsSender` writing
        ``settings.sms_log_file`` (only used when ``settings.sms_enabled``).
        """
        db = Database(settings.db_path)
        db.create_tables()
        hub = EventHub()
        hub.watch(db.sessions)
        return cls(
            settings=settings,
            db=db,
            passwords=Passwords(settings),
            hub=hub,
            sms_sender=sms_sender or FileSmsSender(settings.sms_log_file),
        )

    @property
    def work_orders(self) -> WorkOrderConfig:
        """The work-order configuration (``settings.work_orders_file`` or the demo
        file; read once per file). Raises ``OSError``/``ValueError`` if it is
        unreadable or malformed."""
        from csdesk.server.work_order_config import DEFAULT_FILE, load_config

        return load_config(self.settings.work_orders_file or DEFAULT_FILE)

    def close(self) -> None:
        """End the event streams and close the database connections."""
        self.hub.close()
        self.db.dispose()
