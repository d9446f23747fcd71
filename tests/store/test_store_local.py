"""LocalStore: folder naming, modes, lock (in-process), collections, string ids, meta."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _store_helpers import AGENT, BACKEND, mode_of

from csdesk.store import atomic
from csdesk.store.errors import StoreCorruptError, StoreError, StoreLockedError
from csdesk.store.local import (
    LocalStore,
    StoreTable,
    backend_slug,
    check_lock,
    is_locked,
    normalize_backend_url,
    store_folder,
)

# --------------------------------------------------------------------------- naming


def test_store_folder_layout(tmp_path: Path) -> None:
    folder = store_folder(tmp_path, BACKEND, " a1001 ")
    assert folder.parent.parent == tmp_path / "stores"
    assert folder.name == "A1001"  # normalised employee ID
    assert folder.parent.name.startswith("127.0.0.1_8000-")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        (" HTTP://Example.COM/ ", "http://example.com:80"),
        ("https://example.com/csdesk/", "https://example.com:443/csdesk"),
        ("https://user:pw@example.com:8443/x?q=1#f", "https://example.com:8443/x"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_normalize_backend_url(url: str, expected: str) -> None:
    assert normalize_backend_url(url) == expected


@pytest.mark.parametrize("url", ["", "127.0.0.1:8000", "ftp://host", "http://", "file:///tmp/x"])
def test_bad_backend_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        backend_slug(url)


def test_slug_is_readable_and_safe() -> None:
    slug = backend_slug("https://CS.Bank.example:8443/api")
    assert slug.startswith("cs.bank.example_8443-")
    assert all(c.isalnum() or c in "._-" for c in slug)
    assert all(c.isalnum() or c in "._-" for c in backend_slug("http://[::1]:9000"))


def test_two_backends_never_share_a_folder_but_spellings_do(tmp_path: Path) -> None:
    slugs = {
        backend_slug(u)
        for u in ("http://h:8000", "https://h:8000", "http://h:8001", "http://h:8000/other", "http://g:8000")
    }
    assert len(slugs) == 5
    assert backend_slug("http://H:80/") == backend_slug("http://h")


@pytest.mark.parametrize("employee_id", ["", "../x", "a/b", ".", "A" * 40, "张三"])
def test_bad_employee_id_is_refused(tmp_path: Path, employee_id: str) -> None:
    with pytest.raises(ValueError):
        store_folder(tmp_path, BACKEND, employee_id)


# --------------------------------------------------------------------------- open, modes, lock


def test_open_creates_folders_0700_and_lock_0600(data_dir: Path) -> None:
    with LocalStore.open(data_dir, BACKEND, AGENT) as s:
        assert s.folder == store_folder(data_dir, BACKEND, AGENT)
        for folder in (data_dir, data_dir / "stores", s.folder.parent, s.folder):
            assert mode_of(folder) == 0o700, folder
        assert mode_of(s.folder / ".lock") == 0o600
        s.upsert("docs", "d1", {"v": 1})
        assert mode_of(s.collection_path("docs")) == 0o600


def test_open_fixes_modes_of_existing_folders_and_files(data_dir: Path) -> None:
    folder = store_folder(data_dir, BACKEND, AGENT)
    folder.mkdir(parents=True)
    for level in (data_dir / "stores", folder.parent, folder):
        os.chmod(level, 0o755)
    (folder / "docs.json").write_text('{"docs": {}}')
    os.chmod(folder / "docs.json", 0o644)
    with LocalStore.open(data_dir, BACKEND, AGENT):
        for level in (data_dir / "stores", folder.parent, folder):
            assert mode_of(level) == 0o700
        assert mode_of(folder / "docs.json") == 0o600


def test_open_removes_temp_files_of_crashed_writes(data_dir: Path) -> None:
    folder = store_folder(data_dir, BACKEND, AGENT)
    folder.mkdir(parents=True)
    stale = folder / f".docs.json.{'0' * 32}.tmp"
    stale.write_text('{"docs": {')
    with LocalStore.open(data_dir, BACKEND, AGENT):
        assert not stale.exists()


def test_second_open_in_same_process_is_locked(store: LocalStore, data_dir: Path) -> None:
    with pytest.raises(StoreLockedError) as info:
        LocalStore.open(data_dir, BACKEND, AGENT)
    assert info.value.folder == store.folder
    assert str(store.folder) in str(info.value)
    assert "another csdesk is already open for this agent" in str(info.value)
    assert is_locked(data_dir, BACKEND, AGENT)
    with pytest.raises(StoreLockedError):
        check_lock(data_dir, BACKEND, "a1001")


def test_close_releases_lock_and_is_idempotent(data_dir: Path) -> None:
    s = LocalStore.open(data_dir, BACKEND, AGENT)
    s.close()
    s.close()
    assert s.closed
    assert not is_locked(data_dir, BACKEND, AGENT)
    check_lock(data_dir, BACKEND, AGENT)
    with LocalStore.open(data_dir, BACKEND, AGENT) as again:
        assert not again.closed
    assert again.closed


def test_closed_store_refuses_collections(data_dir: Path) -> None:
    s = LocalStore.open(data_dir, BACKEND, AGENT)
    table = s.collection("docs")
    s.close()
    with pytest.raises(StoreError):
        s.collection("docs")
    with pytest.raises(StoreError):
        table.insert({"v": 1})


def test_is_locked_creates_nothing(data_dir: Path) -> None:
    assert not is_locked(data_dir, BACKEND, AGENT)
    assert not data_dir.exists()


def test_other_agent_and_other_backend_open_alongside(store: LocalStore, data_dir: Path) -> None:
    with LocalStore.open(data_dir, BACKEND, "A1002") as other_agent:
        with LocalStore.open(data_dir, "http://127.0.0.1:8001", AGENT) as other_backend:
            assert len({store.folder, other_agent.folder, other_backend.folder}) == 3


# --------------------------------------------------------------------------- collections


@pytest.mark.parametrize("name", ["", "Docs", "1docs", "docs-x", "../x", "docs.json", "a" * 65])
def test_bad_collection_name_is_refused(store: LocalStore, name: str) -> None:
    with pytest.raises(ValueError):
        store.collection(name)


def test_one_file_per_collection_opened_lazily(store: LocalStore) -> None:
    assert store.collection("announcements") is store.collection("announcements")
    assert isinstance(store.collection("announcements"), StoreTable)
    assert not store.collection_path("announcements").exists()  # nothing written yet
    store.upsert("announcements", "an1", {"id": "an1"})
    store.upsert("knowledge", "k1", {"id": "k1", "body": "x" * 1000})
    knowledge = store.collection_path("knowledge")
    before = (knowledge.stat().st_ino, knowledge.read_bytes())
    store.upsert("announcements", "an2", {"id": "an2"})
    assert (knowledge.stat().st_ino, knowledge.read_bytes()) == before  # the big file is not rewritten
    assert sorted(p.name for p in store.folder.glob("*.json")) == ["announcements.json", "knowledge.json"]


def test_string_document_ids(store: LocalStore) -> None:
    store.upsert("announcements", "an-7", {"id": "an-7", "title": "系统升级通知"})
    table = store.collection("announcements")
    doc = table.get(doc_id="an-7")
    assert doc is not None and doc.doc_id == "an-7" and doc["title"] == "系统升级通知"
    assert [d.doc_id for d in table.all()] == ["an-7"]
    new_id = table.insert({"title": "local"})
    assert isinstance(new_id, str) and len(new_id) == 32
    table.update({"read": True}, doc_ids=["an-7"])
    assert store.get("announcements", "an-7") == {"id": "an-7", "title": "系统升级通知", "read": True}


def test_upsert_replaces_the_whole_document(store: LocalStore) -> None:
    store.upsert("docs", "d1", {"id": "d1", "a": 1, "b": 2})
    store.upsert("docs", "d1", {"id": "d1", "a": 3})
    assert store.get("docs", "d1") == {"id": "d1", "a": 3}
    assert store.get("docs", "missing") is None


def test_upsert_refuses_mismatched_id(store: LocalStore) -> None:
    with pytest.raises(ValueError):
        store.upsert("docs", "d1", {"id": "d2"})
    with pytest.raises(ValueError):
        store.upsert("docs", "", {})
    with pytest.raises(ValueError):
        store.replace_all("docs", {"d1": {"id": "other"}})
    assert store.all("docs") == {}


def test_get_returns_copies(store: LocalStore) -> None:
    store.upsert("docs", "d1", {"tags": ["a"]})
    got = store.get("docs", "d1")
    assert got is not None
    got["tags"].append("b")
    assert store.get("docs", "d1") == {"tags": ["a"]}
    store.all("docs")["d1"]["tags"].append("c")
    assert store.get("docs", "d1") == {"tags": ["a"]}


def _count_writes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    writes: list[Path] = []
    real = atomic.atomic_write_bytes

    def spy(path: Path, payload: bytes, mode: int = 0o600) -> None:
        writes.append(Path(path))
        real(path, payload, mode)

    monkeypatch.setattr(atomic, "atomic_write_bytes", spy)
    return writes


def test_remove(store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.replace_all("docs", {"a": {"v": 1}, "b": {"v": 2}, "c": {"v": 3}})
    writes = _count_writes(monkeypatch)
    assert store.remove("docs", ["a", "zz", "c"]) == ["a", "c"]
    assert len(writes) == 1
    assert store.remove("docs", ["zz"]) == []
    assert len(writes) == 1  # nothing to remove: no write
    assert store.all("docs") == {"b": {"v": 2}}


def test_replace_all_is_one_write(store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.upsert("docs", "old", {"v": 0})
    writes = _count_writes(monkeypatch)
    store.replace_all("docs", {f"d{i}": {"id": f"d{i}", "v": i} for i in range(50)})
    assert len(writes) == 1
    assert set(store.all("docs")) == {f"d{i}" for i in range(50)}
    store.replace_all("docs", {})
    assert store.all("docs") == {}


def test_apply_changes_is_one_write(store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.replace_all("docs", {"a": {"v": 1}, "b": {"v": 2}})
    writes = _count_writes(monkeypatch)
    store.apply_changes("docs", {"b": {"v": 20}, "c": {"v": 3}}, deleted=["a", "unknown"])
    assert len(writes) == 1
    assert store.all("docs") == {"b": {"v": 20}, "c": {"v": 3}}


def test_meta(store: LocalStore) -> None:
    assert store.get_meta("cursor.announcements") is None
    assert store.get_meta("cursor.announcements", "") == ""
    store.set_meta("cursor.announcements", "42")
    store.set_meta("window", {"size": [80, 24]})
    assert store.get_meta("cursor.announcements") == "42"
    store.get_meta("window")["size"].append(1)
    assert store.get_meta("window") == {"size": [80, 24]}
    assert store.collection_path("meta").is_file()
    with pytest.raises(ValueError):
        store.set_meta("", 1)


def test_everything_survives_reopen(data_dir: Path) -> None:
    with LocalStore.open(data_dir, BACKEND, AGENT) as s:
        s.upsert("announcements", "an1", {"id": "an1", "title": "请于今日完成培训"})
        s.set_meta("cursor.announcements", "7")
    with LocalStore.open(data_dir, BACKEND, AGENT) as s:
        assert s.get("announcements", "an1") == {"id": "an1", "title": "请于今日完成培训"}
        assert s.get_meta("cursor.announcements") == "7"
        raw = s.collection_path("announcements").read_bytes()
        assert "请于今日完成培训".encode() in raw and b"\\u" not in raw


def test_corrupt_collection_is_refused_and_untouched(data_dir: Path) -> None:
    with LocalStore.open(data_dir, BACKEND, AGENT) as s:
        s.upsert("docs", "d1", {"v": 1})
        path = s.collection_path("docs")
    garbage = b'{"docs": {"d1": {"v": 1}'  # cut short
    path.write_bytes(garbage)
    for _ in range(2):
        with LocalStore.open(data_dir, BACKEND, AGENT) as s:
            with pytest.raises(StoreCorruptError) as info:
                s.collection("docs")
            assert info.value.path == path
            assert str(path) in str(info.value)
            s.upsert("other", "x", {"v": 2})  # the rest of the store still works
            with pytest.raises(StoreCorruptError):
                s.upsert("docs", "d2", {"v": 2})
        assert path.read_bytes() == garbage
