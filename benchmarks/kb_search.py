"""Knowledge search latency on a generated corpus, against an SQLite FTS5 trigram baseline.

Corpus: 10,000 articles (about 70 % Chinese bodies, 30 % English bodies,
every article with Chinese and English titles and mixed sample questions),
made by recombining the words, lines and sentences of the demo knowledge base
with a seeded RNG. Queries: 500, mixed — Chinese words, English words,
Chinese + English, English with typos, whole questions.

Measured in the same run:
- csdesk: ``KnowledgeIndex.build`` time, then ``search(q, limit=20)`` per
  query (ranking *and* the hits with titles, spans and snippets);
- baseline: an in-memory SQLite FTS5 table with the ``trigram`` tokenizer over
  the same articles; each query becomes its whitespace-separated pieces of 3+
  characters, each quoted, OR-ed, ranked by ``bm25()`` with column weights,
  ``LIMIT 20`` (ids and scores only). Pieces of fewer than 3 characters
  (e.g. 密码) cannot be matched by a trigram index and are dropped; a query
  left with none costs the baseline nothing (counted, and printed).

Prints the build times, p50/p95/max latencies, and the csdesk/FTS5 ratios.
Targets (issue #5): csdesk p95 ≤ 15 ms and ≤ 1.5 × the FTS5 p95. No asserts:
timings on a shared 2-core machine are noisy; rerun before concluding.

    uv run python benchmarks/kb_search.py [--articles 10000] [--queries 500] [--seed 7]
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rjieba  # noqa: E402

from csdesk.search import KnowledgeIndex, load_articles  # noqa: E402

_HAN_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")
_EN_WORD = re.compile(r"^[a-z]{3,}$")
_EN_STOP = {"the", "and", "for", "you", "your", "can", "how", "what", "why", "with", "this", "that", "have",
            "has", "was", "are", "does", "did", "not", "but", "from", "there", "when", "which", "will", "been"}


class Pools:
    """Words, lines and sentences of the demo articles to recombine."""

    def __init__(self, articles: list[dict]) -> None:
        self.articles = articles
        self.zh_title_words = sorted({w for a in articles for w in rjieba.cut(a["title"]) if _HAN_WORD.match(w)})
        self.zh_lines = [ln.strip() for a in articles for ln in a["body"].splitlines() if len(ln.strip()) > 8]
        self.zh_sentences = [s.strip() for a in articles for s in re.split(r"[。；]", a["summary"])
                             if len(s.strip()) > 6]
        self.zh_words = sorted({w for ln in self.zh_lines for w in rjieba.cut(ln) if _HAN_WORD.match(w)})
        self.en_questions = [q for a in articles for q in a["questions"] if q.isascii()]
        self.zh_questions = [q for a in articles for q in a["questions"] if not q.isascii()]
        self.en_title_words = sorted({w for a in articles for w in re.findall(r"[A-Za-z]+", a["title_en"])
                                      if len(w) > 2 and w.lower() not in _EN_STOP})
        self.en_words = sorted({w for q in self.en_questions for w in re.findall(r"[a-z]+", q.lower())
                                if _EN_WORD.match(w) and w not in _EN_STOP})
        self.tags = sorted({t for a in articles for t in a["tags"]})
        self.categories = [a["category"] for a in articles]


def make_corpus(pools: Pools, n: int, rng: random.Random) -> list[dict]:
    """``n`` synthetic article dicts (the synced shape), reproducible for a given ``rng`` state."""
    out = []
    for i in range(n):
        src = rng.choice(pools.articles)
        english = rng.random() < 0.3
        title = "".join(rng.sample(pools.zh_title_words, rng.randint(2, 4)))
        title_en = " ".join(rng.sample(pools.en_title_words, rng.randint(3, 7))).capitalize()
        questions = (rng.sample(pools.en_questions, rng.randint(3, 7))
                     + rng.sample(pools.zh_questions, rng.randint(1, 4)))
        if english:
            summary = " ".join(rng.sample(pools.en_questions, 2))
            body = "\n\n".join(
                " ".join(rng.sample(pools.en_questions, rng.randint(2, 4))) for _ in range(rng.randint(4, 9)))
        else:
            summary = "；".join(rng.sample(pools.zh_sentences, rng.randint(1, 2))) + "。"
            body = "\n".join(rng.sample(pools.zh_lines, rng.randint(6, 14)))
        out.append({
            "id": f"GEN-{i:05d}",
            "title": title,
            "title_en": title_en,
            "body": body,
            "category": list(src["category"]),
            "tags": rng.sample(pools.tags, rng.randint(3, 6)),
            "questions": questions,
            "intents": list(src["intents"]),
            "summary": summary,
            "version": 1,
            "updated_at": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T08:00:00+00:00",
            "status": "published",
        })
    return out


def typo(word: str, rng: random.Random) -> str:
    """One random edit (swap, drop, replace or insert a letter) inside ``word``."""
    if len(word) < 4:
        return word
    i = rng.randint(1, len(word) - 2)
    kind = rng.choice(("swap", "drop", "replace", "insert"))
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "replace":
        return word[:i] + letter + word[i + 1:]
    return word[:i] + letter + word[i:]


def make_queries(pools: Pools, n: int, rng: random.Random) -> list[tuple[str, str]]:
    """``n`` (kind, query) pairs: zh, en, mixed, typo, question."""
    out = []
    kinds = ["zh"] * 30 + ["en"] * 25 + ["mixed"] * 20 + ["typo"] * 15 + ["question"] * 10
    for _ in range(n):
        kind = rng.choice(kinds)
        if kind == "zh":
            words = rng.sample(pools.zh_title_words + pools.zh_words, rng.randint(1, 3))
            q = rng.choice(["", " "]).join(words)
        elif kind == "en":
            q = " ".join(rng.sample(pools.en_words + [w.lower() for w in pools.en_title_words], rng.randint(1, 4)))
        elif kind == "mixed":
            q = " ".join(rng.sample(pools.zh_title_words, rng.randint(1, 2))
                         + rng.sample(pools.en_words, rng.randint(1, 2)))
        elif kind == "typo":
            words = rng.sample(pools.en_words, rng.randint(1, 3))
            long_word = words[0] if len(words[0]) >= 5 else rng.choice([w for w in pools.en_words if len(w) >= 5])
            words[0] = typo(long_word, rng)
            if rng.random() < 0.3:
                words.append(rng.choice(pools.zh_title_words))
            q = " ".join(words)
        else:
            q = rng.choice(pools.en_questions + pools.zh_questions)
        out.append((kind, q))
    return out


def fts5_build(articles: list[dict]) -> sqlite3.Connection:
    """The baseline: an in-memory FTS5 trigram table over the articles' text fields."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute("CREATE VIRTUAL TABLE kb USING fts5("
                 "title, title_en, questions, tags, summary, body, tokenize='trigram')")
    conn.executemany(
        "INSERT INTO kb(rowid, title, title_en, questions, tags, summary, body) VALUES (?,?,?,?,?,?,?)",
        ((i, a["title"], a["title_en"], "\n".join(a["questions"]), "\n".join(a["tags"] + a["category"]),
          a["summary"], a["body"]) for i, a in enumerate(articles)),
    )
    conn.commit()
    return conn


