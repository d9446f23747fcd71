"""Outbox: durability, FIFO, strict head-of-line, backoff with cap and jitter, never-drop."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

import pytest
from _store_helpers import AGENT, BACKEND

from csdesk.store.local import LocalStore
from csdesk.store.outbox import BACKOFF_CAP, Outbox, OutboxItem, backoff_delay

T0 = 1_700_000_000.0


class FixedRNG:
    """``uniform(a, b)`` returns the point ``frac`` of the way from ``a`` to ``b``."""

    def __init__(self, frac: float) -> None:
        self.frac = frac

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.frac


@pytest.fixture
def outbox(store: LocalStore) -> Outbox:
    return Outbox(store, rng=FixedRNG(0.5))


def _ack(outbox: Outbox, n: int, now: float = T0) -> OutboxItem:
    return outbox.enqueue("announcement.ack", "POST", f"/announcements/an{n}/ack", {"n": n}, now=now)


def test_enqueue_fields_and_durable_before_return(store: LocalStore, outbox: Outbox) -> None:
    item = outbox.enqueue("announcement.ack", "post", "/announcements/an1/ack", {"note": "已读"}, now=T0)
    assert uuid.UUID(item.key).version == 4
    assert (item.seq, item.kind, item.method, item.path) == (1, "announcement.ack", "POST", "/announcements/an1/ack")
    assert item.body == {"note": "已读"}
    assert (item.created_at, item.next_attempt_at, item.attempts) == (T0, T0, 0)
    assert (item.last_error, item.status) == (None, "pending")
    raw = store.collection_path("outbox").read_bytes()
    assert json.loads(raw)["outbox"][item.key] == item.to_doc()  # on disk already
    assert "已读".encode() in raw


def test_body_is_copied(outbox: Outbox) -> None:
    body = {"tags": ["a"]}
    item = outbox.enqueue("k", "PUT", "/me/settings", body, now=T0)
    body["tags"].append("b")
    item.body["tags"].append("c")
    got = outbox.get(item.key)
    assert got is not None and got.body == {"tags": ["a"]}


@pytest.mark.parametrize(
    ("kind", "method", "path", "body"),
    [
        ("", "POST", "/x", {}),
        ("k", "GET", "/x", {}),
        ("k", "POST", "x", {}),
        ("k", "POST", "/x", ["not", "a", "dict"]),
        ("k", "POST", "/x", {"when": object()}),
        ("k", "POST", "/x", {"v": float("nan")}),
    ],
)
def test_bad_enqueue_queues_nothing(store: LocalStore, outbox: Outbox, kind: str, method: str, path: str, body: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        outbox.enqueue(kind, method, path, body, now=T0)  # type: ignore[arg-type]
    assert outbox.items() == []
    assert not store.collection_path("outbox").exists()


def test_fifo_order_and_monotonic_seq(outbox: Outbox) -> None:
    items = [_ack(outbox, n) for n in range(5)]
    assert [i.seq for i in items] == [1, 2, 3, 4, 5]
    assert [i.key for i in outbox.items()] == [i.key for i in items]
    assert outbox.pending_count() == 5
    sent = []
    while (head := outbox.peek_due(T0)) is not None:
        sent.append(head.body["n"])
        assert outbox.mark_sent(head.key)
    assert sent == [0, 1, 2, 3, 4]
    assert outbox.pending_count() == 0 and outbox.next_due_at() is None
    assert _ack(outbox, 5).seq == 6  # seq keeps growing after the queue emptied


def test_seq_survives_restart_even_when_empty(data_dir: Path) -> None:
    with LocalStore.open(data_dir, BACKEND, AGENT) as s:
        ob = Outbox(s)
        for n in range(3):
            ob.mark_sent(_ack(ob, n).key)
    with LocalStore.open(data_dir, BACKEND, AGENT) as s:
        assert _ack(Outbox(s), 3).seq == 4


def test_peek_due_is_strict_fifo(outbox: Outbox) -> None:
    first = _ack(outbox, 1, now=T0)
    second = _ack(outbox, 2, now=T0)
    assert outbox.peek_due(T0 - 1) is None  # nothing is due yet
    assert outbox.peek_due(T0) == first
    outbox.mark_retry(first.key, "connect timeout", now=T0)
    # the head waits 1 s; the younger item is "due" but must not overtake it
    assert outbox.peek_due(T0 + 0.5) is None
    assert outbox.next_due_at() == pytest.approx(T0 + 1.0)
    head = outbox.peek_due(T0 + 1.0)
    assert head is not None and head.key == first.key and head.attempts == 1
    outbox.mark_sent(first.key)
    assert outbox.peek_due(T0 + 1.0) == second


def test_retry_backoff_doubles_up_to_cap(outbox: Outbox) -> None:
    item = _ack(outbox, 1)
    now = T0
    delays = []
    for _ in range(9):
        updated = outbox.mark_retry(item.key, "503 Service Unavailable", now=now)
        delays.append(updated.next_attempt_at - now)
        now = updated.next_attempt_at
    assert delays == pytest.approx([1, 2, 4, 8, 16, 32, 60, 60, 60])
    got = outbox.get(item.key)
    assert got is not None and got.attempts == 9 and got.last_error == "503 Service Unavailable"
    assert got.status == "pending"


@pytest.mark.parametrize("frac", [0.0, 1.0])
def test_backoff_jitter_bounds(frac: float) -> None:
    rng = FixedRNG(frac)
    factor = 0.8 if frac == 0.0 else 1.2
    for attempts, base in [(1, 1), (2, 2), (3, 4), (5, 16), (6, 32)]:
        assert backoff_delay(attempts, rng) == pytest.approx(base * factor)
    # at the cap the jitter never pushes the delay past 60 s
    assert backoff_delay(7, rng) == pytest.approx(48.0 if frac == 0.0 else 60.0)
    assert backoff_delay(10_000, rng) <= BACKOFF_CAP


def test_backoff_with_real_rng_stays_in_band() -> None:
    rng = random.Random(7)
    for attempts in range(1, 40):
        base = min(60.0, 2.0 ** (attempts - 1))
        for _ in range(20):
            d = backoff_delay(attempts, rng)
            assert 0.8 * base <= d <= min(60.0, 1.2 * base)
    with pytest.raises(ValueError):
        backoff_delay(0, rng)


def test_jitter_comes_from_injected_rng(store: LocalStore) -> None:
    a = Outbox(store, rng=random.Random(1))
    item = _ack(a, 1)
    first = a.mark_retry(item.key, "e", now=T0).next_attempt_at
    a.retry_failed(a.mark_failed(item.key, "x").key)
    b = Outbox(store, rng=random.Random(1))
    assert b.mark_retry(item.key, "e", now=T0).next_attempt_at == first


def test_failed_items_are_kept_and_do_not_block(outbox: Outbox) -> None:
    bad = _ack(outbox, 1)
    good = _ack(outbox, 2)
    failed = outbox.mark_failed(bad.key, "422 validation-error: announcement expired")
    assert failed.status == "failed" and failed.last_error.startswith("422")  # type: ignore[union-attr]
    assert (outbox.pending_count(), outbox.failed_count()) == (1, 1)
    assert outbox.peek_due(T0) == good  # the rejected item no longer blocks the queue
    assert outbox.mark_sent(good.key)
    assert outbox.peek_due(T0 + 10_000) is None
    assert [i.key for i in outbox.items()] == [bad.key]  # never dropped
    assert [i.key for i in outbox.items("failed")] == [bad.key]
    assert outbox.items("pending") == []


def test_retry_failed_returns_to_original_place(outbox: Outbox) -> None:
    bad = _ack(outbox, 1)
    outbox.mark_retry(bad.key, "timeout", now=T0)
    outbox.mark_failed(bad.key, "409 illegal-transition")
    later = _ack(outbox, 2)
    again = outbox.retry_failed(bad.key)
    assert (again.status, again.attempts, again.seq, again.key) == ("pending", 0, bad.seq, bad.key)
    assert again.last_error == "409 illegal-transition"
    assert outbox.peek_due(T0) == again  # due at once, ahead of the younger item
    assert outbox.retry_failed(later.key, now=T0 + 5).next_attempt_at == T0 + 5


def test_unknown_keys(outbox: Outbox) -> None:
    assert outbox.mark_sent("nope") is False
    assert outbox.get("nope") is None
    for call in (
        lambda: outbox.mark_retry("nope", "e", now=T0),
        lambda: outbox.mark_failed("nope", "e"),
        lambda: outbox.retry_failed("nope"),
    ):
        with pytest.raises(KeyError):
            call()


def test_nothing_is_ever_dropped_except_by_mark_sent(outbox: Outbox) -> None:
    items = [_ack(outbox, n) for n in range(6)]
    rng = random.Random(3)
    now = T0
    for step in range(300):
        item = rng.choice(items)
        if step % 3 == 0:
            outbox.mark_failed(item.key, "rejected")
        elif step % 3 == 1:
            outbox.mark_retry(item.key, "network", now=now)
        else:
            outbox.retry_failed(item.key, now=now)
        now += 1
    assert sorted(i.key for i in outbox.items()) == sorted(i.key for i in items)
    assert outbox.pending_count() + outbox.failed_count() == 6


def test_everything_survives_reopen(data_dir: Path) -> None:
    with LocalStore.open(data_dir, BACKEND, AGENT) as s:
        ob = Outbox(s, rng=FixedRNG(0.5))
        a, b, c = (_ack(ob, n) for n in range(3))
        ob.mark_retry(a.key, "timeout", now=T0)
        ob.mark_failed(b.key, "rejected")
        before = ob.items()
    with LocalStore.open(data_dir, BACKEND, AGENT) as s:
        ob = Outbox(s)
        assert ob.items() == before
        assert ob.next_due_at() == pytest.approx(T0 + 1)
        assert (ob.pending_count(), ob.failed_count()) == (2, 1)


def test_outboxes_over_one_store_agree(store: LocalStore) -> None:
    a, b = Outbox(store), Outbox(store)
    item = _ack(a, 1)
    assert b.get(item.key) == item
    b.mark_sent(item.key)
    assert a.items() == []


def test_datetimes_at_any_depth_are_stored_as_iso_text(outbox: Outbox) -> None:
    # QA: a complaint edit carried datetimes inside "complaint"; json.dumps
    # raised TypeError and the desk exited.
    from datetime import UTC, datetime

    at = datetime(2026, 12, 1, 6, 51, tzinfo=UTC)
    item = outbox.enqueue("work_order.edit", "PATCH", "/work-orders/x",
                          {"due_at": at, "complaint": {"promised_at": at, "told": [at]}}, now=T0)
    assert item.body == {"due_at": "2026-12-01T06:51:00Z",
                         "complaint": {"promised_at": "2026-12-01T06:51:00Z", "told": ["2026-12-01T06:51:00Z"]}}
