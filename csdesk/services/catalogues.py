"""The backend's catalogues kept in the agent's local store, for offline use.

The wrap-up form (F9) needs the disposition list (categories → codes, with
labels in both languages) and the business-operation catalogue (the
business types' names). A wrap-up made while the backend is unreachable is
queued in the outbox, so the form must work then too: every successful load
is kept (:class:`csdesk.services.contact.CatalogueCache`) and read back
when the backend cannot answer. :class:`StoreCatalogues` keeps them in the
collection :data:`CATALOGUES_COLLECTION` of the local store as well, one
document per catalogue, so they survive a restart of the desk.
"""

from __future__ import annotations

from typing import Any

from csdesk.services.contact import CatalogueCache
from csdesk.services.sync import SyncService
from csdesk.store.errors import StoreError

#: Local store collection of the kept catalogues (document id: the catalogue name).
CATALOGUES_COLLECTION = "catalogues"


class StoreCatalogues(CatalogueCache):
    """A :class:`CatalogueCache` on the agent's local store (through
    ``sync.io``: store calls are blocking). The file is written only when a
    catalogue changed; a closed store (sign-out) or a disk fault leaves the
    memory copy in use and raises nothing."""

    def __init__(self, sync: SyncService) -> None:
        super().__init__()
        self._sync = sync

    async def load(self, name: str) -> list[Any] | None:
        """The kept catalogue ``name``: the memory copy, else the store's, else None."""
        kept = await super().load(name)
        if kept is not None:
            return kept
        store = self._sync.store
        try:
            doc = await self._sync.io(store.get, CATALOGUES_COLLECTION, name)
        except (StoreError, OSError, ValueError):
            return None
        items = doc.get("items") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            return None
        await super().save(name, items)
        return items

    async def save(self, name: str, items: list[Any]) -> None:
        """Keep ``items`` as catalogue ``name`` in memory and, when it changed, in the store."""
        if await self.load(name) == items:
            return
        await super().save(name, items)
        store = self._sync.store
        try:
            await self._sync.io(store.upsert, CATALOGUES_COLLECTION, name, {"items": items})
        except (StoreError, OSError, ValueError):
            pass  # kept in memory for this session only
