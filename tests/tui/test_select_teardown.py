"""A form dismissed while its Select is still mounting does not stop the app
(Textual 8's Select read its parts in its mount handler after they were gone;
found by CI: Esc right after the wrap-up form appeared)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

from csdesk.widgets.select_options import SafeSelect


class Form(ModalScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static("form")
        yield SafeSelect([("one", "1"), ("two", "2")], value="1", allow_blank=False, id="pick")


async def test_dismissing_a_form_as_it_opens_keeps_the_app_running() -> None:
    app: App[None] = App()
    async with app.run_test() as pilot:
        for _ in range(20):
            form = Form()
            app.push_screen(form)
            app.pop_screen()  # before the Select's mount handler ran
            await pilot.pause()
        assert app.is_running
        form = Form()
        await app.push_screen(form)
        await pilot.pause(0.1)
        assert form.query_one("#pick", SafeSelect).value == "1"
