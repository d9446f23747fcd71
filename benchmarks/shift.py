"""A shift at the desk: one agent handles N contacts back to back (issue #4 soak).

A real backend on loopback (fresh SQLite file) and the real csdesk app at
80×24, driven by Pilot with the keys an agent presses: F2 Ready, Enter on the
offer, Enter to send the greeting script, a typed answer, alt+e + y to end,
then the wrap-up form (type-ahead on the disposition, Enter, ctrl+r). The
customers open with real messages from Banking77 (``text,category`` CSV,
default the shared ``train.csv``) and answer once.

Prints, per contact, the handle time (offer shown → session record back)
every 25 contacts and at the end: p50/p95 handle time, the process's
resident memory (RSS, after a garbage collection; the backend runs in its
own process unless ``--backend thread``) at contact 10 and at the last contact with the growth in per cent (target: at most 10%), and the
key-to-screen latency p50/p99 of the composer once the transcript holds 500
lines (target p99 < 30 ms), against a bare TextArea measured in the same run
(ratio printed), as in ``benchmarks/composer_latency.py``.

    uv run python benchmarks/shift.py [--contacts 300] [--customers FILE.csv]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.composer_latency import KEYS, Bare, DisplayClock, pct, time_key  # noqa: E402
from benchmarks.composer_latency import measure as measure_bare  # noqa: E402
from csdesk.app import CsdeskApp  # noqa: E402
from csdesk.server.config import ServerSettings  # noqa: E402
from csdesk.server.contacts import customer_says, enqueue_contact  # noqa: E402
from csdesk.server.customers import DEMO_CUSTOMERS  # noqa: E402
from csdesk.server.runner import BackgroundServer  # noqa: E402
from csdesk.server.seed import DEMO_AGENTS  # noqa: E402
from tests.shared_data import BANKING77  # noqa: E402
from tests.tui.helpers import sign_in_to_desk, wait_for  # noqa: E402

AGENT = DEMO_AGENTS[0]
ANSWER = "Anything else?"
FOLLOW_UP = "Thanks, that's all."
DISPOSITION_TYPED = "lost"


#: The backend of ``--backend process``: serves ``argv[1]`` until stdin closes.
CHILD = """
import sys
from pathlib import Path
from csdesk.server.config import ServerSettings
from csdesk.server.runner import BackgroundServer
settings = ServerSettings(db_path=Path(sys.argv[1]), routing_tick=0.05, offer_timeout=60,
                          **ServerSettings.fast_hashing())
with BackgroundServer(settings) as server:
    server.context.hub.poll_interval = 0.05  # customer lines written by the benchmark process
    print(server.url, flush=True)
    sys.stdin.read()
"""


class BackendProcess:
    """The backend in a child process (``url``), and ``context``: this process's
    own connection to the same SQLite file, for the customers' words (the
    child's event hub relays what is written there)."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings

    def __enter__(self) -> BackendProcess:
        from csdesk.server.context import ServerContext

        self.settings.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(self.settings.db_path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url:
            raise SystemExit("the backend process did not start")
        self.context = ServerContext.open(self.settings)
        return self

    def __exit__(self, *exc: object) -> None:
        self.context.close()
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def rss_mib() -> float:
    """Resident set size of this process (MiB), after a full collection."""
    gc.collect()
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def openings(path: Path, count: int, seed: int = 7) -> list[str]:
    """``count`` customer messages from the ``text`` column of ``path`` (shuffled, repeated if short)."""
    with path.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle) if row.get("text")]
    if not texts:
        raise SystemExit(f"{path}: no text column or no rows")
    random.Random(seed).shuffle(texts)
    return [texts[i % len(texts)] for i in range(count)]


async def type_text(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    for char in text:
        await pilot.press("space" if char == " " else char)


async def one_contact(pilot, backend: BackgroundServer, opening: str, index: int) -> float:  # type: ignore[no-untyped-def]
    """Handle one chat contact through the keys; seconds from the offer shown to the record."""
    app: CsdeskApp = pilot.app
    service = app.get_session().contact
    customer = DEMO_CUSTOMERS[index % len(DEMO_CUSTOMERS)]["customer_ref"]
    enqueue_contact(backend.context, "chat", "chat.general", customer, opening)
    await wait_for(pilot, lambda: service.offer is not None, timeout=30)
    start = time.perf_counter()
    await pilot.press("enter")  # accept
    await wait_for(pilot, lambda: service.contact is not None and bool(app.screen.query_one("#composer").text))
    await pilot.press("enter")  # the greeting script
    contact_id = service.contact.id  # type: ignore[union-attr]
    await wait_for(pilot, lambda: len(service.contact.transcript) >= 3 if service.contact else False)
    customer_says(backend.context, contact_id, FOLLOW_UP)
    await type_text(pilot, ANSWER)
    await pilot.press("enter")
    await pilot.press("alt+e")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
    await pilot.press("y")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "WrapUpScreen", timeout=30)
    await wrap_up_keys(pilot)
    await wait_for(pilot, lambda: service.contact is None and app.screen.__class__.__name__ == "DeskScreen",
                   timeout=30)
    return time.perf_counter() - start


