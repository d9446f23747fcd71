"""AtomicJSONStorage: parse rules, UTF-8 on disk, 0600, atomic durable writes, cache."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
from _store_helpers import mode_of
from tinydb import TinyDB

from csdesk.store import atomic
from csdesk.store.atomic import AtomicJSONStorage, atomic_write_bytes, remove_stale_temp_files
from csdesk.store.errors import StoreCorruptError, StoreError


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "things.json"


def test_missing_file_is_empty_and_not_created(path: Path) -> None:
    storage = AtomicJSONStorage(path)
    assert storage.read() is None
    assert not path.exists()


@pytest.mark.parametrize("content", [b"", b"  \n\t "])
def test_empty_file_is_empty(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    assert AtomicJSONStorage(path).read() is None


def test_roundtrip_and_durable_for_a_new_reader(path: Path) -> None:
    storage = AtomicJSONStorage(path)
    data = {"t": {"1": {"name": "张三", "n": 3, "nested": {"a": [1, 2]}}}}
    storage.write(data)
    assert storage.read() == data
    assert AtomicJSONStorage(path).read() == data


def test_utf8_real_characters_on_disk(path: Path) -> None:
    AtomicJSONStorage(path).write({"t": {"1": {"text": "客户来电咨询信用卡分期"}}})
    raw = path.read_bytes()
    assert "客户来电咨询信用卡分期".encode() in raw
    assert b"\\u" not in raw
    assert json.loads(raw.decode("utf-8"))["t"]["1"]["text"] == "客户来电咨询信用卡分期"


def test_file_mode_0600_whatever_the_umask_and_old_mode(path: Path) -> None:
    path.write_text("{}")
    os.chmod(path, 0o644)
    old = os.umask(0o000)
    try:
        AtomicJSONStorage(path).write({"t": {}})
    finally:
        os.umask(old)
    assert mode_of(path) == 0o600


def test_write_replaces_the_file_rather_than_rewriting_it(path: Path) -> None:
    storage = AtomicJSONStorage(path)
    storage.write({"t": {"1": {"v": 1}}})
    inode = path.stat().st_ino
    storage.write({"t": {"1": {"v": 2}}})
    assert path.stat().st_ino != inode  # a new file was renamed over the old one
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_every_write_is_fsynced_file_and_folder(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        calls.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", spy)
    AtomicJSONStorage(path).write({"t": {}})
    assert len(calls) == 2  # the temp file, then the folder


def test_each_write_reaches_disk_before_returning(path: Path) -> None:
    db = TinyDB(path, storage=AtomicJSONStorage)
    table = db.table("t")
    for i in range(5):
        table.insert({"i": i})
        on_disk = json.loads(path.read_text(encoding="utf-8"))
        assert len(on_disk["t"]) == i + 1


def test_reads_come_from_memory(path: Path) -> None:
    storage = AtomicJSONStorage(path)
    storage.write({"t": {"1": {"v": 1}}})
    path.write_text('{"t": {"1": {"v": 999}}}')  # behind its back
    assert storage.read() == {"t": {"1": {"v": 1}}}


def test_cache_holds_what_was_written_not_the_callers_objects(path: Path) -> None:
    storage = AtomicJSONStorage(path)
    doc = {"tags": ["a"], 1: "int key"}
    storage.write({"t": {"1": doc}})
    doc["tags"].append("b")  # the caller keeps mutating its own object
    assert storage.read() == {"t": {"1": {"tags": ["a"], "1": "int key"}}}
    assert storage.read() == AtomicJSONStorage(path).read()


CORRUPT = [
    (b"{not json", "invalid JSON"),
    (b'{"t": {"1": {"v": 1}}', "invalid JSON"),  # truncated
    (b"[1, 2]", "expected a JSON object"),
    (b'{"t": [1]}', "table 't'"),
    (b'{"t": {"1": 5}}', "document '1'"),
    (b'{"t": {"1": {"v": NaN}}}', "invalid JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
]


@pytest.mark.parametrize(("content", "reason"), CORRUPT)
def test_corrupt_file_is_refused_named_and_untouched(path: Path, content: bytes, reason: str) -> None:
    path.write_bytes(content)
    with pytest.raises(StoreCorruptError) as info:
        AtomicJSONStorage(path)
    assert info.value.path == path
    assert str(path) in str(info.value)
    assert reason in info.value.reason
    assert path.read_bytes() == content


def test_failed_serialisation_leaves_file_and_memory_unchanged(path: Path) -> None:
    db = TinyDB(path, storage=AtomicJSONStorage)
    table = db.table("t")
    table.insert({"v": 1})
    before = path.read_bytes()
    with pytest.raises(TypeError):
        table.update({"when": datetime(2024, 1, 1)})  # TinyDB mutates the cached doc first
    assert path.read_bytes() == before
    assert table.all() == [{"v": 1}]  # cache reloaded from disk, not the half-applied update
    with pytest.raises(ValueError):
        table.insert({"v": float("nan")})
    assert len(table) == 1
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_failed_rename_leaves_old_file_and_no_temp(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = AtomicJSONStorage(path)
    storage.write({"t": {"1": {"v": 1}}})
    before = path.read_bytes()

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError):
        storage.write({"t": {"1": {"v": 2}}})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert storage.read() == {"t": {"1": {"v": 1}}}
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_atomic_write_bytes_creates_0600(tmp_path: Path) -> None:
    target = tmp_path / "x.bin"
    atomic_write_bytes(target, b"abc")
    assert target.read_bytes() == b"abc"
    assert mode_of(target) == 0o600


def test_remove_stale_temp_files_only_removes_ours(tmp_path: Path) -> None:
    ours = tmp_path / f".outbox.json.{'a' * 32}.tmp"
    ours.write_text("{")
    keep = [tmp_path / "outbox.json", tmp_path / "notes.tmp", tmp_path / ".lock", tmp_path / ".x.json.123.tmp"]
    for p in keep:
        p.write_text("{}")
    assert remove_stale_temp_files(tmp_path) == [ours]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in keep)


def test_closed_storage_refuses(path: Path) -> None:
    storage = AtomicJSONStorage(path)
    storage.close()
    assert storage.closed
    with pytest.raises(StoreError):
        storage.read()
    with pytest.raises(StoreError):
        storage.write({})
