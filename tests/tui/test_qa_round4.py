"""Regressions from the fourth QA round (a tester driving the desk in tmux at 80×24)."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.widgets import Input

from csdesk.server.seed import DEMO_AGENTS, DEMO_FIRST_SIGN_IN
from tests.tui.helpers import (
    error_text,
    make_app,
    screen_text,
    sign_in_to_desk,
    submit_login,
    wait_for,
)
from tests.tui.test_settings_and_lock import needs_reauth, visible_text

AGENT = DEMO_AGENTS[0]
FIRST = DEMO_FIRST_SIGN_IN


def burst(pilot: Pilot, keys: list[str]) -> None:
    """Queue ``keys`` on the app all at once, as a terminal delivers a fast
    typist, an auto-type or a paste: no key waits for the one before it to
    be handled (``pilot.press`` waits, which hides races).

    One-character items are typed characters; longer ones are key names
    (``"tab"``, ``"shift+tab"``, ``"enter"``).
    """
    app = pilot.app
    assert app._driver is not None
    for key in keys:
        if len(key) == 1:
            name, char = (key if key.isalnum() else _character_to_key(key)), key
        else:
            name, char = key, None
        event = events.Key(name, char)
        event.set_sender(app)
        app._driver.send_message(event)


def typed(text: str) -> list[str]:
    return list(text)


def value(pilot: Pilot, selector: str) -> str:
    return pilot.app.screen.query_one(selector, Input).value


# -- 1. Tab / shift+Tab move focus before the next queued key ------------------


async def same_as_typed_slowly(pilot: Pilot, fields: list[str], keys: list[str]) -> None:
    """Type ``keys`` one by one (each handled before the next), then the same
    keys in one burst from the same start: the fields end up the same."""
    app = pilot.app
    await wait_for(pilot, lambda: all(app.screen.query(f) for f in fields))  # composed
    screen = app.screen

    def reset() -> None:
        for selector in fields:
            screen.query_one(selector, Input).value = ""
        screen.query_one(fields[0], Input).focus()

    reset()
    await pilot.pause()
    await pilot.press(*keys)
    slow = [value(pilot, f) for f in fields]
    assert all(slow), slow
    reset()
    await pilot.pause()
    burst(pilot, keys)
    await wait_for(pilot, lambda: [value(pilot, f) for f in fields] == slow, timeout=5)
    await pilot.pause(0.2)
    assert [value(pilot, f) for f in fields] == slow


async def test_login_tab_in_a_burst_fills_the_right_fields(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen")
        fields = ["#employee-id", "#password"]
        await same_as_typed_slowly(pilot, fields, typed("A1001") + ["tab"] + typed("Demo#2026a"))
        await same_as_typed_slowly(
            pilot, fields, typed("A1") + ["tab"] + typed("Demo") + ["shift+tab"] + typed("A1001") + ["tab"] + typed("x#2026a")
        )
        # A field's own editing keys act in order too, also just before Tab.
        await same_as_typed_slowly(
            pilot, fields,
            typed("abc") + ["backspace"] + typed("de") + ["left", "left"] + typed("X") + ["home"] + typed("Y")
            + ["tab"] + typed("pass") + ["backspace", "backspace"] + ["shift+tab", "end"] + typed("Z") + ["ctrl+u"]
            + typed("A1001") + ["tab", "end"] + typed("word") + ["backspace"],
        )
        # ID, Tab, password, Enter in one burst signs in.
        for selector in fields:
            app.screen.query_one(selector, Input).value = ""
        app.screen.query_one("#employee-id", Input).focus()
        await pilot.pause()
        burst(pilot, typed(AGENT["employee_id"]) + ["tab"] + typed(AGENT["password"]) + ["enter"])
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "MfaScreen")


async def test_password_change_tab_in_a_burst_fills_the_right_fields(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    new = "Fresh#Start2026"
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen")
        burst(pilot, typed(FIRST["employee_id"]) + ["tab"] + typed(FIRST["password"]) + ["enter"])
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "PasswordChangeScreen")
        fields = ["#new", "#again"]
        await same_as_typed_slowly(pilot, fields, typed(new) + ["tab"] + typed(new))
        await same_as_typed_slowly(
            pilot, fields, typed("Abc") + ["tab"] + typed("Def") + ["shift+tab"] + typed(new) + ["tab"] + typed(new)
        )
        await same_as_typed_slowly(
            pilot, fields, typed(new + "x") + ["backspace", "tab"] + typed("Fresh#") + ["ctrl+u"] + typed(new)
        )
        # New password, Tab, again, Enter in one burst saves it (Enter waiting
        # for the keys of both fields: see the terminal test below).
        for selector in fields:
            app.screen.query_one(selector, Input).value = ""
        app.screen.query_one("#new", Input).focus()
        await pilot.pause()
        burst(pilot, typed(new) + ["tab"] + typed(new) + ["enter"])
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "EnrolScreen")
        await wait_for(pilot, lambda: "Secret" in screen_text(app))


def test_first_sign_in_with_tab_and_backspace_typed_at_full_speed_in_a_terminal(tmp_path: Path) -> None:
    """``csdesk demo`` in a real 80×24 pty: "ID⇥password x⌫⏎", then
    "old⇥old⏎" (refused), then "⇤new⇥new⏎", each written in one go
    (auto-type, a paste without bracketed paste)."""
    from tests.test_e2e_terminal import demo_terminal

    term = demo_terminal(tmp_path)
    try:
        term.wait_for("backend reachable")
        term.send(f"{FIRST['employee_id']}\t{FIRST['password']}x\x7f\r", settle=1.0)
        term.wait_for("Set a new password")
        # The temporary password again: refused (history rule), focus stays in
        # the second field. Then shift+Tab back, both fields, Enter, in one go:
        # Enter must wait for the keys of both fields, not only the focused one.
        term.send(f"{FIRST['password']}\t{FIRST['password']}\r", settle=1.0)
        term.wait_for("The backend refused it")
        new = "Fresh#Start2026"
        term.send(f"\x1b[Z{new}\t{new}\r", settle=1.0)
        term.wait_for("Set up your authenticator")
    finally:
        term.close()


# -- 3 and 6. Small terminals; a refused rule clears once the password is edited --


async def to_password_change(pilot: Pilot) -> None:
    app = pilot.app
    await submit_login(pilot, FIRST["employee_id"], FIRST["password"])
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "PasswordChangeScreen")
    await wait_for(pilot, lambda: app.screen.query("#again"))


async def submit_new_password(pilot: Pilot, password: str) -> None:
    screen = pilot.app.screen
    screen.query_one("#new", Input).value = password
    again = screen.query_one("#again", Input)
    again.value = password
    again.focus()
    await pilot.press("enter")


def checklist_line(app, words: str) -> str:
    text = str(app.screen.query_one("#checklist").render())
    return next(line for line in text.splitlines() if words in line)


async def test_password_refusal_fits_80x24_and_clears_when_the_password_is_edited(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_password_change(pilot)
        assert checklist_line(app, "last 5 passwords").startswith("• ")
        # The temporary password again: refused by the history rule, on the server.
        await submit_new_password(pilot, FIRST["password"])
        await wait_for(pilot, lambda: "refused" in error_text(app))
        await pilot.pause(0.2)
        shown = visible_text(app)
        # The whole message and the refused rule are on screen, above the key bar.
        flat = " ".join(shown.replace("│", " ").split())
        assert "The backend refused it: see the rules marked ✗." in flat
        assert app.screen.query_one("#error").region.bottom <= 23
        assert checklist_line(app, "last 5 passwords").startswith("✗ ")
        assert "✗ Not one of your last 5 passwords" in shown
        # Retyping the confirmation alone changes nothing: the password is the same.
        await pilot.press("backspace")
        await pilot.press(FIRST["password"][-1])
        assert checklist_line(app, "last 5 passwords").startswith("✗ ")
        # Any edit of the password itself: no longer known, back to the reminder.
        new = app.screen.query_one("#new", Input)
        new.focus()
        await pilot.press("end", "x")
        await wait_for(pilot, lambda: checklist_line(app, "last 5 passwords").startswith("• "))
        assert error_text(app).strip() == ""
        # Even back to the refused text: unknown until the server says so again.
        await pilot.press("backspace")
        await pilot.pause(0.1)
        assert new.value == FIRST["password"]
        assert checklist_line(app, "last 5 passwords").startswith("• ")
        await submit_new_password(pilot, FIRST["password"])
        await wait_for(pilot, lambda: checklist_line(app, "last 5 passwords").startswith("✗ "))


async def test_password_errors_fit_80x24_when_signed_in(backend, tmp_path: Path) -> None:
    """The palette's "Change password" has a third field: its messages fit too."""
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        app.screen.action_change_password()
        await wait_for(pilot, lambda: app.screen.query("#current"))
        screen = app.screen
        screen.query_one("#current", Input).value = "not-my-password"
        await submit_new_password(pilot, "Fresh#Start2026")
        await wait_for(pilot, lambda: error_text(app).strip() not in ("", "Saving…"))
        await pilot.pause(0.2)
        message = error_text(app).strip()
        error = screen.query_one("#error")
        assert error.region.bottom <= 23 and error.region.height >= 1
        assert message.split()[0] in visible_text(app)
        # A long message (several lines) is still shown whole.
        screen._error("This is a long message. " * 8)
        await pilot.pause(0.3)
        assert screen.query_one("#error").region.bottom <= 23
        assert screen.query_one("#box").region.contains_region(screen.query_one("#error").region)