async def wrap_up_keys(pilot) -> None:  # type: ignore[no-untyped-def]
    """Pick a disposition by type-ahead and submit the wrap-up form."""
    app = pilot.app
    await wait_for(pilot, lambda: bool(app.screen.query("#filter")) and app.screen.query_one("#filter").has_focus)
    await type_text(pilot, DISPOSITION_TYPED)
    await pilot.press("enter")
    await pilot.press("ctrl+r")


async def composer_latency(pilot, backend: BackgroundServer, keys: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Key-to-screen (ms) in the desk's composer once the transcript holds 500 lines."""
    app: CsdeskApp = pilot.app
    service = app.get_session().contact
    customer = DEMO_CUSTOMERS[0]["customer_ref"]
    enqueue_contact(backend.context, "chat", "chat.general", customer, "I need help with my card")
    await wait_for(pilot, lambda: service.offer is not None, timeout=30)
    await pilot.press("enter")
    await wait_for(pilot, lambda: service.contact is not None)
    contact_id = service.contact.id  # type: ignore[union-attr]
    for n in range(500):
        customer_says(backend.context, contact_id, f"{n} I lost my card yesterday, 我的银行卡丢了")
    await wait_for(pilot, lambda: len(service.contact.transcript) >= 500 if service.contact else False, timeout=120)
    composer = app.screen.query_one("#composer")
    composer.clear()  # type: ignore[attr-defined]
    composer.focus_input()  # type: ignore[attr-defined]
    await pilot.pause(0.5)
    clock = DisplayClock(app)
    samples: list[float] = []
    for n in range(keys):
        key = KEYS[n % len(KEYS)]
        before = len(composer.text)  # type: ignore[attr-defined]
        name = "space" if key == " " else key
        samples.append(await time_key(pilot, clock, name, lambda: len(composer.text) > before))  # type: ignore[attr-defined]
        if n and n % 40 == 0:
            composer.clear()  # type: ignore[attr-defined]
            await pilot.pause()
    return samples[5:]


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--contacts", type=int, default=300)
    parser.add_argument("--customers", type=Path, default=BANKING77 / "train.csv")
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument("--backend", choices=("process", "thread"), default="process",
                        help="the backend in its own process (RSS is the desk's alone) or in a thread here")
    args = parser.parse_args()
    lines = openings(args.customers, args.contacts)
    with tempfile.TemporaryDirectory(prefix="csdesk-shift-") as tmp:
        settings = ServerSettings(
            db_path=Path(tmp) / "backend" / "csdesk.db", routing_tick=0.05, offer_timeout=60,
            **ServerSettings.fast_hashing(),
        )
        with (BackendProcess(settings) if args.backend == "process" else BackgroundServer(settings)) as backend:
            app = CsdeskApp(backend.url, Path(tmp) / "client", language="en")
            handle: list[float] = []
            memory: dict[int, float] = {}
            async with app.run_test(size=(80, 24)) as pilot:
                await sign_in_to_desk(pilot, AGENT)
                await pilot.press("f2")
                started = time.perf_counter()
                for index, opening in enumerate(lines, start=1):
                    handle.append(await one_contact(pilot, backend, opening, index))
                    if index in (10, args.contacts):
                        memory[index] = rss_mib()
                    if index % 25 == 0 or index == args.contacts:
                        print(f"contact {index}: handle {handle[-1]:.2f} s, "
                              f"median so far {statistics.median(handle):.2f} s, RSS {rss_mib():.1f} MiB",
                              flush=True)
                elapsed = time.perf_counter() - started
                desk_keys = await composer_latency(pilot, backend, args.keys)
            bare_keys = (await measure_bare(Bare(), args.keys))[5:]
    print(f"contacts handled: {len(handle)} in {elapsed:.0f} s")
    print(f"handle time per contact: p50 {statistics.median(handle):.2f} s  p95 {pct(handle, 95):.2f} s  "
          f"max {max(handle):.2f} s")
    if 10 in memory:
        last = max(memory)
        growth = (memory[last] / memory[10] - 1) * 100
        print(f"RSS at contact 10: {memory[10]:.1f} MiB, at contact {last}: {memory[last]:.1f} MiB "
              f"(growth {growth:+.1f}%, target at most +10%: {'met' if growth <= 10 else 'NOT met'})")
    dp50, dp99 = statistics.median(desk_keys), pct(desk_keys, 99)
    bp50, bp99 = statistics.median(bare_keys), pct(bare_keys, 99)
    print(f"composer key-to-screen, 500-line transcript: p50 {dp50:.2f} ms  p99 {dp99:.2f} ms "
          f"(target p99 < 30 ms: {'met' if dp99 < 30 else 'NOT met'})")
    print(f"baseline bare TextArea:                      p50 {bp50:.2f} ms  p99 {bp99:.2f} ms")
    print(f"ratio desk/baseline: p50 {dp50 / bp50:.2f}x  p99 {dp99 / bp99:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
