"""``csdesk admin``: the click group run with CliRunner against a temporary backend database."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from csdesk.admin import admin
from csdesk.cli_common import default_db_path
from csdesk.domain.password_policy import DEFAULT_POLICY
from csdesk.server import lockout
from csdesk.server.config import ServerSettings
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.models import Agent, Announcement, AuditEvent, SignInGuard
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS, DEMO_FIRST_SIGN_IN
from tests.conftest import make_settings, run_cli

PASSWORD_LINE = re.compile(r"\(shown only now\): (\S+)$", re.MULTILINE)


def run(db: Path | None, *args: str) -> Result:
    return run_cli(admin, db, *args)


def _password(result: Result) -> str:
    match = PASSWORD_LINE.search(result.output)
    assert match, result.output
    return match.group(1)


def _open(db: Path) -> ServerContext:
    return ServerContext.open(ServerSettings(db_path=db, seed_demo=False))


def _list(db: Path) -> dict[str, dict[str, Any]]:
    result = run(db, "agent", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    return {row["employee_id"]: row for row in rows}


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["agent"],
        ["agent", "add"],
        ["agent", "reset-password"],
        ["agent", "reset-mfa"],
        ["agent", "unlock"],
        ["agent", "list"],
        ["announce"],
    ],
)
def test_help_everywhere(args: list[str]) -> None:
    result = CliRunner().invoke(admin, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_db_help_names_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSDESK_DATA_DIR", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "server.db"
    help_text = " ".join(CliRunner().invoke(admin, ["--help"]).output.split())
    assert "server.db in the data folder" in help_text
    assert "csdesk server" in help_text


def test_default_database_is_the_servers(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSDESK_DATA_DIR", str(db.parent))
    result = run(None, "agent", "list")
    assert result.exit_code == 0, result.output
    assert "A1001" in result.output


def test_missing_or_bad_database_is_a_clear_error(tmp_path: Path) -> None:
    missing = run(tmp_path / "nope.db", "agent", "list")
    assert missing.exit_code == 1
    assert f"no backend database at {tmp_path / 'nope.db'}" in missing.output
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    bad = run(junk, "agent", "list")
    assert bad.exit_code == 1
    assert "is not a csdesk database" in bad.output
    assert "Traceback" not in bad.output


def test_add_prints_a_temporary_password_that_signs_in_to_the_first_sign_in(db: Path) -> None:
    result = run(db, "agent", "add", " a2001 ", "--name", "赵敏", "--team", "理财客服组",
                 "--phone", "13900002001")
    assert result.exit_code == 0, result.output
    assert "Created A2001 (赵敏, 理财客服组)." in result.output
    password = _password(result)
    assert DEFAULT_POLICY.failures(password, "A2001") == []

    row = _list(db)["A2001"]
    assert row == {
        "employee_id": "A2001",
        "name": "赵敏",
        "team": "理财客服组",
        "state": "offline",
        "locked_until": None,
        "must_change_password": True,
        "totp_enrolled": False,
    }
    with BackgroundServer(make_settings(db)) as server:
        body = httpx.post(
            f"{server.url}/api/v1/auth/login",
            json={"employee_id": "A2001", "password": password},
        ).json()
    assert body["password_change_required"] is True
    assert body["totp_enrolled"] is False

    ctx = _open(db)
    try:
        with ctx.db.read() as session:
            agent = session.get(Agent, "A2001")
            assert agent is not None and agent.phone == "13900002001"
            assert password not in agent.password_hash
            audits = [
                (a.agent_id, a.detail)
                for a in session.scalars(select(AuditEvent).where(AuditEvent.type == "admin"))
            ]
    finally:
        ctx.close()
    assert len(audits) == 1 and audits[0][0] == "A2001"
    assert audits[0][1] is not None and audits[0][1].startswith("agent-add by ")


def test_add_refuses_duplicates_and_bad_ids(db: Path) -> None:
    duplicate = run(db, "agent", "add", "A1001", "--name", "X", "--team", "Y")
    assert duplicate.exit_code == 1
    assert "employee ID A1001 already exists" in duplicate.output
    bad = run(db, "agent", "add", "no good!", "--name", "X", "--team", "Y")
    assert bad.exit_code == 1
    assert "invalid employee ID" in bad.output
    missing = run(db, "agent", "add", "A2002", "--name", "X")
    assert missing.exit_code == 2
    assert "Missing option '--team'" in missing.output
    # QA: a name with an escape sequence and a bell cleared the admin's screen.
    for name, team in (("Evil\x1b[2J\x07name", "T"), ("N", "te\nam"), ("N", "t\u202eam")):
        hostile = run(db, "agent", "add", "A2003", "--name", name, "--team", team)
        assert hostile.exit_code == 1, hostile.output
        assert "without control characters" in hostile.output
    assert "A2003" not in run(db, "agent", "list").output


def test_reset_password(db: Path) -> None:
    result = run(db, "agent", "reset-password", "a1001")
    assert result.exit_code == 0, result.output
    password = _password(result)
    assert DEFAULT_POLICY.failures(password, "A1001") == []
    assert _list(db)["A1001"]["must_change_password"] is True
    with BackgroundServer(make_settings(db)) as server:
        login = f"{server.url}/api/v1/auth/login"
        old_password = DEMO_AGENTS[0]["password"]
        old = httpx.post(login, json={"employee_id": "A1001", "password": old_password})
        assert old.status_code == 401
        new = httpx.post(login, json={"employee_id": "A1001", "password": password}).json()
        assert new["password_change_required"] is True
        assert new["totp_enrolled"] is True

    unknown = run(db, "agent", "reset-password", "Z9999")
    assert unknown.exit_code == 1
    assert "no agent Z9999" in unknown.output


def test_reset_mfa(db: Path) -> None:
    assert _list(db)["A1002"]["totp_enrolled"] is True
    result = run(db, "agent", "reset-mfa", "A1002")
    assert result.exit_code == 0, result.output
    assert "A1002" in result.output
    assert _list(db)["A1002"]["totp_enrolled"] is False
    assert "removed" in result.output
    # QA: a second reset said "removed" although there was nothing to remove.
    again = run(db, "agent", "reset-mfa", "A1002")
    assert again.exit_code == 0 and "had no authenticator yet" in again.output
    unknown = run(db, "agent", "reset-mfa", "Z9999")
    assert unknown.exit_code == 1 and "no agent Z9999" in unknown.output


def test_unlock_and_list(db: Path) -> None:
    ctx = _open(db)
    try:
        with ctx.db.write() as session:
            for _ in range(ctx.settings.lockout_threshold):
                assert lockout.begin_attempt(session, ctx.settings, "A1003", utcnow()) is None
    finally:
        ctx.close()
    row = _list(db)["A1003"]
    locked_until = datetime.fromisoformat(row["locked_until"])
    assert timedelta(minutes=14) < locked_until - datetime.now(UTC) <= timedelta(minutes=15)

    table = run(db, "agent", "list")
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == [
        "ID", "NAME", "TEAM", "STATE", "LOCKED", "UNTIL", "MUST", "CHANGE", "TOTP",
    ]
    first_id = DEMO_FIRST_SIGN_IN["employee_id"]
    first_sign_in = next(line for line in lines if line.startswith(first_id))
    assert first_sign_in.split()[-2:] == ["yes", "no"]
    locked_line = next(line for line in lines if line.startswith("A1003"))
    assert locked_until.astimezone().strftime("%Y-%m-%d %H:%M") in locked_line
    # Columns line up even with double-width names: TEAM starts at the same display column.
    assert lines[1].startswith("A1001") and "张伟" in lines[1]
    prefix = lines[1][: lines[1].index(DEMO_AGENTS[0]["team"])]
    display = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in prefix)
    assert display == lines[0].index("TEAM")

    result = run(db, "agent", "unlock", "A1003")
    assert result.exit_code == 0, result.output
    assert "A1003 unlocked." in result.output
    assert _list(db)["A1003"]["locked_until"] is None
    again = run(db, "agent", "unlock", "A1003")
    assert "was not locked" in again.output
    assert "(known agent)" in again.output
    unknown = run(db, "agent", "unlock", "Z9999")
    assert unknown.exit_code == 0, unknown.output
    assert "Z9999 was not locked" in unknown.output and "(no agent has this ID)" in unknown.output


def _lock(db: Path, key: str) -> None:
    """Lock ``key`` the way failed sign-ins do (``lockout_threshold`` counted attempts)."""
    ctx = _open(db)
    try:
        with ctx.db.write() as session:
            for _ in range(ctx.settings.lockout_threshold):
                assert lockout.begin_attempt(session, ctx.settings, key, utcnow()) is None
    finally:
        ctx.close()


def _locked(db: Path, key: str) -> bool:
    ctx = _open(db)
    try:
        with ctx.db.read() as session:
            return lockout.locked_until(session, key, utcnow()) is not None
    finally:
        ctx.close()


@pytest.mark.parametrize("typed", ["Z9999", " z9999 ", "no good!"])
def test_unlock_clears_an_unknown_id(db: Path, typed: str) -> None:
    """Unknown IDs lock like real ones; ``agent unlock`` clears them too and says whose."""
    key = lockout.guard_key(typed)
    _lock(db, key)
    assert _locked(db, key)
    result = run(db, "agent", "unlock", typed)
    assert result.exit_code == 0, result.output
    assert f"{key} unlocked. (no agent has this ID)" in result.output
    assert not _locked(db, key)
    ctx = _open(db)
    try:
        with ctx.db.read() as session:
            details = [
                (a.agent_id, a.detail)
                for a in session.scalars(select(AuditEvent).where(AuditEvent.type == "admin"))
            ]
    finally:
        ctx.close()
    assert len(details) == 1 and details[0][0] is None
    assert details[0][1] is not None and details[0][1].startswith(f"unlock {key} (no agent) by ")
    blank = run(db, "agent", "unlock", "  ")
    assert blank.exit_code == 1 and "empty" in blank.output


def test_unlocked_unknown_id_then_added_signs_in(db: Path) -> None:
    """Through the real backend: an unknown ID locked by wrong passwords, unlocked by the admin."""
    with BackgroundServer(make_settings(db)) as server:
        login = f"{server.url}/api/v1/auth/login"
        answers = [
            httpx.post(login, json={"employee_id": "A3003", "password": "Wrong-pass-1"})
            for _ in range(server.settings.lockout_threshold)
        ]
        assert [a.status_code for a in answers][-1] == 423
        assert run(db, "agent", "unlock", "A3003").output.startswith("A3003 unlocked.")
        again = httpx.post(login, json={"employee_id": "A3003", "password": "Wrong-pass-1"})
        assert again.status_code == 401  # counting from zero again, not locked


def test_add_starts_with_a_clear_lockout_record(db: Path) -> None:
    """An ID locked before it existed (someone tried it) is unlocked when the agent is added."""
    with BackgroundServer(make_settings(db)) as server:
        login = f"{server.url}/api/v1/auth/login"
        for _ in range(server.settings.lockout_threshold):
            httpx.post(login, json={"employee_id": "A3001", "password": "Wrong-pass-1"})
        assert _locked(db, "A3001")
        result = run(db, "agent", "add", "A3001", "--name", "钱多多", "--team", "零售客服一组")
        assert result.exit_code == 0, result.output
        assert "a lockout recorded for A3001 before it existed" in result.output
        assert _list(db)["A3001"]["locked_until"] is None
        answer = httpx.post(login, json={"employee_id": "A3001", "password": _password(result)})
        assert answer.status_code == 200, answer.text
        assert answer.json()["password_change_required"] is True

    # A few failures that did not lock are forgotten as well.
    ctx = _open(db)
    try:
        with ctx.db.write() as session:
            lockout.begin_attempt(session, ctx.settings, "A3002", utcnow())
    finally:
        ctx.close()
    added = run(db, "agent", "add", "A3002", "--name", "孙丽", "--team", "零售客服一组")
    assert added.exit_code == 0, added.output
    assert "failed sign-ins recorded for A3002 before it existed" in added.output
    ctx = _open(db)
    try:
        with ctx.db.read() as session:
            assert session.get(SignInGuard, "A3002") is None
    finally:
        ctx.close()
    plain = run(db, "agent", "add", "A3004", "--name", "周一", "--team", "零售客服一组")
    assert plain.exit_code == 0 and "Note:" not in plain.output


def test_announce(db: Path, tmp_path: Path) -> None:
    body = tmp_path / "notice.txt"
    body.write_text("系统将于今晚 22:00 升级。\n请提前保存工单。\n", encoding="utf-8")
    until = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    result = run(db, "announce", "--title", "系统升级通知", "--body-file", str(body),
                 "--mandatory", "--until", until.isoformat())
    assert result.exit_code == 0, result.output
    assert "(mandatory)" in result.output
    ident = re.search(r"Published (ann-[0-9a-f]+)", result.output)
    assert ident, result.output
    ctx = _open(db)
    try:
        with ctx.db.read() as session:
            row = session.get(Announcement, ident.group(1))
            assert row is not None
            assert (row.title, row.mandatory, row.version) == ("系统升级通知", True, 1)
            assert row.body == "系统将于今晚 22:00 升级。\n请提前保存工单。"
            assert row.expires_at == until
    finally:
        ctx.close()

    plain = run(db, "announce", "--title", "t", "--body-file", str(body), "--no-mandatory")
    assert plain.exit_code == 0 and "(not mandatory), with no end" in plain.output


def test_announce_errors(db: Path, tmp_path: Path) -> None:
    body = tmp_path / "b.txt"
    body.write_text("text", encoding="utf-8")
    missing = run(db, "announce", "--title", "t", "--body-file", str(tmp_path / "none.txt"),
                  "--mandatory")
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    result = run(db, "announce", "--title", "t", "--body-file", str(empty), "--mandatory")
    assert result.exit_code == 1 and "is empty" in result.output
    no_flag = run(db, "announce", "--title", "t", "--body-file", str(body))
    assert no_flag.exit_code == 2 and "--mandatory" in no_flag.output
    past = run(db, "announce", "--title", "t", "--body-file", str(body), "--mandatory",
               "--until", "2020-01-01T00:00")
    assert past.exit_code == 2 and "must be in the future" in past.output
    garbage = run(db, "announce", "--title", "t", "--body-file", str(body), "--mandatory",
                  "--until", "next tuesday")
    assert garbage.exit_code == 2 and "not an ISO 8601 time" in garbage.output
    blank = run(db, "announce", "--title", " ", "--body-file", str(body), "--mandatory")
    assert blank.exit_code == 2
    assert "must not be blank" in blank.output
