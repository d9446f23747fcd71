"""``csdesk kb``: the click group run with CliRunner against a real backend database file
(issue #5): import, list, show, edit (options and $EDITOR), publish, unpublish, retire —
each write one version up with a sync change and an audit record."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from csdesk.commands import cli
from csdesk.domain.knowledge import KnowledgeArticleDoc
from csdesk.kb_cli import kb, parse_edit
from csdesk.server.context import ServerContext
from csdesk.server.knowledge import load_demo_articles
from csdesk.server.models import AuditEvent, Change, KnowledgeArticle
from csdesk.server.sync import sync_page
from tests.conftest import make_settings, run_cli
from tests.shared_seeds import operations_guide

ID_LINE = re.compile(r"^\s+(new|updated|unchanged|dry-run)\s+(KB-IMP-[0-9A-F]{12})\s+(.*)$", re.MULTILINE)
DEMO_COUNT = len(load_demo_articles())


def run(db: Path | None, *args: str) -> Result:
    return run_cli(kb, db, *args)


def ok(db: Path, *args: str) -> Result:
    result = run(db, *args)
    assert result.exit_code == 0, result.output
    return result


def row(db: Path, ident: str) -> KnowledgeArticle:
    ctx = ServerContext.open(make_settings(db, seed_demo=False))
    try:
        with ctx.db.read() as session:
            found = session.get(KnowledgeArticle, ident)
            assert found is not None
            return found
    finally:
        ctx.close()


def changes(db: Path, ident: str) -> list[bool]:
    """The ``deleted`` flags of the sync changes of ``ident``, oldest first."""
    ctx = ServerContext.open(make_settings(db, seed_demo=False))
    try:
        with ctx.db.read() as session:
            return list(session.scalars(select(Change.deleted).where(
                Change.collection == "knowledge", Change.item_id == ident).order_by(Change.seq)))
    finally:
        ctx.close()


def synced(db: Path) -> dict[str, dict]:
    """What an agent pulls from the start: ``{id: document}``."""
    ctx = ServerContext.open(make_settings(db, seed_demo=False))
    try:
        docs: dict[str, dict] = {}
        cursor = 0
        with ctx.db.read() as session:
            while True:
                page = sync_page(session, "knowledge", "A1001", cursor, 1000)
                docs.update((item["id"], item) for item in page.items)
                for gone in page.deleted:
                    docs.pop(gone, None)
                cursor = int(page.cursor)
                if not page.has_more:
                    return docs
    finally:
        ctx.close()


def imported(result: Result) -> dict[str, str]:
    """``{title: id}`` from the import output."""
    return {title.split("  [")[0]: ident for _o, ident, title in ID_LINE.findall(result.output)}


def test_import_the_guide_then_publish(db: Path) -> None:
    guide = operations_guide()
    result = ok(db, "import", str(guide), "--category", "运营手册/客服系统")
    ids = imported(result)
    assert list(ids) == [
        "1.1 环境准备与账户激活", "1.2 系统登录步骤", "1.3 首次登录与个人设置", "2.1 客户接入与身份核实",
        "2.2 业务咨询与解答", "2.3 业务办理与操作指引", "2.4 投诉建议处理", "3.1 知识库与信息查询",
        "3.2 工单系统与任务管理", "3.3 通话/会话记录与录音回放(如适用)", "3.4 快捷短语与模板应用"]
    assert "11 new, 0 updated, 0 unchanged" in result.output
    assert "warning: skipped '4.1 系'" in result.output and "drafts" in result.output
    section = row(db, ids["2.1 客户接入与身份核实"])
    assert section.status == "draft" and section.version == 1 and section.source.startswith("import:")
    assert section.category == ["运营手册", "客服系统", "二、客户交互与业务受理核心流程"]
    assert changes(db, section.id) == [True]  # a draft: a deletion for the desks
    assert section.id not in synced(db)
    # Again: same ids, nothing changes.
    again = ok(db, "import", str(guide), "--category", "运营手册/客服系统")
    assert imported(again) == ids and "0 new, 0 updated, 11 unchanged" in again.output
    # Publish three of them: the desks get them.
    wanted = [ids["2.1 客户接入与身份核实"], ids["3.2 工单系统与任务管理"], ids["1.3 首次登录与个人设置"]]
    published = ok(db, "publish", *wanted)
    assert published.output.count("published (version 2)") == 3
    docs = synced(db)
    assert {KnowledgeArticleDoc.model_validate(docs[i]).title for i in wanted} == {
        "2.1 客户接入与身份核实", "3.2 工单系统与任务管理", "1.3 首次登录与个人设置"}
    assert len(docs) == DEMO_COUNT + 3
    assert "already published" in ok(db, "publish", wanted[0]).output
    # Retire one, unpublish another: both leave the desks, each one version up.
    ok(db, "retire", wanted[0])
    ok(db, "unpublish", wanted[1])
    assert (row(db, wanted[0]).status, row(db, wanted[0]).version) == ("retired", 3)
    assert (row(db, wanted[1]).status, row(db, wanted[1]).version) == ("draft", 3)
    assert changes(db, wanted[0]) == [True, False, True]
    assert set(synced(db)) & set(wanted) == {wanted[2]}
    # Re-importing keeps the status the articles have now.
    assert "11 unchanged" in ok(db, "import", str(guide), "--category", "运营手册/客服系统").output
    assert row(db, wanted[2]).status == "published"


def test_import_published_and_tagged(db: Path, tmp_path: Path) -> None:
    doc = tmp_path / "fees.md"
    doc.write_text("# 收费\n\n## 年费\n\n首年免年费。\n\n## 跨行取现\n\n每笔 2 元。\n", encoding="utf-8")
    result = ok(db, "import", str(doc), "--status", "published", "--tag", "收费", "--tag", "fees")
    ids = imported(result)
    assert list(ids) == ["年费", "跨行取现"]
    docs = synced(db)
    assert docs[ids["年费"]]["tags"] == ["收费", "fees"] and docs[ids["年费"]]["category"] == ["收费"]
    assert docs[ids["跨行取现"]]["summary"] == "每笔 2 元。"
    # A changed document updates its articles in place (version up, same ids).
    doc.write_text("# 收费\n\n## 年费\n\n首年免年费，次年 100 元。\n\n## 跨行取现\n\n每笔 2 元。\n", encoding="utf-8")
    again = ok(db, "import", str(doc))
    assert "0 new, 1 updated, 1 unchanged" in again.output
    fee = row(db, ids["年费"])
    assert fee.version == 2 and "100 元" in fee.body and fee.tags == ["收费", "fees"]  # tags kept
    assert fee.status == "published" and changes(db, fee.id) == [False, False]


def test_bad_files_fail_one_by_one(db: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("1.1 开户\n开户须知。\n1.2 销户\n销户须知。\n", encoding="utf-8")
    fake = tmp_path / "fake.docx"
    fake.write_text("not a zip", encoding="utf-8")
    empty = tmp_path / "empty.md"
    empty.write_text("", encoding="utf-8")
    junk = tmp_path / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 10)
    evil = tmp_path / "evil\x1b[31m\udcff.md"  # an escape sequence and an undecodable byte in the name
    evil.write_text("# t\n\n<script>x()</script>ok \x1b]0;title\x07\n", encoding="utf-8")
    result = run(db, "import", str(fake), str(good), str(empty), str(junk), str(tmp_path / "nope.md"), str(evil))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 4 and "\x1b" not in result.output
    assert "fake.docx: not a DOCX file" in errors[0]
    assert errors[1].endswith("empty.md: empty file") and "binary" in errors[2] and "no such file" in errors[3]
    assert "Imported 2 of 6 files: 3 new" in result.output
    titles = {r.title: r for r in (row(db, i) for i in imported(result).values())}
    assert set(titles) == {"1.1 开户", "1.2 销户", "t"} and titles["t"].body == "ok"


def test_dry_run_stores_nothing(db: Path) -> None:
    result = ok(db, "import", "--dry-run", str(operations_guide()))
    assert len(ID_LINE.findall(result.output)) == 11 and "dry-run" in result.output
    assert "Imported" not in result.output
    ctx = ServerContext.open(make_settings(db, seed_demo=False))
    try:
        with ctx.db.read() as session:
            assert session.scalar(select(func.count()).select_from(KnowledgeArticle)) == DEMO_COUNT
    finally:
        ctx.close()


def test_list_and_show(db: Path) -> None:
    listing = ok(db, "list").output.splitlines()
    assert listing[0].split() == ["ID", "STATUS", "VER", "UPDATED", "CATEGORY", "TITLE"]
    assert listing[-1] == f"{DEMO_COUNT} of {DEMO_COUNT} articles (0 draft, {DEMO_COUNT} published, 0 retired)."
    ident, _file, content = load_demo_articles()[0]
    lines = [json.loads(line) for line in ok(db, "list", "--json", "--query", content.title).output.splitlines()]
    assert ident in {line["id"] for line in lines} and lines[0]["status"] == "published"
    assert ok(db, "list", "--status", "retired").output.startswith("0 of")
    assert "0 of" in ok(db, "list", "--query", "no such words at all %_").output
    by_body = ok(db, "list", "--json", "--query", content.body.split("\n")[-1][-12:]).output
    assert ident in by_body
    shown = ok(db, "show", ident).output
    assert f"id:       {ident}" in shown and content.title in shown and content.body in shown
    doc = KnowledgeArticleDoc.model_validate_json(ok(db, "show", ident, "--json").output)
    assert doc.id == ident and doc.body == content.body
    missing = run(db, "show", "KB-NOPE")
    assert missing.exit_code == 1 and "no article 'KB-NOPE'" in missing.output


def test_edit_with_options(db: Path, tmp_path: Path) -> None:
    ident = load_demo_articles()[0][0]
    before = row(db, ident)
    body = tmp_path / "body.md"
    body.write_text("## 新正文\n\n内容。\n", encoding="utf-8")
    questions = tmp_path / "q.txt"
    questions.write_text("卡丢了怎么办？\n\nLost my card\n", encoding="utf-8")
    result = ok(db, "edit", ident, "--title", "新标题", "--tags", "挂失, lost，卡", "--body-file", str(body),
                "--questions-file", str(questions), "--category", "银行卡/挂失", "--intents", "")
    assert f"Saved {ident}, version 2." in result.output
    after = row(db, ident)
    assert (after.title, after.tags, after.category, after.questions, after.intents) == (
        "新标题", ["挂失", "lost", "卡"], ["银行卡", "挂失"], ["卡丢了怎么办？", "Lost my card"], [])
    assert after.body == "## 新正文\n\n内容。" and after.title_en == before.title_en
    assert after.updated_at > before.updated_at and changes(db, ident) == [False, False]
    assert synced(db)[ident]["version"] == 2
    assert "No changes" in ok(db, "edit", ident, "--title", "新标题").output
    too_long = run(db, "edit", ident, "--title", "x" * 201)
    assert too_long.exit_code == 1 and "at most 200" in too_long.output
    assert row(db, ident).version == 2


def test_edit_in_the_editor(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ident = load_demo_articles()[1][0]
    seen: list[str] = []

    def fake_edit(text: str, **kwargs) -> str:
        seen.append(text)
        fields, base = parse_edit(text)
        assert base == 1 and fields["body"].strip() == row(db, ident).body
        return text.replace('summary = "', 'summary = "已修订：', 1) + "\n补充一段。\n"

    monkeypatch.setattr(click, "edit", fake_edit)
    assert "version 2" in ok(db, "edit", ident).output
    assert seen[0].startswith("+++\n# " + ident)
    after = row(db, ident)
    assert after.summary.startswith("已修订：") and after.body.endswith("补充一段。")
    # Closed without saving / saved unchanged: nothing happens.
    monkeypatch.setattr(click, "edit", lambda text, **kw: None)
    assert "No changes" in ok(db, "edit", ident).output
    monkeypatch.setattr(click, "edit", lambda text, **kw: text)
    assert "No changes" in ok(db, "edit", ident).output and row(db, ident).version == 2


def test_a_broken_edit_is_kept_and_can_be_sent_again(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ident = load_demo_articles()[2][0]
    monkeypatch.setattr(click, "edit", lambda text, **kw: text.replace("title = ", "titel = ", 1))
    result = run(db, "edit", ident)
    assert result.exit_code == 1 and "unknown field(s): titel" in result.output
    kept = Path(re.search(r"your text is in (\S+):", result.output).group(1))
    assert "titel = " in kept.read_text(encoding="utf-8") and row(db, ident).version == 1
    kept.write_text(kept.read_text(encoding="utf-8").replace("titel = ", "title = ") + "\n补充。\n",
                    encoding="utf-8")
    assert "version 2" in ok(db, "edit", ident, "--from-file", str(kept)).output
    kept.unlink()


def test_an_edit_never_overwrites_a_newer_version(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ident = load_demo_articles()[3][0]

    def meanwhile(text: str, **kwargs) -> str:
        assert run(db, "retire", ident).exit_code == 0  # someone else changes it
        return text.replace("\n+++\n", "\n+++\n改了。\n", 1)

    monkeypatch.setattr(click, "edit", meanwhile)
    result = run(db, "edit", ident)
    assert result.exit_code == 1 and "version 2" in result.output and "nothing was saved" in result.output
    kept = Path(re.search(r"Your text is in (\S+);", result.output).group(1))
    assert "改了。" in kept.read_text(encoding="utf-8")
    kept.unlink()
    assert row(db, ident).status == "retired" and "改了" not in row(db, ident).body


def test_every_write_is_audited_and_unknown_ids_fail(db: Path) -> None:
    ident = load_demo_articles()[0][0]
    result = run(db, "retire", ident, "KB-NOPE")
    assert result.exit_code == 1 and "error: no article 'KB-NOPE'" in result.output
    assert f"{ident}: retired (version 2)." in result.output
    ctx = ServerContext.open(make_settings(db, seed_demo=False))
    try:
        with ctx.db.read() as session:
            details = list(session.scalars(select(AuditEvent.detail).where(AuditEvent.type == "admin")))
    finally:
        ctx.close()
    assert any(d.startswith(f"kb retire {ident} v2 by ") for d in details)


def test_missing_database_and_registration(tmp_path: Path) -> None:
    result = run(tmp_path / "none.db", "list")
    assert result.exit_code == 1 and "no backend database" in result.output
    assert not (tmp_path / "none.db").exists()
    assert "kb" in cli.commands
    help_text = CliRunner().invoke(cli, ["kb", "--help"]).output
    for command in ("import", "list", "show", "edit", "publish", "unpublish", "retire"):
        assert command in help_text


def test_updated_at_is_utc(db: Path) -> None:
    ident = load_demo_articles()[0][0]
    doc = json.loads(ok(db, "show", ident, "--json").output)
    assert doc["updated_at"].endswith("Z") and datetime.fromisoformat(doc["updated_at"]).utcoffset().total_seconds() == 0
