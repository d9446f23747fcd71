"""One process per agent folder (DESIGN §5), checked with real processes."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from _store_helpers import AGENT, BACKEND, spawn_child

from csdesk.store.errors import StoreLockedError
from csdesk.store.local import LocalStore, check_lock, is_locked, store_folder


def _wait_ready(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != "ready":
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"child did not open the store: {line!r} {err}")


def _assert_locked_out(data_dir: Path) -> None:
    folder = store_folder(data_dir, BACKEND, AGENT)
    with pytest.raises(StoreLockedError) as info:
        LocalStore.open(data_dir, BACKEND, AGENT)
    message = str(info.value)
    assert "another csdesk is already open for this agent on this machine" in message
    assert str(folder) in message
    assert info.value.folder == folder
    assert is_locked(data_dir, BACKEND, AGENT)
    with pytest.raises(StoreLockedError):
        check_lock(data_dir, BACKEND, AGENT)


def test_second_process_is_refused_until_the_first_exits(data_dir: Path) -> None:
    proc = spawn_child("hold", data_dir)
    try:
        _wait_ready(proc)
        _assert_locked_out(data_dir)
        _, err = proc.communicate(input="", timeout=10)  # closing stdin lets it close and exit
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not is_locked(data_dir, BACKEND, AGENT)
    with LocalStore.open(data_dir, BACKEND, AGENT) as s:
        s.upsert("docs", "d1", {"v": 1})


def test_lock_is_freed_when_the_holder_is_killed(data_dir: Path) -> None:
    proc = spawn_child("hold", data_dir)
    try:
        _wait_ready(proc)
        _assert_locked_out(data_dir)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with LocalStore.open(data_dir, BACKEND, AGENT) as s:
        assert s.folder == store_folder(data_dir, BACKEND, AGENT)


def test_child_is_refused_while_this_process_holds_it(data_dir: Path) -> None:
    with LocalStore.open(data_dir, BACKEND, AGENT):
        proc = spawn_child("hold", data_dir)
        out, err = proc.communicate(input="", timeout=20)
        assert proc.returncode != 0
        assert "ready" not in out
        assert "StoreLockedError" in err and "another csdesk is already open" in err
