"""SQLite engine and transactions.

The embedded database runs in WAL mode (readers never block the writer), with
foreign keys on and a busy timeout. Transactions that write start with
``BEGIN IMMEDIATE`` so that two writers are serialised at their first
statement: a read-then-write sequence (idempotency keys, version checks, TOTP
replay checks) cannot interleave with another one. Read transactions use
``BEGIN DEFERRED`` and see one consistent snapshot.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

#: Milliseconds a connection waits for a lock before ``database is locked``.
BUSY_TIMEOUT_MS = 10_000


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" hook emit BEGIN itself (pysqlite's implicit
    # BEGIN would only start at the first write, breaking snapshot reads).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _on_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """Engine and session factories for one SQLite file.

    ``Database(path)`` creates the parent folder (mode 0700) and the engine;
    the tables are made by :meth:`create_tables`. Use :meth:`read` and
    :meth:`write` as context managers; both yield a :class:`Session` inside a
    transaction. :meth:`write` commits on success and rolls back on any error.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.path.exists():
            # SQLite gives the -wal/-shm files the mode of the main file.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.engine: Engine = create_engine(
            f"sqlite:///{self.path}",
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            pool_size=10,
            max_overflow=30,
        )
        event.listen(self.engine, "connect", _on_connect)
        event.listen(self.engine, "begin", _on_begin)
        self._write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self.sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    def create_tables(self) -> None:
        """Create every table that does not exist yet and add columns older files lack.

        See :mod:`csdesk.server.schema_upgrade`.
        """
        from csdesk.server.models import Base
        from csdesk.server.schema_upgrade import copy_old_work_orders, retire_old_work_orders, upgrade_schema

        retired = retire_old_work_orders(self.engine)
        Base.metadata.create_all(self.engine)
        upgrade_schema(self.engine)
        if retired:
            copy_old_work_orders(self.engine)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; its transaction is rolled back when it closes."""
        with self.sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in a write transaction (``BEGIN IMMEDIATE``), committed on success."""
        with self.sessions(bind=self._write_engine) as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Close every pooled connection (call when the server stops)."""
        self.engine.dispose()
