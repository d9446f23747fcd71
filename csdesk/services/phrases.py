"""Quick phrases on the desk: the merged list, personal phrases through the outbox,
expansion with the contact's values, and the picker's fuzzy filter (issue #5).

Operating guide §1.3 (personal quick phrases) and §3.4 (templates adapted to
the contact). The phrases come from the local store, so they work offline:
``team_phrases`` (the backend's, pulled) and ``my_phrases`` (the agent's
own, pulled and edited here). :class:`PhraseService` reads them into a
:class:`PhraseBook` (an immutable snapshot the screens use without I/O) and
saves or deletes personal phrases offline-first: the local copy changes at
once and the change is queued in the outbox (kinds
``csdesk.domain.phrases.PHRASE_KINDS``, ``PUT`` / ``DELETE
/me/phrases/{id}`` with an ``Idempotency-Key`` and the version it was based
on), so it reaches the backend whenever it is reachable and is never lost
(:mod:`csdesk.services.sync` re-sends a stale one on the stored version).

No Textual here; store calls block (fsync), so they run in the sync
service's thread (:meth:`SyncService.io`).
"""

from __future__ import annotations

import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Final

from rapidfuzz import fuzz

from csdesk.domain import phrases as ph
from csdesk.domain.phrases import (
    MY_PHRASES,
    PHRASE_DELETE_KIND,
    PHRASE_KINDS,
    PHRASE_SAVE_KIND,
    TEAM_PHRASES,
    Phrase,
    PhraseFields,
    PhraseProblem,
    PlaceholderContext,
    check_phrase,
    fill_placeholders,
    phrase_id_from_path,
    phrase_path,
)

if TYPE_CHECKING:
    from csdesk.domain.contact_schemas import ContactView
    from csdesk.services.sync import SyncService
    from csdesk.store.local import LocalStore

#: Lowest score (0–100) a query word must reach in some field for a phrase to match.
MIN_SCORE: Final = 70.0
#: Weight of a match in each field (the code and title count most).
FIELD_WEIGHTS: Final = {"code": 1.0, "title": 1.0, "category": 0.9, "body": 0.85}
#: Characters of a body the filter looks at (the start says what a phrase is).
BODY_SEARCH_CHARS: Final = 600
#: Most matches :meth:`PhraseBook.search` returns.
SEARCH_LIMIT: Final = 100


