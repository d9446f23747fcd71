"""The command line: help everywhere, version, configuration messages, the demo backend."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from csdesk import __version__
from csdesk.commands import cli as main
from csdesk.demo import DemoBackend, wait_healthy


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CSDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("CSDESK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.mark.parametrize(
    "args", [["--help"], ["demo", "--help"], ["server", "--help"], ["admin", "--help"], ["admin", "agent", "--help"]]
)
def test_help_on_every_command(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_no_backend_configured_explains_how(isolated: Path) -> None:
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 1
    assert "no backend configured" in result.output
    assert "csdesk demo" in result.output and "--server" in result.output
    assert str(isolated / "cfg" / "config.toml") in result.output


def test_bad_server_url(isolated: Path) -> None:
    result = CliRunner().invoke(main, ["--server", "not-a-url"])
    assert result.exit_code == 2
    assert "not an http(s) URL" in result.output and "'--server'" in result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("server = [", ["config.toml", "TOML"]),
        ('server = "http://127.0.0.1:1"\nlanguage = "fr"\n', ["config.toml", "'language'", "fr"]),
    ],
)
def test_bad_config_file_is_named(isolated: Path, content: str, expected: list[str]) -> None:
    cfg = isolated / "cfg"
    cfg.mkdir()
    (cfg / "config.toml").write_text(content, encoding="utf-8")
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 1
    for text in expected:
        assert text in result.output


def test_python_m_csdesk_works() -> None:
    out = subprocess.run([sys.executable, "-m", "csdesk", "--version"], capture_output=True, text=True, check=True)
    assert __version__ in out.stdout


def test_demo_backend_starts_reuses_its_port_and_stops(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    with DemoBackend(data) as demo:
        url, proc = demo.url, demo.proc
        assert wait_healthy(url, None, 5)
        assert (data / "demo" / "demo.db").exists()
        # QA: the data folder came out 0755 and the lock file 0644.
        for folder in (data, data / "demo"):
            assert folder.stat().st_mode & 0o777 == 0o700, folder
        assert (data / "demo" / ".lock").stat().st_mode & 0o077 == 0
    assert proc.poll() is not None, "quitting the desk stops the backend"
    with DemoBackend(data) as again:
        assert again.url == url, "the same port (and so the same local stores) next time"


def test_demo_reset_forgets_this_backends_local_stores(tmp_path: Path) -> None:
    from csdesk.store.local import LocalStore

    with DemoBackend(tmp_path) as demo:
        with LocalStore.open(tmp_path, demo.url, "A1001") as store:
            store.set_meta("cursor:announcements", "3")
            folder = store.folder
    with DemoBackend(tmp_path, reset=True) as demo:
        assert demo.url == f"http://127.0.0.1:{(tmp_path / 'demo' / 'port').read_text()}"
        assert not folder.exists()


def test_demo_backend_dies_with_its_parent(tmp_path: Path) -> None:
    """A desk killed outright (closed terminal, SIGKILL) leaves no orphan backend."""
    code = (
        "import sys, time; from pathlib import Path; from csdesk.demo import DemoBackend\n"
        "d = DemoBackend(Path(sys.argv[1])).__enter__()\n"
        "print(d.proc.pid, flush=True); time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            return
        # Reap if it is our grandchild turned zombie under init: check /proc state.
        try:
            state = Path(f"/proc/{child_pid}/stat").read_text().split()[2]
            if state == "Z":
                return
        except OSError:
            return
        time.sleep(0.2)
    os.kill(child_pid, signal.SIGKILL)
    pytest.fail("the demo backend outlived its parent")


def test_demo_files_are_private(tmp_path: Path) -> None:
    with DemoBackend(tmp_path):
        pass
    for name in ("server.log", "port"):
        assert oct((tmp_path / "demo" / name).stat().st_mode & 0o777) == "0o600", name


def test_second_demo_on_the_same_data_folder_is_refused(tmp_path: Path) -> None:
    from csdesk.demo import DemoError

    with DemoBackend(tmp_path):
        with pytest.raises(DemoError, match="already running"):
            DemoBackend(tmp_path).__enter__()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], {}),
        (["--server", "http://h:1"], {"server": "http://h:1"}),
        (["--server=http://h:1", "--lang", "zh-CN"], {"server": "http://h:1", "lang": "zh-CN"}),
        (["--lang=en"], {"lang": "en"}),
        (["--help"], None),
        (["--version"], None),
        (["demo"], None),
        (["--server"], None),
        (["--server", "--lang", "en"], None),
        (["--lang", "fr"], None),
        (["--server", "a", "--server", "b"], None),
        (["--serv", "http://h:1"], None),
    ],
)
def test_fast_start_takes_only_plain_args(args: list[str], expected) -> None:
    from csdesk.cli import plain_desk_args

    assert plain_desk_args(args) == expected


@pytest.mark.parametrize(
    "args",
    [["--server", "not-a-url"], [], ["--lang", "fr"], ["--server"]],
)
def test_entry_point_falls_back_to_click_for_every_error(isolated: Path, args: list[str]) -> None:
    """The fast path has no messages of its own: errors read as click's."""
    entry = subprocess.run([sys.executable, "-m", "csdesk", *args], capture_output=True, text=True,
                           env={**os.environ, "CSDESK_CONFIG_DIR": str(isolated / "cfg"), "CSDESK_DATA_DIR": str(isolated / "data")})
    assert entry.returncode in (1, 2)
    assert "Error" in entry.stderr
    via_click = CliRunner().invoke(main, args)
    assert via_click.exit_code == entry.returncode
