"""Crash-safe JSON file storage for TinyDB (DESIGN §5: "every write is atomic").

A write goes to a temporary file in the same folder, is flushed and
``fsync``-ed, then ``os.replace``-d over the real file, and finally the folder
itself is ``fsync``-ed so the rename is durable. A crash at any instant leaves
either the old file or the new one on disk, never a half-written file; the
worst left-over is a stray temporary file, which :func:`remove_stale_temp_files`
deletes the next time the (locked) folder is opened.

The parsed data are cached in memory: reads never touch the disk after the
first one, and every write is durable before it returns. (TinyDB's
``CachingMiddleware`` is deliberately not used: it delays writes.)
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from tinydb.storages import Storage

from csdesk.store.errors import StoreCorruptError, StoreError

__all__ = [
    "FILE_MODE",
    "AtomicJSONStorage",
    "atomic_write_bytes",
    "fsync_dir",
    "remove_stale_temp_files",
]

#: Permissions of every store file (DESIGN §5: files 0600).
FILE_MODE: Final = 0o600

#: Temporary files are ``.<target name>.<32 hex>.tmp`` in the target's folder.
_TEMP_SUFFIX: Final = ".tmp"
_TEMP_NAME: Final = re.compile(r"\A\..+\.[0-9a-f]{32}\.tmp\Z")

#: The on-disk shape TinyDB uses: ``{table name: {document id: document}}``.
Tables = dict[str, dict[str, dict[str, Any]]]


def _temp_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}{_TEMP_SUFFIX}")


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """``fsync`` a folder so that a rename or a new entry in it is durable.

    A no-op where folders cannot be opened for ``fsync`` (Windows).
    """
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], payload: bytes, mode: int = FILE_MODE) -> None:
    """Replace the file at ``path`` with ``payload`` atomically and durably.

    Steps: create ``.<name>.<hex>.tmp`` in the same folder with ``mode``
    (default 0600, set explicitly so the umask cannot widen or narrow it),
    write every byte, ``fsync`` it, ``os.replace`` it over ``path``, then
    ``fsync`` the folder. On failure before the rename the temporary file is
    removed and ``path`` is untouched. Raises ``OSError`` from the system.
    """
    target = Path(path)
    tmp = _temp_path(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, mode)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(target.parent)


def remove_stale_temp_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete temporary files left in ``folder`` by writes that were cut short.

    Only names made by :func:`atomic_write_bytes` (``.<name>.<32 hex>.tmp``)
    are touched. Call it only while holding the folder's lock, so that no
    write of another process is in flight. Returns the paths removed.
    """
    removed: list[Path] = []
    for entry in Path(folder).iterdir():
        if _TEMP_NAME.match(entry.name) and entry.is_file():
            try:
                entry.unlink()
            except FileNotFoundError:
                continue
            removed.append(entry)
    return removed


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


class _NotLoaded:
    """Marker: the cache must be (re)loaded from disk before the next read."""


_NOT_LOADED: Final = _NotLoaded()


class AtomicJSONStorage(Storage):
    """TinyDB storage: one JSON file, atomic durable writes, in-memory cache.

    ``AtomicJSONStorage(path)`` — or ``TinyDB(path, storage=AtomicJSONStorage)``.
    The file is parsed once, when the storage is created, so a corrupt file is
    reported at open time:

    * missing or empty (only whitespace) file → empty database (``read()``
      returns ``None``, TinyDB's convention); nothing is created until the
      first write;
    * not UTF-8, invalid JSON, ``NaN``/``Infinity``, or not shaped
      ``{table: {id: {document}}}`` → :class:`StoreCorruptError` naming the
      file; the file is never rewritten by this object in that case.

    ``write(data)`` serialises with ``ensure_ascii=False`` (real characters in
    UTF-8 on disk, not ``\\uXXXX``) and ``allow_nan=False``, then calls
    :func:`atomic_write_bytes`, so the data are on disk before it returns; the
    file mode is 0600. The cache is then replaced by a fresh parse of exactly
    what was written, so what the process sees is what a restart would see
    (integer keys become strings, tuples lists) and no object handed in by a
    caller stays shared with the cache. If a write fails for any reason the
    cache is dropped and reloaded from the (unchanged) file on the next read,
    undoing any in-place change TinyDB made before calling ``write``.

    Documents TinyDB returns are shallow copies of the cached ones: do not
    mutate nested values of a returned document in place.

    Not thread-safe: use one storage from one thread at a time.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self._path = Path(path)
        self._closed = False
        self._data: Tables | None | _NotLoaded = _NOT_LOADED
        self._data = self._load()

    @property
    def path(self) -> Path:
        """The JSON file this storage reads and replaces."""
        return self._path

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called; reads and writes then raise :class:`StoreError`."""
        return self._closed

    def read(self) -> Tables | None:
        """Return the cached data, ``{table: {id: document}}``, or ``None`` when empty.

        Loads from disk only the first time and after a failed write. Raises
        :class:`StoreCorruptError` if the file cannot be parsed then, and
        :class:`StoreError` after :meth:`close`.
        """
        self._check_open()
        if isinstance(self._data, _NotLoaded):
            self._data = self._load()
        return self._data

    def write(self, data: Mapping[str, Any]) -> None:
        """Replace the file's content with ``data``; durable before returning.

        Raises ``TypeError``/``ValueError`` if ``data`` is not JSON-able (for
        example a ``datetime`` or ``NaN``), ``UnicodeEncodeError`` for lone
        surrogates, ``OSError`` from the disk; in all those cases the file on
        disk keeps its previous content. Raises :class:`StoreError` after
        :meth:`close`.
        """
        self._check_open()
        try:
            text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            payload = text.encode("utf-8")
            fresh = json.loads(text)
            atomic_write_bytes(self._path, payload, FILE_MODE)
        except BaseException:
            self._data = _NOT_LOADED
            raise
        self._data = fresh

    def close(self) -> None:
        """Drop the cache; later reads and writes raise :class:`StoreError`. Idempotent."""
        self._closed = True
        self._data = _NOT_LOADED

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"store file {self._path} is closed")

    def _load(self) -> Tables | None:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw.strip():
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StoreCorruptError(self._path, f"not UTF-8 text: {exc}") from exc
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except ValueError as exc:
            raise StoreCorruptError(self._path, f"invalid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise StoreCorruptError(self._path, f"expected a JSON object, found {type(data).__name__}")
        for table_name, table in data.items():
            if not isinstance(table, dict):
                raise StoreCorruptError(
                    self._path, f"table {table_name!r} is {type(table).__name__}, not an object"
                )
            for doc_id, doc in table.items():
                if not isinstance(doc, dict):
                    raise StoreCorruptError(
                        self._path,
                        f"document {doc_id!r} in table {table_name!r} is {type(doc).__name__}, not an object",
                    )
        return data
