"""The refresh token in the OS keyring, the in-memory fallback, resuming a shift.

Issue #3 "Secrets on the agent's machine": keyring present (an in-memory
test backend), missing (keyring's fail backend), not recommended (priority
< 1, like a plaintext file), blocked (a locked desktop keyring: timeout).
The session tests run against the real backend on loopback.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from keyring.backends import fail, null

from csdesk.api.errors import ProblemError
from csdesk.domain import desk_settings as ds
from csdesk.server.seed import DEMO_AGENTS
from csdesk.services import secrets
from csdesk.services.last_agent import last_agent_path, read_last_agent, write_last_agent
from csdesk.services.secrets import SecretStore, assess_backend, service_name
from csdesk.services.session import DeskSession
from tests.conftest import totp_now
from tests.keyring_backends import BlockingKeyring, MemoryKeyring, PlaintextLikeKeyring, use_keyring

URL = "http://127.0.0.1:9"
AGENT = DEMO_AGENTS[0]


# -- SecretStore -------------------------------------------------------------


async def test_present_keyring_keeps_the_token_per_backend_and_agent() -> None:
    with use_keyring(MemoryKeyring()) as backend:
        store = SecretStore()
        await store.save(URL, "A1001", "tok-1")
        await store.save("http://other:1", "A1001", "tok-2")
        assert store.mode == "keyring" and store.take_notice() is None
        assert backend.passwords[(service_name(URL), "A1001")] == "tok-1"
        assert await store.load(URL, "A1001") == "tok-1"
        assert await store.load(URL, "A1002") is None
        await store.delete(URL, "A1001")
        await store.delete(URL, "A1001")  # absent is fine
        assert await store.load(URL, "A1001") is None
        assert await store.load("http://other:1", "A1001") == "tok-2"


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (fail.Keyring(), secrets.NO_KEYRING),
        (null.Keyring(), secrets.NO_KEYRING),
        (PlaintextLikeKeyring(), secrets.NOT_RECOMMENDED),
    ],
    ids=["fail", "null", "plaintext"],
)
async def test_no_usable_keyring_keeps_the_token_in_memory_and_says_so_once(backend, reason) -> None:
    with use_keyring(backend):
        store = SecretStore()
        await store.save(URL, "A1001", "tok-1")
        assert store.mode == "memory"
        assert await store.load(URL, "A1001") == "tok-1"
        assert store.take_notice() == reason
        assert store.take_notice() is None  # once
        await store.save(URL, "A1001", "tok-2")
        assert store.take_notice() is None
        await store.delete(URL, "A1001")
        assert await store.load(URL, "A1001") is None
    if isinstance(backend, PlaintextLikeKeyring):
        assert backend.writes == 0 and backend.passwords == {}
    # A new store (the next run) has nothing: memory only.
    with use_keyring(backend):
        assert await SecretStore().load(URL, "A1001") is None


async def test_a_blocked_keyring_times_out_and_falls_back_to_memory() -> None:
    backend = BlockingKeyring()
    try:
        with use_keyring(backend):
            store = SecretStore(timeout=0.2)
            started = time.monotonic()
            await store.save(URL, "A1001", "tok-1")
            assert time.monotonic() - started < 1.5
            assert store.mode == "memory" and store.take_notice() == secrets.TIMEOUT
            # No more keyring calls: it is not asked again this session.
            calls = backend.calls
            assert await store.load(URL, "A1001") == "tok-1"
            await store.delete(URL, "A1001")
            assert backend.calls == calls
    finally:
        backend.release.set()


async def test_a_failing_keyring_falls_back_to_memory() -> None:
    class Broken(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise RuntimeError("dbus said no")

    with use_keyring(Broken()):
        store = SecretStore()
        await store.save(URL, "A1001", "tok-1")
        assert store.mode == "memory" and store.take_notice() == secrets.ERROR
        assert await store.load(URL, "A1001") == "tok-1"


def test_backend_assessment() -> None:
    assert assess_backend(MemoryKeyring()) is None
    assert assess_backend(fail.Keyring()) == secrets.NO_KEYRING
    assert assess_backend(PlaintextLikeKeyring()) == secrets.NOT_RECOMMENDED

    class PlaintextKeyring(MemoryKeyring):  # named like keyrings.alt's, high priority
        priority = 5  # type: ignore[assignment]

    assert assess_backend(PlaintextKeyring()) == secrets.NOT_RECOMMENDED


# -- last agent file ---------------------------------------------------------


def test_last_agent_per_backend(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert read_last_agent(data, URL) is None
    write_last_agent(data, URL, "A1001")
    write_last_agent(data, "http://other:1/", "A1002")
    assert read_last_agent(data, URL + "/") == "A1001"
    assert read_last_agent(data, "http://other:1") == "A1002"
    path = last_agent_path(data)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert "tok" not in path.read_text("utf-8")
    path.write_text("{not json", "utf-8")
    assert read_last_agent(data, URL) is None
    path.write_text(json.dumps({URL: "bad id!"}), "utf-8")
    assert read_last_agent(data, URL) is None


# -- the session against the real backend ------------------------------------


async def _sign_in(session: DeskSession) -> None:
    await session.login(AGENT["employee_id"], AGENT["password"])
    await session.verify_code(totp_now(AGENT["totp_secret"]))


async def test_session_keeps_rotates_resumes_and_forgets_the_token(backend, tmp_path: Path) -> None:
    keyring = MemoryKeyring()
    key = (service_name(backend.url), AGENT["employee_id"])
    with use_keyring(keyring):
        first = DeskSession(backend.url, tmp_path / "data")
        try:
            await _sign_in(first)
            await first.remember_sign_in()
            assert keyring.passwords[key] == first.api.refresh_token
            assert read_last_agent(tmp_path / "data", backend.url) == AGENT["employee_id"]
            # Rotation: the keyring follows the new refresh token.
            await first.api.refresh()
            for _ in range(50):
                if keyring.passwords[key] == first.api.refresh_token:
                    break
                await _pause()
            assert keyring.passwords[key] == first.api.refresh_token
        finally:
            await first.close()  # a crash: no sign-out

        # The next start resumes with the kept token (POST /auth/refresh).
        second = DeskSession(backend.url, tmp_path / "data")
        try:
            assert await second.resumable_agent() == AGENT["employee_id"]
            profile = await second.resume(AGENT["employee_id"])
            assert profile.employee_id == AGENT["employee_id"]
            assert keyring.passwords[key] == second.api.refresh_token
            me = await second.api.me()
            assert me.employee_id == AGENT["employee_id"]
            # Sign-out deletes it.
            await second.sign_out()
            assert key not in keyring.passwords
            assert await second.resumable_agent() is None
        finally:
            await second.close()

        # A kept token the server no longer accepts is refused, then forgotten.
        keyring.passwords[key] = "not-a-valid-token"
        third = DeskSession(backend.url, tmp_path / "data")
        try:
            with pytest.raises(ProblemError) as info:
                await third.resume(AGENT["employee_id"])
            assert info.value.code == "unauthorized"
            assert key not in keyring.passwords
        finally:
            await third.close()


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.02)


# -- settings rules (pure) ------------------------------------------------------


def test_desk_settings_from_untrusted_documents() -> None:
    assert ds.DeskSettings.from_document(None) == ds.DeskSettings()
    bad = {
        "theme": "neon", "language": "fr", "offer_alert": 3, "idle_lock_minutes": 99,
        "keymap": {"desk.toggle_ready": "f12", "x": "f1", "app.lock": "ctrl+l,<script>", "app.help": 5},
        "phrase_key": "",
    }
    settings = ds.DeskSettings.from_document(bad)
    assert settings.theme == "dark" and settings.language is None
    assert settings.offer_alert == "both" and settings.phrase_key == "f6"
    assert settings.idle_lock_minutes == ds.MAX_IDLE_LOCK_MINUTES == 15
    assert settings.keymap == {"desk.toggle_ready": "f12"}
    assert ds.clamp_idle_minutes(0) == 1 and ds.clamp_idle_minutes(True) == 5
    assert ds.clamp_idle_minutes("7") == ds.DEFAULT_IDLE_LOCK_MINUTES == 5
    good = {"theme": "monochrome", "language": "zh-CN", "offer_alert": "none",
            "idle_lock_minutes": 3, "keymap": {"desk.toggle_ready": "f12,ctrl+t"}, "phrase_key": "ctrl+o"}
    assert ds.DeskSettings.from_document(good) == ds.DeskSettings(
        theme="monochrome", language="zh-CN", offer_alert="none", idle_lock_minutes=3,
        keymap={"desk.toggle_ready": "f12,ctrl+t"}, phrase_key="ctrl+o",
    )


def test_keymap_from_the_server_cannot_take_essential_or_reserved_keys() -> None:
    """A settings document written straight to the server is untrusted (QA #3)."""
    from csdesk.domain.desk_settings import clean_keymap

    raw = {
        "desk.toggle_ready": "f10",      # would shadow sign-out
        "app.lock": "tab",               # reserved: focus movement
        "desk.announcements": "f6",
        "desk.toggle_ready_alt": "f6",   # same key twice: the second is dropped
        "app.sign_out": "f10,f11",       # its own essential key is fine
    }
    assert clean_keymap(raw) == {"desk.announcements": "f6", "app.sign_out": "f10,f11"}
