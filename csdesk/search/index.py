"""The in-memory knowledge index: BM25F over articles, plus a sample-question index.

See the package docstring for the design and the choice of libraries. Shapes:

- an *article* is the synced dict (``id, title, title_en, body, category,
  tags, questions, intents, summary, version, updated_at, status``);
- a *unit* is one meaning in the query (a word, or a folded phrase) with its
  alternatives (the word itself, typo corrections, prefix completions, or for
  Chinese the bigrams of a word the index does not know), each with a weight;
- postings map a term to parallel arrays of document ordinals and saturated,
  field-weighted term frequencies (BM25F without the IDF, which is applied at
  query time from the live document frequency).
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from csdesk.domain.text import clean_text
from csdesk.domain.times import parse_utc
from csdesk.search.snippet import Snippet, best_window, match_spans, plain_text
from csdesk.search.text import ANALYZER, Analyzer, QueryWord, fold, is_han, pair

#: Index fields and how an article fills them.
FIELDS = ("title", "questions", "tags", "summary", "body")
#: BM25F field weights: title and sample-question matches count most.
FIELD_WEIGHTS = {"title": 3.0, "questions": 2.5, "tags": 2.0, "summary": 1.5, "body": 1.0}
#: BM25F length normalisation per field (0 = none, 1 = full).
FIELD_B = {"title": 0.5, "questions": 0.6, "tags": 0.4, "summary": 0.6, "body": 0.75}
K1 = 1.2
#: Suggestions weigh how often the article (mostly its sample questions) uses a
#: word: less saturation, and questions weigh less per occurrence since an
#: article has many of them (measured with benchmarks/kb_suggest.py).
SUGGEST_K1 = 8.0
SUGGEST_FIELD_WEIGHTS = {"title": 3.0, "questions": 1.5, "tags": 2.0, "summary": 1.5, "body": 1.0}
#: Sample-question index: BM25 over each question on its own.
Q_K1, Q_B = 1.2, 0.75
SUGGEST_ARTICLE_WEIGHT = 0.85
PAIR_FIELDS = ("title", "questions")
PAIR_WEIGHT = 0.5

MAX_QUERY_CHARS = 200       # search: a longer query is cut at a word boundary
MAX_MESSAGE_CHARS = 600     # suggest: per message
MAX_UNITS = 24              # search: distinct query units kept
MAX_SUGGEST_UNITS = 48
MAX_FIELD_CHARS = 50_000    # a huge pasted body is indexed up to this many characters
_SAMPLE = 512               # articles analysed to estimate average field lengths
_COVER = 1000.0             # larger than any unit's score: search sorts by matched units first
SNIPPET_CHARS = 72
_PREPARED_CACHE = 1024      # documents whose display texts are kept

_PUBLISHED = {None, "", "published"}
_ARTICLE_DEFAULTS: dict[str, Any] = {
    "title": "", "title_en": "", "body": "", "summary": "", "category": [], "tags": [],
    "questions": [], "intents": [], "version": 0, "updated_at": "", "status": "published",
}


@dataclass(frozen=True, slots=True)
class Hit:
    """One result of ``search`` or ``suggest``.

    ``score``: relevance, higher is better, only comparable within one call.
    ``title_spans``/``title_en_spans``: ``(start, end)`` offsets of matched
    words in ``title``/``title_en``. ``snippet``: the best excerpt with its own
    spans (for ``suggest`` preferably the matching sample question).
    ``matched``: how many of the query's units the article matched (search)
    and ``units`` how many the query had.
    """

    article_id: str
    score: float
    title: str
    title_en: str
    category: tuple[str, ...]
    title_spans: tuple[tuple[int, int], ...]
    title_en_spans: tuple[tuple[int, int], ...]
    snippet: Snippet
    matched: int = 0
    units: int = 0


@dataclass(frozen=True, slots=True)
class CategoryNode:
    """A node of the category tree: ``path`` from the root, ``article_ids``
    directly in it, ``children`` sorted by name, ``total`` articles in the subtree."""

    name: str
    path: tuple[str, ...]
    article_ids: tuple[str, ...]
    children: tuple[CategoryNode, ...]
    total: int


@dataclass(slots=True)
class _Postings:
    docs: array     # document (or question) ordinals, ascending
    imps: array     # saturated field-weighted term frequency for search
    rel: array      # the same with the suggestion weights (articles only)

    @classmethod
    def new(cls) -> _Postings:
        return cls(array("i"), array("f"), array("f"))


@dataclass(slots=True)
class _Doc:
    ordinal: int
    article: dict[str, Any]
    questions: tuple[int, ...]      # question ordinals
    updated: datetime


@dataclass(frozen=True, slots=True)
class _Prepared:
    texts: dict[str, tuple[str, str]]     # field → (display text, folded text)
    question_starts: tuple[int, ...]      # offsets of each question in texts["questions"]


@dataclass(slots=True)
class _Unit:
    """Alternatives of one query meaning: list of (terms that must all match, weight)."""

    key: str
    alts: list[tuple[tuple[str, ...], float]]
    weight: float = 1.0


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# what clean_text would change (controls, bidi marks, BOM, line separators)
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]")


def _one_line(text: str) -> str:
    """``clean_text(text, keep_newlines=False)``, without its cost for ordinary text."""
    if _UNSAFE.search(text):
        return clean_text(text, keep_newlines=False)
    return text.replace("\n", " ")


def _str_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return [str(v) for v in value if v is not None]
    except TypeError:
        return [str(value)]


def normalise_article(article: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``article`` with every field present and of the documented type.

    A pydantic model (``KnowledgeArticleDoc``) is accepted too and dumped in
    JSON mode. Raises ``TypeError`` if ``article`` is neither a mapping nor
    such a model and ``ValueError`` if its ``id`` is missing or empty. Unknown
    keys are kept as they are.
    """
    dump = getattr(article, "model_dump", None)
    if callable(dump) and not isinstance(article, Mapping):
        article = dump(mode="json")
    if not isinstance(article, Mapping):
        raise TypeError(f"article must be a mapping, not {type(article).__name__}")
    article_id = article.get("id")
    if article_id is None or not str(article_id).strip():
        raise ValueError("article has no id")
    out = dict(_ARTICLE_DEFAULTS)
    out.update(article)
    out["id"] = str(article_id)
    for key in ("title", "title_en", "body", "summary"):
        out[key] = "" if out[key] is None else str(out[key])
    for key in ("category", "tags", "questions", "intents"):
        out[key] = _str_list(out[key])
    return out


