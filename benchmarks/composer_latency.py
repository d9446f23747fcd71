"""Key-to-screen latency in the chat composer with a 500-line transcript (issue #4).

Harness: an app with the desk's :class:`Transcript` (500 lines of customer /
agent text, followed at the end) above the :class:`Composer`, at 80×24.
Baseline: a bare Textual app with one ``TextArea``, in the same run.

Each key is pressed through Pilot; the clock starts just before the key is
posted and stops at the first screen update (``App._display``, the
compositor's output to the driver) made once the composer's text holds the
new character: that is key-to-screen on a headless terminal (Textual paints
at most ``max_fps`` times a second, so up to one frame of it is the frame
timer). Every 40 keys the
composer is sent (Enter), and every 10 keys a customer line is appended to
the transcript, as in a live chat. Runs alternate harness / baseline.
Prints p50/p99 (ms) for each and the p99 ratio (target: harness p99 < 30 ms).

    uv run python benchmarks/composer_latency.py [--keys 400] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import TextArea  # noqa: E402

from csdesk.domain.contact_schemas import TranscriptLine  # noqa: E402
from csdesk.domain.contacts import Speaker  # noqa: E402
from csdesk.widgets.composer import Composer  # noqa: E402
from csdesk.widgets.transcript import Transcript  # noqa: E402

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
WORDS = (
    "I lost my card yesterday and I think someone used it at a shop, can you freeze it please? "
    "我的银行卡昨天丢了，请帮我冻结一下。"
)
KEYS = list("hello thank you for waiting let me check that for you ")


class DisplayClock:
    """Records the first screen update of an app after it is armed and ``ready()`` holds."""

    def __init__(self, app: App) -> None:
        self.first = 0.0
        self.ready = lambda: False
        original = app._display

        def display(screen, renderable):  # type: ignore[no-untyped-def]
            original(screen, renderable)
            if not self.first and self.ready():
                self.first = time.perf_counter()

        app._display = display  # type: ignore[method-assign]

    def arm(self, ready) -> None:  # type: ignore[no-untyped-def]
        self.first = 0.0
        self.ready = ready


class Harness(App[None]):
    """Transcript (500 lines) + Composer."""

    def compose(self) -> ComposeResult:
        yield Transcript(id="transcript")
        yield Composer(id="composer")

    def on_mount(self) -> None:
        self.query_one(Transcript).add_lines(
            TranscriptLine(seq=i, at=T0 + timedelta(seconds=i),
                           speaker=Speaker.CUSTOMER if i % 2 else Speaker.AGENT, text=f"{i} {WORDS}")
            for i in range(1, 501)
        )
        self.query_one(Composer).focus_input()

    def value(self) -> str:
        return self.query_one(Composer).text

    def chat_tick(self, n: int) -> None:
        self.query_one(Transcript).add_line(
            TranscriptLine(seq=1000 + n, at=datetime.now(UTC), speaker=Speaker.CUSTOMER, text=WORDS)
        )


class Bare(App[None]):
    """A bare TextArea."""

    def compose(self) -> ComposeResult:
        yield TextArea(id="area")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def value(self) -> str:
        return self.query_one(TextArea).text

    def chat_tick(self, n: int) -> None:
        pass


async def time_key(pilot, clock: DisplayClock, key: str, shown) -> float:  # type: ignore[no-untyped-def]
    """Press ``key``; milliseconds until the first screen update after ``shown()``
    holds (2000 when it never does within 2 s)."""
    clock.arm(shown)
    start = time.perf_counter()
    await pilot.press(key)
    deadline = start + 2.0
    while not clock.first and time.perf_counter() < deadline:
        await asyncio.sleep(0)
    elapsed = (clock.first - start) * 1000 if clock.first else 2000.0
    clock.arm(lambda: False)
    return elapsed


async def measure(app: App, keys: int) -> list[float]:
    """Latencies (ms) of ``keys`` key presses in ``app``."""
    samples: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        clock = DisplayClock(app)
        for n in range(keys):
            key = KEYS[n % len(KEYS)]
            name = "space" if key == " " else key
            before = len(app.value())  # type: ignore[attr-defined]
            if n and n % 10 == 0:
                app.chat_tick(n)  # type: ignore[attr-defined]
                await pilot.pause()
            samples.append(await time_key(pilot, clock, name, lambda: len(app.value()) > before))  # type: ignore[attr-defined]
            if n and n % 40 == 0:
                if isinstance(app, Harness):
                    await pilot.press("enter")  # send: the composer empties
                else:
                    app.query_one(TextArea).clear()
                await pilot.pause()
    return samples


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    harness: list[float] = []
    bare: list[float] = []
    for round_ in range(args.rounds):
        h = await measure(Harness(), args.keys)
        b = await measure(Bare(), args.keys)
        harness += h[5:]  # first keys warm caches
        bare += b[5:]
        print(f"round {round_ + 1}: harness p50 {statistics.median(h):.2f} ms p99 {pct(h, 99):.2f} ms | "
              f"bare p50 {statistics.median(b):.2f} ms p99 {pct(b, 99):.2f} ms")
    hp50, hp99 = statistics.median(harness), pct(harness, 99)
    bp50, bp99 = statistics.median(bare), pct(bare, 99)
    print(f"keys measured: harness {len(harness)}, bare {len(bare)}")
    print(f"harness (Transcript 500 lines + Composer): p50 {hp50:.2f} ms  p99 {hp99:.2f} ms  max {max(harness):.2f} ms")
    print(f"baseline (bare TextArea):                  p50 {bp50:.2f} ms  p99 {bp99:.2f} ms  max {max(bare):.2f} ms")
    print(f"ratio harness/baseline: p50 {hp50 / bp50:.2f}x  p99 {hp99 / bp99:.2f}x")
    print(f"target p99 < 30 ms: {'met' if hp99 < 30 else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
