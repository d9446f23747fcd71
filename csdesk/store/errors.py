"""Errors raised by the local store (DESIGN §5).

Every error the store raises on purpose is a :class:`StoreError`, so a caller
can catch the whole family in one place. Argument mistakes (a bad collection
name, an unknown outbox key) stay ``ValueError``/``KeyError``; failures of the
operating system that are not about the store's own rules stay ``OSError``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["StoreCorruptError", "StoreError", "StoreLockedError"]


class StoreError(Exception):
    """Base class of every error raised by :mod:`csdesk.store`."""


class StoreLockedError(StoreError):
    """Another process holds the agent's store folder (DESIGN §5: one process per folder).

    Raised by :meth:`csdesk.store.local.LocalStore.open` (and
    :func:`csdesk.store.local.check_lock`) when the folder's ``.lock`` is held
    by another csdesk, typically the same agent signed in in a second terminal.
    ``folder`` is the agent's store folder; the message names it so the agent
    (or support) can tell which sign-in is already running.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        super().__init__(
            "another csdesk is already open for this agent on this machine "
            f"(store folder {self.folder}); close the other csdesk window first, "
            "then sign in again"
        )

    def __reduce__(self) -> tuple[type[StoreLockedError], tuple[Path]]:
        return (type(self), (self.folder,))


class StoreCorruptError(StoreError):
    """A store file cannot be read as a store file; it is left untouched.

    ``path`` is the offending file, ``reason`` says what is wrong with it (for
    example ``"invalid JSON: Expecting value: line 1 column 1 (char 0)"``).
    The store never overwrites a corrupt file: it refuses to open that
    collection, so nothing is lost that a person could still recover by hand.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(
            f"local store file {self.path} is corrupt ({reason}); it was left "
            "untouched. Move it aside to start that collection afresh."
        )

    def __reduce__(self) -> tuple[type[StoreCorruptError], tuple[Path, str]]:
        return (type(self), (self.path, self.reason))
