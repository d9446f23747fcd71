"""Keys and looks of the small dialogs and the work-order form, against a
real backend at 80×24: Tab in the work-order action dialog visits only the
fields shown, Left / Right move between the Yes and No of a confirmation,
and the form's one-line fields show as fields (focused or not) in every theme.
"""

from __future__ import annotations

from pathlib import Path

from rich.color import ColorSystem
from textual.color import Color
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select

from csdesk.screens.action_dialog import ActionDialog
from csdesk.screens.confirm import ConfirmScreen
from csdesk.screens.work_order_form import WorkOrderFormScreen
from csdesk.server.seed import DEMO_AGENTS
from csdesk.themes import THEME_NAMES
from tests.server.work_order_helpers import move, new_order
from tests.tui.helpers import make_app, selects_composed, sign_in_to_desk, wait_for

AGENT = DEMO_AGENTS[0]
ME = AGENT["employee_id"]


def name(app) -> str:
    return app.screen.__class__.__name__


async def open_detail(pilot, count: int = 1) -> None:
    """F4, wait for the orders, Enter on the first: its detail."""
    from tests.tui.test_work_orders import open_list

    app = pilot.app
    await open_list(pilot, count)
    await pilot.press("enter")
    await wait_for(pilot, lambda: name(app) == "WorkOrderDetailScreen")


def shown_fields(dialog: ActionDialog) -> list[Widget]:
    """The dialog's fields whose row is shown, in order."""
    return [dialog.query_one(f"#f-{f.name}") for f in dialog.fields
            if dialog.query_one(f"#row-{f.name}").display]


async def tab_round(pilot, dialog: ActionDialog, key: str, presses: int) -> list[str]:
    """Press ``key`` ``presses`` times; after each, the focus must be on a field
    shown (its row displayed, the field on screen). Returns the field names visited."""
    app = pilot.app
    visited = []
    for _ in range(presses):
        await pilot.press(key)
        await pilot.pause()
        focused = app.focused
        assert focused is not None, "Tab left nothing focused"
        assert focused in shown_fields(dialog), f"Tab focused {focused!r}, not a field shown"
        assert focused.region.area > 0, f"{focused!r} has the focus but is not on screen"
        assert dialog.query_one("#dialog").region.contains_region(focused.region)
        visited.append(str(focused.id).removeprefix("f-"))
    return visited


async def test_tab_in_the_move_and_comment_dialogs_visits_only_the_fields_shown(backend, tmp_path: Path) -> None:
    ctx = backend.context
    order = new_order(ctx, ME, assignee_id=ME, title="Tab 键测试")
    order = move(ctx, ME, order, "accepted")
    move(ctx, ME, order, "in_progress")

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT, todos=True)
        await open_detail(pilot)

        # m: "to" and "comment" shown; resolution, feedback, satisfaction, tries hidden.
        await pilot.press("m")
        await wait_for(pilot, lambda: name(app) == "ActionDialog")
        dialog = app.screen
        await pilot.pause()
        assert [str(w.id) for w in shown_fields(dialog)] == ["f-to", "f-comment"]
        assert app.focused is dialog.query_one("#f-to")
        assert await tab_round(pilot, dialog, "tab", 5) == ["comment", "to", "comment", "to", "comment"]
        assert await tab_round(pilot, dialog, "shift+tab", 4) == ["to", "comment", "to", "comment"]

        # Choosing "resolved" shows the resolution row: Tab now visits it too, in order.
        await pilot.press("shift+tab")  # back on "to"
        assert app.focused is dialog.query_one("#f-to")
        for _ in range(3):
            if dialog.query_one("#f-to").value == "resolved":
                break
            await pilot.press("right")
        assert dialog.query_one("#f-to").value == "resolved"
        assert dialog.query_one("#row-resolution").display
        assert await tab_round(pilot, dialog, "tab", 4) == ["resolution", "comment", "to", "resolution"]
        assert await tab_round(pilot, dialog, "shift+tab", 3) == ["to", "comment", "resolution"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) == "WorkOrderDetailScreen")

        # c: the visibility choice and the text.
        await pilot.press("c")
        await wait_for(pilot, lambda: name(app) == "ActionDialog")
        dialog = app.screen
        await wait_for(pilot, lambda: app.focused is dialog.query_one("#f-text"))
        assert await tab_round(pilot, dialog, "tab", 3) == ["visibility", "text", "visibility"]
        assert await tab_round(pilot, dialog, "shift+tab", 3) == ["text", "visibility", "text"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) == "WorkOrderDetailScreen")