def fts5_query(text: str) -> str | None:
    """The query's pieces of 3+ characters, quoted (quotes doubled) and OR-ed; None if none."""
    pieces = [p for p in text.split() if len(p) >= 3]
    if not pieces:
        return None
    return " OR ".join('"' + p.replace('"', '""') + '"' for p in pieces)


def fts5_search(conn: sqlite3.Connection, text: str, limit: int = 20) -> list[tuple[int, float]]:
    """Top ``limit`` (rowid, bm25) for ``text`` in the baseline table."""
    match = fts5_query(text)
    if match is None:
        return []
    return conn.execute(
        "SELECT rowid, bm25(kb, 3.0, 3.0, 2.5, 2.0, 1.5, 1.0) AS score FROM kb WHERE kb MATCH ? ORDER BY score LIMIT ?",
        (match, limit),
    ).fetchall()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    pools = Pools(load_articles())
    corpus = make_corpus(pools, args.articles, rng)
    queries = make_queries(pools, args.queries, rng)
    chars = sum(len(a["body"]) + len(a["summary"]) + sum(map(len, a["questions"])) for a in corpus)
    print(f"corpus: {len(corpus)} articles ({chars / 1e6:.1f} M characters), {len(queries)} queries")

    gc.collect()
    t0 = time.perf_counter()
    index = KnowledgeIndex.build(corpus)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    conn = fts5_build(corpus)
    fts_build_s = time.perf_counter() - t0
    print(f"build: csdesk {build_s:.2f} s   FTS5 trigram {fts_build_s:.2f} s")

    for _kind, q in queries[:20]:  # warm-up (caches, lazily built tables)
        index.search(q)
        fts5_search(conn, q)

    ours: list[float] = []
    base: list[float] = []
    by_kind: dict[str, list[float]] = {}
    empty_ours = empty_base = unexpressible = 0
    gc.disable()
    try:
        for kind, q in queries:  # alternate so machine noise hits both alike
            t0 = time.perf_counter()
            hits = index.search(q, limit=20)
            t1 = time.perf_counter()
            rows = fts5_search(conn, q, 20)
            t2 = time.perf_counter()
            ours.append((t1 - t0) * 1000)
            base.append((t2 - t1) * 1000)
            by_kind.setdefault(kind, []).append((t1 - t0) * 1000)
            empty_ours += not hits
            empty_base += not rows
            unexpressible += fts5_query(q) is None
    finally:
        gc.enable()

    def line(name: str, xs: list[float]) -> str:
        return f"{name:<14} p50 {pct(xs, 50):6.2f} ms   p95 {pct(xs, 95):6.2f} ms   max {max(xs):7.2f} ms"

    print(line("csdesk", ours))
    print(line("FTS5 trigram", base))
    for kind, xs in sorted(by_kind.items()):
        print("  " + line(f"csdesk {kind}", xs))
    print(f"queries with no result: csdesk {empty_ours}, FTS5 {empty_base} "
          f"(of which {unexpressible} have no piece of 3+ characters for the trigram index)")
    r50 = pct(ours, 50) / max(pct(base, 50), 1e-9)
    r95 = pct(ours, 95) / max(pct(base, 95), 1e-9)
    print(f"ratio csdesk/FTS5: p50 {r50:.2f}x   p95 {r95:.2f}x   (target p95 <= 15 ms and ratio <= 1.5x)")
    print(f"mean: csdesk {statistics.fmean(ours):.2f} ms, FTS5 {statistics.fmean(base):.2f} ms")


if __name__ == "__main__":
    main()
