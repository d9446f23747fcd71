"""Text analysis shared by indexing, querying and snippets.

Every function here works on *folded* text: full-width ASCII turned into
ASCII, the ideographic space into a space, then lower-cased, with the length
kept (one folded character per input character), so offsets found in the
folded text are offsets in the original. Terms are plain ``str``:

- English: Snowball ("Porter2") stems of words, after banking phrases have been
  folded to one canonical token (``synonyms.SYNONYMS``) and stop words dropped.
- Chinese (Han characters, written without spaces): every character bigram of
  a run, plus the jieba words of three or more characters (jieba's search mode,
  which also yields the sub-words of long words), plus single characters for
  runs of one character and, in titles, every character. Bigrams make a short
  word such as 密码 match inside any longer word (密码锁定, 交易密码) whatever
  jieba decided; words make 信用卡 a term of its own with its own weight.

Terms of different kinds cannot collide: Chinese terms are Han only, English
terms ASCII only, and canonical synonym tokens are ASCII words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import rjieba
import Stemmer

from csdesk.search.synonyms import STOPWORDS, SYNONYMS, ZH_STOPWORDS

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<word>[a-z0-9]+(?:['\u2019][a-z]+)*)")
_IS_HAN = re.compile(rf"[{_HAN}]+")
_HAN_RUN = _IS_HAN
_WORD_RE = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)*")
# English phrases never span anything but spaces, hyphens, slashes and underscores
_SEGMENTS = re.compile(r"[^a-z0-9'\u2019\s\-/_]+")
_PHRASE_GAP = re.compile(r"[ \t\n\-/_]{1,3}")
_MAX_WORD = 40

_FOLD_TABLE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD_TABLE[0x3000] = 0x20
#: Variant characters customers type for the standard one of the banking
#: vocabulary (转帐 for 转账, 帐户 for 账户): folded one to one.
_VARIANTS = {ord("帐"): ord("账")}
_FOLD_TABLE.update(_VARIANTS)
_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000帐]")


def fold(text: str) -> str:
    """Full-width ASCII → ASCII, variant Han characters → standard (:data:`_VARIANTS`)
    and lower-case, keeping one character per character.

    ``len(fold(s)) == len(s)`` always holds, so spans found in the result are
    spans in ``s``. A character whose lower case is longer (``İ``) keeps its
    original form.
    """
    folded = (text.translate(_FOLD_TABLE) if _FULL_WIDTH.search(text) else text).lower()
    if len(folded) == len(text):
        return folded
    return "".join(ch if len(low := ch.lower()) != 1 else low for ch in text.translate(_FOLD_TABLE))


def pair(a: str, b: str) -> str:
    """The term for English terms ``a`` then ``b`` next to each other (order kept; never
    equal to a single term, which has no space)."""
    return f"{a} {b}"


def is_han(term: str) -> bool:
    """True if ``term`` is made of Han characters only."""
    return bool(_IS_HAN.fullmatch(term))


@dataclass(frozen=True, slots=True)
class QueryWord:
    """One word of a query, before it is matched against an index.

    ``term`` is the analysed term (stem, canonical synonym token, or the Han
    word); ``raw`` the folded word as typed (for typo and prefix matching);
    ``han`` tells a Chinese word; ``last`` marks the query's last word when the
    query did not end with a space (so it may still be being typed).
    """

    term: str
    raw: str
    han: bool
    last: bool = False


class Analyzer:
    """Turns text into terms; one instance is shared and is safe to use from several threads.

    The only mutable state is a word cache (a dict; concurrent inserts of the
    same key are harmless); the phrase table is built once in ``__init__``.
    """

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        # folded word → (stem, kept as a term on its own?)
        self._words: dict[str, tuple[str, bool]] = {}
        # first stem → list of (stems tuple, canonical), longest first
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        # canonical → the variants' words (for highlighting)
        self._variants: dict[str, list[tuple[str, ...]]] = {}
        seen: set[tuple[str, ...]] = set()
        for canonical, variants in SYNONYMS.items():
            for variant in variants:
                words = tuple(w.replace("'", "") for w in re.findall(r"[a-z0-9]+(?:'[a-z]+)*",
                                                                     variant.lower().replace("-", " ")))
                stems = tuple(self.stem(w) for w in words)
                if not stems or stems in seen:
                    continue  # the first group that claims a phrase keeps it
                seen.add(stems)
                self._phrases.setdefault(stems[0], []).append((stems, canonical))
                self._variants.setdefault(canonical, []).append(words)
        for entries in self._phrases.values():
            entries.sort(key=lambda e: -len(e[0]))

    # -- English -----------------------------------------------------------------------------
    def _word(self, word: str) -> tuple[str, bool]:
        cached = self._words.get(word)
        if cached is not None:
            return cached
        w = word.replace("\u2019", "'")
        if w.endswith("'s"):
            w = w[:-2]
        w = w.replace("'", "")
        stem = self._stemmer.stemWord(w) if w.isalpha() else w
        keep = 1 < len(w) <= _MAX_WORD and word not in STOPWORDS and w not in STOPWORDS
        result = (stem, keep)
        if len(self._words) > 200_000:  # queries full of junk words must not grow it forever
            self._words.clear()
        self._words[word] = result
        return result

    def stem(self, word: str) -> str:
        """Snowball English stem of a folded word (apostrophes removed, possessive 's dropped)."""
        return self._word(word)[0]

    def word_term(self, word: str) -> str | None:
        """The term a lone folded English word becomes (its canonical synonym token or
        its stem), or ``None`` for a stop word."""
        stem, keep = self._word(word)
        for phrase, canonical in self._phrases.get(stem, ()):
            if len(phrase) == 1:
                return canonical
        return stem if keep else None

    def variants(self, term: str) -> list[tuple[str, ...]]:
        """The synonym variants (tuples of words) folded into ``term``; ``[]`` if none."""
        return self._variants.get(term, [])

    def _english_terms(self, words: list[str], out: list[str]) -> None:
        """Append the terms of one run of English words (no punctuation between them) to ``out``."""
        cache = self._words
        info = [cache.get(w) or self._word(w) for w in words]
        phrases = self._phrases
        n = len(words)
        i = 0
        while i < n:
            stem, keep = info[i]
            entries = phrases.get(stem)
            if entries is not None:
                for phrase, canonical in entries:
                    k = len(phrase)
                    if k == 1 or (i + k <= n and tuple(x[0] for x in info[i:i + k]) == phrase):
                        out.append(canonical)
                        i += k
                        break
                else:
                    entries = None
                if entries is not None:
                    continue
            if keep:
                out.append(stem)
            i += 1

    def _english(self, words: list[tuple[str, int, int]], text: str) -> Iterator[tuple[str, str, int, int]]:
        """(term, raw, start, end) for a run of English words: phrases folded, stop words dropped."""
        info = [self._word(w) for w, _, _ in words]
        n = len(words)
        i = 0
        while i < n:
            matched = False
            for phrase, canonical in self._phrases.get(info[i][0], ()):
                k = len(phrase)
                if i + k > n or tuple(x[0] for x in info[i:i + k]) != phrase:
                    continue
                if any(not _PHRASE_GAP.fullmatch(text, words[j][2], words[j + 1][1]) for j in range(i, i + k - 1)):
                    continue
                raw = words[i][0] if k == 1 else " ".join(w for w, _, _ in words[i:i + k])
                yield canonical, raw, words[i][1], words[i + k - 1][2]
                i += k
                matched = True
                break
            if matched:
                continue
            raw, start, end = words[i]
            if info[i][1]:
                yield info[i][0], raw.replace("\u2019", "").replace("'", ""), start, end
            i += 1

    # -- whole texts -------------------------------------------------------------------------
    def terms(self, text: str, *, unigrams: bool = False, pairs: bool = False,
              words_out: set[str] | None = None) -> list[str]:
        """The index terms of ``text`` (see the module docstring), English first.

        Repeats are kept: term frequency counts them. ``unigrams`` adds every
        Han character as a term (used for titles, so that a one-character
        query such as 卡 finds titles). ``pairs`` adds a term ``"a b"`` for each two successive
        English terms of a sentence (see ``pair``). ``words_out``, if given,
        receives the folded English words as written.
        """
        folded = fold(text)
        out: list[str] = []
        for segment in _SEGMENTS.split(folded):
            words = _WORD_RE.findall(segment)
            if words:
                if words_out is not None:
                    words_out.update(words)
                if pairs:
                    mark = len(out)
                    self._english_terms(words, out)
                    seq = out[mark:]
                    out.extend([pair(a, b) for a, b in zip(seq, seq[1:]) if a != b])
                else:
                    self._english_terms(words, out)
        for run in _HAN_RUN.findall(folded):
            n = len(run)
            if n == 1 or unigrams:
                out.extend(run)
            out.extend([run[i:i + 2] for i in range(n - 1)])
            if n >= 3:
                out.extend([w for w in rjieba.cut_for_search(run) if len(w) >= 3])
        return out

    def query_words(self, query: str) -> list[QueryWord]:
        """The words of a query in order, duplicates kept (callers dedupe).

        Chinese runs are cut with jieba's precise mode (no sub-words: a query
        word is one unit of meaning) and Chinese stop words are dropped unless
        nothing else would remain. English words go through the same phrase
        folding, stop words and stemming as the index.
        """
        folded = fold(query)
        open_end = bool(folded) and not folded[-1].isspace()
        out: list[QueryWord] = []
        words: list[tuple[str, int, int]] = []
        zh_dropped: list[QueryWord] = []
        last_end = -1

        def flush() -> None:
            nonlocal last_end
            for term, raw, _s, e in self._english(words, folded):
                out.append(QueryWord(term, raw, False))
                last_end = max(last_end, e)
            words.clear()

        for m in _TOKEN_RE.finditer(folded):
            run = m.group("han")
            if run is None:
                words.append((m.group("word"), m.start(), m.end()))
                continue
            flush()
            pieces = [run] if len(run) <= 2 else rjieba.cut(run)
            for piece in pieces:
                if not is_han(piece):
                    continue
                word = QueryWord(piece, piece, True)
                (zh_dropped if piece in ZH_STOPWORDS else out).append(word)
        flush()
        if not out and zh_dropped:
            out = zh_dropped
        if open_end and out and not out[-1].han and last_end == len(folded):
            w = out[-1]
            out[-1] = QueryWord(w.term, w.raw, False, last=True)
        return out


#: The shared analyzer (building the phrase table costs a few milliseconds).
ANALYZER = Analyzer()
