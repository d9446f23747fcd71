"""Catalogues match; language detection; the config file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from csdesk.config import ConfigError, Config, load_config, normalize_server_url, save_config
from csdesk.i18n import detect_language, en, set_language, t, zh_cn

PLACEHOLDER = re.compile(r"{(\w+)}")


def test_catalogues_have_the_same_ids_and_placeholders() -> None:
    # "<id>.one" is an English singular (Chinese has none): it needs its "<id>".
    singulars = {key for key in en.MESSAGES if key.endswith(".one") and key[:-4] in en.MESSAGES}
    assert set(en.MESSAGES) - singulars == set(zh_cn.MESSAGES)
    for key, text in en.MESSAGES.items():
        if key in singulars:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(en.MESSAGES[key[:-4]])), key
            continue
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(zh_cn.MESSAGES[key])), key


def test_a_count_of_one_takes_the_singular_where_the_language_has_one() -> None:
    set_language("en")
    assert t("wo.count", count=1) == "1 order"
    assert t("wo.count", count=2) == "2 orders"
    assert t("wo.count", count=0) == "0 orders"
    set_language("zh-CN")
    assert t("wo.count", count=1) == t("wo.count", count=2).replace("2", "1")
    set_language("en")


def test_every_message_id_used_in_code_exists() -> None:
    root = Path(__file__).resolve().parents[1] / "csdesk"
    used = set()
    for path in root.rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_.\-]+)["']""", path.read_text("utf-8")))
    missing = sorted(k for k in used if k not in en.MESSAGES)
    assert not missing


def test_every_state_reason_channel_and_step_has_a_label() -> None:
    # Values the backend sends are shown through t(f"...{value}"): a missing id
    # showed as "reason.missed_offer" on the desk.
    from csdesk.domain.agent_state import AgentState, NotReadyReason
    from csdesk.domain.contacts import Channel, ChecklistStep

    wanted = [f"state.{s.value}" for s in AgentState] + [f"reason.{r.value}" for r in NotReadyReason]
    wanted += [f"offer.channel.{c.value}" for c in Channel] + [f"checklist.{s.value}" for s in ChecklistStep]
    missing = [key for key in wanted if key not in en.MESSAGES or key not in zh_cn.MESSAGES]
    assert not missing


def test_every_binding_id_has_a_description() -> None:
    from csdesk.app import CsdeskApp
    from csdesk.screens import announcements, confirm, desk, login, mfa, reason, records, todos, work_order_detail
    from csdesk.widgets import composer, desk_panels

    classes = [CsdeskApp, login.LoginScreen, mfa.MfaScreen, desk.DeskScreen,
               announcements.AnnouncementsScreen, confirm.ConfirmScreen, reason.ReasonScreen,
               todos.TodosScreen, work_order_detail.WorkItemDetailScreen, records.RecordsScreen,
               composer.ComposerInput, desk_panels.DeskPanels]
    for cls in classes:
        for binding in cls.BINDINGS:
            assert binding.id, f"{cls.__name__} binding {binding.key} has no id"
            assert f"key.{binding.id}" in en.MESSAGES, binding.id


@pytest.mark.parametrize(
    ("prefs", "env", "expected"),
    [
        ((None,), {"LANG": "zh_CN.UTF-8"}, "zh-CN"),
        ((None,), {"LANG": "en_GB.UTF-8"}, "en"),
        (("en",), {"LANG": "zh_CN.UTF-8"}, "en"),
        (("zh-CN",), {}, "zh-CN"),
        ((None,), {"LANG": "fr_FR.UTF-8"}, "en"),
        ((None,), {}, "en"),
    ],
)
def test_language_follows_settings_then_lang(prefs, env, expected) -> None:
    assert detect_language(*prefs, environ=env) == expected


def test_t_formats_and_falls_back() -> None:
    set_language("zh-CN")
    try:
        assert t("sync.pending", count=3) == "待同步 3"
        assert t("no.such.id") == "no.such.id"
    finally:
        set_language("en")
    assert t("sync.pending", count=3) == "pending 3"


def test_config_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.toml"
    assert load_config(path) == Config()
    save_config(Config(server="http://127.0.0.1:9/", language="zh-CN"), path)
    assert load_config(path) == Config(server="http://127.0.0.1:9", language="zh-CN")
    assert oct(path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    "content", ["server = ", 'server = 5', 'server = "ftp://x"', b"\xff\xfe".decode("latin-1")]
)
def test_bad_config_names_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path)


def test_server_url_normalised() -> None:
    assert normalize_server_url(" https://x.example/ ") == "https://x.example"
    with pytest.raises(ValueError):
        normalize_server_url("x.example")