def _fields(article: dict[str, Any]) -> dict[str, str]:
    meta = [*article["tags"], *article["category"], *(i.replace("_", " ") for i in article["intents"])]
    return {
        "title": f"{article['title']}\n{article['title_en']}",
        "questions": "\n".join(article["questions"]),
        "tags": "\n".join(meta),
        "summary": article["summary"],
        "body": article["body"][:MAX_FIELD_CHARS],
    }


def _idf(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a space when one is near the end."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ", limit - 30)
    return cut[:space] if space > 0 else cut


class KnowledgeIndex:
    """Search index over synced knowledge articles (Chinese and English together).

    Build with ``KnowledgeIndex.build(articles)``; keep it current with
    ``upsert``/``upsert_many``/``remove`` as sync delivers changes. Every public
    method takes an internal lock, so the index can be shared between the UI
    thread and worker threads; ``search``/``suggest`` take a few milliseconds
    for thousands of articles, so call them from a worker, not the event loop.

    Only published articles are indexed: upserting an article whose
    ``status`` is anything but ``"published"`` (or empty) removes it.
    """

    def __init__(self, analyzer: Analyzer | None = None) -> None:
        """An empty index. ``analyzer`` defaults to the shared ``ANALYZER``."""
        self._an = analyzer or ANALYZER
        self._lock = threading.RLock()
        self._clear()

    def _clear(self) -> None:
        self._docs: dict[str, _Doc] = {}
        self._by_ord: list[_Doc | None] = []
        self._post: dict[str, _Postings] = {}
        self._df: dict[str, int] = {}
        self._qpost: dict[str, _Postings] = {}
        self._qdf: dict[str, int] = {}
        self._q_doc = array("i")           # question ordinal → doc ordinal
        self._q_alive = 0                  # questions of live documents
        self._avg = {f: 1.0 for f in FIELDS}
        self._q_avg = 8.0
        self._norm_n = 0                   # documents when the averages were taken
        self._dead_ords: set[int] = set()
        self._surface: dict[str, str] = {}      # English word as written → term
        self._surface_count: Counter[str] = Counter()
        self._surface_sorted: list[str] | None = None
        self._forms: dict[str, set[str]] = {}   # term → English words as written
        self._char_bigrams: dict[str, list[str]] | None = None
        self._fuzzy_cache: dict[str, list[tuple[str, float]]] = {}
        self._pattern_cache: dict[tuple[str, ...], re.Pattern[str]] = {}
        self._prepared_cache: OrderedDict[int, _Prepared] = OrderedDict()

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, articles: Iterable[Mapping[str, Any]], analyzer: Analyzer | None = None) -> KnowledgeIndex:
        """A new index over ``articles`` (iterable of article dicts).

        Raises ``TypeError``/``ValueError`` for an article that is not a mapping
        or has no id (see ``normalise_article``). A later article with the same
        id replaces an earlier one. Takes about 1 ms per article (0.1 s for the
        demo knowledge base, 9 s for 10,000 generated articles).
        """
        index = cls(analyzer)
        index.upsert_many(articles)
        return index

    def upsert(self, article: Mapping[str, Any]) -> None:
        """Add or replace one article (by ``id``); a non-published one is removed instead.

        Raises ``TypeError``/``ValueError`` as ``normalise_article`` does.
        """
        self.upsert_many([article])

    def upsert_many(self, articles: Iterable[Mapping[str, Any]]) -> None:
        """Add or replace many articles at once (cheaper than one by one).

        All articles are validated first; on ``TypeError``/``ValueError`` the
        index is left unchanged.
        """
        batch = [normalise_article(a) for a in articles]
        with self._lock:
            for article in batch:
                self._remove(article["id"])
            # one copy per id (the last one), published ones only
            latest = {a["id"]: a for a in batch if a.get("status") in _PUBLISHED}
            alive = len(self._docs) + len(latest)
            if alive > 2 * self._norm_n + 16 or len(self._dead_ords) > max(64, alive // 3):
                # averages drifted or too many tombstones: re-derive everything
                self._rebuild([d.article for d in self._docs.values()] + list(latest.values()))
            else:
                for article in latest.values():
                    self._add(article, self._analyse(article))

    def remove(self, article_id: str) -> bool:
        """Remove an article; returns whether it was there. Never raises for a missing id."""
        with self._lock:
            removed = self._remove(str(article_id))
            if removed and len(self._dead_ords) > max(64, len(self._docs)):
                self._rebuild([d.article for d in self._docs.values()])
            return removed

    def _analyse(self, article: dict[str, Any]) -> tuple[dict[str, Counter[str]], list[list[str]], set[str]]:
        """Per field: term counts; per sample question: its terms; and the English words seen."""
        an = self._an
        counters: dict[str, Counter[str]] = {}
        words: set[str] = set()
        for name, text in _fields(article).items():
            counters[name] = Counter(an.terms(text, unigrams=(name == "title"), pairs=name in PAIR_FIELDS,
                                              words_out=words))
        questions = [an.terms(q) for q in article["questions"]]
        return counters, questions, words

    def _learn_surface(self, words: set[str]) -> None:
        """Remember English words as written and their terms (typos, prefixes, highlighting)."""
        an = self._an
        surface, counts, forms = self._surface, self._surface_count, self._forms
        for word in words:
            plain = word.replace("\u2019", "").replace("'", "")
            if plain in surface:
                counts[plain] += 1
                continue
            if len(plain) < 3 or not plain.isalpha():
                continue
            term = an.word_term(plain)
            if term is None:
                continue
            surface[plain] = term
            counts[plain] += 1
            forms.setdefault(term, set()).add(plain)
            self._surface_sorted = None
            self._pattern_cache.clear()

    def _rebuild(self, articles: list[dict[str, Any]]) -> None:
        """Index ``articles`` afresh. Average field lengths come from an evenly spaced
        sample of at most ``_SAMPLE`` articles, so that the analysed form of only
        that many is held at once."""
        self._clear()
        step = max(1, len(articles) // _SAMPLE)
        sample = {i: self._analyse(articles[i]) for i in range(0, len(articles), step)}
        n = max(1, len(sample))
        for name in FIELDS:
            self._avg[name] = max(1.0, sum(sum(f[0][name].values()) for f in sample.values()) / n)
        qlens = sum(len(q) for f in sample.values() for q in f[1])
        qcount = sum(len(f[1]) for f in sample.values())
        self._q_avg = max(1.0, qlens / qcount) if qcount else 8.0
        self._norm_n = len(articles)
        for i, article in enumerate(articles):
            fields = sample.pop(i, None)
            self._add(article, fields if fields is not None else self._analyse(article))

    def _add(self, article: dict[str, Any],
             fields: tuple[dict[str, Counter[str]], list[list[str]], set[str]]) -> None:
        counters, questions, words = fields
        ordinal = len(self._by_ord)
        if self._norm_n == 0:  # first documents ever: take their own lengths as the averages
            for name in FIELDS:
                self._avg[name] = max(1.0, float(sum(counters[name].values())))
        weighted: dict[str, float] = {}
        norms: dict[str, float] = {}
        for name in FIELDS:
            counter = counters[name]
            if not counter:
                continue
            norm = norms[name] = (1.0 - FIELD_B[name]) + FIELD_B[name] * sum(counter.values()) / self._avg[name]
            w = FIELD_WEIGHTS[name] / norm
            get = weighted.get
            for term, tf in counter.items():
                weighted[term] = get(term, 0.0) + w * tf
        weighted_s = dict(weighted)  # the suggestion weights differ in a few fields only
        for name, norm in norms.items():
            delta = (SUGGEST_FIELD_WEIGHTS[name] - FIELD_WEIGHTS[name]) / norm
            if delta:
                for term, tf in counters[name].items():
                    weighted_s[term] += delta * tf
        post, df = self._post, self._df
        df_get = df.get
        k1, k1s = K1, SUGGEST_K1
        for term, tf in weighted.items():
            p = post.get(term)
            if p is None:
                p = post[term] = _Postings.new()
                self._char_bigrams = None
            p.docs.append(ordinal)
            p.imps.append(tf * (k1 + 1.0) / (tf + k1))
            tf = weighted_s[term]
            p.rel.append(tf * (k1s + 1.0) / (tf + k1s))
            df[term] = df_get(term, 0) + 1
        q_ordinals = []
        for terms in questions:
            q_ord = len(self._q_doc)
            self._q_doc.append(ordinal)
            q_ordinals.append(q_ord)
            if not terms:
                continue
            norm = (1.0 - Q_B) + Q_B * len(terms) / self._q_avg
            counted = Counter(terms)
            for term, tf in counted.items():
                p = self._qpost.get(term)
                if p is None:
                    p = self._qpost[term] = _Postings.new()
                p.docs.append(q_ord)
                t = tf / norm
                p.imps.append(t * (Q_K1 + 1.0) / (t + Q_K1))
                self._qdf[term] = self._qdf.get(term, 0) + 1
        self._q_alive += len(q_ordinals)
        doc = _Doc(ordinal, article, tuple(q_ordinals),
                   parse_utc(article.get("updated_at")) or _EPOCH)
        self._by_ord.append(doc)
        self._docs[article["id"]] = doc
        self._learn_surface(words)
        self._fuzzy_cache.clear()

    def _remove(self, article_id: str) -> bool:
        doc = self._docs.pop(article_id, None)
        if doc is None:
            return False
        self._by_ord[doc.ordinal] = None
        # the terms it added: analysis is deterministic, so analyse it again
        counters, questions, _words = self._analyse(doc.article)
        terms = {t for c in counters.values() for t in c}
        qterms = {t for q in questions for t in q}
        for df, gone in ((self._df, terms), (self._qdf, qterms)):
            for term in gone:
                left = df.get(term, 0) - 1
                if left > 0:
                    df[term] = left
                else:
                    df.pop(term, None)
        self._dead_ords.add(doc.ordinal)
        self._q_alive -= len(doc.questions)
        self._fuzzy_cache.clear()
        return True

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        with self._lock:
            return len(self._docs)

    def __contains__(self, article_id: object) -> bool:
        with self._lock:
            return isinstance(article_id, str) and article_id in self._docs

    def get(self, article_id: str) -> dict[str, Any] | None:
        """A copy of the indexed article dict, or ``None``."""
        with self._lock:
            doc = self._docs.get(str(article_id))
            return dict(doc.article) if doc else None

    def categories(self) -> list[CategoryNode]:
        """The category tree of the indexed articles: root nodes sorted by name.

        Each article sits at the node of its full ``category`` path; articles
        without a category are not in the tree.
        """
        with self._lock:
            tree: dict[str, Any] = {}
            for doc in self._docs.values():
                node = tree
                for part in doc.article["category"]:
                    node = node.setdefault(part, {"_ids": [], "_kids": {}})
                    ids, node = node["_ids"], node["_kids"]
                if doc.article["category"]:
                    ids.append(doc.article["id"])

        def freeze(kids: dict[str, Any], path: tuple[str, ...]) -> tuple[CategoryNode, ...]:
            out = []
            for name in sorted(kids):
                entry = kids[name]
                children = freeze(entry["_kids"], path + (name,))
                ids = tuple(sorted(entry["_ids"]))
                out.append(CategoryNode(name, path + (name,), ids, children,
                                        len(ids) + sum(c.total for c in children)))
            return tuple(out)

        return list(freeze(tree, ()))

    def recently_updated(self, since: datetime | str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Articles whose ``updated_at`` is after ``since``, newest first, at most ``limit``.

        ``since``: an aware or naive (taken as UTC) ``datetime`` or an ISO 8601
        string; ``None`` or an unparsable string means "all". Articles without
        a valid ``updated_at`` count as oldest and are left out when ``since``
        is given. Returns copies of the article dicts.
        """
        cutoff = parse_utc(since)
        with self._lock:
            docs = [d for d in self._docs.values() if cutoff is None or d.updated > cutoff]
            top = heapq.nlargest(max(0, limit), docs, key=lambda d: (d.updated, d.article["id"]))
            return [dict(d.article) for d in top]

    # ------------------------------------------------------------------ queries
    def search(self, query: str, limit: int = 20) -> list[Hit]:
        """Articles matching ``query`` (Chinese, English or both), best first.

        Articles matching more of the query's words come first (AND first,
        then partial matches), then by BM25F score. English words tolerate
        typos (edit distance 1 for words of 4–5 letters, 2 beyond) and the last
        word, if the query does not end with a space, also matches as a prefix.
        Never raises for any string: an empty or meaningless query returns
        ``[]``; control characters are removed; syntax characters mean nothing;
        a query over 200 characters is cut. ``limit`` is clamped to 0–200.
        """
        if not isinstance(query, str):
            return []
        text = _cut(clean_text(query, keep_newlines=False), MAX_QUERY_CHARS)
        limit = max(0, min(_as_int(limit, 20), 200))
        if not text.strip() or limit == 0:
            return []
        with self._lock:
            units = self._units(self._an.query_words(text), MAX_UNITS, prefix=True)
            if not units:
                return []
            scores = self._score(units, self._post, self._df, len(self._docs), cover=_COVER)
            for d in self._dead_ords:
                scores.pop(d, None)
            best = heapq.nlargest(limit, scores, key=scores.__getitem__)
            marks = self._marks(units)
            alive = self._by_ord
            hits = []
            for d in best:
                matched, score = divmod(scores[d], _COVER)
                hits.append(self._hit(alive[d], score, marks, int(matched), len(units), None))
            return hits

    def suggest(self, messages: list[str] | str, k: int = 3) -> list[Hit]:
        """Up to ``k`` articles for the latest customer messages (oldest first, latest last).

        A different mode from ``search``: any word may match (OR); articles
        are ranked by BM25F with the suggestion weights (``SUGGEST_K1``,
        ``SUGGEST_FIELD_WEIGHTS``: how often the article, mostly through its
        sample questions, uses the customer's words), plus pairs of successive
        words the articles use, blended with the similarity of the article's
        best-matching sample question (``1 - SUGGEST_ARTICLE_WEIGHT``), which
        is also the hit's snippet. Later messages weigh more than earlier ones
        (the last 3 are used, each cut to 600 characters). ``score`` is in
        0–1. Never raises for any input; returns ``[]`` when nothing matches.
        """
        if isinstance(messages, str):
            messages = [messages]
        try:
            texts = [m for m in list(messages)[-3:] if isinstance(m, str)]
        except TypeError:
            return []
        k = max(0, min(_as_int(k, 3), 50))
        if not texts or k == 0:
            return []
        with self._lock:
            units: dict[str, _Unit] = {}
            for age, text in enumerate(reversed(texts)):
                words = self._an.query_words(_cut(clean_text(text, keep_newlines=False), MAX_MESSAGE_CHARS))
                for unit in self._units(words, MAX_SUGGEST_UNITS, prefix=False) + self._pair_units(words):
                    unit.weight = 0.6 ** age
                    old = units.get(unit.key)
                    if old is None or old.weight < unit.weight:
                        units[unit.key] = unit
            if not units:
                return []
            unit_list = list(units.values())[:MAX_SUGGEST_UNITS]
            n = len(self._docs)
            a_scores = self._score(unit_list, self._post, self._df, n, which="rel")
            q_scores = self._score(unit_list, self._qpost, self._qdf, self._q_alive)
            alive = self._by_ord
            best_q: dict[int, tuple[float, int]] = {}
            q_doc = self._q_doc
            for q, s in q_scores.items():
                d = q_doc[q]
                if alive[d] is not None and (d not in best_q or best_q[d][0] < s):
                    best_q[d] = (s, q)
            a_max = max((s for d, s in a_scores.items() if alive[d] is not None), default=0.0)
            q_max = max((s for s, _ in best_q.values()), default=0.0)
            if a_max <= 0.0:
                return []
            combined: list[tuple[float, int]] = []
            for d, s in a_scores.items():
                if alive[d] is None:
                    continue
                q = best_q.get(d, (0.0, -1))[0]
                aw = SUGGEST_ARTICLE_WEIGHT
                combined.append((aw * s / a_max + ((1 - aw) * q / q_max if q_max > 0 else 0.0), d))
            top = heapq.nlargest(k, combined)
            marks = self._marks(unit_list)
            return [self._hit(alive[d], s, marks, 0, len(unit_list), best_q.get(d, (0, -1))[1]) for s, d in top]

    # ------------------------------------------------------------------ internals
    def _units(self, words: list[QueryWord], max_units: int, *, prefix: bool) -> list[_Unit]:
        units: dict[str, _Unit] = {}
        df = self._df
        for word in words:
            if len(units) >= max_units:
                break
            key = word.term
            if key in units:
                continue
            alts: list[tuple[tuple[str, ...], float]] = []
            if word.han:
                term = word.term
                if len(term) == 1:
                    alts.append(((term,), 1.0))
                    alts += [((bg,), 0.7) for bg in self._bigrams_with(term)]
                elif len(term) == 2 or term in df:
                    alts.append(((term,), 1.0))
                else:
                    alts.append((tuple(term[i:i + 2] for i in range(len(term) - 1)), 1.0))
            else:
                known = word.term in df
                if known:
                    alts.append(((word.term,), 1.0))
                elif len(word.raw) >= 4 and word.raw.isalpha():
                    alts += [((t,), w) for t, w in self._fuzzy(word.raw)]
                if prefix and word.last and word.raw.isalnum() and len(word.raw) >= 2:
                    seen = {a[0][0] for a in alts}
                    for t in self._completions(word.raw):
                        if t not in seen:
                            seen.add(t)
                            alts.append(((t,), 0.5 if known else 0.9))
            if alts:
                units[key] = _Unit(key, alts)
        return list(units.values())

    def _pair_units(self, words: list[QueryWord]) -> list[_Unit]:
        """Units for successive English words that the index knows as a pair."""
        out: dict[str, _Unit] = {}
        for a, b in zip(words, words[1:]):
            if a.han or b.han or a.term == b.term:
                continue
            term = pair(a.term, b.term)
            if term in self._df and term not in out:
                out[term] = _Unit(term, [((term,), PAIR_WEIGHT)])
        return list(out.values())

    def _fuzzy(self, raw: str) -> list[tuple[str, float]]:
        cached = self._fuzzy_cache.get(raw)
        if cached is not None:
            return cached
        if self._surface_sorted is None:
            self._surface_sorted = sorted(self._surface)
        max_dist = 1 if len(raw) <= 5 else 2
        found = process.extract(raw, self._surface_sorted, scorer=OSA.distance, score_cutoff=max_dist, limit=12)
        best: dict[str, float] = {}
        if found:
            closest = min(dist for _, dist, _ in found)
            ranked = sorted(found, key=lambda f: (f[1], -self._surface_count[f[0]]))
            for word, dist, _ in ranked:
                term = self._surface[word]
                if dist == closest and self._df.get(term, 0) > 0 and term not in best:
                    best[term] = 0.8 if dist == 1 else 0.65
                if len(best) >= 3:
                    break
        result = list(best.items())
        if len(self._fuzzy_cache) > 4096:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[raw] = result
        return result

    def _completions(self, raw: str, limit: int = 6) -> list[str]:
        if self._surface_sorted is None:
            self._surface_sorted = sorted(self._surface)
        words = self._surface_sorted
        i = bisect.bisect_left(words, raw)
        found = []
        while i < len(words) and words[i].startswith(raw) and len(found) < 200:
            if words[i] != raw:
                found.append(words[i])
            i += 1
        found.sort(key=lambda w: -self._surface_count[w])
        terms: list[str] = []
        for w in found:
            t = self._surface[w]
            if t not in terms and self._df.get(t, 0) > 0:
                terms.append(t)
            if len(terms) >= limit:
                break
        return terms

    def _bigrams_with(self, char: str, limit: int = 4) -> list[str]:
        if self._char_bigrams is None:
            table: dict[str, list[str]] = {}
            for term in self._post:
                if len(term) == 2 and is_han(term):
                    table.setdefault(term[0], []).append(term)
                    if term[1] != term[0]:
                        table.setdefault(term[1], []).append(term)
            self._char_bigrams = table
        df = self._df
        options = [b for b in self._char_bigrams.get(char, ()) if df.get(b, 0) > 0]
        return heapq.nlargest(limit, options, key=lambda b: (df[b], b))

    def _score(self, units: list[_Unit], post: dict[str, _Postings], df: Mapping[str, int], n: int,
               *, cover: float = 0.0, which: str = "imps") -> dict[int, float]:
        """Per document ordinal: the sum over units of the unit's best alternative's BM25 score,
        plus ``cover`` for each unit the document matches (so that, with ``cover``
        larger than any score, sorting by the result sorts by matched units first)."""
        n = max(n, 1)
        # each unit as {ordinal: score}, or as one postings list with a factor (the common case)
        plans: list[tuple[int, Any]] = []
        for unit in units:
            if len(unit.alts) == 1 and len(unit.alts[0][0]) == 1:
                term = unit.alts[0][0][0]
                p = post.get(term)
                if p is not None and df.get(term, 0) > 0:
                    factor = _idf(n, df[term]) * unit.alts[0][1] * unit.weight
                    plans.append((len(p.docs), (p.docs, getattr(p, which), factor)))
                continue
            best = self._unit_best(unit, post, df, n, which)
            if best:
                plans.append((len(best), best))
        plans.sort(key=lambda x: -x[0])
        scores: dict[int, float] = {}
        for i, (_size, plan) in enumerate(plans):
            if isinstance(plan, tuple):
                docs, imps, factor = plan
                values = map(factor.__mul__, imps)
                if cover:
                    values = map(cover.__add__, values)
                if i == 0:  # the longest list: built in C
                    scores = dict(zip(docs, values))
                    continue
                get = scores.get
                for d, v in zip(docs, values):
                    scores[d] = get(d, 0.0) + v
            else:
                if i == 0:
                    scores = {d: v + cover for d, v in plan.items()} if cover else dict(plan)
                    continue
                get = scores.get
                for d, v in plan.items():
                    scores[d] = get(d, 0.0) + v + cover
        return scores

    @staticmethod
    def _unit_best(unit: _Unit, post: dict[str, _Postings], df: Mapping[str, int], n: int,
                   which: str = "imps") -> dict[int, float]:
        """{ordinal: best alternative's score} for a unit with several alternatives or terms."""
        best: dict[int, float] = {}
        for terms, weight in unit.alts:
            plists = [(post.get(t), df.get(t, 0)) for t in terms]
            if any(p is None or c <= 0 for p, c in plists):
                continue
            factor = weight * unit.weight / len(terms) ** 0.5
            if len(plists) == 1:
                p, c = plists[0]
                f = _idf(n, c) * factor
                imps = getattr(p, which)
                if not best:
                    best = dict(zip(p.docs, map(f.__mul__, imps)))
                    continue
                bget = best.get
                for d, v in zip(p.docs, map(f.__mul__, imps)):
                    if v > bget(d, 0.0):
                        best[d] = v
                continue
            partial: dict[int, float] | None = None
            for p, c in sorted(plists, key=lambda x: len(x[0].docs)):
                f = _idf(n, c) * factor
                imps = getattr(p, which)
                if partial is None:
                    partial = dict(zip(p.docs, map(f.__mul__, imps)))
                else:
                    partial = {d: v + partial[d] for d, v in zip(p.docs, map(f.__mul__, imps)) if d in partial}
                if not partial:
                    break
            for d, v in (partial or {}).items():
                if v > best.get(d, 0.0):
                    best[d] = v
        return best

    def _marks(self, units: list[_Unit]) -> tuple[tuple[str, ...], re.Pattern[str] | None]:
        """What to highlight for these units: Chinese terms (found as substrings) and one
        regular expression for every written form of the English terms."""
        terms = {t for u in units for ts, _ in u.alts for t in ts}
        han = tuple(sorted((t for t in terms if is_han(t)), key=len, reverse=True))
        english = sorted(t for t in terms if not is_han(t))
        if not english:
            return han, None
        key = tuple(english)
        cached = self._pattern_cache.get(key)
        if cached is not None:
            return han, cached
        words: set[str] = set()
        phrases: list[str] = []
        for term in english:
            words.add(term)
            words.update(self._forms.get(term, ()))
            for variant in self._an.variants(term):
                if len(variant) == 1:
                    words.add(variant[0])
                    continue
                parts = []
                for w in variant:
                    forms = {w} | self._forms.get(self._an.stem(w), set())
                    parts.append("(?:" + "|".join(sorted(map(re.escape, forms), key=len, reverse=True)) + ")")
                phrases.append(r"[ \t\n\-/_]{1,3}".join(parts))
        alternatives = phrases + sorted(map(re.escape, words), key=len, reverse=True)
        pattern = re.compile(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?:'s)?(?![a-z0-9])")
        if len(self._pattern_cache) > 256:
            self._pattern_cache.clear()
        self._pattern_cache[key] = pattern
        return han, pattern

    def _prepared(self, doc: _Doc) -> _Prepared:
        """The display texts of a document (cleaned, one line each) and their folded
        forms, kept for the most recently shown documents."""
        cache = self._prepared_cache
        prepared = cache.get(doc.ordinal)
        if prepared is not None:
            cache.move_to_end(doc.ordinal)
            return prepared
        article = doc.article
        questions = [_one_line(q) for q in article["questions"]]
        starts = [0]
        for q in questions[:-1]:
            starts.append(starts[-1] + len(q) + 1)
        texts = {
            "title": _one_line(article["title"]),
            "title_en": _one_line(article["title_en"]),
            "summary": _one_line(article["summary"]),
            "body": plain_text(article["body"][:MAX_FIELD_CHARS]),
            "questions": "\n".join(questions),
        }
        prepared = _Prepared({k: (v, fold(v)) for k, v in texts.items()}, tuple(starts))
        cache[doc.ordinal] = prepared
        if len(cache) > _PREPARED_CACHE:
            cache.popitem(last=False)
        return prepared

    def _hit(self, doc: _Doc, score: float, marks: tuple[tuple[str, ...], re.Pattern[str] | None],
             matched: int, units: int, question: int | None) -> Hit:
        """A ``Hit`` for ``doc``: spans in the titles and the best snippet. ``question``: the
        ordinal of the sample question to prefer for the snippet (suggest), or ``None``."""
        han, pattern = marks
        prep = self._prepared(doc)
        q_starts = prep.question_starts
        q_text, q_folded = prep.texts["questions"]

        def question_line(line: int) -> tuple[int, int]:
            begin = q_starts[line]
            end = q_starts[line + 1] - 1 if line + 1 < len(q_starts) else len(q_text)
            return begin, end

        chosen: tuple[str, str, list[tuple[int, int]]] | None = None
        if question is not None and question in doc.questions:
            begin, end = question_line(doc.questions.index(question))
            spans = match_spans(q_folded[begin:end], han, pattern)
            if spans:  # the sample question that matched best
                chosen = ("question", q_text[begin:end], spans)
        if chosen is None:
            candidates = []
            for field in ("summary", "body"):
                text, folded = prep.texts[field]
                candidates.append((field, text, match_spans(folded, han, pattern)))
            spans = match_spans(q_folded, han, pattern)
            if spans:  # the sample question with the most matches
                per: dict[int, list[tuple[int, int]]] = {}
                for s, e in spans:
                    line = bisect.bisect_right(q_starts, s) - 1
                    per.setdefault(line, []).append((s - q_starts[line], e - q_starts[line]))
                line = max(per, key=lambda k: (len(per[k]), -k))
                begin, end = question_line(line)
                candidates.append(("question", q_text[begin:end], per[line]))
            chosen = max(candidates, key=lambda c: len(c[2]))
            if not chosen[2]:  # nothing matched there: the summary, or the start of the body
                chosen = next((c for c in candidates if c[1]), candidates[0])
        field, text, spans = chosen
        excerpt, inside = best_window(text, spans, SNIPPET_CHARS)
        title, title_folded = prep.texts["title"]
        title_en, title_en_folded = prep.texts["title_en"]
        return Hit(
            article_id=doc.article["id"],
            score=round(score, 6),
            title=title,
            title_en=title_en,
            category=tuple(doc.article["category"]),
            title_spans=tuple(match_spans(title_folded, han, pattern)),
            title_en_spans=tuple(match_spans(title_en_folded, han, pattern)),
            snippet=Snippet(field, excerpt, inside),
            matched=matched,
            units=units,
        )