async def test_enrol_says_so_when_the_qr_does_not_fit_and_keeps_the_secret(backend, tmp_path: Path) -> None:
    from csdesk.screens.enrol import group_secret

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_password_change(pilot)
        await submit_new_password(pilot, "Fresh#Start2026")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "EnrolScreen")
        enrol = app.screen
        await wait_for(pilot, lambda: "Secret" in str(enrol.query_one("#secret").render()))
        secret = str(enrol.query_one("#secret").render()).split("\n", 1)[1]
        assert secret == group_secret(secret)
        qr, notice = enrol.query_one("QrCode"), enrol.query_one("#too-small")
        assert qr.display and not notice.display
        assert qr.region.right <= 80 and qr.region.bottom <= 23  # whole, above the key bar
        for cols, rows in ((60, 20), (71, 24), (80, 21), (40, 12)):
            await pilot.resize_terminal(cols, rows)
            await pilot.pause(0.3)
            assert not qr.display, (cols, rows)
            assert notice.display
            line = str(notice.render())
            assert "enlarge" in line and "secret" in line
            shown = visible_text(app)
            for group in secret.split()[:4]:
                assert group in shown, (cols, rows, shown)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        assert qr.display and not notice.display


# -- 4. Monochrome: no colour at all, and nothing told by colour alone ------------


