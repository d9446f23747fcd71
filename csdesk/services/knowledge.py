"""Knowledge articles on the desk: the search index kept in step with the local store (issue #5).

Operating guide §2.2 ("answer from the knowledge base") and §3.1 ("knowledge
base, FAQ, policies; read updates"). Sync pulls the published articles into
the local store collection ``knowledge`` (:data:`KNOWLEDGE`; documents shaped
as :class:`csdesk.domain.knowledge.KnowledgeArticleDoc`); this service keeps a
:class:`csdesk.search.KnowledgeIndex` over that collection, so search works
from the local copy, online or not.

- **Build and follow.** :meth:`KnowledgeService.load` reads the collection
  (through the sync service's serialised store thread) and builds the index
  in another thread the first time; afterwards it re-reads the collection and
  hands only what changed to the index (``upsert_many`` / ``remove``): an
  article whose ``(version, updated_at)`` differs from the indexed one, and
  ids that left the store. The desk calls it after sign-in and whenever sync
  reports a change of ``knowledge`` (``SyncService.on_change`` names only the
  collection, so the diff is made here).
- **Queries off the event loop.** :meth:`search`, :meth:`suggest` and every
  other index read run in ``asyncio.to_thread``: the index takes a lock and a
  few milliseconds per query, which must never stall the UI.
- **Favourites** live in the local collection ``kb_favourites``
  (:data:`FAVOURITES`; one document per article: ``{"id", "added_at"}``,
  ``added_at`` ISO 8601 UTC by the local clock). They stay local: not synced.
- **Recently updated** means "updated since the agent last looked": the
  store meta ``kb_last_looked`` (:data:`LAST_LOOKED_META`) holds the newest
  ``updated_at`` (server time, ISO 8601) the agent has been shown;
  :meth:`recently_updated` lists what is newer, :meth:`mark_looked` moves the
  mark forward (never back). Server times on both sides of the comparison:
  a skewed local clock cannot hide an update.

One service per open store: :func:`knowledge_service` gives the signed-in
session's. No Textual here (DESIGN §3); the search package is imported
lazily (it loads a Chinese dictionary), so importing this module is cheap.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from csdesk.domain.times import parse_utc as _parse_time
from csdesk.services.sync import KNOWLEDGE_COLLECTION as KNOWLEDGE
from csdesk.store.local import LocalStore

if TYPE_CHECKING:
    from csdesk.search import CategoryNode, Hit, KnowledgeIndex
    from csdesk.services.session import DeskSession

#: Local collection of the agent's favourite articles (not synced).
FAVOURITES = "kb_favourites"
#: Store meta key: newest ``updated_at`` (ISO 8601) shown in "recently updated".
LAST_LOOKED_META = "kb_last_looked"
#: Most results a search returns to the screen.
SEARCH_LIMIT = 30
#: Most articles "recently updated" lists.
RECENT_LIMIT = 50

T = TypeVar("T")
#: Runs a blocking store call in a thread: ``await io(fn, *args)`` (``SyncService.io``).
StoreIO = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class IndexChange:
    """What one :meth:`KnowledgeService.load` did to the index.

    ``built``: True for the first load (the whole collection indexed);
    ``upserted``/``removed``: article ids added or replaced / taken out
    (on the first load, ``upserted`` holds every indexed id); ``total``:
    articles in the index afterwards; ``skipped``: documents of the store
    that are not valid articles (left out of the index).
    """

    built: bool
    upserted: tuple[str, ...]
    removed: tuple[str, ...]
    total: int
    skipped: int = 0

    @property
    def changed(self) -> bool:
        """True when the index gained, changed or lost an article."""
        return bool(self.upserted or self.removed)


@dataclass(frozen=True)
class RecentArticles:
    """The answer of :meth:`KnowledgeService.recently_updated`.

    ``articles``: article dicts (the synced shape), newest ``updated_at``
    first; ``since``: the last-looked mark they were compared with (ISO
    8601, None when the agent never looked: every article counts);
    ``newest``: the newest ``updated_at`` in the index (what
    :meth:`KnowledgeService.mark_looked` stores by default; None when empty).
    """

    articles: list[dict[str, Any]]
    since: str | None
    newest: str | None


def _stamp(doc: dict[str, Any]) -> tuple[Any, Any, Any]:
    """What identifies one state of a stored article: version, time, status."""
    return doc.get("version"), doc.get("updated_at"), doc.get("status")


def article_for_index(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The index's article dict for stored document ``doc``, or None when it
    is not a valid published :class:`KnowledgeArticleDoc` (a newer or broken
    backend; a draft or retired one that slipped through)."""
    from pydantic import ValidationError

    from csdesk.domain.knowledge import KnowledgeArticleDoc

    try:
        article = KnowledgeArticleDoc.model_validate(doc)
    except (ValidationError, ValueError, TypeError):
        return None
    if article.status != "published":
        return None
    return article.model_dump(mode="json")


