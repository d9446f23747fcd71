"""Quick phrases on the desk, with Pilot against the real backend (issue #5, guide §3.4).

``/code`` + Tab expands in the composer (known placeholders filled from the
agent and the contact; an unknown code changes nothing); ``{?label}`` blocks
Enter until it is filled; the F6 list filters and inserts at the cursor; a
personal phrase made in the editor while the backend is down reaches it once
it is back (outbox); markup and control characters in a phrase stay literal;
the list and the editor fit 80×24.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from textual.widgets import Input, OptionList, Static

from csdesk.domain.phrase_schemas import PhraseWrite
from csdesk.server.phrases import list_personal_phrases, save_personal_phrase
from tests.tui.helpers import make_app, sign_in_to_desk, wait_for
from tests.tui.test_desk_live import AGENT, live, take_contact

TODAY = date.today()


async def type_keys(pilot, text: str) -> None:
    for char in text:
        await pilot.press({" ": "space", "/": "slash"}.get(char, char))


async def clear_composer(pilot) -> None:
    await pilot.press("ctrl+backslash")
    await wait_for(pilot, lambda: live(pilot.app).composer.text == "")


def status(app) -> str:
    return str(live(app).composer.query_one("#composer-status", Static).render())


def agent_lines(app) -> list[str]:
    contact = app.get_session().contact.contact
    return [line.text for line in contact.transcript if line.speaker == "agent" and line.kind == "message"]


def inside_screen(app, widget) -> bool:
    region = widget.region
    return region.width > 0 and region.height > 0 and region.right <= 80 and region.bottom <= 24


async def test_code_tab_expands_and_an_input_placeholder_blocks_enter_until_filled(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await take_contact(pilot, backend, customer=0)  # 王建国, ID with an odd 17th digit
        composer = live(app).composer
        await wait_for(pilot, lambda: bool(composer.text))
        await clear_composer(pilot)
        assert "/code Tab or F6: quick phrases" in status(app)  # the empty composer names them
        # an unknown code: said, nothing changes
        await type_keys(pilot, "/nope")
        await pilot.press("tab")
        assert composer.text == "/nope"
        assert "/nope" in status(app)
        assert app.screen.focused is composer.input
        await clear_composer(pilot)
        # the greeting: every placeholder known, filled from the agent and the card
        await type_keys(pilot, "/greet")
        await pilot.press("tab")
        assert composer.text == "王先生您好，我是张伟，工号A1001，很高兴为您服务。请问有什么可以帮您？"
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(text.startswith("王先生您好") for text in agent_lines(app)))
        # a phrase with a value to type: it is selected; Enter is refused until filled
        await type_keys(pilot, "x /LOST1")
        await pilot.press("tab")
        today = f"{TODAY.year}年{TODAY.month}月{TODAY.day}日"
        assert composer.text.startswith(f"x 已为您办理尾号{{?卡号后四位}}的银行卡挂失，挂失自{today}起生效")
        assert composer.input.selected_text == "{?卡号后四位}"
        sent = len(agent_lines(app))
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert len(agent_lines(app)) == sent and "{?卡号后四位}" in composer.text
        assert "{?卡号后四位}" in status(app)
        assert any("{?卡号后四位}" in n for n in app.notices)
        # Tab comes back to it; typing replaces it; then Enter sends
        await pilot.press("end", "tab")
        assert composer.input.selected_text == "{?卡号后四位}"
        await type_keys(pilot, "1234")
        assert "尾号1234的银行卡" in composer.text
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("尾号1234的银行卡" in text for text in agent_lines(app)))
        assert composer.text == ""


async def test_f6_list_filters_and_inserts_at_the_cursor_and_fits_80x24(backend, tmp_path: Path) -> None:
    from csdesk.screens.phrase_picker import PhrasePickerScreen

    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        # no contact: the list opens for reading
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, PhrasePickerScreen))
        assert "No contact" in str(app.screen.query_one("#hint", Static).render())
        await pilot.press("escape")
        await take_contact(pilot, backend, customer=1)  # 李秀英: even 17th digit
        composer = live(app).composer
        await wait_for(pilot, lambda: bool(composer.text))
        await clear_composer(pilot)
        await type_keys(pilot, "AB")
        await pilot.press("left")  # the cursor between A and B
        await pilot.press("f6")  # the composer's TextArea binds f6 itself: the desk's key wins
        await wait_for(pilot, lambda: isinstance(app.screen, PhrasePickerScreen))
        picker = app.screen
        for widget in (picker.query_one("#dialog"), picker.query_one("#query"), picker.query_one("#phrases"),
                       picker.query_one("#preview"), picker.query_one("#hint")):
            assert inside_screen(app, widget), widget
        assert len(picker.matches) >= 20
        await type_keys(pilot, "standard gretting")  # English, with a typo
        await wait_for(pilot, lambda: bool(picker.matches) and picker.matches[0].phrase.code == "hello")
        assert "Hello Ms Li" in str(picker.query_one("#preview", Static).render())
        picker.query_one("#query", Input).value = ""
        await type_keys(pilot, "fx")
        await pilot.pause()
        picker.query_one("#query", Input).value = "风险"
        await wait_for(pilot, lambda: picker.matches and picker.matches[0].phrase.category == "风险提示")
        await pilot.press("down")
        second = picker.matches[1].phrase
        assert picker.query_one("#phrases", OptionList).highlighted == 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, PhrasePickerScreen))
        assert composer.text.startswith("A") and composer.text.endswith("B")
        assert second.body.split("{")[0] in composer.text
        # Esc closes without inserting
        before = composer.text
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, PhrasePickerScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, PhrasePickerScreen))
        assert composer.text == before
        # the key is the agent's phrase-key setting
        app.apply_settings({**app._settings_doc, "phrase_key": "f12"})
        await pilot.press("f6")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, PhrasePickerScreen)
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, PhrasePickerScreen))


async def test_markup_and_control_characters_in_a_phrase_stay_literal(backend, tmp_path: Path) -> None:
    from csdesk.screens.phrase_picker import PhrasePickerScreen

    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        session = app.get_session()
        # written on the backend (another desk): the "phrase" event makes this desk pull it
        with backend.context.db.write() as db:
            save_personal_phrase(db, AGENT["employee_id"], "p-markup", PhraseWrite(
                code="mk", title="[bold red]标题[/]", base_version=0,
                body="[bold red]x[/] \x1b[31m[link=http://evil]y[/link]\x07 {?金额}",
            ))
        await wait_for(pilot, lambda: session.store.get("my_phrases", "p-markup") is not None, timeout=10)
        await take_contact(pilot, backend, customer=0)
        composer = live(app).composer
        await wait_for(pilot, lambda: bool(composer.text))
        await clear_composer(pilot)
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, PhrasePickerScreen))
        picker = app.screen
        picker.query_one("#query", Input).value = "mk"
        await wait_for(pilot, lambda: picker.matches and picker.matches[0].phrase.code == "mk")
        await pilot.pause()
        preview = str(picker.query_one("#preview", Static).render())
        assert "[bold red]x[/] [link=http://evil]y[/link] {?金额}" in preview
        assert "\x1b" not in preview and "\x07" not in preview
        row = str(picker.query_one("#phrases", OptionList).get_option_at_index(0).prompt)
        assert "[bold red]标题[/]" in row
        await pilot.press("enter")
        await wait_for(pilot, lambda: "{?金额}" in composer.text)
        await pilot.press("tab")
        await type_keys(pilot, "500")
        await pilot.press("enter")
        literal = "[bold red]x[/] [link=http://evil]y[/link] 500"
        await wait_for(pilot, lambda: literal in agent_lines(app))
        await wait_for(pilot, lambda: literal in live(app).transcript.plain_text)


async def test_a_phrase_made_offline_in_the_editor_reaches_the_backend_when_it_is_back(tmp_path: Path) -> None:
    from csdesk.screens.phrase_editor import PhraseEditorScreen
    from csdesk.screens.phrase_picker import PhrasePickerScreen
    from csdesk.server.runner import BackgroundServer
    from tests.conftest import restartable_server

    server, settings, port = restartable_server(tmp_path)
    app = make_app(server.url, tmp_path / "data")
    bar = lambda: str(app.screen.query_one("AgentBar").render())  # noqa: E731
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in_to_desk(pilot, AGENT)
            session = app.get_session()
            server.stop()
            await wait_for(pilot, lambda: "○ offline" in bar(), timeout=10)
            # F6, then ctrl+o: the editor
            await pilot.press("f6")
            await wait_for(pilot, lambda: isinstance(app.screen, PhrasePickerScreen))
            await pilot.press("ctrl+o")
            await wait_for(pilot, lambda: isinstance(app.screen, PhraseEditorScreen) and bool(app.screen.query("#list")))
            editor = app.screen
            await pilot.pause()
            for selector in ("#heading", "#list", "#code", "#title", "#body", "#problems"):
                assert inside_screen(app, editor.query_one(selector)), selector
            # checks first: an unknown placeholder and a missing title are refused
            await pilot.press("ctrl+n")
            await type_keys(pilot, "Card9")
            editor.query_one("#body").load_text("尾号{?卡号后四位} {agent_nmae}")
            await pilot.press("ctrl+r")
            await pilot.pause()
            problems = str(editor.query_one("#problems", Static).render())
            assert "{agent_nmae}" in problems and "Title" in problems
            assert session.sync.outbox.items() == []
            editor.query_one("#title", Input).value = "卡片提醒"
            editor.query_one("#body").load_text("尾号{?卡号后四位}的卡片已受理，{agent_name}")
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: bool(editor.phrases))
            assert "/card9" in str(editor.query_one("#problems", Static).render())
            assert [(p.code, p.pending) for p in editor.phrases] == [("card9", True)]
            queued = session.sync.outbox.items()
            assert [(i.kind, i.path.startswith("/me/phrases/")) for i in queued] == [("phrase.save", True)]
            # usable at once, offline: /card9 + Tab on the desk needs no backend
            assert session.sync is not None
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
            assert app.screen.phrase_service.book.by_code("card9") is not None
            server = BackgroundServer(settings, port=port).start()
            await wait_for(pilot, lambda: session.sync.outbox.items() == [], timeout=30)
            with server.context.db.read() as db:
                served = list_personal_phrases(db, AGENT["employee_id"])
            assert [(p.code, p.title, p.version) for p in served] == [("card9", "卡片提醒", 1)]
            stored = session.store.get("my_phrases", queued[0].path.rsplit("/", 1)[1])
            await wait_for(pilot, lambda: not session.store.get("my_phrases", stored["id"]).get("pending"))
    finally:
        server.stop()
        await asyncio.sleep(0)


async def test_editor_deletes_after_asking_and_refuses_a_taken_code(backend, tmp_path: Path) -> None:
    from csdesk.screens.phrase_editor import PhraseEditorScreen

    with backend.context.db.write() as db:
        for ident, code in (("p-one", "one"), ("p-two", "two")):
            save_personal_phrase(db, AGENT["employee_id"], ident, PhraseWrite(
                code=code, title=f"标题{code}", body="内容", base_version=0))
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        session = app.get_session()
        app.screen.action_phrase_editor()  # the palette entry's action
        await wait_for(pilot, lambda: isinstance(app.screen, PhraseEditorScreen) and bool(app.screen.query("#list")))
        editor = app.screen
        await wait_for(pilot, lambda: [p.code for p in editor.phrases] == ["one", "two"])
        await pilot.pause()
        assert app.screen.focused is editor.query_one("#list", OptionList)
        await pilot.press("down", "enter")  # edit "two"
        await wait_for(pilot, lambda: editor.query_one("#code", Input).value == "two")
        assert editor.query_one("#code", Input).cursor_position == 3  # QA: typing went in before the code
        editor.query_one("#code", Input).value = "one"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "already used" in str(editor.query_one("#problems", Static).render())
        editor.query_one("#code", Input).value = "two"
        editor.query_one("#list", OptionList).focus()
        editor.query_one("#list", OptionList).highlighted = 0
        await pilot.press("delete")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("enter")  # the focus starts on "No": a stray Enter deletes nothing
        await wait_for(pilot, lambda: app.screen is editor)
        assert [p.code for p in editor.phrases] == ["one", "two"]
        await pilot.press("delete")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: [p.code for p in editor.phrases] == ["two"])
        await wait_for(pilot, lambda: session.sync.outbox.items() == [], timeout=10)
        with backend.context.db.read() as db:
            assert [p.code for p in list_personal_phrases(db, AGENT["employee_id"])] == ["two"]


async def test_code_and_tab_typed_ahead_in_one_burst_still_expand(backend, tmp_path: Path) -> None:
    """``/greet`` and Tab arriving in one read of the terminal (typed ahead, an
    autotype tool) expanded nothing: the burst took the Tab as pasted text."""
    from tests.tui.test_composer_paste import deliver, settle, terminal_reads

    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await take_contact(pilot, backend, customer=0)
        composer = live(app).composer
        await wait_for(pilot, lambda: bool(composer.text))
        await clear_composer(pilot)
        deliver(app, terminal_reads("/greet\t"))
        await settle(pilot, composer)
        assert composer.text.startswith("王先生您好，我是张伟")
        await clear_composer(pilot)
        deliver(app, terminal_reads("a\tb\t"))  # no code, no placeholder: the tabs are text
        await settle(pilot, composer)
        assert composer.text == "a\tb\t"