def _styles(text) -> list:
    from rich.style import Style

    return [Style.parse(span.style) if isinstance(span.style, str) else span.style for span in text.spans]


async def test_monochrome_agent_bar_has_no_colour(backend, tmp_path: Path) -> None:
    import re

    from textual.filter import Monochrome

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        bar = app.screen.query_one("AgentBar")
        coloured = [s for s in _styles(bar.render()) if s.color is not None]
        assert coloured  # the colour themes do colour it
        app.change_settings({"theme": "monochrome"})
        await wait_for(pilot, lambda: app.theme == "csdesk-monochrome")
        await pilot.pause(0.2)
        for state in ("not_ready", "ready", "offline"):
            for online in (True, False):
                from dataclasses import replace

                bar.info = replace(bar.info, state=state, online=online, failed=1)
                text = bar.render()
                styles = _styles(text)
                assert all(s.color is None and s.bgcolor is None for s in styles), (state, online, styles)
                # The state is set off by bold (and underline/reverse), the sync by its mark.
                assert any(s.bold for s in styles)
                assert ("● online" if online else "○ offline") in str(text)
        # Anything else coloured in code reaches the terminal as grey.
        assert any(isinstance(f, Monochrome) for f in app.get_line_filters())
        svg = app.export_screenshot()
        fills = set(re.findall(r"\.terminal-[\w-]+ \{ fill: #([0-9a-f]{6})", svg))
        fills.discard("c5c8c6")  # the screenshot's own "default foreground" (no colour given)
        assert fills
        for fill in fills:
            r, g, b = (int(fill[i : i + 2], 16) for i in (0, 2, 4))
            assert max(r, g, b) - min(r, g, b) <= 2, fill
        # Back to a colour theme: no grey filter.
        app.change_settings({"theme": "dark"})
        await wait_for(pilot, lambda: app.theme == "textual-dark")
        assert not any(isinstance(f, Monochrome) for f in app.get_line_filters())


# -- 5. Hints name the keys bound now ---------------------------------------------


