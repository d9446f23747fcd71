"""``csdesk demo --customers FILE.csv`` and ``csdesk server --simulate``: the training
simulator started by the backend (issue #4 "Training simulator").

Bad input is refused by click before anything starts (exit code 2, one
message, no traceback); a good CSV reaches the backend child process, whose
simulated customers are offered to a Ready agent with the CSV's words.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from csdesk.commands import _simulator_options
from csdesk.commands import cli as main
from csdesk.demo import DemoBackend, simulator_args
from csdesk.server.runner import SimulatorOptions
from csdesk.server.seed import DEMO_AGENTS
from tests.conftest import bearer, totp_now

AGENT = DEMO_AGENTS[0]

#: Five real-looking customer messages (Banking77 style) and their categories.
MESSAGES = [
    ("I think my card was stolen yesterday, what should I do", "lost_or_stolen_card"),
    ("How do I check the balance of my savings account", "balance_not_updated_after_bank_transfer"),
    ("Why was I charged a fee for my last transfer", "transfer_fee_charged"),
    ("Can I move money between my own accounts tonight", "transfer_into_account"),
    ("Please turn on text alerts for my card payments", "card_payment_not_recognised"),
]


def write_csv(path: Path, rows: list[tuple[str, str]] = MESSAGES, header: str = "text,category") -> Path:
    lines = [header] if header else []
    lines += [f"{text},{category}" for text, category in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CSDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("CSDESK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def _bad_files(tmp: Path) -> list[tuple[Path, str]]:
    empty = tmp / "empty.csv"
    empty.write_text("", encoding="utf-8")
    other = tmp / "people.csv"
    other.write_text("name,email\nWang Fang,wf@example.com\n", encoding="utf-8")
    wide = tmp / "wide.csv"
    wide.write_text("id,name,email\n1,Li Lei,ll@example.com\n", encoding="utf-8")
    binary = tmp / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    header_only = tmp / "header.csv"
    header_only.write_text("text,category\n", encoding="utf-8")
    return [
        (tmp / "missing.csv", "does not exist"),
        (tmp, "is a directory"),
        (empty, "empty.csv: the file is empty"),
        (other, "must name the columns text and category"),
        (wide, "must name the columns text and category"),
        (binary, "not UTF-8 text"),
        (header_only, "no text,category rows"),
    ]


@pytest.mark.parametrize("command", ["demo", "server"])
def test_bad_customer_files_are_refused_before_anything_starts(isolated: Path, command: str) -> None:
    for path, message in _bad_files(isolated):
        result = CliRunner().invoke(main, [command, "--customers", str(path)])
        assert result.exit_code == 2, (path, result.output)
        assert "--customers" in result.output and message in result.output, (path, result.output)
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert not (isolated / "data" / "demo").exists(), "no demo backend was started"


def test_option_conflicts_and_ranges_are_usage_errors(isolated: Path) -> None:
    good = write_csv(isolated / "good.csv")
    cases = [
        (["demo", "--no-simulate", "--customers", str(good)], "need the simulator; drop --no-simulate"),
        (["server", "--no-simulate", "--arrival-seconds", "5"], "need the simulator"),
        (["demo", "--arrival-seconds", "0"], "--arrival-seconds"),
        (["demo", "--arrival-seconds", "soon"], "--arrival-seconds"),
        (["server", "--channels", "fax"], "--channels"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
    assert not (isolated / "data" / "demo").exists()


def test_demo_simulates_by_default_and_server_only_when_asked(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "c.csv")
    demo_default = _simulator_options(None, None, None, "both", default=True)
    assert demo_default == SimulatorOptions()  # built-in openings, 30 s, chat + phone
    assert _simulator_options(False, None, None, "both", default=True) is None
    assert _simulator_options(None, None, None, "both", default=False) is None
    implied = _simulator_options(None, csv, 2.5, "chat", default=False)
    assert implied == SimulatorOptions(customers=csv, arrival_seconds=2.5, channels=("chat",))
    # What the demo hands its backend child.
    assert simulator_args(None) == ["--no-simulate"]
    assert simulator_args(implied) == [
        "--simulate", "--arrival-seconds", "2.5", "--customers", str(csv), "--channels", "chat",
    ]
    help_text = CliRunner().invoke(main, ["demo", "--help"]).output
    for option in ("--customers", "--arrival-seconds", "--no-simulate", "--channels"):
        assert option in help_text


def _sign_in(client: httpx.Client) -> dict[str, str]:
    login = client.post("/auth/login", json={"employee_id": AGENT["employee_id"], "password": AGENT["password"]})
    assert login.status_code == 200, login.text
    mfa = client.post("/auth/mfa", json={"mfa_ticket": login.json()["mfa_ticket"],
                                         "code": totp_now(AGENT["totp_secret"])})
    assert mfa.status_code == 200, mfa.text
    return bearer(mfa.json()["access_token"])


def test_demo_backend_offers_a_customer_speaking_the_csv_words(tmp_path: Path) -> None:
    """The real child process: ``csdesk server --simulate --customers …`` started by the demo."""
    csv = write_csv(tmp_path / "customers.csv")
    options = SimulatorOptions(customers=csv, arrival_seconds=0.3, channels=("chat",))
    with DemoBackend(tmp_path / "data", simulator=options) as demo:
        with httpx.Client(base_url=f"{demo.url}/api/v1", timeout=10) as client:
            headers = _sign_in(client)
            assert client.put("/me/state", json={"state": "ready"}, headers=headers).status_code == 200
            deadline = time.monotonic() + 30  # demo customers are hashed at production cost first
            offer = None
            while offer is None and time.monotonic() < deadline:
                answer = client.get("/me/contact", headers=headers)
                if answer.status_code == 200 and answer.json()["status"] == "offered":
                    offer = answer.json()
                else:
                    time.sleep(0.1)
            assert offer is not None, "no simulated customer was offered"
            assert offer["channel"] == "chat" and offer["queue"] == "chat.general"
            assert offer["first_words"] in {text for text, _ in MESSAGES}
    log = (tmp_path / "data" / "demo" / "server.log").read_text("utf-8")
    assert "training simulator on: customers.csv" in log