def _fold(text: str) -> str:
    """Text as the filter compares it: NFKC (full-width → half-width), case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class PhraseMatch:
    """A phrase the picker shows: ``score`` (0–100 plus code bonuses, higher is
    better) and ``title_spans`` (``(start, end)`` character ranges of the title
    that matched a query word, for highlighting; empty when none or unknown)."""

    phrase: Phrase
    score: float
    title_spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class _Entry:
    phrase: Phrase
    code: str
    title: str
    category: str
    body: str
    title_aligned: bool  # folding kept the title's length: spans map back


class PhraseBook:
    """An immutable snapshot of the agent's phrases, personal first.

    ``phrases``: personal phrases then team ones, each by category then code
    (a team phrase whose code a personal one also has is kept: the picker
    shows both, ``/code`` expands the personal one). Lookups and the filter
    are in memory (no I/O), fast enough for the UI thread at a few hundred
    phrases.
    """

    def __init__(self, personal: Iterable[Phrase] = (), team: Iterable[Phrase] = ()) -> None:
        order: Callable[[Phrase], tuple[str, str]] = lambda p: (p.category.casefold(), p.code)  # noqa: E731
        self.personal: tuple[Phrase, ...] = tuple(sorted(personal, key=order))
        self.team: tuple[Phrase, ...] = tuple(sorted(team, key=order))
        self.phrases: tuple[Phrase, ...] = self.personal + self.team
        self._by_code: dict[str, Phrase] = {}
        for phrase in reversed(self.phrases):  # personal last: they win
            self._by_code[phrase.code] = phrase
        self._by_id = {(p.scope, p.id): p for p in self.phrases}
        self._entries = [
            _Entry(p, p.code, _fold(p.title), _fold(p.category), _fold(p.body[:BODY_SEARCH_CHARS]),
                   len(_fold(p.title)) == len(p.title))
            for p in self.phrases
        ]

    def __len__(self) -> int:
        return len(self.phrases)

    def by_code(self, code: str) -> Phrase | None:
        """The phrase ``/code`` expands (case-insensitive): the personal one when both have it."""
        return self._by_code.get(ph.normalize_code(code))

    def get(self, phrase_id: str, scope: ph.Scope = "personal") -> Phrase | None:
        """The phrase with ``phrase_id`` in ``scope``, or None."""
        return self._by_id.get((scope, phrase_id))

    def taken_codes(self, except_id: str | None = None) -> dict[str, str]:
        """Codes of the personal phrases other than ``except_id`` → their titles."""
        return {p.code: p.title for p in self.personal if p.id != except_id}

    def search(self, query: str, limit: int = SEARCH_LIMIT) -> list[PhraseMatch]:
        """The phrases matching ``query`` (Chinese, English or both), best first.

        An empty query lists every phrase in book order. Otherwise each word
        of the query (split at spaces; at most 8 words, 64 characters each)
        must match the code, title, category or body start: exactly as a
        substring, or within a typo (rapidfuzz ``partial_ratio`` ≥
        :data:`MIN_SCORE`, weighted by :data:`FIELD_WEIGHTS`). The score is
        the mean of the words' best scores, plus 50 for the exact code and 25
        for a code that starts with the query; ties: personal first, then
        code. At most ``limit`` matches.
        """
        folded = _fold(query).strip()
        if not folded:
            return [PhraseMatch(p, 0.0) for p in self.phrases[:limit]]
        words = [w[:64] for w in folded.split()[:8]]
        compact = folded.replace(" ", "")
        found: list[PhraseMatch] = []
        for entry in self._entries:
            total = 0.0
            spans: list[tuple[int, int]] = []
            for word in words:
                best = 0.0
                for name, text in (("code", entry.code), ("title", entry.title),
                                   ("category", entry.category), ("body", entry.body)):
                    if not text:
                        continue
                    at = text.find(word)
                    if at >= 0:
                        score = 100.0
                        if name == "title" and entry.title_aligned:
                            spans.append((at, at + len(word)))
                    elif len(word) < 3:
                        continue  # one or two letters: a substring, or nothing
                    else:
                        score = fuzz.partial_ratio(word, text, score_cutoff=MIN_SCORE)
                    best = max(best, score * FIELD_WEIGHTS[name])
                if best < MIN_SCORE:
                    break
                total += best
            else:
                score = total / len(words)
                if entry.code == compact:
                    score += 50.0
                elif entry.code.startswith(compact):
                    score += 25.0
                found.append(PhraseMatch(entry.phrase, score, tuple(sorted(set(spans)))))
        found.sort(key=lambda m: (-m.score, m.phrase.scope != "personal", m.phrase.code))
        return found[:limit]


def placeholder_context(
    *, agent_id: str | None, agent_name: str | None, contact: ContactView | None, today: date
) -> PlaceholderContext:
    """The values of the known placeholders now: the agent's, the contact's
    customer card (name, masked ID number) and latest operation reference
    (by time), and ``today`` (the local date)."""
    customer = contact.customer if contact is not None else None
    reference = None
    if contact is not None and contact.operations:
        reference = max(contact.operations, key=lambda op: op.at).reference
    return PlaceholderContext(
        agent_id=agent_id,
        agent_name=agent_name,
        customer_name=customer.name if customer is not None else None,
        customer_id_masked=customer.id_number_masked if customer is not None else None,
        today=today,
        reference=reference,
    )


def expand(phrase: Phrase, context: PlaceholderContext) -> str:
    """The text ``phrase`` puts in the composer: its body with the known
    placeholders filled from ``context`` (the rest stay, to be filled)."""
    return fill_placeholders(phrase.body, context)


class PhraseRejected(ValueError):
    """A personal phrase that cannot be saved; ``problems`` says why (never empty)."""

    def __init__(self, problems: list[PhraseProblem]) -> None:
        super().__init__("; ".join(p.english() for p in problems))
        self.problems = problems


def new_phrase_id() -> str:
    """A new personal phrase id: ``p-`` and 32 hex digits (made here, so offline works)."""
    return f"p-{uuid.uuid4().hex}"


class PhraseService:
    """The signed-in agent's phrases over the local store and the outbox.

    ``sync`` is the session's :class:`~csdesk.services.sync.SyncService`
    (its store and outbox; its thread lock serialises store calls).
    ``clock()`` gives epoch seconds. :attr:`book` is the last snapshot read
    (:meth:`reload`; also refreshed by :meth:`save` / :meth:`delete`).
    """

    def __init__(self, sync: SyncService, *, clock: Callable[[], float] = time.time) -> None:
        self.sync = sync
        self.clock = clock
        self.book = PhraseBook()

    @property
    def _store(self) -> LocalStore:
        return self.sync.store

    def _read_book(self) -> PhraseBook:
        """Both collections as a :class:`PhraseBook` (blocking). Invalid documents are skipped."""
        personal = [Phrase.from_doc(doc, "personal") for doc in self._store.all(MY_PHRASES).values()]
        team = [Phrase.from_doc(doc, "team") for doc in self._store.all(TEAM_PHRASES).values()]
        return PhraseBook([p for p in personal if p], [p for p in team if p])

    async def reload(self) -> PhraseBook:
        """Read the phrases from the local store again; returns (and keeps) the new book."""
        self.book = await self.sync.io(self._read_book)
        return self.book

    def _settle_failed(self, phrase_id: str) -> None:
        """Refused (failed) outbox changes of ``phrase_id`` are superseded by a new
        whole-phrase change: they leave the outbox (blocking)."""
        outbox = self.sync.outbox
        for item in outbox.items("failed"):
            if item.kind in PHRASE_KINDS and phrase_id_from_path(item.path) == phrase_id:
                outbox.mark_sent(item.key)

    async def save(self, fields: PhraseFields, phrase_id: str | None = None) -> Phrase:
        """Create (``phrase_id`` None) or change a personal phrase, offline-first.

        ``fields`` is cleaned (:meth:`PhraseFields.clean`) and checked against
        the agent's other phrases now in the store (:func:`check_phrase`, and
        at most :data:`~csdesk.domain.phrases.PERSONAL_MAX`); raises
        :class:`PhraseRejected` with the problems. Otherwise the local copy
        is written (``pending``, version = the one expected after the push)
        and a ``PUT /me/phrases/{id}`` based on the local version is queued;
        returns the phrase as stored here. A phrase deleted here meanwhile is
        made again. Raises ``OSError`` if the store cannot be written.
        """
        fields = PhraseFields.clean(code=fields.code, title=fields.title, body=fields.body,
                                    category=fields.category)
        ident = phrase_id or new_phrase_id()
        now = self.clock()

        def apply() -> Phrase:
            store = self._store
            docs = store.all(MY_PHRASES)
            current = Phrase.from_doc(docs[ident], "personal") if ident in docs else None
            others = [p for i, d in docs.items() if i != ident and (p := Phrase.from_doc(d, "personal"))]
            problems = check_phrase(fields, taken_codes={p.code: p.title for p in others})
            if current is None and len(others) >= ph.PERSONAL_MAX:
                problems.append(PhraseProblem("code", "too-many"))
            if problems:
                raise PhraseRejected(problems)
            base = current.version if current is not None else 0
            stamp = datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")
            phrase = Phrase(
                id=ident, code=fields.code, title=fields.title, body=fields.body, category=fields.category,
                scope="personal", version=base + 1, updated_at=stamp, pending=True,
            )
            store.upsert(MY_PHRASES, ident, phrase.to_doc())
            self._settle_failed(ident)
            body = {"code": fields.code, "title": fields.title, "body": fields.body,
                    "category": fields.category, "base_version": base}
            self.sync.outbox.enqueue(PHRASE_SAVE_KIND, "PUT", phrase_path(ident), body, now=now)
            return phrase

        phrase = await self.sync.io(apply)
        await self._queued()
        return phrase

    async def delete(self, phrase_id: str) -> bool:
        """Delete personal phrase ``phrase_id``, offline-first: gone from the local
        copy at once, ``DELETE /me/phrases/{id}`` (with the local version) queued.
        False when there is no such phrase here. Raises ``OSError`` if the store
        cannot be written."""
        now = self.clock()

        def apply() -> bool:
            store = self._store
            doc = store.get(MY_PHRASES, phrase_id)
            if doc is None:
                return False
            current = Phrase.from_doc(doc, "personal")
            base = current.version if current is not None else 0
            store.remove(MY_PHRASES, [phrase_id])
            self._settle_failed(phrase_id)
            self.sync.outbox.enqueue(
                PHRASE_DELETE_KIND, "DELETE", phrase_path(phrase_id), {"base_version": base}, now=now
            )
            return True

        done = await self.sync.io(apply)
        if done:
            await self._queued()
        return done

    async def _queued(self) -> None:
        """After a change was queued: new book, new outbox counts, push now."""
        await self.reload()
        await self.sync.refresh_status()
        self.sync.wake()


__all__ = [
    "PhraseBook",
    "PhraseMatch",
    "PhraseRejected",
    "PhraseService",
    "expand",
    "new_phrase_id",
    "placeholder_context",
]