async def test_desk_hints_follow_the_keymap(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    panel = lambda: str(app.screen.query_one("#state-panel").render())  # noqa: E731
    helps = lambda: " ".join(str(c.help) for c in app.get_system_commands(app.screen))  # noqa: E731
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        assert "F2 (or ctrl+r)" in panel()
        assert "(F2)" in helps() and "(ctrl+n)" in helps() and "(F10)" in helps() and "(ctrl+l)" in helps()
        app.change_settings({"keymap": {
            "desk.toggle_ready": "f12", "desk.toggle_ready_alt": "ctrl+g",
            "desk.announcements": "f7", "app.sign_out": "f9", "app.lock": "ctrl+o",
        }})
        await wait_for(pilot, lambda: "F12 (or ctrl+g)" in panel())
        assert "F2" not in panel() and "ctrl+r" not in panel()
        text = helps()
        assert "(F12)" in text and "(F7)" in text and "(F9)" in text and "(ctrl+o)" in text
        assert "(F2)" not in text and "(F10)" not in text and "(ctrl+l)" not in text
        # The new key does what the hint says.
        await pilot.press("f12")
        await wait_for(pilot, lambda: "Waiting for contacts. F12 (or ctrl+g)" in panel())
        # In the other language too.
        app.switch_language("zh-CN")
        await pilot.pause(0.1)
        assert "按 F12（或 ctrl+g）" in panel()


def test_key_hint_spelling() -> None:
    from csdesk.widgets.bindings import key_label

    assert [key_label(k) for k in ("f2", "ctrl+r", "escape", "enter", "question_mark", "shift+f5")] == [
        "F2", "ctrl+r", "Esc", "Enter", "?", "shift+F5",
    ]


# -- 7. Nothing shows over the lock screen; notifications wait for the unlock ----


@needs_reauth
async def test_notifications_wait_for_the_unlock(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        app.notify("Raised before the lock", markup=False, timeout=60)
        await wait_for(pilot, lambda: "Raised before the lock" in visible_text(app))
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LockScreen")
        app.notify("Customer Zhang San, card 622202******1234", markup=False, timeout=60)
        app.screen.notify("Raised by a screen while locked", markup=False)
        await pilot.pause(0.5)
        shown = visible_text(app)
        assert "Raised before the lock" not in shown
        assert "Zhang" not in shown and "Raised by a screen" not in shown
        assert not list(app._notifications)
        assert not app.screen.query("Toast")
        # The lock screen's own lines still show (the offer hook).
        app.screen.show_offer_waiting("chat")
        await pilot.pause(0.1)
        assert "A contact is waiting" in visible_text(app)
        field = app.screen.query_one("#password", Input)
        field.value = AGENT["password"]
        field.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: not app.locked)
        for message in ("Raised before the lock", "Zhang San", "Raised by a screen"):
            await wait_for(pilot, lambda message=message: message in visible_text(app))


# -- 8. TERM=linux: marks the console font can show -------------------------------


def test_glyph_fallbacks_on_the_linux_console() -> None:
    import re

    from csdesk.glyphs import LINUX_CONSOLE_FALLBACKS, glyph, linux_console_shows, plain_symbols

    assert glyph("✓", term="linux") == "+" and glyph("✗", term="linux") == "x"
    assert glyph("●", term="linux") == "*" and glyph("○", term="linux") == "o" and glyph("⚠", term="linux") == "!"
    assert glyph("✓", term="linux-16color") == "+"
    for term in ("xterm-256color", "screen", "tmux-256color", ""):
        assert glyph("✓", term=term) == "✓"
    # Borders, the QR half-blocks, Input's password bullets, Latin-1 stay as they are.
    for kept in "╭─╮│╰╯┌┐└┘▀▄█▌▐░▊▔▁•×·é":
        assert linux_console_shows(kept) and glyph(kept, term="linux") == kept
    assert glyph("🚀", term="linux") == "?"  # no stand-in known: a visible "?"
    assert all(all(linux_console_shows(c) for c in v) for v in LINUX_CONSOLE_FALLBACKS.values())
    assert plain_symbols("Search for commands…", term="linux") == "Search for commands..."
    assert plain_symbols("等待中…", term="linux") == "等待中..."
    # Every mark our code draws through glyph() has a stand-in the console can show.
    root = Path(__file__).resolve().parents[2] / "csdesk"
    marks = {m for path in root.rglob("*.py") for m in re.findall(r"glyph\(\"([^\"]+)\"\)", path.read_text("utf-8"))}
    assert {"✓", "✗", "●", "○"} <= marks
    for mark in marks:
        assert all(linux_console_shows(c) for c in glyph(mark, term="linux")), mark


async def test_linux_console_marks_in_the_app(backend, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TERM", "linux")
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_password_change(pilot)
        checklist = str(app.screen.query_one("#checklist").render())
        assert "x At least 10 characters" in checklist and "✗" not in checklist and "✓" not in checklist
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommandPalette")
        await pilot.pause(0.3)
        shown = visible_text(app)
        assert "🔎" not in shown and "…" not in shown and "Search for commands..." in shown


# -- 2. Each agent's language is their own; the config file keeps none of theirs --


def _english_environment(monkeypatch, tmp_path: Path) -> Path:
    """A terminal whose LANG says English, with its own (empty) config folder."""
    cfg = tmp_path / "cfg"
    monkeypatch.setenv("CSDESK_CONFIG_DIR", str(cfg))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    return cfg


async def _outbox_empty(pilot: Pilot) -> None:
    session = pilot.app.session
    await wait_for(pilot, lambda: session.sync._status is not None and session.sync._status.pending == 0)


async def test_login_screen_language_goes_to_the_agent_not_the_terminal(backend, tmp_path: Path, monkeypatch) -> None:
    from csdesk.app import CsdeskApp
    from csdesk.config import config_path, load_config
    from csdesk.i18n import current_language

    _english_environment(monkeypatch, tmp_path)
    second, third = DEMO_AGENTS[1], DEMO_AGENTS[2]
    app = CsdeskApp(backend.url, tmp_path / "data", language=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.query("#password"))
        assert current_language() == "en"
        app._toggle_language()  # the palette's "Language" on the login screen
        await wait_for(pilot, lambda: "坐席登录" in screen_text(app))
        await sign_in_to_desk(pilot, second)
        assert current_language() == "zh-CN"
        # It became this agent's own setting (saved with the backend) …
        await wait_for(pilot, lambda: app.desk_settings.language == "zh-CN")
        await _outbox_empty(pilot)
        saved = (await app.session.api.request("GET", "/me/settings")).json()["data"]
        assert saved["language"] == "zh-CN"
        # … and not the terminal's.
        assert not config_path().exists() or load_config().language is None
        # The session ends (signed out elsewhere): the next agent starts from
        # this terminal's language, and keeps it with no setting of their own.
        app.signed_out_elsewhere()
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen" and not app.at_desk)
        await wait_for(pilot, lambda: "agent sign-in" in screen_text(app))
        assert current_language() == "en"
        await sign_in_to_desk(pilot, third)
        await pilot.pause(0.3)
        assert current_language() == "en" and app.desk_settings.language is None
    # A new run on the same terminal: English (LANG), also for an agent without a setting.
    app2 = CsdeskApp(backend.url, tmp_path / "data2", language=None)
    async with app2.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app2.screen.query("#password"))
        assert current_language() == "en"
        await sign_in_to_desk(pilot, third)
        await pilot.pause(0.3)
        assert current_language() == "en"
    # The agent who chose Chinese gets it on any terminal.
    app3 = CsdeskApp(backend.url, tmp_path / "data3", language=None)
    async with app3.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, second)
        await wait_for(pilot, lambda: current_language() == "zh-CN")


