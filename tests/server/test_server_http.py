"""HTTP surface: health, OpenAPI, RFC 9457 errors, files on disk, runner behaviour."""

from __future__ import annotations

import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

import csdesk
from csdesk.server.app import create_app
from csdesk.server.config import ServerSettings
from csdesk.server.models import Agent, Announcement
from csdesk.server.runner import BackgroundServer, reset_database
from csdesk.server.seed import DEMO_AGENTS, DEMO_FIRST_SIGN_IN


def _is_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"https://csdesk.dev/problems/{code}"
    assert body["title"]
    assert "Traceback" not in response.text


def test_health(api: httpx.Client) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == csdesk.__version__
    server_time = datetime.fromisoformat(body["time"])
    assert abs(server_time - datetime.now(UTC)) < timedelta(seconds=5)


def test_openapi_and_docs_are_served(api: httpx.Client) -> None:
    document = api.get("/openapi.json")
    assert document.status_code == 200
    spec = document.json()
    assert spec["info"]["version"] == csdesk.__version__
    for path in (
        "/api/v1/health",
        "/api/v1/auth/login",
        "/api/v1/auth/mfa",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/me/state",
        "/api/v1/me/settings",
        "/api/v1/announcements",
        "/api/v1/announcements/{announcement_id}/ack",
        "/api/v1/sync/{collection}",
        "/api/v1/events",
        "/api/v1/auth/password-policy",
        "/api/v1/auth/password",
        "/api/v1/auth/totp/enrol",
        "/api/v1/auth/totp/confirm",
        "/api/v1/auth/sms",
        "/api/v1/auth/reauth",
        "/api/v1/me/password",
    ):
        assert path in spec["paths"], path
    assert "Problem" in spec["components"]["schemas"]
    docs = api.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_non_json_body_is_a_validation_problem(api: httpx.Client) -> None:
    response = api.post(
        "/auth/login", content=b"employee_id=A1001", headers={"Content-Type": "application/json"}
    )
    _is_problem(response, 422, "validation-error")
    assert response.json()["errors"][0]["field"] == "body"


def test_missing_fields_are_listed_without_echoing_input(api: httpx.Client) -> None:
    response = api.post("/auth/login", json={"password": "Secret#123"})
    _is_problem(response, 422, "validation-error")
    assert {"field": "body.employee_id", "message": "Field required"} in response.json()["errors"]
    assert "Secret#123" not in response.text


def test_unknown_route_and_wrong_method(api: httpx.Client) -> None:
    _is_problem(api.get("/no/such/route"), 404, "not-found")
    _is_problem(httpx.get(str(api.base_url).replace("/api/v1", "/elsewhere")), 404, "not-found")
    _is_problem(api.delete("/health"), 405, "method-not-allowed")


def test_unexpected_error_is_a_bare_500(tmp_path: Path) -> None:
    settings = ServerSettings(
        db_path=tmp_path / "s.db", seed_demo=False, **ServerSettings.fast_hashing()
    )
    app = create_app(settings)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    with BackgroundServer(settings, app=app, log_level="critical") as server:
        response = httpx.get(f"{server.url}/api/v1/boom")
    _is_problem(response, 500, "internal-error")
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert "detail" not in response.json()


def test_database_files_are_private(backend: BackgroundServer) -> None:
    db_path = backend.settings.db_path
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    wal = Path(f"{db_path}-wal")
    assert wal.exists()  # WAL mode
    assert stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_data_survives_a_restart_and_is_not_seeded_twice(tmp_path: Path, totp: Any) -> None:
    settings = ServerSettings(db_path=tmp_path / "s.db", **ServerSettings.fast_hashing())
    agent = DEMO_AGENTS[0]
    with BackgroundServer(settings) as first:
        client = httpx.Client(base_url=f"{first.url}/api/v1")
        ticket = client.post(
            "/auth/login", json={"employee_id": agent["employee_id"], "password": agent["password"]}
        ).json()["mfa_ticket"]
        pair = client.post(
            "/auth/mfa", json={"mfa_ticket": ticket, "code": totp(agent["totp_secret"])}
        ).json()
        client.close()
    with BackgroundServer(settings) as second:
        with second.context.db.read() as session:
            assert session.scalar(select(func.count()).select_from(Agent)) == len(DEMO_AGENTS) + 1
            assert session.get(Agent, DEMO_FIRST_SIGN_IN["employee_id"]) is not None
            assert session.scalar(select(func.count()).select_from(Announcement)) == 3
        me = httpx.get(
            f"{second.url}/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
        )
        assert me.status_code == 200
        assert me.json()["state"]["reason"] == "sign_in"


def test_reset_database_removes_the_wal_files(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").write_bytes(b"x")
    reset_database(db)
    assert list(tmp_path.iterdir()) == []
    reset_database(db)  # nothing there: no error


def test_importing_the_package_is_cheap() -> None:
    code = (
        "import sys, csdesk.server; "
        "mods = ('fastapi', 'sqlalchemy', 'uvicorn', 'starlette'); "
        "heavy = [m for m in mods if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
