"""The local store (DESIGN §5): one locked folder per (backend, agent), one
TinyDB file per collection, atomic durable writes, and the outbox.

Imports neither Textual nor httpx nor the server (checked by
``tests/store/test_store_layers.py``).

Typical use::

    with LocalStore.open(data_dir, backend_url, employee_id) as store:
        store.apply_changes("announcements", {a["id"]: a for a in page.items}, page.deleted)
        store.set_meta("cursor.announcements", page.cursor)
        outbox = Outbox(store)
        outbox.enqueue("announcement.ack", "POST", f"/announcements/{aid}/ack", {}, now=time.time())
"""

from csdesk.store.atomic import AtomicJSONStorage
from csdesk.store.errors import StoreCorruptError, StoreError, StoreLockedError
from csdesk.store.local import LocalStore, StoreTable, backend_slug, check_lock, is_locked, store_folder
from csdesk.store.outbox import Outbox, OutboxItem, backoff_delay

__all__ = [
    "AtomicJSONStorage",
    "LocalStore",
    "Outbox",
    "OutboxItem",
    "StoreCorruptError",
    "StoreError",
    "StoreLockedError",
    "StoreTable",
    "backend_slug",
    "backoff_delay",
    "check_lock",
    "is_locked",
    "store_folder",
]
