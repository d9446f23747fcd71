"""Quick phrases in the backend (issue #5): team and personal sync, personal CRUD with
Idempotency-Key and versions (a stale one is a 409 problem), and the checks —
real backend on loopback (``backend`` fixture)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from csdesk.domain.procedure import CONFIRM_PHRASE_IDS
from csdesk.server.phrases import DEMO_PHRASES_FILE, load_team_phrases, seed_team_phrases
from csdesk.server.seed import DEMO_AGENTS
from tests.conftest import bearer

PROBLEM = "application/problem+json"


@pytest.fixture
def auth(api: httpx.Client, sign_in) -> dict[str, str]:
    return bearer(sign_in(api)["access_token"])


def new_id() -> str:
    return f"p-{uuid.uuid4().hex}"


def put(api: httpx.Client, auth: dict[str, str], ident: str, key: str | None = None, **body: object) -> httpx.Response:
    payload = {"code": "mine", "title": "标题", "body": "内容 {?金额}", "category": "", "base_version": 0, **body}
    headers = {**auth, **({"Idempotency-Key": key} if key else {})}
    return api.put(f"/me/phrases/{ident}", json=payload, headers=headers)


def delete(api: httpx.Client, auth: dict[str, str], ident: str, base: int, key: str | None = None) -> httpx.Response:
    headers = {**auth, **({"Idempotency-Key": key} if key else {})}
    return api.request("DELETE", f"/me/phrases/{ident}", json={"base_version": base}, headers=headers)


def test_team_phrases_are_seeded_and_synced_to_every_agent(api: httpx.Client, sign_in) -> None:
    seeded = load_team_phrases()
    assert len(seeded) >= 20
    categories = {fields.category for _id, fields in seeded}
    assert {"问候", "身份核实", "等待", "风险提示", "结束", "致歉", "转接", "投诉"} <= categories
    assert any(not any("\u4e00" <= ch <= "\u9fff" for ch in fields.body) for _id, fields in seeded)  # English too
    assert CONFIRM_PHRASE_IDS <= {ident for ident, _fields in seeded}
    for agent in DEMO_AGENTS[:2]:
        headers = bearer(sign_in(api, agent)["access_token"])
        page = api.get("/sync/team_phrases", headers=headers).json()
        assert {item["id"] for item in page["items"]} == {ident for ident, _ in seeded}
        assert all(item["scope"] == "team" and item["version"] == 1 for item in page["items"])
        # the cursor moves on: nothing new the second time
        again = api.get("/sync/team_phrases", params={"since": page["cursor"]}, headers=headers).json()
        assert again["items"] == [] and again["deleted"] == []


def test_seeding_runs_once_per_database(backend) -> None:
    assert seed_team_phrases(backend.context) == 0  # the fixture's seed already did it


def test_a_broken_team_phrase_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "phrases.toml"
    bad.write_text('[[phrase]]\nid = "x"\ncode = "x"\ntitle = "t"\nbody = "hi {agent_nmae}"\n', "utf-8")
    with pytest.raises(ValueError, match="unknown placeholder"):
        load_team_phrases(bad)
    bad.write_text('[[phrase]]\nid = "x"\ncode = "x"\ntitle = "t"\nbody = "a"\n'
                   '[[phrase]]\nid = "y"\ncode = "X"\ntitle = "t"\nbody = "b"\n', "utf-8")
    with pytest.raises(ValueError, match="already has this code"):
        load_team_phrases(bad)
    assert load_team_phrases(DEMO_PHRASES_FILE)


def test_personal_phrase_crud_is_idempotent_and_versioned(api: httpx.Client, auth: dict[str, str]) -> None:
    ident = new_id()
    first = put(api, auth, ident, key="k-create", code="Lost1")
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1 and first.json()["code"] == "lost1"
    # the same key and body: the same answer, applied once
    again = put(api, auth, ident, key="k-create", code="Lost1")
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    # the same key with another body is refused
    reused = put(api, auth, ident, key="k-create", code="other")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency-key-reused"
    # an edit based on version 1
    edited = put(api, auth, ident, key="k-edit", code="lost1", title="新标题", base_version=1)
    assert edited.status_code == 200 and edited.json()["version"] == 2
    # a stale edit (based on 1 again, new key): 409 problem naming the stored version
    stale = put(api, auth, ident, key="k-stale", title="过时", base_version=1)
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith(PROBLEM)
    assert stale.json()["code"] == "version-conflict" and stale.json()["current_version"] == 2
    # a create over an existing id is stale too
    assert put(api, auth, ident, key="k-recreate").status_code == 409
    # delete: stale first, then on the right version (twice with one key: applied once)
    assert delete(api, auth, ident, 1, key="k-del-stale").json()["current_version"] == 2
    gone = delete(api, auth, ident, 2, key="k-del")
    assert gone.status_code == 200 and gone.json() == {"id": ident, "version": 3, "deleted": True}
    assert delete(api, auth, ident, 2, key="k-del").json() == gone.json()
    # a stale edit of the deleted phrase conflicts (never silently re-created) …
    assert put(api, auth, ident, key="k-late", base_version=2).json()["current_version"] == 3
    # … but the phrase can be made again on the tombstone's version
    again = put(api, auth, ident, key="k-again", base_version=3)
    assert again.status_code == 200 and again.json()["version"] == 4
    # deleting what is already gone answers "deleted", changing nothing
    other = new_id()
    assert delete(api, auth, other, 0).json() == {"id": other, "version": 0, "deleted": True}


def test_personal_phrases_sync_only_to_their_agent(api: httpx.Client, sign_in) -> None:
    mine = bearer(sign_in(api, DEMO_AGENTS[0])["access_token"])
    theirs = bearer(sign_in(api, DEMO_AGENTS[1])["access_token"])
    kept, dropped = new_id(), new_id()
    assert put(api, mine, kept, code="keep").status_code == 200
    assert put(api, mine, dropped, code="drop").status_code == 200
    page = api.get("/sync/my_phrases", headers=mine).json()
    assert {item["id"] for item in page["items"]} == {kept, dropped}
    assert all(item["scope"] == "personal" for item in page["items"])
    assert delete(api, mine, dropped, 1).status_code == 200
    later = api.get("/sync/my_phrases", params={"since": page["cursor"]}, headers=mine).json()
    assert later["deleted"] == [dropped] and later["items"] == []
    assert api.get("/sync/my_phrases", headers=theirs).json()["items"] == []
    assert [p["id"] for p in api.get("/me/phrases", headers=mine).json()] == [kept]
    # another agent can use the same id and code: phrases are per agent
    assert put(api, theirs, kept, code="keep").status_code == 200
    assert put(api, mine, kept, code="keep", title="仍是我的", base_version=1).json()["version"] == 2


def test_checks_give_field_errors(api: httpx.Client, auth: dict[str, str]) -> None:
    assert put(api, auth, new_id(), code="dup").status_code == 200
    taken = put(api, auth, new_id(), code="DUP")
    assert taken.status_code == 422
    assert {e["field"] for e in taken.json()["errors"]} == {"body.code"}
    bad = put(api, auth, new_id(), code="no spaces", title="  ", body="{agent_nmae} {?}")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"body.code", "body.title", "body.body"}
    assert "agent_nmae" in bad.json()["detail"]
    assert put(api, auth, "../etc", code="x").status_code in (404, 422)
    assert put(api, auth, "bad id!", code="x").json()["errors"][0]["field"] == "path.phrase_id"
    huge = put(api, auth, new_id(), code="huge", body="x" * 100_000)
    assert huge.status_code == 422


def test_text_is_cleaned_and_markup_kept_literally(api: httpx.Client, auth: dict[str, str]) -> None:
    saved = put(api, auth, new_id(), code="mk", title="[b]t[/b]\x1b[2J", body="[bold red]x[/] \x1b]8;;http://evil\x1b\\y\x07")
    assert saved.status_code == 200
    assert saved.json()["title"] == "[b]t[/b]"
    assert saved.json()["body"] == "[bold red]x[/] y"


def test_admin_loads_team_phrases_from_a_file(api: httpx.Client, auth: dict[str, str], backend, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from csdesk.admin import admin

    before = api.get("/sync/team_phrases", headers=auth).json()
    greeting = next(item for item in before["items"] if item["id"] == "greeting")
    source = tmp_path / "team.toml"
    # greeting changes text and takes the code of closing; closing moves to another code; one is new
    source.write_text(
        '[[phrase]]\nid = "greeting"\ncode = "bye"\ncategory = "问候"\ntitle = "问候"\nbody = "您好，{customer_title}"\n'
        '[[phrase]]\nid = "closing"\ncode = "bye2"\ncategory = "结束"\ntitle = "结束语"\nbody = "再见"\n'
        '[[phrase]]\nid = "new_one"\ncode = "new1"\ntitle = "新的"\nbody = "新的 {?x}"\n', "utf-8")
    db = str(backend.settings.db_path)
    done = CliRunner().invoke(admin, ["--db", db, "phrases", "load", str(source)])
    assert done.exit_code == 0, done.output
    assert "1 added, 2 changed, 0 unchanged, 0 removed" in done.output
    page = api.get("/sync/team_phrases", params={"since": before["cursor"]}, headers=auth).json()
    items = {item["id"]: item for item in page["items"]}
    assert set(items) == {"greeting", "closing", "new_one"}
    assert items["greeting"]["code"] == "bye" and items["greeting"]["version"] == greeting["version"] + 1
    # loading again changes nothing; --prune removes the rest (desks see deletions)
    again = CliRunner().invoke(admin, ["--db", db, "phrases", "load", str(source), "--prune"])
    assert "0 added, 0 changed, 3 unchanged" in again.output and "0 unchanged, 0 removed" not in again.output
    gone = api.get("/sync/team_phrases", params={"since": page["cursor"]}, headers=auth).json()
    assert "risk_transfer" in gone["deleted"] and gone["items"] == []
    listed = CliRunner().invoke(admin, ["--db", db, "phrases", "list"])
    assert "3 team phrases." in listed.output and "/new1" in listed.output
    # a bad file changes nothing and says why
    source.write_text('[[phrase]]\nid = "x"\ncode = "x"\ntitle = "t"\nbody = "{agent_nmae}"\n', "utf-8")
    bad = CliRunner().invoke(admin, ["--db", db, "phrases", "load", str(source)])
    assert bad.exit_code != 0 and "unknown placeholder" in bad.output
