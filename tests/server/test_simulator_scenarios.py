"""Training simulator: scenario files load, bad ones fail clearly, picking is seeded."""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from pathlib import Path

import pytest

from csdesk.domain.contacts import Channel, VerificationMethod
from csdesk.server.simulator.scenarios import (
    OPERATION_CODES,
    SCENARIO_DIR,
    ScenarioError,
    load_scenario,
    load_scenarios,
    pick_channel,
    pick_scenario,
)
from tests.shared_data import BANKING77

CATEGORIES = json.loads((BANKING77 / "categories.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scenarios():
    return load_scenarios(known_categories=CATEGORIES)


def test_every_shipped_scenario_loads(scenarios):
    files = sorted(SCENARIO_DIR.glob("*.toml"))
    assert len(files) >= 10
    assert len(scenarios) == len(files)
    ids = [s.id for s in scenarios]
    assert len(set(ids)) == len(ids)
    for s in scenarios:
        assert s.operation is None or s.operation in OPERATION_CODES
        assert s.title["zh"] and s.title["en"]
        assert s.patience_seconds > 0


def test_the_brief_is_covered(scenarios):
    by_id = {s.id: s for s in scenarios}
    ops = Counter(s.operation for s in scenarios)
    for code in ("freeze_card", "balance_inquiry", "transfer_own", "buy_wealth",
                 "change_phone", "sms_alerts"):
        assert ops[code] >= 1, code
    assert by_id["transfer_consent"].disclosure_consent
    assert not by_id["transfer_refuse"].disclosure_consent
    assert by_id["general_inquiry"].operation is None and by_id["general_inquiry"].fallback
    assert any(s.complaint for s in scenarios)
    fraud = by_id["verification_fraud"]
    assert fraud.identity.all_wrong and fraud.identity.wrong_times >= 3
    assert by_id["hang_up_midway"].hang_up_after
    hold = by_id["phone_hold_transactions"]
    assert hold.needs_hold and set(hold.channels) == {Channel.PHONE}


def test_every_banking77_category_is_served(scenarios):
    served = {c for s in scenarios for c in s.categories}
    assert set(CATEGORIES) <= served


def _broken(tmp_path: Path, name: str, old: str, new: str) -> Path:
    source = (SCENARIO_DIR / name).read_text(encoding="utf-8")
    assert old in source
    path = tmp_path / name
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ('operation = "freeze_card"', 'operation = "freeze_everything"', "operation", "unknown operation code"),
        ("patience_seconds = 60\n", "patience_seconds = -5\n", "patience_seconds", "must be >"),
        ('answers = "right"', 'answers = "maybe"', "identity.answers", "right"),
        ("[disclosure]\nreaction = \"consent\"", "[disclosure]\nreaction = \"perhaps\"", "disclosure.reaction", "consent"),
        ('verify_answer = { zh = "是{answer}。", en = "It\'s {answer}." }',
         'verify_answer = { zh = "是{answer}。", en = "It is." }', "reactions.verify_answer.en", "{answer}"),
        ('thats_all = { zh = "没有了，谢谢你。", en = "No, that\'s all. Thank you." }',
         'thats_all = { zh = "没有了，谢谢你。" }', "reactions.thats_all.en", "missing"),
        ("channels = { chat = 0.5, phone = 0.5 }", "channels = { fax = 1.0 }", "channels.fax", "unknown channel"),
        ('id = "lost_card_freeze"\n', "", "id", "missing"),
        ("[identity]\n", "[identity]\nwrong_methods = [\"fingerprint\"]\n", "identity.wrong_methods", "fingerprint"),
    ],
)
def test_broken_scenario_names_file_and_field(tmp_path, old, new, field, words):
    path = _broken(tmp_path, "lost_card_freeze.toml", old, new)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.field == field
    message = str(info.value)
    assert message.startswith(f"lost_card_freeze.toml: {field}: ")
    assert words in message


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = _broken(tmp_path, "balance_inquiry.toml", 'complaint = false', 'complaint = = false')
    with pytest.raises(ScenarioError, match=r"^balance_inquiry\.toml: TOML syntax error: .*line 6"):
        load_scenario(path)


def test_folder_checks_duplicates_fallback_and_categories(tmp_path):
    for p in SCENARIO_DIR.glob("*.toml"):
        shutil.copy(p, tmp_path)
    shutil.copy(SCENARIO_DIR / "sms_alerts.toml", tmp_path / "zz_copy.toml")
    with pytest.raises(ScenarioError, match=r"^zz_copy\.toml: id: duplicate id 'sms_alerts'"):
        load_scenarios(tmp_path)
    (tmp_path / "zz_copy.toml").unlink()
    _broken(tmp_path, "general_inquiry.toml", "fallback = true", "fallback = false")
    with pytest.raises(ScenarioError, match="exactly one scenario must have fallback"):
        load_scenarios(tmp_path)
    shutil.copy(SCENARIO_DIR / "general_inquiry.toml", tmp_path)
    with pytest.raises(ScenarioError, match=r"^sms_alerts\.toml: categories: unknown category 'verify_top_up'"):
        load_scenarios(tmp_path, known_categories=[c for c in CATEGORIES if c != "verify_top_up"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScenarioError, match="no scenario files"):
        load_scenarios(tmp_path / "empty")


def test_pick_is_deterministic_and_serves_the_category(scenarios):
    def run(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [pick_scenario(c, scenarios, rng).id for c in CATEGORIES for _ in range(3)]

    assert run(7) == run(7)
    assert run(7) != run(8)
    rng = random.Random(1)
    for c in CATEGORIES:
        assert c in pick_scenario(c, scenarios, rng).categories
    assert pick_scenario("no_such_intent", scenarios, rng).id == "general_inquiry"
    # several scenarios share transfer_into_account: weights decide, all appear
    seen = Counter(pick_scenario("transfer_into_account", scenarios, rng).id for _ in range(400))
    assert set(seen) == {"transfer_consent", "transfer_refuse", "verification_fraud"}
    assert seen["transfer_consent"] > seen["transfer_refuse"] > seen["verification_fraud"]


def test_pick_channel_follows_weights(scenarios):
    rng = random.Random(3)
    hold = next(s for s in scenarios if s.id == "phone_hold_transactions")
    assert {pick_channel(hold, rng) for _ in range(50)} == {Channel.PHONE}
    general = next(s for s in scenarios if s.id == "general_inquiry")
    chats = sum(pick_channel(general, rng) is Channel.CHAT for _ in range(2000))
    assert 0.75 < chats / 2000 < 0.85


def test_wrong_methods_parse(tmp_path):
    path = _broken(tmp_path, "sms_alerts.toml", 'answers = "right"',
                   'answers = "right"\nwrong_methods = ["card_last4"]')
    s = load_scenario(path)
    assert s.identity.wrong_methods == {VerificationMethod.CARD_LAST4}
    assert not s.identity.all_wrong
