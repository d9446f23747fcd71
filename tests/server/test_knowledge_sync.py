"""Knowledge articles as the sync collection ``knowledge`` (issue #5, operating guide §2.2/§3.1).

The demo articles are seeded with the other demo data; every agent pulls the
published ones through ``GET /api/v1/sync/knowledge`` (real backend on
loopback, real SQLite file); an article retired or put back to draft after
being published comes back in ``deleted``; the desk's sync service keeps the
published ones in the local store (``knowledge.json``) and drops the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from csdesk.api.client import ApiClient
from csdesk.domain.knowledge import (
    KNOWLEDGE_COLLECTION,
    KnowledgeArticleDoc,
    KnowledgeStatus,
)
from csdesk.server.changes import COLLECTIONS
from csdesk.server.context import ServerContext
from csdesk.server.knowledge import (
    KNOWLEDGE_LIMIT,
    ArticleNotFoundError,
    KnowledgeError,
    VersionConflictError,
    article_fields,
    create_article,
    load_demo_articles,
    seed_knowledge,
    set_status,
    update_article,
)
from csdesk.server.models import Change, KnowledgeArticle
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS, seed_if_new
from csdesk.services.sync import PULLED_COLLECTIONS, SyncService
from csdesk.store.local import LocalStore
from tests.conftest import bearer, make_settings

DEMO = load_demo_articles()


def pull_all(api: httpx.Client, token: str, since: str | None = None, limit: int = 500) -> tuple[
        list[dict[str, Any]], list[str], str]:
    """Every page of ``knowledge`` after ``since``: (items, deleted, last cursor)."""
    items: list[dict[str, Any]] = []
    deleted: list[str] = []
    while True:
        params: dict[str, Any] = {"limit": limit}
        if since:
            params["since"] = since
        response = api.get("/sync/knowledge", params=params, headers=bearer(token))
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) + len(page["deleted"]) <= min(limit, KNOWLEDGE_LIMIT)
        items += page["items"]
        deleted += page["deleted"]
        since = page["cursor"]
        if not page["has_more"]:
            return items, deleted, since


def test_the_demo_knowledge_base_is_valid() -> None:
    assert len(DEMO) >= 60
    ids = [ident for ident, _file, _content in DEMO]
    assert len(set(ids)) == len(ids)
    assert all(content.title and content.body and content.title_en for _i, _f, content in DEMO)


def test_every_agent_pulls_the_seeded_articles(backend: BackgroundServer, api: httpx.Client, sign_in) -> None:
    assert KNOWLEDGE_COLLECTION in COLLECTIONS and KNOWLEDGE_COLLECTION in PULLED_COLLECTIONS
    token = sign_in(api)["access_token"]
    items, deleted, _cursor = pull_all(api, token, limit=40)  # several pages
    assert deleted == []
    assert [item["id"] for item in items] == [ident for ident, _f, _c in DEMO]  # seeding order
    docs = [KnowledgeArticleDoc.model_validate(item) for item in items]
    assert all(doc.status == "published" and doc.version == 1 for doc in docs)
    assert set(items[0]) == set(KnowledgeArticleDoc.model_fields)
    first = dict(zip([i for i, _f, _c in DEMO], [c for _i, _f, c in DEMO], strict=True))[docs[0].id]
    assert (docs[0].title, docs[0].title_en, docs[0].body) == (first.title, first.title_en, first.body)
    assert items[0]["updated_at"].endswith("Z")
    # Another agent sees the same documents.
    other = sign_in(api, dict(DEMO_AGENTS[1]))["access_token"]
    assert pull_all(api, other)[0] == items


def test_a_retired_article_comes_back_deleted(backend: BackgroundServer, api: httpx.Client, sign_in) -> None:
    token = sign_in(api)["access_token"]
    _items, _deleted, cursor = pull_all(api, token)
    gone, edited = DEMO[0][0], DEMO[1][0]
    ctx = backend.context
    with ctx.db.write() as session:
        row, changed = set_status(session, gone, KnowledgeStatus.RETIRED)
        assert changed and row.version == 2
        old = row.updated_at
        update_article(session, edited, article_fields(title="新标题", body="新正文"))
        draft = create_article(session, "KB-NEW-1", article_fields(title="草稿", body="未发布"))
        assert draft.status == "draft"
    items, deleted, cursor = pull_all(api, token, cursor)
    assert [item["id"] for item in items] == [edited]
    assert items[0]["version"] == 2 and items[0]["title"] == "新标题"
    assert gone in deleted and "KB-NEW-1" in deleted  # a draft never reaches a desk
    # Published again: back, one version up.
    with ctx.db.write() as session:
        row, _ = set_status(session, gone, KnowledgeStatus.PUBLISHED)
        assert row.version == 3 and row.updated_at > old
        set_status(session, "KB-NEW-1", KnowledgeStatus.PUBLISHED)
    items, deleted, cursor = pull_all(api, token, cursor)
    assert {item["id"] for item in items} == {gone, "KB-NEW-1"} and deleted == []
    # Back to draft after publication: deleted, like retired.
    with ctx.db.write() as session:
        set_status(session, "KB-NEW-1", KnowledgeStatus.DRAFT)
    assert pull_all(api, token, cursor)[:2] == ([], ["KB-NEW-1"])
    # From the start, only what is published now is sent.
    everything, _deleted, _c = pull_all(api, token)
    assert len(everything) == len(DEMO) and "KB-NEW-1" not in {i["id"] for i in everything}


async def test_the_desk_keeps_published_articles_in_its_store(
    backend: BackgroundServer, api: httpx.Client, sign_in, tmp_path: Path
) -> None:
    token = sign_in(api)["access_token"]
    client = ApiClient(backend.url)
    client.access_token = token
    store = LocalStore.open(tmp_path / "data", backend.url, DEMO_AGENTS[0]["employee_id"])
    sync = SyncService(client, store)
    try:
        assert await sync.pull(KNOWLEDGE_COLLECTION) == len(DEMO)
        local = store.all(KNOWLEDGE_COLLECTION)
        assert len(local) == len(DEMO)
        assert store.collection_path(KNOWLEDGE_COLLECTION).name == "knowledge.json"
        doc = KnowledgeArticleDoc.model_validate(local[DEMO[0][0]])
        assert doc.body == DEMO[0][2].body
        with backend.context.db.write() as session:
            set_status(session, DEMO[0][0], KnowledgeStatus.RETIRED)
        assert await sync.pull(KNOWLEDGE_COLLECTION) == 1
        assert DEMO[0][0] not in store.all(KNOWLEDGE_COLLECTION)
        assert len(store.all(KNOWLEDGE_COLLECTION)) == len(DEMO) - 1
        assert await sync.pull(KNOWLEDGE_COLLECTION) == 0  # nothing new
    finally:
        store.close()
        await client.aclose()


def test_seeding_runs_once_and_does_not_bring_back_retired_articles(tmp_path: Path) -> None:
    ctx = ServerContext.open(make_settings(tmp_path / "db" / "csdesk.db", seed_demo=False))
    try:
        with ctx.db.read() as session:
            assert session.scalar(select(func.count()).select_from(KnowledgeArticle)) == 0
        seed_if_new(ctx)
        with ctx.db.write() as session:
            set_status(session, DEMO[0][0], KnowledgeStatus.RETIRED)
        seed_if_new(ctx)
        assert seed_knowledge(ctx) == 0
        with ctx.db.read() as session:
            assert session.get(KnowledgeArticle, DEMO[0][0]).status == "retired"
            assert session.scalar(select(func.count()).select_from(KnowledgeArticle)) == len(DEMO)
            changes = session.scalar(select(func.count()).select_from(Change).where(
                Change.collection == KNOWLEDGE_COLLECTION))
            assert changes == len(DEMO) + 1  # one per article, one for the retirement
    finally:
        ctx.close()


@pytest.mark.backend_settings(seed_demo=False)
def test_a_bank_backend_without_demo_data_has_no_articles(backend: BackgroundServer) -> None:
    with backend.context.db.read() as session:
        assert session.scalar(select(func.count()).select_from(KnowledgeArticle)) == 0


def test_writes_check_limits_ids_and_versions(tmp_path: Path) -> None:
    ctx = ServerContext.open(make_settings(tmp_path / "db" / "csdesk.db", seed_demo=False))
    try:
        with pytest.raises(KnowledgeError, match="title is 201 characters"):
            article_fields(title="x" * 201, body="b")
        with pytest.raises(KnowledgeError, match="body is empty"):
            article_fields(title="t", body=" \n\x1b[2J\n")
        with pytest.raises(KnowledgeError, match="tags: 33 given"):
            article_fields(title="t", body="b", tags=[f"t{i}" for i in range(33)])
        content = article_fields(title=" 标题\x1b[31m\n第二行 ", body="正文\x07\r\n", tags=["a", "A", " ", "b"])
        assert (content.title, content.body, content.tags) == ("标题 第二行", "正文", ("a", "b"))
        with ctx.db.write() as session:
            with pytest.raises(KnowledgeError, match="article id"):
                create_article(session, "bad id!", content)
            create_article(session, "KB-T-1", content)
        with ctx.db.write() as session:
            with pytest.raises(VersionConflictError):
                update_article(session, "KB-T-1", article_fields(title="t2", body="b"), expected_version=2)
            with pytest.raises(ArticleNotFoundError):
                set_status(session, "KB-NOPE", KnowledgeStatus.PUBLISHED)
            row, changed = update_article(session, "KB-T-1", content)  # the same: no new version
            assert not changed and row.version == 1
    finally:
        ctx.close()
