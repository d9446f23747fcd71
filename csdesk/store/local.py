"""The agent's local document store: one locked folder per (backend, agent).

Rules from DESIGN §5:

* layout: ``<data_dir>/stores/<backend-slug>/<employee_id>/`` holding one
  TinyDB file per collection (``<name>.json``), so a big collection (the
  knowledge cache) is not rewritten when a small one (the outbox) changes;
* every write is atomic and durable (:class:`~csdesk.store.atomic.AtomicJSONStorage`);
* one process per folder: an exclusive ``.lock`` (``filelock.FileLock``, an OS
  lock the kernel drops when the process dies, even by ``SIGKILL``); a second
  csdesk for the same agent gets :class:`~csdesk.store.errors.StoreLockedError`;
* folders 0700, files 0600 (modes of existing ones are fixed at open);
* secrets (passwords, tokens) never go into the store.

Document ids are the server's string ids. Each collection is a TinyDB table
(named after the collection) whose ``document_id_class`` is ``str``: the id is
the key of the document in the file and ``Document.doc_id`` on reads; it is
not copied into the document. Server documents usually carry their own ``id``
field; :meth:`LocalStore.upsert` checks it agrees with the key. A plain
``table.insert(doc)`` gets a random id (32 hex characters).

Not thread-safe: use a store from one thread (or serialise calls yourself).
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import urlsplit

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.table import Table

from csdesk.domain.identity import normalize_employee_id
from csdesk.store.atomic import FILE_MODE, AtomicJSONStorage, fsync_dir, remove_stale_temp_files
from csdesk.store.errors import StoreError, StoreLockedError

__all__ = [
    "DIR_MODE",
    "LOCK_FILE_NAME",
    "META_COLLECTION",
    "LocalStore",
    "StoreTable",
    "backend_slug",
    "check_lock",
    "is_locked",
    "normalize_backend_url",
    "store_folder",
]

#: Permissions of the store folders (DESIGN §5: folders 0700).
DIR_MODE: Final = 0o700
#: Name of the lock file inside an agent folder.
LOCK_FILE_NAME: Final = ".lock"
#: Collection holding :meth:`LocalStore.get_meta`/:meth:`LocalStore.set_meta` values (sync cursors …).
META_COLLECTION: Final = "meta"
#: Sub-folder of ``data_dir`` that holds every store.
STORES_DIR: Final = "stores"

_COLLECTION_NAME: Final = re.compile(r"\A[a-z][a-z0-9_]{0,63}\Z")
_SLUG_UNSAFE: Final = re.compile(r"[^a-z0-9.]+")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_HASH_CHARS: Final = 10


# --------------------------------------------------------------------------- folder naming


def normalize_backend_url(backend_url: str) -> str:
    """Return the canonical form of a backend URL, the input of the folder hash.

    ``" HTTP://Example.COM/csdesk/ "`` → ``"http://example.com:80/csdesk"``:
    scheme and host lower-cased, the default port made explicit, a trailing
    ``/`` dropped; user info, query and fragment ignored. Raises ``ValueError``
    unless the URL is ``http``/``https`` with a host.
    """
    parts = urlsplit(backend_url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"backend URL must start with http:// or https://: {backend_url!r}")
    host = parts.hostname
    if not host:
        raise ValueError(f"backend URL has no host: {backend_url!r}")
    port = parts.port or _DEFAULT_PORTS[scheme]
    if ":" in host:
        host = f"[{host}]"
    path = parts.path.rstrip("/")
    return f"{scheme}://{host}:{port}{path}"


def backend_slug(backend_url: str) -> str:
    """Folder name for one backend: readable ``host_port`` plus a short hash.

    ``"http://127.0.0.1:8000"`` → ``"127.0.0.1_8000-<10 hex>"``. The hash is
    SHA-256 of :func:`normalize_backend_url`, so two backends never share a
    folder (not even two paths on one host) while spellings of the same URL
    do. Raises ``ValueError`` like :func:`normalize_backend_url`.
    """
    normalised = normalize_backend_url(backend_url)
    parts = urlsplit(normalised)
    host = _SLUG_UNSAFE.sub("-", (parts.hostname or "").lower()).strip("-.")[:48] or "host"
    digest = hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:_HASH_CHARS]
    return f"{host}_{parts.port}-{digest}"


def store_folder(data_dir: str | os.PathLike[str], backend_url: str, employee_id: str) -> Path:
    """Return the agent's store folder ``data_dir/stores/<backend-slug>/<EMPLOYEE_ID>``.

    Pure: nothing is created. ``employee_id`` is normalised with
    :func:`csdesk.domain.identity.normalize_employee_id` (``" a1001 "`` and
    ``"A1001"`` are one folder). Raises ``ValueError`` for a bad URL or ID.
    """
    return Path(data_dir) / STORES_DIR / backend_slug(backend_url) / normalize_employee_id(employee_id)


def _new_lock(folder: Path) -> FileLock:
    # fallback_to_soft=False: a soft (marker-file) lock would survive a SIGKILL
    # and lock the agent out; on a filesystem without flock we fail loudly.
    return FileLock(
        folder / LOCK_FILE_NAME,
        timeout=0,
        mode=FILE_MODE,
        thread_local=False,
        fallback_to_soft=False,
    )


def _acquire(lock: FileLock, folder: Path) -> None:
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise StoreLockedError(folder) from None
    except OSError as exc:
        raise StoreError(f"cannot lock the store folder {folder}: {exc}") from exc


def is_locked(data_dir: str | os.PathLike[str], backend_url: str, employee_id: str) -> bool:
    """True when a process (another one, or another :class:`LocalStore` here) holds the folder.

    Lets the sign-in screen warn before sign-in. Creates nothing: a folder
    that does not exist yet is not locked. The answer can be stale by the time
    it is used; :meth:`LocalStore.open` is the authority. Raises
    ``ValueError`` for a bad URL or ID, :class:`StoreError` if the lock file
    cannot be opened (permissions, a filesystem without ``flock``).
    """
    folder = store_folder(data_dir, backend_url, employee_id)
    if not (folder / LOCK_FILE_NAME).is_file():
        return False
    lock = _new_lock(folder)
    try:
        _acquire(lock, folder)
    except StoreLockedError:
        return True
    lock.release()
    return False


def check_lock(data_dir: str | os.PathLike[str], backend_url: str, employee_id: str) -> None:
    """Raise :class:`StoreLockedError` (naming the folder) if :func:`is_locked`, else return."""
    if is_locked(data_dir, backend_url, employee_id):
        raise StoreLockedError(store_folder(data_dir, backend_url, employee_id))


def _ensure_dir(path: Path) -> None:
    """Create ``path`` 0700 (durably: its parent is fsync-ed) or reset an existing one to 0700."""
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        pass
    else:
        fsync_dir(path.parent)
    if not path.is_dir() or path.is_symlink():
        raise StoreError(f"store path {path} is not a folder")
    os.chmod(path, DIR_MODE)


# --------------------------------------------------------------------------- tables


class StoreTable(Table):
    """A TinyDB table whose document ids are strings (the server's ids).

    Everything of :class:`tinydb.table.Table` works (``search``, ``get(doc_id=…)``,
    ``update``, ``remove(doc_ids=[…])`` …) with ``str`` ids. Each method below
    is a single atomic write of the collection file.
    """

    document_id_class = str

    def _get_next_id(self) -> str:  # type: ignore[override]
        # Ids of documents inserted without one: random, never reused.
        return uuid.uuid4().hex

    def put(self, doc_id: str, document: Mapping[str, Any]) -> None:
        """Insert or wholly replace the document ``doc_id`` (no merge with the old one)."""
        new = dict(document)
        self._update_table(lambda table: table.__setitem__(doc_id, new))

    def replace_all(self, documents: Mapping[str, Mapping[str, Any]]) -> None:
        """Make ``{id: document}`` the collection's entire content, in one write."""
        new = {str(doc_id): dict(doc) for doc_id, doc in documents.items()}

        def updater(table: dict[str, Any]) -> None:
            table.clear()
            table.update(new)

        self._update_table(updater)

    def apply_changes(
        self, upserts: Mapping[str, Mapping[str, Any]], deleted: Iterable[str] = ()
    ) -> None:
        """Put every ``{id: document}`` of ``upserts`` and remove the ``deleted`` ids, in one write.

        Deletions are applied after upserts; unknown ids are ignored.
        """
        new = {str(doc_id): dict(doc) for doc_id, doc in upserts.items()}
        gone = [str(doc_id) for doc_id in deleted]

        def updater(table: dict[str, Any]) -> None:
            table.update(new)
            for doc_id in gone:
                table.pop(doc_id, None)

        self._update_table(updater)


class _CollectionDB(TinyDB):
    table_class = StoreTable


# --------------------------------------------------------------------------- the store


class LocalStore:
    """One agent's local store for one backend (DESIGN §5).

    Create with :meth:`open`; use as a context manager or call :meth:`close`.
    While open, the process holds the folder's lock. Collections are opened
    lazily, each on its own file; a corrupt file raises
    :class:`~csdesk.store.errors.StoreCorruptError` when its collection is
    first opened and is never overwritten.
    """

    def __init__(self, folder: Path, lock: FileLock) -> None:
        """Internal: use :meth:`open`, which creates the folder and takes the lock."""
        self._folder = folder
        self._lock = lock
        self._dbs: dict[str, _CollectionDB] = {}
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str], backend_url: str, employee_id: str) -> LocalStore:
        """Open (creating if needed) the store folder of ``employee_id`` on ``backend_url``.

        ``data_dir`` is csdesk's data folder (``platformdirs.user_data_dir``
        in the app); the store lives in :func:`store_folder`. Creates missing
        folders 0700 and resets existing ones to 0700, takes the folder's
        exclusive lock without waiting, deletes temporary files left by a
        crashed write, and resets existing store files to 0600.

        Raises :class:`StoreLockedError` if another process (or another open
        ``LocalStore`` in this one) holds the folder, :class:`StoreError` if
        the folder cannot be locked (a filesystem without ``flock``),
        ``ValueError`` for a bad URL or employee ID, ``OSError`` from the disk.
        """
        folder = store_folder(data_dir, backend_url, employee_id)
        base = Path(data_dir)
        if not base.is_dir():
            base.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        for level in (base / STORES_DIR, folder.parent, folder):
            _ensure_dir(level)
        lock = _new_lock(folder)
        _acquire(lock, folder)
        try:
            os.chmod(folder / LOCK_FILE_NAME, FILE_MODE)
            remove_stale_temp_files(folder)
            for path in folder.glob("*.json"):
                if path.is_file() and not path.is_symlink():
                    os.chmod(path, FILE_MODE)
        except BaseException:
            lock.release()
            raise
        return cls(folder, lock)

    @property
    def folder(self) -> Path:
        """The agent's store folder (see :func:`store_folder`)."""
        return self._folder

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._closed

    def close(self) -> None:
        """Close every collection and release the folder lock. Idempotent.

        Writes are durable when they return, so there is nothing to flush.
        """
        if self._closed:
            return
        self._closed = True
        try:
            for db in self._dbs.values():
                db.close()
            self._dbs.clear()
        finally:
            self._lock.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<LocalStore {state} {self._folder}>"

    # -- collections ---------------------------------------------------------------

    def collection_path(self, name: str) -> Path:
        """Path of the file of collection ``name`` (``<folder>/<name>.json``).

        Raises ``ValueError`` unless ``name`` matches ``[a-z][a-z0-9_]*`` (max 64).
        """
        if not isinstance(name, str) or not _COLLECTION_NAME.match(name):
            raise ValueError(f"invalid collection name {name!r}: use [a-z][a-z0-9_]*, at most 64 characters")
        return self._folder / f"{name}.json"

    def collection(self, name: str) -> StoreTable:
        """Return the TinyDB table of collection ``name`` (its own file, opened on first use).

        Raises ``ValueError`` for a bad name, :class:`StoreCorruptError` if the
        file exists but is not a valid store file, :class:`StoreError` if the
        store is closed.
        """
        self._check_open()
        db = self._dbs.get(name)
        if db is None:
            path = self.collection_path(name)
            db = _CollectionDB(path, storage=AtomicJSONStorage)
            self._dbs[name] = db
        return db.table(name)  # type: ignore[return-value]

    def get(self, name: str, doc_id: str) -> dict[str, Any] | None:
        """Return a deep copy of document ``doc_id`` of ``name``, or ``None``."""
        doc = self.collection(name).get(doc_id=doc_id)
        return None if doc is None else copy.deepcopy(dict(doc))  # type: ignore[arg-type]

    def all(self, name: str) -> dict[str, dict[str, Any]]:
        """Return every document of ``name`` as a deep-copied ``{id: document}``."""
        return {str(doc.doc_id): copy.deepcopy(dict(doc)) for doc in self.collection(name)}

    def upsert(self, name: str, doc_id: str, doc: Mapping[str, Any]) -> None:
        """Insert or wholly replace document ``doc_id`` of ``name``; durable on return.

        ``doc`` must be JSON-able. If it has an ``id`` field it must equal
        ``doc_id`` (``ValueError`` otherwise).
        """
        self._check_id(doc_id, doc)
        self.collection(name).put(doc_id, doc)

    def remove(self, name: str, doc_ids: Iterable[str]) -> list[str]:
        """Remove the given documents of ``name`` in one write; return the ids that existed."""
        ids = [str(doc_id) for doc_id in doc_ids]
        table = self.collection(name)
        present = [doc_id for doc_id in ids if table.contains(doc_id=doc_id)]
        if present:
            table.remove(doc_ids=present)
        return present

    def replace_all(self, name: str, docs: Mapping[str, Mapping[str, Any]]) -> None:
        """Make ``docs`` (``{id: document}``) the whole content of ``name``, in one write.

        For a full re-sync of a collection. Each document's ``id`` field, if
        present, must equal its key (``ValueError`` otherwise).
        """
        for doc_id, doc in docs.items():
            self._check_id(doc_id, doc)
        self.collection(name).replace_all(docs)

    def apply_changes(
        self, name: str, upserts: Mapping[str, Mapping[str, Any]], deleted: Iterable[str] = ()
    ) -> None:
        """Apply one sync page to ``name`` in one write: put ``upserts``, then remove ``deleted``.

        Store the page's cursor with :meth:`set_meta` *after* this returns: the
        cursor lives in another file, so a crash in between re-pulls the same
        page, which is harmless because applying a page twice gives the same
        result.
        """
        for doc_id, doc in upserts.items():
            self._check_id(doc_id, doc)
        self.collection(name).apply_changes(upserts, deleted)

    # -- meta ------------------------------------------------------------------------

    def get_meta(self, key: str, default: Any = None) -> Any:
        """Return a deep copy of meta value ``key`` (sync cursors …), or ``default``."""
        doc = self.collection(META_COLLECTION).get(doc_id=key)
        if doc is None:
            return default
        return copy.deepcopy(doc.get("value", default))  # type: ignore[union-attr]

    def set_meta(self, key: str, value: Any) -> None:
        """Store JSON-able ``value`` under ``key`` in ``meta.json``; durable on return."""
        if not isinstance(key, str) or not key:
            raise ValueError("meta key must be a non-empty string")
        self.collection(META_COLLECTION).put(key, {"value": value})

    # -- helpers ---------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the store {self._folder} is closed")

    @staticmethod
    def _check_id(doc_id: str, doc: Mapping[str, Any]) -> None:
        if not isinstance(doc_id, str) or not doc_id:
            raise ValueError(f"document id must be a non-empty string, got {doc_id!r}")
        if not isinstance(doc, Mapping):
            raise ValueError(f"document {doc_id!r} is not a mapping")
        if "id" in doc and doc["id"] != doc_id:
            raise ValueError(f"document id field {doc['id']!r} does not match its key {doc_id!r}")
