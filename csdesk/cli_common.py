"""What ``csdesk admin`` and ``csdesk kb`` share: the ``--db`` option, opening
the backend's database file, the acting OS user, and plain-text columns.

Both groups work on the reference backend's SQLite file directly (no HTTP);
see :mod:`csdesk.admin` and :mod:`csdesk.kb_cli`.
"""

from __future__ import annotations

import getpass
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click

from csdesk.config import data_dir
from csdesk.domain.text import clean_text

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., object])

#: Help of the ``--db`` option of both groups.
DB_HELP = (
    "The backend's SQLite database. Default: server.db in the data folder, the same "
    "file `csdesk server` uses without --db (CSDESK_DATA_DIR moves the data folder). "
    "For the demo backend pass <data folder>/demo/demo.db."
)


def db_option(command: F) -> F:
    """The group option ``--db PATH`` (parameter ``db_path``: a ``Path`` or None)."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help=DB_HELP,
    )(command)


def default_db_path() -> Path:
    """The database ``csdesk server`` uses when given no ``--db``: ``<data folder>/server.db``."""
    return data_dir() / "server.db"


def actor() -> str:
    """The operating-system user running the command (for audit records), else ``admin``."""
    try:
        return getpass.getuser()
    except Exception:  # no user name from the OS (containers without /etc/passwd entries)
        return "admin"


def safe(text: str, max_chars: int | None = None) -> str:
    """One line fit for the terminal and the database: escape sequences and control
    characters removed, bytes of an undecodable file name shown as U+FFFD; with
    ``max_chars`` cut to that many characters (ending in "…")."""
    text = str(text).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return clean_text(text, keep_newlines=False, max_chars=max_chars)


def existing_db_path(click_ctx: click.Context, key: str) -> Path:
    """The database file chosen with ``--db`` (kept in ``click_ctx.meta[key]``;
    default :func:`default_db_path`).

    Raises ``click.ClickException`` naming the path (cleaned by :func:`safe`)
    when there is no such file: the commands never create a database."""
    db_path: Path = click_ctx.meta.get(key) or default_db_path()
    if not db_path.is_file():
        raise click.ClickException(
            f"no backend database at {safe(str(db_path))}\n"
            "  Pass the backend's file with --db PATH; a backend creates its database "
            "when it first starts (csdesk server --db PATH)."
        )
    return db_path


@contextmanager
def open_database(
    click_ctx: click.Context, key: str, opener: Callable[[Path], T], closer: Callable[[T], None]
) -> Iterator[T]:
    """Open the database chosen with ``--db`` (see :func:`existing_db_path`) with
    ``opener(path)``, yield what it gives and close it with ``closer`` at the end.

    Raises ``click.ClickException`` when the file is missing, or when ``opener``
    raises SQLAlchemy's ``DatabaseError`` (the file is not a csdesk database;
    ``opener`` cleans up after itself then)."""
    from sqlalchemy.exc import DatabaseError

    db_path = existing_db_path(click_ctx, key)
    try:
        opened = opener(db_path)
    except DatabaseError as exc:
        raise click.ClickException(f"{safe(str(db_path))} is not a csdesk database ({exc.orig})") from exc
    try:
        yield opened
    finally:
        closer(opened)


def display_width(text: str) -> int:
    """Terminal cells ``text`` takes: East Asian wide and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` terminal cells (:func:`display_width`)."""
    return text + " " * (width - display_width(text))
