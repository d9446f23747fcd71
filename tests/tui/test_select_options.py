"""New options for a Select that has not composed yet (a form retranslated or
refreshed right after it opened raised ``NoMatches`` on a loaded machine)."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Select

from csdesk.widgets.select_options import replace_options


async def test_options_wait_for_the_select_to_compose_and_keep_the_value() -> None:
    app: App[None] = App()
    async with app.run_test() as pilot:
        select: Select[str] = Select([("one", "1"), ("two", "2")], value="2", allow_blank=False)
        app.mount(select)  # not awaited: the Select has not composed yet
        assert not select.query("SelectOverlay")
        replace_options(select, lambda: [("eins", "1"), ("zwei", "2")])  # raised NoMatches with set_options
        await pilot.pause(0.2)
        assert [str(label) for label, _ in select._options if _ != Select.NULL] == ["eins", "zwei"]
        assert select.value == "2"
        replace_options(select, [("drei", "3")])
        await pilot.pause(0.1)
        assert select.value == "3"  # the old value is not offered any more: the first one is taken


async def test_a_composed_select_changes_at_once() -> None:
    app: App[None] = App()
    async with app.run_test() as pilot:
        select: Select[str] = Select([("one", "1"), ("two", "2")], value="1", allow_blank=False)
        await app.mount(select)
        await pilot.pause()
        replace_options(select, [("uno", "1"), ("dos", "2")])
        assert [str(label) for label, _ in select._options if _ != Select.NULL] == ["uno", "dos"]
        assert select.value == "1"
