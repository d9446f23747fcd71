"""Crash safety (DESIGN §5): SIGKILL at random moments never loses an acknowledged write.

A child process writes in a loop and prints the number of each write only
after the call returned. The parent kills it with SIGKILL at a random moment
(sometimes even before the store is open), then opens the store itself and
checks that every file parses (no ``StoreCorruptError``), that every
acknowledged write is there, that at most the one write in flight at the kill
is there besides, and that no temporary file survives the reopen. The next
child continues from there, so the checks accumulate over the iterations.
A failure message carries the seed; rerun with ``CSDESK_CRASH_SEED=<seed>``
to replay the same kill schedule (timing still varies).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from _store_helpers import AGENT, BACKEND, spawn_child

from csdesk.store.local import LocalStore
from csdesk.store.outbox import Outbox

# Kill/reopen rounds per test; raise it for a longer soak (CSDESK_CRASH_ITERATIONS=500).
ITERATIONS = int(os.environ.get("CSDESK_CRASH_ITERATIONS", "30"))
MAX_RUN_S = 0.2  # how long a child may write before it is killed, seconds
EARLY_KILL_CHANCE = 0.2  # chance to kill without waiting for "ready"


def _seed() -> int:
    return int(os.environ.get("CSDESK_CRASH_SEED", time.time_ns() % 2**32))


def _run_and_kill(proc: subprocess.Popen[str], rng: random.Random) -> list[int]:
    """Kill ``proc`` at a random moment; return the write numbers it acknowledged."""
    assert proc.stdout is not None and proc.stderr is not None
    first = ""
    if rng.random() < EARLY_KILL_CHANCE:
        time.sleep(rng.uniform(0.0, 0.15))
    else:
        first = proc.stdout.readline()
        assert first.strip() == "ready"
        time.sleep(rng.uniform(0.0, MAX_RUN_S))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    # Read through the same buffered file objects as readline() above:
    # communicate() reads the raw pipe and would miss lines readline() had
    # already pulled into the buffer (seen under CPU load).
    out = first + proc.stdout.read()
    err = proc.stderr.read()
    assert proc.returncode == -signal.SIGKILL, f"child failed by itself: {err}"
    return [int(line) for line in out.split() if line != "ready"]


def _crash_loop(data_dir: Path, mode: str, present_in: Callable[[LocalStore, str], set[int]]) -> int:
    """Run ITERATIONS kill/reopen rounds; ``present_in`` lists the write numbers found in the store.

    After each kill: every acknowledged write, and every write found after an
    earlier kill, must be present; the only other write allowed is the one
    that was in flight when the child was killed.
    """
    seed = _seed()
    rng = random.Random(seed)
    durable: set[int] = set()  # acknowledged, or seen on disk after an earlier kill
    start = 0
    for i in range(ITERATIONS):
        ctx = f"seed={seed} iteration={i} start={start}"
        proc = spawn_child(mode, data_dir, start=start)
        try:
            this_round = _run_and_kill(proc, rng)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert this_round == list(range(start, start + len(this_round))), ctx
        durable.update(this_round)
        in_flight = start + len(this_round)  # may have finished without being reported
        with LocalStore.open(data_dir, BACKEND, AGENT) as store:
            present = present_in(store, ctx)  # parses the file: StoreCorruptError fails the test
            leftovers = [p.name for p in store.folder.iterdir() if p.name.endswith(".tmp")]
        assert durable <= present, f"{ctx}: lost acknowledged writes {sorted(durable - present)[:10]}"
        assert present - durable <= {in_flight}, f"{ctx}: unexpected writes {sorted(present - durable)[:10]}"
        assert leftovers == [], ctx
        durable |= present
        start = max(present, default=-1) + 1
    assert len(durable) > ITERATIONS, f"seed={seed}: too few writes happened ({len(durable)})"
    return len(durable)


def _docs_present(store: LocalStore, ctx: str) -> set[int]:
    docs = store.all("docs")
    for doc_id, doc in docs.items():
        assert doc_id == f"d{doc['n']:07d}" == doc["id"], ctx
    return {doc["n"] for doc in docs.values()}


def test_killed_document_writer_loses_no_acknowledged_write(data_dir: Path) -> None:
    total = _crash_loop(data_dir, "docs", _docs_present)
    with LocalStore.open(data_dir, BACKEND, AGENT) as store:
        raw = store.collection_path("docs").read_bytes()
        assert "客户来电咨询信用卡分期".encode() in raw
        assert len(store.all("docs")) >= total


def test_killed_outbox_writer_loses_no_acknowledged_enqueue(data_dir: Path) -> None:
    seen_seqs: dict[int, int] = {}  # n -> seq, across all rounds

    def present_in(store: LocalStore, ctx: str) -> set[int]:
        items = Outbox(store).items()
        ns = [item.body["n"] for item in items]
        assert ns == sorted(ns), f"{ctx}: FIFO order broken"
        seqs = [item.seq for item in items]
        assert seqs == sorted(set(seqs)), f"{ctx}: seq not strictly increasing"
        assert len({item.key for item in items}) == len(items), ctx
        for item in items:
            assert seen_seqs.setdefault(item.body["n"], item.seq) == item.seq, f"{ctx}: seq changed"
            assert item.status == "pending" and item.path == f"/crash/{item.body['n']}", ctx
        return set(ns)

    total = _crash_loop(data_dir, "outbox", present_in)
    with LocalStore.open(data_dir, BACKEND, AGENT) as store:
        outbox = Outbox(store)
        assert outbox.pending_count() >= total
        # seq keeps growing after all those crashes
        last = outbox.items()[-1].seq
        assert outbox.enqueue("test.crash", "POST", "/crash/final", {}, now=time.time()).seq > last
