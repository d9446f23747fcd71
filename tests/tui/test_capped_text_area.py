"""Multi-line fields keep to their cap however the text comes (QA round 8).

A 22,000-character paste typed in as keys (a terminal without bracketed
paste) into the phrase editor's body froze the desk for about 2.5 minutes:
the body had no cap for typed keys and every key re-checked the whole form.
The wrap-up notes had no cap either (cut silently at submit).
"""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import App, ComposeResult

from csdesk.domain import phrases as ph
from csdesk.domain.contact_schemas import MAX_MESSAGE_CHARS
from csdesk.widgets.capped_text_area import CappedTextArea
from tests.tui.helpers import wait_for
from tests.tui.test_composer_paste import deliver, settle_on, terminal_reads


class Host(App[None]):
    def __init__(self, area: CappedTextArea) -> None:
        super().__init__()
        self.area = area
        self.too_long: list[int] = []

    def compose(self) -> ComposeResult:
        yield self.area

    def on_capped_text_area_too_long(self, event: CappedTextArea.TooLong) -> None:
        self.too_long.append(event.dropped)


async def test_typed_keys_past_the_cap_are_left_out_and_said_once() -> None:
    app = Host(CappedTextArea(max_chars=100))
    async with app.run_test(size=(80, 24)) as pilot:
        app.area.focus()
        deliver(app, terminal_reads("abcdefghij" * 500, newline="\n"))
        await settle_on(pilot, app.area)
        assert app.area.text == ("abcdefghij" * 10)
        assert len(app.too_long) == 1
        # Room again after a delete: the next key fits, the one after is said anew.
        await pilot.press("backspace", "x", "y")
        assert app.area.text.endswith("x") and len(app.area.text) == 100
        assert len(app.too_long) == 2


async def test_a_paste_is_cleaned_and_cut_with_its_whole_excess_counted() -> None:
    app = Host(CappedTextArea(max_chars=50))
    async with app.run_test(size=(80, 24)) as pilot:
        app.area.focus()
        app.area.post_message(events.Paste("\x1b[31mred\x1b[0m " + "z" * 996))
        await pilot.pause()
        assert app.area.text == "red " + "z" * 46
        assert app.too_long == [1000 - 50]  # counted after cleaning: the escape sequences were never text


async def test_a_line_break_past_the_cap_is_refused_too() -> None:
    app = Host(CappedTextArea(max_chars=3))
    async with app.run_test(size=(80, 24)) as pilot:
        app.area.focus()
        await pilot.press("a", "b", "c", "enter")
        assert app.area.text == "abc" and len(app.too_long) == 1


async def test_the_phrase_editor_body_stays_responsive_and_capped(backend, tmp_path: Path) -> None:
    from csdesk.screens.phrase_editor import PhraseEditorScreen
    from tests.tui.helpers import make_app, sign_in_to_desk
    from tests.tui.test_phrases import AGENT

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await pilot.press("f6")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "PhrasePickerScreen")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, PhraseEditorScreen) and bool(app.screen.query("#list")))
        editor = app.screen
        checks = 0
        check = editor._check_typed

        def counted() -> None:
            nonlocal checks
            checks += 1
            check()

        editor._check_typed = counted
        body = editor.query_one("#body", CappedTextArea)
        body.focus()
        await pilot.pause()
        deliver(app, terminal_reads("x" * 6_000, newline="\n"))
        await settle_on(pilot, body)
        await wait_for(pilot, lambda: checks >= 1)
        assert len(body.text) == ph.BODY_MAX
        assert checks <= 3  # once per pause in the keys, not once per key
        cut = [n for n in app.notices if str(ph.BODY_MAX) in n]
        assert len(cut) == 1


async def test_the_wrap_up_notes_are_capped_at_the_record_limit(backend) -> None:
    """Notes typed past the record's limit were kept on screen and cut silently
    at submit; now the form says so and holds exactly what is sent."""
    from csdesk.screens.wrap_up import WrapUpScreen
    from tests.tui.live_modal_helpers import PENDING, ModalHost, live_contact

    sent = []

    async def keep(request):
        sent.append(request)
        return None

    async with live_contact(backend, 2) as live:
        await live.service.end()
        screen = WrapUpScreen(live.service, missed=[], customer_left=False, submit=keep)
        app = ModalHost(screen)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: bool(screen.categories))
            await pilot.press("enter")  # the first code; the focus goes to the notes
            notes = screen.query_one("#notes", CappedTextArea)
            await wait_for(pilot, lambda: notes.has_focus)
            deliver(app, terminal_reads("n" * (MAX_MESSAGE_CHARS + 500), newline="\n"))
            await settle_on(pilot, notes)
            assert len(notes.text) == MAX_MESSAGE_CHARS
            await wait_for(pilot, lambda: "Too long" in str(screen.query_one("#message").render()))
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: app.result is not PENDING)
        assert sent and sent[0].notes == "n" * MAX_MESSAGE_CHARS