def _build_index(articles: list[dict[str, Any]]) -> KnowledgeIndex:
    """(Worker thread.) A new index over ``articles``. The search package is
    imported here, off the event loop: it loads the Chinese dictionary."""
    from csdesk.search import KnowledgeIndex

    return KnowledgeIndex.build(articles)


#: Longest summary text made from a body when the article has no summary (characters).
BODY_SUMMARY_CHARS = 300


def summary_text(article: dict[str, Any]) -> str:
    """What "send the summary" puts into the chat: the article's ``summary``,
    or else the start of its body as plain text (≤ :data:`BODY_SUMMARY_CHARS`
    characters, "…" when cut); control characters and escape sequences removed.
    ``""`` when the article has neither."""
    from csdesk.domain.text import clean_text

    summary = clean_text(str(article.get("summary") or "")).strip()
    if summary:
        return summary
    from csdesk.search.snippet import plain_text

    # Only the start can reach the summary: plain_text need not walk a long body.
    body = plain_text(str(article.get("body") or "")[: BODY_SUMMARY_CHARS * 20])
    return clean_text(body, max_chars=BODY_SUMMARY_CHARS).strip() if body else ""


def link_line(article: dict[str, Any]) -> str:
    """The one-line reference sent into a chat: ``[KB-CARD-006] 银行卡挂失与补办 / Lost card``
    (the English title after " / " when there is one; one line, cleaned)."""
    from csdesk.domain.text import clean_text

    title = clean_text(str(article.get("title") or ""), keep_newlines=False).strip()
    english = clean_text(str(article.get("title_en") or ""), keep_newlines=False).strip()
    ident = clean_text(str(article.get("id") or ""), keep_newlines=False).strip()
    names = " / ".join(part for part in (title, english) if part)
    return f"[{ident}] {names}".strip()


