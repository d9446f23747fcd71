"""The outbox: mutations made offline-first, kept until the server has them.

DESIGN §1/§5 and docs/protocol.md ("Idempotency"): a mutation the agent makes
(acknowledging an announcement, saving settings …) is first written durably to
the ``outbox`` collection of the :class:`~csdesk.store.local.LocalStore`, then
pushed by the sync service with its ``Idempotency-Key`` header set to the
item's ``key``. Because the server answers a repeated key with the stored
result, re-sending after a crash or a lost answer never applies it twice.

Rules:

* FIFO: items are pushed in ``seq`` order, one at a time. ``seq`` is an
  integer that only grows, also across restarts and after items are sent (the
  high-water mark is kept in the same file, written in the same atomic write).
* Strict: if the oldest pending item is waiting for its retry time, nothing
  behind it is due (:meth:`Outbox.peek_due` returns ``None``).
* Retries back off exponentially: 1, 2, 4 … seconds, at most 60 s, with ±20 %
  jitter (:func:`backoff_delay`).
* Never dropped: an item leaves the outbox only through :meth:`Outbox.mark_sent`.
  A permanent rejection (:meth:`Outbox.mark_failed`) keeps it with status
  ``"failed"`` for the agent to see; failed items do not block the queue and
  :meth:`Outbox.retry_failed` puts one back in line (at its original place).

Times are epoch seconds (``float``) passed in by the caller (``now``), so the
rules are testable without a clock. Every method that changes the outbox is a
single atomic, durable write of ``outbox.json`` before it returns.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from pydantic_core import to_jsonable_python

if TYPE_CHECKING:
    from csdesk.store.local import LocalStore, StoreTable

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "BACKOFF_JITTER",
    "OUTBOX_COLLECTION",
    "Outbox",
    "OutboxItem",
    "OutboxStatus",
    "backoff_delay",
]

#: Collection (file ``outbox.json``) holding the items, keyed by ``key``.
OUTBOX_COLLECTION: Final = "outbox"
#: Second table in the same file: ``{"seq": {"last": <highest seq ever given>}}``.
_STATE_TABLE: Final = "outbox_state"
_SEQ_DOC: Final = "seq"

#: First retry delay, seconds.
BACKOFF_BASE: Final = 1.0
#: Longest retry delay, seconds (after jitter).
BACKOFF_CAP: Final = 60.0
#: Relative jitter: the delay is multiplied by a factor in ``[1 - J, 1 + J]``.
BACKOFF_JITTER: Final = 0.2

_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})

OutboxStatus = Literal["pending", "failed"]


class UniformRNG(Protocol):
    """What the outbox needs from a random generator (``random.Random`` fits)."""

    def uniform(self, a: float, b: float) -> float: ...


def backoff_delay(attempts: int, rng: UniformRNG) -> float:
    """Seconds to wait before the next try after ``attempts`` failed tries (``attempts >= 1``).

    ``min(60, 2 ** (attempts - 1))`` seconds — 1, 2, 4, 8, 16, 32, 60, 60 … —
    times a jitter factor drawn from ``rng.uniform(0.8, 1.2)``, and never more
    than 60 s after jitter. Raises ``ValueError`` if ``attempts < 1``.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    # 2 ** 6 = 64 already exceeds the cap; clamping the exponent avoids huge ints.
    base = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** min(attempts - 1, 16))
    factor = rng.uniform(1.0 - BACKOFF_JITTER, 1.0 + BACKOFF_JITTER)
    return min(BACKOFF_CAP, base * factor)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One queued mutation, as stored in ``outbox.json``.

    * ``key`` — the ``Idempotency-Key`` (a UUID4 string); also the document id.
    * ``seq`` — FIFO position; grows monotonically, survives restarts.
    * ``kind`` — what it is, for display and routing (``"announcement.ack"``).
    * ``method``, ``path`` — the HTTP call; ``path`` is under ``/api/v1``
      (``"/announcements/a1/ack"``).
    * ``body`` — the JSON body (a dict).
    * ``created_at``, ``next_attempt_at`` — epoch seconds.
    * ``attempts`` — tries that failed so far (transient errors).
    * ``last_error`` — text of the latest failure, or ``None``.
    * ``status`` — ``"pending"`` (waiting to be sent) or ``"failed"``
      (permanently rejected by the server; kept and shown to the agent).

    Instances are snapshots: change an item through :class:`Outbox` methods.
    """

    key: str
    seq: int
    kind: str
    method: str
    path: str
    body: dict[str, Any]
    created_at: float
    attempts: int
    next_attempt_at: float
    last_error: str | None
    status: OutboxStatus

    def to_doc(self) -> dict[str, Any]:
        """The stored form: every field as a JSON-able dict."""
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> OutboxItem:
        """Build a snapshot from a stored document (``body`` is deep-copied)."""
        return cls(
            key=str(doc["key"]),
            seq=int(doc["seq"]),
            kind=str(doc["kind"]),
            method=str(doc["method"]),
            path=str(doc["path"]),
            body=copy.deepcopy(doc["body"]),
            created_at=float(doc["created_at"]),
            attempts=int(doc["attempts"]),
            next_attempt_at=float(doc["next_attempt_at"]),
            last_error=None if doc.get("last_error") is None else str(doc["last_error"]),
            status="failed" if doc.get("status") == "failed" else "pending",
        )


class Outbox:
    """FIFO queue of mutations over the ``outbox`` collection of a :class:`LocalStore`.

    ``Outbox(store, rng=None)``: ``rng`` (anything with ``uniform(a, b)``,
    default a fresh ``random.Random()``) supplies the retry jitter; pass a
    seeded ``random.Random`` in tests. The outbox holds no state of its own
    besides the store, so several ``Outbox`` objects over one store agree.
    """

    def __init__(self, store: LocalStore, *, rng: UniformRNG | None = None) -> None:
        self._store = store
        self._rng: UniformRNG = rng if rng is not None else random.Random()

    # -- reading ---------------------------------------------------------------------

    def items(self, status: OutboxStatus | None = None) -> list[OutboxItem]:
        """Every item (or only those with ``status``), in ``seq`` order."""
        found = [OutboxItem.from_doc(doc) for doc in self._raw_items().values()]
        if status is not None:
            found = [item for item in found if item.status == status]
        found.sort(key=lambda item: item.seq)
        return found

    def get(self, key: str) -> OutboxItem | None:
        """The item with idempotency key ``key``, or ``None``."""
        doc = self._raw_items().get(key)
        return None if doc is None else OutboxItem.from_doc(doc)

    def pending_count(self) -> int:
        """Number of items waiting to be sent (status ``"pending"``)."""
        return sum(1 for doc in self._raw_items().values() if doc.get("status") != "failed")

    def failed_count(self) -> int:
        """Number of items the server rejected for good (status ``"failed"``), kept for the agent."""
        return sum(1 for doc in self._raw_items().values() if doc.get("status") == "failed")

    def peek_due(self, now: float) -> OutboxItem | None:
        """The oldest pending item if it is due (``next_attempt_at <= now``, epoch s), else ``None``.

        Strict FIFO: when the oldest pending item is still waiting, ``None``
        is returned even if a younger one would be due. Does not change
        anything; report the outcome with :meth:`mark_sent`,
        :meth:`mark_retry` or :meth:`mark_failed`.
        """
        head = self._oldest_pending()
        if head is None or head.next_attempt_at > now:
            return None
        return head

    def next_due_at(self) -> float | None:
        """When (epoch s) the oldest pending item is due, or ``None`` when nothing is pending.

        Under strict FIFO that is when the queue can move next; the sync
        service sleeps until then (or until something is enqueued).
        """
        head = self._oldest_pending()
        return None if head is None else head.next_attempt_at

    # -- changing --------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        method: str,
        path: str,
        body: dict[str, Any],
        *,
        now: float,
        key: str | None = None,
    ) -> OutboxItem:
        """Queue a mutation; it is on disk before this returns.

        ``method`` is one of POST/PUT/PATCH/DELETE (any case), ``path`` starts
        with ``/`` and is relative to ``/api/v1``, ``body`` is a dict of JSON
        values or of values pydantic turns into them (datetimes, at any depth,
        become ISO 8601 text; models their JSON), ``now`` is epoch seconds (``created_at``; due at once). Returns
        the stored item with ``key`` (default a fresh UUID4; pass the key a
        live call already used, so the backend sees one logical action) and
        the next ``seq``.
        Raises ``ValueError``/``TypeError`` for bad arguments (nothing is
        queued), ``OSError`` if the disk write fails (nothing is queued).
        """
        if not isinstance(kind, str) or not kind:
            raise ValueError("kind must be a non-empty string")
        verb = method.upper() if isinstance(method, str) else ""
        if verb not in _METHODS:
            raise ValueError(f"method must be one of {sorted(_METHODS)}, got {method!r}")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        if not isinstance(body, dict):
            raise TypeError(f"body must be a dict, got {type(body).__name__}")
        # As it goes on the wire: datetimes (at any depth) become ISO 8601 text,
        # models their JSON. A complaint edit's nested times crashed the desk here.
        body = to_jsonable_python(body)
        # Fail here, before touching the file, if the body cannot be stored.
        json.dumps(body, ensure_ascii=False, allow_nan=False)

        if key is not None and (not isinstance(key, str) or not key.strip()):
            raise ValueError("key must be a non-empty string")
        raw = self._raw_items()
        if key is not None and key in raw:
            raise ValueError(f"an item with key {key!r} is already queued")
        seq = max(self._last_seq(), *(int(doc["seq"]) for doc in raw.values()), 0) + 1
        item = OutboxItem(
            key=key or str(uuid.uuid4()),
            seq=seq,
            kind=kind,
            method=verb,
            path=path,
            body=copy.deepcopy(body),
            created_at=float(now),
            attempts=0,
            next_attempt_at=float(now),
            last_error=None,
            status="pending",
        )
        items = dict(raw)
        items[item.key] = item.to_doc()
        self._commit(items, last_seq=seq)
        # Return what was stored (JSON round trip: tuples become lists …).
        return self.get(item.key) or item

    def mark_sent(self, key: str) -> bool:
        """Remove the item the server accepted (the only way an item leaves). True if it was there."""
        raw = self._raw_items()
        if key not in raw:
            return False
        items = {k: v for k, v in raw.items() if k != key}
        self._commit(items)
        return True

    def mark_retry(self, key: str, error: str, now: float) -> OutboxItem:
        """Record a transient failure (network, 5xx, 429): try again later.

        ``attempts`` += 1, ``last_error`` = ``error``, ``next_attempt_at`` =
        ``now`` + :func:`backoff_delay` (seconds). Returns the updated item;
        raises ``KeyError`` for an unknown key.
        """
        item = self._require(key)
        attempts = item.attempts + 1
        delay = backoff_delay(attempts, self._rng)
        return self._replace(
            item, attempts=attempts, next_attempt_at=float(now) + delay, last_error=str(error)
        )

    def mark_failed(self, key: str, error: str) -> OutboxItem:
        """Record a permanent rejection (a 4xx the retry cannot fix): status ``"failed"``.

        The item is kept (never dropped) for the agent to see and, after a
        fix, to :meth:`retry_failed`; it no longer blocks the items behind it.
        Returns the updated item; raises ``KeyError`` for an unknown key.
        """
        item = self._require(key)
        return self._replace(item, status="failed", last_error=str(error))

    def retry_failed(self, key: str, *, now: float | None = None) -> OutboxItem:
        """Put a failed item back in line: status ``"pending"``, ``attempts`` 0.

        It keeps its ``seq`` (its original FIFO place) and its ``key`` (so
        the server still recognises it), and is due at ``now`` (epoch s) or at
        once when ``now`` is ``None``. ``last_error`` is kept until it is
        sent. Returns the updated item; raises ``KeyError`` for an unknown key.
        """
        item = self._require(key)
        return self._replace(
            item, status="pending", attempts=0, next_attempt_at=0.0 if now is None else float(now)
        )

    def rebase(self, key: str, body: dict[str, Any], *, now: float) -> OutboxItem:
        """Give a pending item a new ``body`` in place, due at ``now`` (epoch s), ``attempts`` 0.

        For a mutation the server refused without applying it (a 409 version
        conflict; the server stores answers only for 2xx): the item keeps its
        ``seq`` (its FIFO place) and its ``key``, which the server has no
        answer for, so the key may carry the new body. Raises ``KeyError``
        for an unknown key, ``TypeError``/``ValueError`` for a body that is
        not a JSON-able dict (nothing changes).
        """
        if not isinstance(body, dict):
            raise TypeError(f"body must be a dict, got {type(body).__name__}")
        json.dumps(body, ensure_ascii=False, allow_nan=False)
        item = self._require(key)
        return self._replace(
            item, body=copy.deepcopy(body), attempts=0, next_attempt_at=float(now), status="pending"
        )

    # -- internals -------------------------------------------------------------------

    def _table(self) -> StoreTable:
        return self._store.collection(OUTBOX_COLLECTION)

    def _data(self) -> dict[str, Any]:
        return self._table().storage.read() or {}

    def _raw_items(self) -> dict[str, dict[str, Any]]:
        # Cached documents: read-only here; changes go through _commit.
        return self._data().get(OUTBOX_COLLECTION, {})

    def _last_seq(self) -> int:
        state = self._data().get(_STATE_TABLE, {}).get(_SEQ_DOC, {})
        return int(state.get("last", 0))

    def _oldest_pending(self) -> OutboxItem | None:
        pending = [doc for doc in self._raw_items().values() if doc.get("status") != "failed"]
        if not pending:
            return None
        return OutboxItem.from_doc(min(pending, key=lambda doc: int(doc["seq"])))

    def _require(self, key: str) -> OutboxItem:
        item = self.get(key)
        if item is None:
            raise KeyError(f"no outbox item with key {key!r}")
        return item

    def _replace(self, item: OutboxItem, **changes: Any) -> OutboxItem:
        updated = OutboxItem(**{**asdict(item), **changes})
        items = dict(self._raw_items())
        items[updated.key] = updated.to_doc()
        self._commit(items)
        return updated

    def _commit(self, items: dict[str, dict[str, Any]], *, last_seq: int | None = None) -> None:
        """Write the items (and the seq high-water mark) in one atomic write of ``outbox.json``."""
        table = self._table()
        new = dict(self._data())
        new[OUTBOX_COLLECTION] = items
        if last_seq is not None:
            new[_STATE_TABLE] = {_SEQ_DOC: {"last": last_seq}}
        table.storage.write(new)
        table.clear_cache()