async def test_an_agents_saved_language_does_not_pass_to_the_next_agent(backend, tmp_path: Path, monkeypatch) -> None:
    from csdesk.app import CsdeskApp
    from csdesk.i18n import current_language

    _english_environment(monkeypatch, tmp_path)
    app = CsdeskApp(backend.url, tmp_path / "data", language=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        app.change_settings({"language": "zh-CN", "theme": "light", "keymap": {"desk.toggle_ready": "f12"}})
        await wait_for(pilot, lambda: current_language() == "zh-CN")
        await _outbox_empty(pilot)
        app.signed_out_elsewhere()
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen" and not app.at_desk)
        await wait_for(pilot, lambda: "agent sign-in" in screen_text(app))
        # The next agent at this terminal gets its defaults, not A1001's.
        assert current_language() == "en" and app.theme == "textual-dark" and app.desk_settings.keymap == {}
        await sign_in_to_desk(pilot, DEMO_AGENTS[1])
        await pilot.pause(0.3)
        assert current_language() == "en"
        assert "F2 (or ctrl+r)" in str(app.screen.query_one("#state-panel").render())


def test_start_language_precedence(tmp_path: Path, monkeypatch) -> None:
    """Before an agent's own setting is known: --lang, else a language written
    in the config file by hand, else LANG."""
    from csdesk import cli

    cfg = _english_environment(monkeypatch, tmp_path)
    started: list[str | None] = []
    monkeypatch.setattr(cli, "run_tui", lambda url, *, language=None: started.append(language) or 0)

    def start(*args: str) -> str:
        from csdesk.i18n import detect_language

        started.clear()
        assert cli._fast_start(["--server", "http://127.0.0.1:9", *args]) == 0
        return detect_language(started[0])

    assert start() == "en"  # LANG
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert start() == "zh-CN"
    assert start("--lang", "en") == "en"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "config.toml").write_text('language = "en"\n', encoding="utf-8")  # set on purpose
    assert start() == "en"
    assert start("--lang", "zh-CN") == "zh-CN"