class KnowledgeService:
    """The knowledge index of one agent's local store, and their favourites.

    ``store``: the open :class:`LocalStore`; ``io``: runs a blocking store
    call in a thread, serialised with the other store users
    (``SyncService.io``; default: ``asyncio.to_thread`` under a lock of this
    service). ``clock()``: epoch seconds, for the time a favourite was added.

    Every method is a coroutine for the event loop; none blocks it. Store
    errors (``StoreError`` once the store is closed, ``OSError``) propagate.
    Article dicts handed out are copies with the synced shape (``id, title,
    title_en, body, category, tags, questions, intents, summary, version,
    updated_at, status``).
    """

    def __init__(self, store: LocalStore, *, io: StoreIO | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.store = store
        self._own_lock = threading.Lock()
        self._io: StoreIO = io or self._locked_io
        self._clock = clock
        self._index: KnowledgeIndex | None = None
        #: Article id → _stamp of the stored document the index holds (or skipped).
        self._seen: dict[str, tuple[Any, Any, Any]] = {}
        self._load_lock: asyncio.Lock | None = None

    async def _locked_io(self, fn: Callable[..., T], *args: Any) -> T:
        def locked() -> T:
            with self._own_lock:
                return fn(*args)

        return await asyncio.to_thread(locked)

    # -- the index ------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """True once the index has been built (the first :meth:`load` finished)."""
        return self._index is not None

    @property
    def count(self) -> int:
        """Articles in the index (0 before the first load)."""
        return len(self._index) if self._index is not None else 0

    async def load(self) -> IndexChange:
        """Bring the index in step with the store's ``knowledge`` collection.

        The first call builds the index from every stored article (in a
        thread; about 0.3 ms per article); later calls apply only the
        differences. Concurrent calls run one after the other. Documents that
        are not valid published articles are left out (``skipped``).
        """
        if self._load_lock is None:
            self._load_lock = asyncio.Lock()
        async with self._load_lock:
            seen = dict(self._seen)
            upserts, removed, stamps, skipped = await self._io(self._read_changes, seen)
            if self._index is None:
                self._index = await asyncio.to_thread(_build_index, upserts)
                self._seen = stamps
                ids = tuple(a["id"] for a in upserts)
                return IndexChange(True, ids, (), len(self._index), skipped)
            index = self._index

            def apply() -> tuple[list[str], int]:
                if upserts:
                    index.upsert_many(upserts)
                gone = [article_id for article_id in removed if index.remove(article_id)]
                return gone, len(index)

            gone, total = await asyncio.to_thread(apply) if (upserts or removed) else ([], self.count)
            self._seen = stamps
            return IndexChange(False, tuple(a["id"] for a in upserts), tuple(gone), total, skipped)

    def _read_changes(
        self, seen: dict[str, tuple[Any, Any, Any]]
    ) -> tuple[list[dict[str, Any]], list[str], dict[str, tuple[Any, Any, Any]], int]:
        """(Store thread.) Compare the stored articles with ``seen``.

        Returns ``(articles to upsert, ids to remove, new stamps, documents
        skipped)``; a stored document that became invalid is removed.
        """
        upserts: list[dict[str, Any]] = []
        removed: list[str] = []
        stamps: dict[str, tuple[Any, Any, Any]] = {}
        skipped = 0
        for doc in self.store.collection(KNOWLEDGE):
            doc_id = str(doc.doc_id)
            stamp = _stamp(doc)
            stamps[doc_id] = stamp
            if seen.get(doc_id) == stamp:
                continue
            article = article_for_index(dict(doc, id=doc.get("id", doc_id)))
            if article is None or article["id"] != doc_id:
                skipped += 1
                if doc_id in seen:
                    removed.append(doc_id)
                continue
            upserts.append(article)
        removed.extend(doc_id for doc_id in seen if doc_id not in stamps)
        return upserts, removed, stamps, skipped

    async def index(self) -> KnowledgeIndex:
        """The index, built first when it is not yet (see :meth:`load`)."""
        if self._index is None:
            await self.load()
        assert self._index is not None
        return self._index

    # -- queries (in a thread) -------------------------------------------------

    async def search(self, query: str, limit: int = SEARCH_LIMIT) -> list[Hit]:
        """Articles matching ``query`` (Chinese, English, mixed; typos tolerated),
        best first, at most ``limit``: see ``KnowledgeIndex.search``. Never
        raises for any string (empty or meaningless: ``[]``)."""
        index = await self.index()
        return await asyncio.to_thread(index.search, query, limit)

    async def suggest(self, messages: Sequence[str], k: int = 3) -> list[Hit]:
        """Up to ``k`` articles for a customer's latest ``messages`` (oldest
        first; the last 3 count, later ones weigh more): ``KnowledgeIndex.suggest``."""
        index = await self.index()
        return await asyncio.to_thread(index.suggest, list(messages), k)

    async def article(self, article_id: str) -> dict[str, Any] | None:
        """The indexed article ``article_id`` (a copy), or None when it is not
        (retired, never synced)."""
        index = await self.index()
        return await asyncio.to_thread(index.get, article_id)

    async def articles(self, article_ids: Iterable[str]) -> list[dict[str, Any]]:
        """The indexed articles among ``article_ids``, in that order (unknown ids left out)."""
        index = await self.index()
        wanted = list(article_ids)

        def read() -> list[dict[str, Any]]:
            found = (index.get(i) for i in wanted)
            return [a for a in found if a is not None]

        return await asyncio.to_thread(read)

    async def categories(self) -> list[CategoryNode]:
        """The category tree of the indexed articles (roots sorted by name)."""
        index = await self.index()
        return await asyncio.to_thread(index.categories)

    # -- recently updated --------------------------------------------------------

    async def last_looked(self) -> str | None:
        """The last-looked mark (ISO 8601 server time), None if the agent never looked."""
        value = await self._io(self.store.get_meta, LAST_LOOKED_META, None)
        return value if isinstance(value, str) and _parse_time(value) else None

    async def recently_updated(self, limit: int = RECENT_LIMIT, *, since: str | None = "mark") -> RecentArticles:
        """Articles updated after ``since``, newest first (at most ``limit``).

        ``since``: ``"mark"`` (default) for the stored last-looked mark, else an
        ISO 8601 time (a screen keeps the mark it opened with, so its list does
        not empty itself once it marks the articles looked at), or None for
        every article. Before the agent ever looked, every article counts.
        """
        index = await self.index()
        if since == "mark":
            since = await self.last_looked()

        def read() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            return index.recently_updated(since, limit), index.recently_updated(None, 1)

        fresh, newest = await asyncio.to_thread(read)
        return RecentArticles(fresh, since, newest[0].get("updated_at") if newest else None)

    async def mark_looked(self, upto: str | None = None) -> str | None:
        """Move the last-looked mark to ``upto`` (ISO 8601; default: the newest
        ``updated_at`` in the index). The mark never moves back. Returns the mark now."""
        if upto is None:
            index = await self.index()
            newest = await asyncio.to_thread(index.recently_updated, None, 1)
            upto = newest[0].get("updated_at") if newest else None
        target = _parse_time(upto)
        if target is None:
            return await self.last_looked()

        def move() -> str | None:
            current = self.store.get_meta(LAST_LOOKED_META, None)
            old = _parse_time(current)
            if old is not None and old >= target:
                return str(current)
            self.store.set_meta(LAST_LOOKED_META, upto)
            return upto

        return await self._io(move)

    # -- favourites ----------------------------------------------------------------

    def _now_iso(self) -> str:
        if self._clock is not None:
            return datetime.fromtimestamp(self._clock(), UTC).isoformat()
        return datetime.now(UTC).isoformat()

    async def favourite_ids(self) -> list[str]:
        """Ids of the agent's favourites, most recently added first (published
        or not: a retired article stays a favourite until removed)."""

        def read() -> list[str]:
            docs = self.store.all(FAVOURITES)
            return [doc_id for doc_id, _ in sorted(
                docs.items(), key=lambda item: (str(item[1].get("added_at", "")), item[0]), reverse=True)]

        return await self._io(read)

    async def favourites(self) -> list[dict[str, Any]]:
        """The favourite articles that are in the index, most recently added first."""
        return await self.articles(await self.favourite_ids())

    async def is_favourite(self, article_id: str) -> bool:
        """True when ``article_id`` is one of the agent's favourites."""
        return await self._io(lambda: self.store.get(FAVOURITES, str(article_id)) is not None)

    async def set_favourite(self, article_id: str, on: bool) -> bool:
        """Add (``on``) or remove ``article_id`` from the favourites; returns ``on``.

        Raises ``ValueError`` for an empty id.
        """
        article_id = str(article_id)
        if not article_id:
            raise ValueError("article id is empty")
        added_at = self._now_iso()

        def write() -> None:
            if on:
                if self.store.get(FAVOURITES, article_id) is None:
                    self.store.upsert(FAVOURITES, article_id, {"id": article_id, "added_at": added_at})
            else:
                self.store.remove(FAVOURITES, [article_id])

        await self._io(write)
        return on

    async def toggle_favourite(self, article_id: str) -> bool:
        """Flip ``article_id``'s favourite mark; returns True when it is now a favourite."""
        return await self.set_favourite(article_id, not await self.is_favourite(article_id))


# -- one service per open store -----------------------------------------------------

_SERVICES: weakref.WeakKeyDictionary[LocalStore, KnowledgeService] = weakref.WeakKeyDictionary()


def knowledge_service(session: DeskSession) -> KnowledgeService:
    """The knowledge service of ``session``'s open store (made on first use).

    Store calls go through the session's ``SyncService.io`` (one store thread
    at a time). Raises ``RuntimeError`` before the store is open.
    """
    store, sync = session.store, session.sync
    if store is None or sync is None or store.closed:
        raise RuntimeError("the local store is not open")
    service = _SERVICES.get(store)
    if service is None:
        service = _SERVICES[store] = KnowledgeService(store, io=sync.io)
    return service
