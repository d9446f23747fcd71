"""The csdesk reference backend (FastAPI + SQLAlchemy 2, SQLite in WAL mode).

Importing this package is cheap: it pulls in neither FastAPI nor SQLAlchemy.
The heavy parts load on first use:

- :class:`csdesk.server.config.ServerSettings` — settings (lifetimes in seconds);
- :func:`csdesk.server.app.create_app` — the ASGI application;
- :class:`csdesk.server.runner.BackgroundServer` — uvicorn in a daemon thread
  on a loopback port (``csdesk demo``, tests);
- :func:`csdesk.server.runner.serve` — foreground server (``csdesk server``);
- :data:`csdesk.server.seed.DEMO_AGENTS` — the demo accounts, and
  :data:`csdesk.server.seed.DEMO_FIRST_SIGN_IN` — one in the first-sign-in
  state (temporary password, no TOTP);
- :mod:`csdesk.server.agent_admin` — what ``csdesk admin`` does to accounts;
- :mod:`csdesk.server.sms` — the pluggable SMS sender (``SmsSender``).

The wire contract is ``docs/protocol.md``; the models are
``csdesk.domain.schemas``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from csdesk.server.config import ServerSettings, default_db_path

if TYPE_CHECKING:
    from csdesk.server.runner import BackgroundServer, serve

__all__ = ["BackgroundServer", "ServerSettings", "default_db_path", "serve"]


def __getattr__(name: str) -> Any:
    """Load ``BackgroundServer`` and ``serve`` lazily (they import uvicorn/FastAPI)."""
    if name in ("BackgroundServer", "serve"):
        from csdesk.server import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'csdesk.server' has no attribute {name!r}")
