"""Client-side knowledge search: one index for Chinese and English articles.

A service-level package (DESIGN §3): no Textual, no I/O besides the demo
loader; the knowledge screen and the desk call it from worker threads and get
plain data back (``Hit`` with offsets to highlight, never markup).

Usage::

    index = KnowledgeIndex.build(articles)        # synced article dicts
    index.upsert(article); index.remove(article_id)
    hits = index.search("信用卡 lost", limit=20)   # as-you-type search
    hits = index.suggest(["my card hasn't arrived"], k=3)   # during a contact
    tree = index.categories(); fresh = index.recently_updated(since)

Design
------
Own in-memory inverted index rather than SQLite FTS5. FTS5 was the other
candidate (``unicode61`` over pre-segmented text, ``bm25()`` with column
weights): it would hold the postings compactly, but typo expansion, prefix
completion, banking synonyms, per-mode weights (search vs. suggestion) and
a sample-question index would all have to be spelled as MATCH expressions
and extra tables, and ``bm25()`` sums per-column BM25 rather than BM25F. The
own index, measured on 10,000 generated articles (``benchmarks/kb_search.py``),
answers at p95 well under the 15 ms target and below the FTS5 trigram
baseline's p95, including building hits with snippets, and uses about 80 MB.

- Analysis (``text.py``): text is folded (full-width → ASCII, lower case,
  length kept so offsets stay valid). Chinese runs give every character
  bigram (so 密码 matches inside 交易密码 whatever the segmenter decided) plus
  jieba search-mode words of 3+ characters (信用卡 as a term of its own);
  titles also give single characters. English words are stemmed (Snowball)
  after banking phrases are folded to one token (``synonyms.py``: "top up",
  "top-up", "add money" → ``topup``) and stop words dropped. Queries are cut
  by jieba's precise mode; a Chinese query word the index does not know is
  matched as all of its bigrams.
- Ranking: BM25F (per-field weights and length normalisation: title 3,
  sample questions 2.5, tags/category/intents 2, summary 1.5, body 1). Search
  ranks articles that match more of the query's words first (AND, then
  partial matches), then by score. Typos: an English word the index does not
  know is replaced by the nearest index words (rapidfuzz, optimal string
  alignment distance 1 for 4–5 letters, 2 beyond; weight 0.8/0.65). The last
  word of an as-you-type query also matches as a prefix.
- Suggestions: OR of the customer's words, BM25F with less saturation and
  lighter per-occurrence question weight (tuned on the suggestion benchmark),
  plus pairs of successive words, blended with the best BM25 match among the
  article's sample questions (indexed one by one), which becomes the snippet.
- Updates: ``upsert``/``remove`` are incremental (removed documents become
  tombstones; document frequencies stay exact); the index re-derives itself
  when it has doubled since the averages were taken or a third is tombstones.
- Thread safety: one re-entrant lock around every public method.

Libraries (pinned in pyproject.toml)
------------------------------------
- ``rjieba``: Python binding of jieba-rs, the Rust port of jieba (the
  standard Chinese segmenter, same dictionary and search mode); maintained,
  binary wheels, imported with its dictionary in about 0.1 s here, whereas
  pure-Python ``jieba`` (last release 2020) builds its prefix dictionary on
  first use and segments far slower.
- ``rapidfuzz``: C++ edit distances with ``process.extract`` over the index
  vocabulary; MIT, maintained, the usual choice over the GPL
  ``python-Levenshtein``/``fuzzywuzzy``.
- ``pystemmer``: the Snowball (Porter2) English stemmer as a C extension;
  the reference implementation of the algorithm, maintained by the Snowball
  project, far faster than pure-Python ``snowballstemmer``/NLTK.
"""

from csdesk.search.demo import load_articles
from csdesk.search.index import CategoryNode, Hit, KnowledgeIndex, normalise_article
from csdesk.search.snippet import Snippet

__all__ = ["CategoryNode", "Hit", "KnowledgeIndex", "Snippet", "load_articles", "normalise_article"]
