"""Knowledge articles in the backend: store, change, seed, and serve them to sync (issue #5).

Operating guide §2.2 (answer from the knowledge base) and §3.1 (knowledge
base, FAQ and policies; read the updates). Articles live in the
``knowledge_articles`` table (:class:`csdesk.server.models.KnowledgeArticle`).
Every write here appends a change row to the sync collection ``knowledge``
for every agent (``agent_id`` NULL, like announcements): a published article
is sent as a :class:`~csdesk.domain.knowledge.KnowledgeArticleDoc`, any other
status as a deletion, so an article that is retired or put back to draft
leaves the desks at their next pull.

Writers are ``csdesk kb …`` (:mod:`csdesk.kb_cli`, straight on the database
file like ``csdesk admin``) and the demo seed (:func:`seed_knowledge`, the
articles of ``csdesk/server/data/knowledge/*.toml``). Functions taking a
``Session`` work inside the caller's transaction (``ctx.db.write()``); none
commits by itself.

Every text is cleaned before it is stored (:func:`csdesk.domain.text.clean_text`:
no control characters or terminal escape sequences) and checked against the
limits of :mod:`csdesk.domain.knowledge`.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from csdesk.domain import knowledge as kb
from csdesk.domain.knowledge import (
    KNOWLEDGE_COLLECTION,
    KnowledgeArticleDoc,
    KnowledgeStatus,
)
from csdesk.domain.text import clean_body, clean_text, one_line
from csdesk.server.changes import record_change
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.models import KnowledgeArticle
from csdesk.server.seed_once import seed_once

#: The sync collection (``GET /api/v1/sync/knowledge``).
KNOWLEDGE: Final = KNOWLEDGE_COLLECTION
#: Largest page of ``knowledge``: articles are big (a body may hold 200,000
#: characters), so a page holds at most this many whatever ``limit`` says.
KNOWLEDGE_LIMIT: Final = 100
#: Where the demo articles are (``[[article]]`` tables, see :func:`load_demo_articles`).
DEMO_KNOWLEDGE_DIR: Final = Path(__file__).resolve().parent / "data" / "knowledge"

_SEEDED_KEY = "seeded_knowledge_at"


class KnowledgeError(ValueError):
    """A knowledge-base write that cannot be done; ``str()`` is one line for a person."""


class ArticleNotFoundError(KnowledgeError):
    """No article has the given id."""


class ArticleExistsError(KnowledgeError):
    """An article with the given id already exists."""


class VersionConflictError(KnowledgeError):
    """The article changed since the version the edit was based on (design §4)."""


@dataclass(frozen=True)
class ArticleFields:
    """The editable content of an article, cleaned and within the limits.

    Make it with :func:`article_fields`, which cleans and checks; shapes as
    in :class:`~csdesk.domain.knowledge.KnowledgeArticleDoc`.
    """

    title: str
    body: str
    title_en: str = ""
    category: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    summary: str = ""


def _clean_list(values: Iterable[str]) -> tuple[str, ...]:
    """One-line, stripped, without empties or repeats (case-insensitive, first kept)."""
    seen: set[str] = set()
    out: list[str] = []
    for raw in values:
        item = one_line(str(raw))
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return tuple(out)


def _check_len(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise KnowledgeError(f"{name} is {len(value):,} characters; at most {limit:,} allowed")


def _check_list(name: str, values: Sequence[str], most: int, longest: int) -> None:
    if len(values) > most:
        raise KnowledgeError(f"{name}: {len(values)} given; at most {most} allowed")
    for value in values:
        if len(value) > longest:
            raise KnowledgeError(
                f"{name}: {value[:40]!r}… is {len(value)} characters; at most {longest} allowed"
            )


def article_fields(
    *,
    title: str,
    body: str,
    title_en: str = "",
    category: Iterable[str] = (),
    tags: Iterable[str] = (),
    questions: Iterable[str] = (),
    intents: Iterable[str] = (),
    summary: str = "",
) -> ArticleFields:
    """Clean and check an article's content; return it as :class:`ArticleFields`.

    Titles, summary and list items become one line (control characters and
    escape sequences removed, whitespace runs collapsed); the body keeps its
    lines. Lists lose empty and repeated items. Raises :class:`KnowledgeError`
    for an empty title or body, or a value over a limit of
    :mod:`csdesk.domain.knowledge` (title ≤ 200, body ≤ 200,000 characters …).
    """
    result = ArticleFields(
        title=one_line(title),
        body=clean_body(body),
        title_en=one_line(title_en),
        category=_clean_list(category),
        tags=_clean_list(tags),
        questions=_clean_list(questions),
        intents=_clean_list(intents),
        summary=one_line(summary),
    )
    if not result.title:
        raise KnowledgeError("the title is empty")
    if not result.body:
        raise KnowledgeError("the body is empty")
    _check_len("the title", result.title, kb.TITLE_MAX)
    _check_len("the English title", result.title_en, kb.TITLE_MAX)
    _check_len("the body", result.body, kb.BODY_MAX)
    _check_len("the summary", result.summary, kb.SUMMARY_MAX)
    _check_list("category", result.category, kb.CATEGORY_DEPTH_MAX, kb.CATEGORY_PART_MAX)
    _check_list("tags", result.tags, kb.TAGS_MAX, kb.TAG_MAX)
    _check_list("questions", result.questions, kb.QUESTIONS_MAX, kb.QUESTION_MAX)
    _check_list("intents", result.intents, kb.INTENTS_MAX, kb.INTENT_MAX)
    return result


def check_article_id(article_id: str) -> str:
    """Return ``article_id`` stripped; :class:`KnowledgeError` unless it matches ``kb.ID_PATTERN``."""
    ident = article_id.strip()
    if not kb.ID_PATTERN.match(ident):
        raise KnowledgeError(
            f"article id {clean_text(ident, keep_newlines=False, max_chars=80)!r} must be "
            f"1-{kb.ID_MAX} letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return ident


def fields_of(row: KnowledgeArticle) -> ArticleFields:
    """The content of a stored article as :class:`ArticleFields` (not re-checked)."""
    return ArticleFields(
        title=row.title,
        body=row.body,
        title_en=row.title_en,
        category=tuple(row.category or ()),
        tags=tuple(row.tags or ()),
        questions=tuple(row.questions or ()),
        intents=tuple(row.intents or ()),
        summary=row.summary,
    )


def _apply(row: KnowledgeArticle, content: ArticleFields) -> None:
    for f in fields(content):
        value = getattr(content, f.name)
        setattr(row, f.name, list(value) if isinstance(value, tuple) else value)


def article_doc(row: KnowledgeArticle) -> KnowledgeArticleDoc:
    """The wire document of a stored article (any status)."""
    return KnowledgeArticleDoc(
        id=row.id,
        title=row.title,
        title_en=row.title_en,
        body=row.body,
        category=list(row.category or []),
        tags=list(row.tags or []),
        questions=list(row.questions or []),
        intents=list(row.intents or []),
        summary=row.summary,
        version=row.version,
        updated_at=row.updated_at,
        status=KnowledgeStatus(row.status).value,
    )


def knowledge_docs(session: Session, agent_id: str, ids: list[str]) -> dict[str, KnowledgeArticleDoc]:
    """The sync documents for ``ids``: published articles only (others are left out, so
    :func:`csdesk.server.sync.sync_page` reports them deleted). Same for every agent."""
    if not ids:
        return {}
    rows = session.scalars(
        select(KnowledgeArticle).where(
            KnowledgeArticle.id.in_(ids), KnowledgeArticle.status == KnowledgeStatus.PUBLISHED.value
        )
    )
    return {row.id: article_doc(row) for row in rows}


def _record(session: Session, row: KnowledgeArticle) -> None:
    """The change row of a write: an item for every agent if published, else a deletion."""
    record_change(
        session, KNOWLEDGE, row.id, deleted=row.status != KnowledgeStatus.PUBLISHED.value
    )


def get_article(session: Session, article_id: str) -> KnowledgeArticle:
    """The article ``article_id``; raises :class:`ArticleNotFoundError`."""
    row = session.get(KnowledgeArticle, article_id.strip())
    if row is None:
        raise ArticleNotFoundError(
            f"no article {clean_text(article_id.strip(), keep_newlines=False, max_chars=80)!r}"
        )
    return row


def create_article(
    session: Session,
    article_id: str,
    content: ArticleFields,
    *,
    status: KnowledgeStatus = KnowledgeStatus.DRAFT,
    source: str = "",
    now: datetime | None = None,
) -> KnowledgeArticle:
    """Add a new article (version 1) and its change row; return it.

    Raises :class:`KnowledgeError` for a bad id and :class:`ArticleExistsError`
    when the id is taken.
    """
    ident = check_article_id(article_id)
    if session.get(KnowledgeArticle, ident) is not None:
        raise ArticleExistsError(f"article {ident} already exists")
    return _add(session, ident, content, status, source, now or utcnow())


def _add(
    session: Session, ident: str, content: ArticleFields, status: KnowledgeStatus, source: str, now: datetime
) -> KnowledgeArticle:
    row = KnowledgeArticle(
        id=ident, status=status.value, version=1, created_at=now, updated_at=now, source=source[:255]
    )
    _apply(row, content)
    session.add(row)
    _record(session, row)
    return row


def update_article(
    session: Session,
    article_id: str,
    content: ArticleFields | None = None,
    *,
    status: KnowledgeStatus | None = None,
    expected_version: int | None = None,
    source: str | None = None,
) -> tuple[KnowledgeArticle, bool]:
    """Change an article's content and/or status; return ``(row, changed)``.

    A real change bumps ``version`` by one, sets ``updated_at`` and records a
    sync change (a deletion when the article is no longer published);
    nothing equal to what is stored is written (``changed`` False).
    ``expected_version``: the version the edit started from; a different
    stored version raises :class:`VersionConflictError`. Raises
    :class:`ArticleNotFoundError` for an unknown id.
    """
    row = get_article(session, article_id)
    if expected_version is not None and row.version != expected_version:
        raise VersionConflictError(
            f"{row.id} changed meanwhile: it is at version {row.version}, "
            f"the edit started from version {expected_version}"
        )
    changed = False
    if content is not None and content != fields_of(row):
        _apply(row, content)
        changed = True
    if status is not None and row.status != status.value:
        row.status = status.value
        changed = True
    if changed:
        if source is not None:
            row.source = source[:255]
        row.version += 1
        row.updated_at = utcnow()
        _record(session, row)
    return row, changed


def set_status(session: Session, article_id: str, status: KnowledgeStatus) -> tuple[KnowledgeArticle, bool]:
    """Publish, retire or put back to draft; return ``(row, changed)`` (see :func:`update_article`)."""
    return update_article(session, article_id, status=status)


def upsert_article(
    session: Session,
    article_id: str,
    content: ArticleFields,
    *,
    status: KnowledgeStatus | None,
    new_status: KnowledgeStatus = KnowledgeStatus.DRAFT,
    source: str = "",
) -> str:
    """Create or update article ``article_id`` (``csdesk kb import``); return
    ``"new"``, ``"updated"`` or ``"unchanged"``.

    A new article gets ``status`` or else ``new_status``. An existing one
    keeps its status unless ``status`` is given, and keeps its tags,
    questions and intents when ``content`` has none (an editor may have added
    them since the last import).
    """
    row = session.get(KnowledgeArticle, article_id)
    if row is None:
        create_article(session, article_id, content, status=status or new_status, source=source)
        return "new"
    if not content.tags and not content.questions and not content.intents:
        content = replace(
            content,
            tags=tuple(row.tags or ()),
            questions=tuple(row.questions or ()),
            intents=tuple(row.intents or ()),
        )
    _row, changed = update_article(session, article_id, content, status=status, source=source)
    return "updated" if changed else "unchanged"


def _like(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_articles(
    session: Session,
    *,
    status: KnowledgeStatus | None = None,
    query: str | None = None,
) -> list[KnowledgeArticle]:
    """Articles for ``csdesk kb list``, by category path then id (bodies not loaded).

    ``status`` keeps one status. ``query`` keeps articles whose id, titles,
    summary, body, category, tags, questions or intents contain it
    (case-insensitive for ASCII letters; an admin listing, not the agents'
    search).
    """
    stmt = select(KnowledgeArticle).options(defer(KnowledgeArticle.body))
    if status is not None:
        stmt = stmt.where(KnowledgeArticle.status == status.value)
    rows = list(session.scalars(stmt))
    needle = (query or "").strip().casefold()
    if needle:
        pattern = _like(needle)
        in_body = set(
            session.scalars(
                select(KnowledgeArticle.id).where(
                    func.lower(KnowledgeArticle.body).like(pattern, escape="\\")
                )
            )
        )

        def hit(row: KnowledgeArticle) -> bool:
            hay = [row.id, row.title, row.title_en, row.summary, *row.category, *row.tags,
                   *row.questions, *row.intents]
            return row.id in in_body or any(needle in text.casefold() for text in hay)

        rows = [row for row in rows if hit(row)]
    rows.sort(key=lambda row: (list(row.category or []), row.id))
    return rows


def count_by_status(session: Session) -> dict[str, int]:
    """``{status: number of articles}`` for every status (0 when none)."""
    counts = {status.value: 0 for status in KnowledgeStatus}
    for status, n in session.execute(
        select(KnowledgeArticle.status, func.count()).group_by(KnowledgeArticle.status)
    ):
        counts[status] = n
    return counts


# -- demo seed -------------------------------------------------------------------

_DEMO_KEYS = frozenset({"id", "title", "title_en", "category", "tags", "intents", "questions", "summary", "body"})


@functools.lru_cache(maxsize=4)
def load_demo_articles(folder: Path = DEMO_KNOWLEDGE_DIR) -> tuple[tuple[str, str, ArticleFields], ...]:
    """Read every ``*.toml`` of ``folder`` (by file name): ``[[article]]`` tables with
    ``id``, ``title``, ``title_en``, ``category``, ``tags``, ``intents``, ``questions``,
    ``summary``, ``body``. Returns ``(id, file name, content)`` in file order.
    Read once per process and folder (the files ship with csdesk).

    Raises ``ValueError`` naming the file and article for a TOML error, a
    missing or unknown key, a value over a limit or a repeated id (the demo
    data ship with csdesk; a test reads them all).
    """
    out: list[tuple[str, str, ArticleFields]] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path.name}: {exc}") from exc
        for n, raw in enumerate(data.get("article", []), start=1):
            where = f"{path.name} article {n} ({raw.get('id', '?')})"
            keys = set(raw)
            if keys != _DEMO_KEYS:
                missing, unknown = sorted(_DEMO_KEYS - keys), sorted(keys - _DEMO_KEYS)
                raise ValueError(f"{where}: missing {missing}, unknown {unknown}")
            try:
                ident = check_article_id(str(raw["id"]))
                content = article_fields(**{k: v for k, v in raw.items() if k != "id"})
            except (KnowledgeError, TypeError) as exc:
                raise ValueError(f"{where}: {exc}") from exc
            if ident in seen:
                raise ValueError(f"{where}: id {ident} is also in {seen[ident]}")
            seen[ident] = path.name
            out.append((ident, path.name, content))
    return tuple(out)


def seed_knowledge(ctx: ServerContext, folder: Path = DEMO_KNOWLEDGE_DIR) -> int:
    """Insert the demo articles (published, version 1) once per database; return how many.

    Runs with the other demo data (``csdesk demo``, and ``csdesk server``
    unless ``--no-demo-data``: ``ServerSettings.seed_demo``). A ``meta`` row
    remembers the seeding, so articles retired or deleted later are not
    brought back, and a database seeded by an older csdesk gets them once;
    ids that already exist are left alone. Each new article gets its change
    row, in file order. Raises ``ValueError`` for broken demo files.
    """
    def add(session: Session, articles: tuple[tuple[str, str, ArticleFields], ...], now: datetime) -> int:
        existing = set(session.scalars(select(KnowledgeArticle.id)))
        added = 0
        for ident, file_name, content in articles:
            if ident in existing:
                continue
            _add(session, ident, content, KnowledgeStatus.PUBLISHED, f"seed:{file_name}", now)
            added += 1
        return added

    return seed_once(ctx, _SEEDED_KEY, lambda: load_demo_articles(folder), add)


__all__ = [
    "KNOWLEDGE",
    "KNOWLEDGE_LIMIT",
    "ArticleExistsError",
    "ArticleFields",
    "ArticleNotFoundError",
    "KnowledgeError",
    "VersionConflictError",
    "article_doc",
    "article_fields",
    "check_article_id",
    "clean_body",
    "count_by_status",
    "create_article",
    "fields_of",
    "get_article",
    "knowledge_docs",
    "list_articles",
    "load_demo_articles",
    "seed_knowledge",
    "set_status",
    "update_article",
    "upsert_article",
]
