"""The agent's to-dos (operating guide §1.2): shown after sign-in, and on demand.

After the sign-in announcements and release notes, the desk shows this list
when it is not empty: open work orders due today (overdue ones too),
scheduled callbacks (callback orders at their scheduled time, issue #6) and
unread mandatory announcements, overdue first (rule:
:mod:`csdesk.domain.todos`). Enter opens the highlighted item in its own
screen: an announcement in the announcements screen, a work order in its
detail acting with the agent's work-order service (as from F4), a legacy
callback in its read-only detail; Esc goes back to the desk. The list is read again
whenever the screen comes back to the top and whenever sync changes a
collection it is made of.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from csdesk.domain.text import clean_text
from csdesk.i18n import t
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint, key_label, translate_bindings
from csdesk.widgets.footer import Footer

if TYPE_CHECKING:
    from csdesk.app import CsdeskApp
    from csdesk.domain.todos import TodoItem


def todos_key(node: DOMNode) -> str:
    """The key(s) that open the to-dos on the desk (``desk.todos``) as hints
    show them, e.g. ``"ctrl+t"``: :func:`key_hint`, falling back to the desk's
    default when ``node`` is not on the desk (the app's palette)."""
    from csdesk.screens.desk import DeskScreen

    hint = key_hint(node, "desk.todos")
    if hint != "?":
        return hint
    default = next(binding.key for binding in DeskScreen.BINDINGS if getattr(binding, "id", None) == "desk.todos")
    return "/".join(key_label(key) for key in default.split(",") if key.strip())


def kind_label(item: TodoItem) -> str:
    """The translated kind of a to-do: work order, complaint, callback, mandatory item."""
    if item.kind == "work_order" and item.sub_kind:
        return t(f"work_order.type.{item.sub_kind}")
    return t(f"todos.kind.{item.kind}")


def todo_label(item: TodoItem) -> Text:
    """One row: overdue mark, local due time, kind, reference ("not sent yet"
    for a work order made here and not numbered) and title (plain text)."""
    label = Text(no_wrap=True, overflow="ellipsis")
    label.append("! " if item.overdue else "  ", style="bold red")
    label.append(item.due.astimezone().strftime("%m-%d %H:%M "), style="bold red" if item.overdue else "dim")
    label.append(kind_label(item) + " ", style="bold")
    if item.ref:
        label.append(clean_text(item.ref, keep_newlines=False, max_chars=24) + " ", style="cyan")
    elif item.kind == "work_order":
        label.append(t("todos.not_sent") + " ", style="dim")
    label.append(clean_text(item.title, keep_newlines=False, max_chars=120))
    return label


async def show_todos(app: CsdeskApp, *, pop_up: bool = False) -> None:
    """Read the to-dos and show them (a worker of the app runs this).

    ``pop_up=True`` (after sign-in): push :class:`TodosScreen` only when the
    list is not empty, silently otherwise. ``pop_up=False`` (palette, key):
    an empty list is said in a notification. A to-do screen already open
    is refreshed instead of opening a second one. Also updates
    ``app.todo_count``. Store errors are shown as a notification; nothing
    is shown once the session has ended.
    """
    from csdesk.screens.errors import describe_error
    from csdesk.services.todos import load_todos

    session = app.session
    if session is None or session.sync is None or session.store is None:
        return
    if not pop_up and not app.at_desk:
        return
    try:
        items = await load_todos(session)
    except Exception as exc:
        if app.session is session and session.store is not None:
            app.notify(t("todos.failed", error=describe_error(exc)), severity="error", markup=False)
        return
    if app.session is not session or session.store is None:
        return  # signed out meanwhile
    app.todo_count = len(items)
    open_lists = [screen for screen in app.screen_stack if isinstance(screen, TodosScreen)]
    if open_lists:
        open_lists[-1].show(items)
        return
    if not items:
        if not pop_up:
            app.notify(t("todos.none"), markup=False)
        return
    await app.push_screen(TodosScreen(items))


class TodosScreen(Screen[None]):
    """The to-do list; ``items`` (from ``services.todos.load_todos``) are shown at once."""

    CSS_PATH = "todos.tcss"
    BINDINGS = [
        Binding("enter", "open", "todos.open", id="todos.open", priority=True),
        Binding("escape", "close", "todos.close", id="todos.close"),
    ]

    def __init__(self, items: list[TodoItem] | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.items: list[TodoItem] = list(items or [])

    def compose(self) -> ComposeResult:
        yield Static("", id="heading")
        yield OptionList(id="list")
        yield Static("", id="empty")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.show(self.items)
        self.query_one(OptionList).focus()

    def on_screen_resume(self) -> None:
        """Back on top (e.g. from a detail or an acknowledgement): read the list again."""
        self.reload()

    def todos_changed(self) -> None:
        """Sync changed a collection the to-dos are made of (called by the desk)."""
        self.reload()

    def retranslate(self) -> None:
        """Relabel in the current language; the highlighted row stays."""
        self.show(self.items)

    @work(group="todos-load", exclusive=True)
    async def reload(self) -> None:
        """Read the to-dos from the local store (in a thread) and show them."""
        from csdesk.services.todos import load_todos

        app: Any = self.app
        session = app.session
        if session is None or session.sync is None or session.store is None:
            return
        try:
            items = await load_todos(session)
        except Exception:
            return  # the store closed (signing out): keep what is shown
        app.todo_count = len(items)
        self.show(items)

    def show(self, items: list[TodoItem]) -> None:
        """Show ``items``, keeping the highlighted one when it is still there."""
        option_list = self.query_one(OptionList)
        current = self._current()
        self.items = list(items)
        option_list.set_options(
            [Option(todo_label(item), id=f"{item.kind}:{item.id}") for item in self.items]
        )
        keys = [(item.kind, item.id) for item in self.items]
        if self.items:
            index = keys.index(current) if current in keys else 0
            option_list.highlighted = index
        option_list.display = bool(self.items)
        empty = self.query_one("#empty", Static)
        empty.display = not self.items
        empty.update(Text(t("todos.none")))
        self.query_one("#heading", Static).update(
            Text(t("todos.title", count=len(self.items)), style="bold")
        )
        overdue = sum(1 for item in self.items if item.overdue)
        status = Text(no_wrap=True, overflow="ellipsis")
        if overdue:
            status.append(t("todos.overdue_count", count=overdue) + " · ", style=status_style(self.app, "bad"))
        status.append(t("todos.hint"), style="dim")
        self.query_one("#status", Static).update(status)

    def _current(self) -> tuple[str, str] | None:
        if not self.is_mounted:
            return None
        index = self.query_one(OptionList).highlighted
        if index is None or not 0 <= index < len(self.items):
            return None
        item = self.items[index]
        return (item.kind, item.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Open the highlighted to-do in its own screen."""
        current = self._current()
        if current is not None:
            self._open(*current)

    @work(group="todos-open", exclusive=True)
    async def _open(self, kind: str, item_id: str) -> None:
        from csdesk.screens.errors import describe_error

        app: Any = self.app
        session = app.session
        if session is None or session.sync is None:
            return
        try:
            if kind == "announcement":
                await self._open_announcement(session, item_id)
                return
            from csdesk.screens.work_order_detail import detail_screen_for
            from csdesk.services.todos import load_work_item

            item = await load_work_item(session, kind, item_id)
        except Exception as exc:
            self.notify(t("todos.failed", error=describe_error(exc)), severity="error", markup=False)
            return
        if item is None:
            self.notify(t("todos.gone"), severity="warning", markup=False)
            self.reload()
            return
        # A work order opened from here acts as from F4 (the agent's service).
        await app.push_screen(detail_screen_for(item, getattr(session, "work_orders", None)))

    async def _open_announcement(self, session: Any, item_id: str) -> None:
        from csdesk.screens.announcements import AnnouncementsScreen

        announcements = await session.announcements()
        if not any(ann.id == item_id for ann in announcements):
            self.notify(t("todos.gone"), severity="warning", markup=False)
            self.reload()
            return
        await self.app.push_screen(AnnouncementsScreen(announcements, start_id=item_id))

    def action_close(self) -> None:
        """Back to the desk."""
        self.dismiss(None)

    def palette_commands(self) -> Iterable[SystemCommand]:
        """To-do entries of the command palette."""
        yield SystemCommand(
            t("cmd.todo_open"), t("cmd.todo_open.help", key=key_hint(self, "todos.open")), self.action_open
        )
