"""Knowledge suggestions against real customer messages (Banking77).

For each row of FILE (a ``text,category`` CSV; default: the Banking77
training split in the shared data folder, found as ``tests/shared_data.py``
finds it), ask ``KnowledgeIndex.suggest([text], k=3)`` over the demo knowledge
base and count a hit when one of the three suggested articles lists the row's
category among its ``intents``. Prints the overall hit rate (target from
issue #5: at least 0.80) and the top-1 rate, then at the bottom the rate per
intent, weakest first, with the article(s) tagged with it, what was suggested
first instead for the weakest, and the overall rate again.

The messages are only read here: none of them is copied into the project
(the articles and their sample questions are written for it).

    uv run python benchmarks/kb_suggest.py [FILE] [--k 3] [--worst 15]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from csdesk.search import KnowledgeIndex, load_articles  # noqa: E402


def default_file() -> Path:
    """``banking77/train.csv`` in the shared data folder (as the tests find it)."""
    from shared_data import BANKING77  # noqa: PLC0415 - raises with the places it tried

    return BANKING77 / "train.csv"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, help="text,category CSV (default: Banking77 train.csv)")
    parser.add_argument("--k", type=int, default=3, help="suggestions per message (default 3)")
    parser.add_argument("--worst", type=int, default=15, help="intents to detail at the bottom")
    args = parser.parse_args(argv)
    path = args.file or default_file()

    with path.open(newline="", encoding="utf-8") as fh:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(fh)]
    articles = load_articles()
    t0 = time.perf_counter()
    index = KnowledgeIndex.build(articles)
    build_ms = (time.perf_counter() - t0) * 1000
    by_intent: dict[str, list[str]] = defaultdict(list)
    for a in articles:
        for intent in a["intents"]:
            by_intent[intent].append(a["id"])
    print(f"{path}: {len(rows)} messages, {len(articles)} articles (index built in {build_ms:.0f} ms), k={args.k}")

    total: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    top1: Counter[str] = Counter()
    instead: dict[str, Counter[str]] = defaultdict(Counter)
    latencies: list[float] = []
    for text, intent in rows:
        t0 = time.perf_counter()
        suggested = index.suggest([text], k=args.k)
        latencies.append((time.perf_counter() - t0) * 1000)
        ids = [h.article_id for h in suggested]
        wanted = set(by_intent.get(intent, ()))
        total[intent] += 1
        if wanted & set(ids):
            hits[intent] += 1
            top1[intent] += bool(ids) and ids[0] in wanted
        elif ids:
            instead[intent][ids[0]] += 1

    n = sum(total.values())
    latencies.sort()
    print(f"suggest latency: p50 {statistics.median(latencies):.2f} ms, "
          f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.2f} ms")
    print(f"hit rate (top-{args.k}): {sum(hits.values()) / n:.3f}   top-1 rate: {sum(top1.values()) / n:.3f}")
    print()
    print("per intent, weakest first:")
    print(f"{'intent':<50} {'n':>4} {'top-' + str(args.k):>6} {'top-1':>6}  articles")
    ranked = sorted(total, key=lambda i: (hits[i] / total[i], i))
    for intent in ranked:
        print(f"{intent:<50} {total[intent]:>4} {hits[intent] / total[intent]:>6.2f} "
              f"{top1[intent] / total[intent]:>6.2f}  {','.join(by_intent.get(intent, ['(none)']))}")
    print()
    print(f"weakest {args.worst} intents, and the article most often suggested first instead:")
    for intent in ranked[: args.worst]:
        common = ", ".join(f"{a} ×{c}" for a, c in instead[intent].most_common(3))
        print(f"  {intent:<48} {hits[intent] / total[intent]:.2f}  instead: {common}")
    print()
    print(f"hit rate (top-{args.k}): {sum(hits.values()) / n:.3f} over {n} messages (target >= 0.80), "
          f"top-1 {sum(top1.values()) / n:.3f}")


if __name__ == "__main__":
    main()