async def test_left_and_right_move_between_yes_and_no(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        desk = app.screen

        # F10 (nothing live in hand): "Sign out?" with Yes focused.
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        confirm = app.screen
        await pilot.pause()
        yes, no = confirm.query_one("#yes", Button), confirm.query_one("#no", Button)
        assert app.focused is yes
        await pilot.press("right")
        assert app.focused is no
        await pilot.press("right")  # the last button: it stays
        assert app.focused is no
        await pilot.press("left")
        assert app.focused is yes
        await pilot.press("left")
        assert app.focused is yes
        await pilot.press("right", "enter")  # Enter presses the focused No
        await wait_for(pilot, lambda: app.screen is desk)

        # A confirmation that defaults to No keeps doing so; Left then Enter is Yes.
        answers: list[bool | None] = []
        app.push_screen(ConfirmScreen("Discard?", default=False), answers.append)
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        confirm = app.screen
        await pilot.pause()
        assert app.focused is confirm.query_one("#no", Button)
        await pilot.press("left")
        assert app.focused is confirm.query_one("#yes", Button)
        await pilot.press("enter")
        await wait_for(pilot, lambda: answers == [True])

        # Esc still answers No, whichever button has the focus.
        app.push_screen(ConfirmScreen("Discard?", default=True), answers.append)
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause()
        await pilot.press("escape")
        await wait_for(pilot, lambda: answers == [True, False])
        assert app.screen is desk


def background_at(widget: Widget) -> Color:
    """The background the terminal shows in the last cell of ``widget``'s first
    line (away from an Input's cursor, drawn in the first cell of an empty one)."""
    strip = widget.render_lines(Region(0, 0, widget.size.width, 1))[0]
    for segment in reversed(list(strip)):
        if segment.style is not None and segment.style.bgcolor is not None:
            triplet = segment.style.bgcolor.get_truecolor()
            return Color(*triplet)
    raise AssertionError(f"{widget!r} renders no background")


def in_256(color: Color) -> int:
    """``color`` as a 256-colour terminal (tmux by default) shows it."""
    number = color.rich_color.downgrade(ColorSystem.EIGHT_BIT).number
    assert number is not None
    return number


async def test_the_forms_one_line_fields_show_as_fields_focused_or_not(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT, todos=True)
        await pilot.press("f4")
        await wait_for(pilot, lambda: name(app) == "WorkOrdersScreen")
        await wait_for(pilot, lambda: app.screen.ready)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, WorkOrderFormScreen))
        form = app.screen
        await wait_for(pilot, lambda: not form._loading and selects_composed(app))
        title, category = form.query_one("#title", Input), form.query_one("#category", Input)
        await wait_for(pilot, lambda: app.focused is title)
        assert title.value == "" and category.value == ""
        label = form.query_one("#label-category", Label)
        level = form.query_one("#level", Select)

        # At 80×24 the form keeps its one-line rows (no border, no extra line).
        assert all(field.outer_size.height == 1 for field in form.query(Input))
        assert level.outer_size.height == 1

        for theme in THEME_NAMES.values():
            app.theme = theme
            title.focus()
            await pilot.pause()
            screen_true, unfocused_true = background_at(label), background_at(category)
            screen_bg, unfocused = in_256(screen_true), in_256(unfocused_true)
            focused = in_256(background_at(title))
            # Empty and unfocused, a field still shows its box; the focused one shows stronger.
            assert unfocused != screen_bg, f"{theme}: an empty field looks like the screen"
            assert abs(unfocused_true.brightness - screen_true.brightness) >= 0.08, f"{theme}: a faint box"
            assert focused not in (screen_bg, unfocused), f"{theme}: the focused field looks like the others"
            # The choice fields look the same way.
            select_bg = in_256(background_at(level.query_one("SelectCurrent")))
            assert select_bg == unfocused, f"{theme}: a choice field looks unlike a text field"
            level.focus()
            await pilot.pause()
            assert in_256(background_at(level.query_one("SelectCurrent"))) == focused, theme
            assert in_256(background_at(title)) == unfocused, theme
