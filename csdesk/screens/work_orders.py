"""The work-order list (F4 on the desk; issue #6, operating guide §2.4, §3.2).

Six views of the locally synced orders (so the list works offline), chosen
by key (shown in the view bar): my open orders, my team's queue, due today,
at risk, breached, created by me (:mod:`csdesk.domain.work_order_views`).
Each view is narrowed by the filters: a customer reference typed in the
filter box (``/``), and the type, status and priority/grade, each cycled by
one key (``t``, ``s``, ``l``; ``x`` clears them all). Rows are sorted by due
time, soonest first.

A row: number ("pending" for an order made here and not numbered yet),
type, priority or grade, status, the resolution clock's state with the time
left (computed for the rows listed only, at most :data:`ROW_LIMIT`) and the
title. Column widths are counted in terminal cells (CJK is two wide), so a
row fits 80 columns in English and in Chinese. Titles are typed by people:
cleaned and shown as plain text.

Enter opens the highlighted order in
:class:`csdesk.screens.work_order_detail.WorkOrderDetailScreen`; ``n``
opens the new-order form; Esc goes back to the desk. The list is read again
when sync changes the ``work_orders`` collection (the desk calls
:meth:`WorkOrdersScreen.work_orders_changed`), and redrawn every
:data:`TICK_SECONDS` for the clocks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from csdesk.domain import sla
from csdesk.domain.text import clean_text
from csdesk.domain.work_order_views import VIEWS, Filters, row_clock
from csdesk.domain.work_orders import GRADES, PRIORITIES, STATUSES, TYPES
from csdesk.i18n import t
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint, translate_bindings
from csdesk.widgets.footer import Footer
from csdesk.widgets.form_screen import FormInput

if TYPE_CHECKING:
    from csdesk.domain.work_order_schemas import WorkOrderDoc
    from csdesk.services.work_orders import WorkOrderService

_log = logging.getLogger(__name__)

#: Seconds between two redraws of the clocks.
TICK_SECONDS = 30.0
#: Most rows listed (and clocks computed); the status line says when there are more.
ROW_LIMIT = 200
#: Filter cycles: "" (any) then each value.
FILTER_CYCLES: dict[str, tuple[str, ...]] = {
    "type": ("", *TYPES),
    "status": ("", *STATUSES),
    "level": ("", *PRIORITIES, *GRADES),
}
#: Column widths in cells: number, type, level, status, clock (the title takes the rest).
COLUMNS = (("number", 16), ("type", 10), ("level", 4), ("status", 9), ("clock", 14))
#: The narrowest title column.
MIN_TITLE = 8


def fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells: padded, or cut with "…"."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def duration(seconds: float) -> str:
    """A short duration: ``35m``, ``2h10m``, ``1d2h`` (from the i18n units)."""
    minutes = max(0, int(abs(seconds) // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return t("wo.dur_dh", d=days, h=hours)
    if hours:
        return t("wo.dur_hm", h=hours, m=mins)
    return t("wo.dur_m", m=mins)


def clock_text(clock: sla.SlaClock) -> str:
    """The state of a clock with the time that matters: ``by 12-04 18:00``
    (running), ``at risk 35m``, ``breached 1d2h``, ``paused``, ``met``, ``met late``."""
    if clock.state == "running" and clock.due_at is not None:
        # The deadline itself: on a business-hours clock "1d20h left" would read
        # as calendar time (44 business hours is most of a working week).
        return t("wo.clock.running_due", at=clock.due_at.astimezone().strftime("%m-%d %H:%M"))
    if clock.state in ("running", "at_risk", "breached"):
        return t(f"wo.clock.{clock.state}", left=duration(clock.left_seconds))
    return t(f"wo.clock.{clock.state}")


def clock_style(app: Any, state: str) -> str:
    """Style of a clock state: breached bad, at risk warning, paused/met dim."""
    if state in ("breached", "met_late"):
        return status_style(app, "bad")
    if state == "at_risk":
        return status_style(app, "warn")
    return "dim" if state in ("paused", "met") else ""


def level_label(order: WorkOrderDoc, *, short: bool = True) -> str:
    """The priority (``P2``) or the complaint grade (short or full)."""
    if order.priority:
        return order.priority
    if order.grade:
        return t(f"wo.grade_short.{order.grade}") if short else t(f"work_order.grade.{order.grade}")
    return "-"


def number_label(order: WorkOrderDoc) -> str:
    """The number read to the customer, or "pending" before the backend gave one."""
    return clean_text(order.number, keep_newlines=False, max_chars=24) if order.number else t("wo.pending")


def filter_value_label(kind: str, value: str) -> str:
    """A filter value as the filter line shows it ("any" for none)."""
    if not value:
        return t("wo.filter.any")
    if kind == "type":
        return t(f"wo.type_short.{value}")
    if kind == "status":
        return t(f"wo.status_short.{value}")
    return value if value in PRIORITIES else t(f"work_order.grade.{value}")


def title_width(total: int) -> int:
    """Cells left for the title in a row ``total`` cells wide."""
    return max(MIN_TITLE, total - sum(width + 1 for _, width in COLUMNS))


def order_row(app: Any, order: WorkOrderDoc, clock: sla.SlaClock | None, total: int, *,
              refused: bool = False) -> Text:
    """One row of the list, ``total`` cells wide at most (plain text, styled by
    parts); ``refused``: a new order the backend refused (said where the number goes)."""
    row = Text(no_wrap=True, overflow="ellipsis")
    widths = dict(COLUMNS)
    if refused:
        row.append(fit(t("wo.refused_short"), widths["number"]) + " ", style=status_style(app, "error"))
    else:
        row.append(fit(number_label(order), widths["number"]) + " ", style="bold" if order.number else "italic dim")
    row.append(fit(t(f"wo.type_short.{order.type}"), widths["type"]) + " ")
    level = level_label(order)
    urgent = order.priority == "P1" or order.grade == "major"
    row.append(fit(level, widths["level"]) + " ", style=status_style(app, "bad") if urgent else "")
    row.append(fit(t(f"wo.status_short.{order.status}"), widths["status"]) + " ")
    if clock is None:
        row.append(fit("-", widths["clock"]) + " ", style="dim")
    else:
        row.append(fit(clock_text(clock), widths["clock"]) + " ", style=clock_style(app, clock.state))
    row.append(fit(clean_text(order.title, keep_newlines=False, max_chars=200), title_width(total)).rstrip())
    return row


def header_row(total: int) -> Text:
    """The column titles, aligned with :func:`order_row`."""
    parts = [fit(t(f"wo.col.{name}"), width) for name, width in COLUMNS]
    parts.append(fit(t("wo.col.title"), title_width(total)).rstrip())
    return Text(" ".join(parts), style="bold", no_wrap=True, overflow="ellipsis")


class WorkOrdersScreen(Screen[None]):
    """The list of work orders; ``service`` is the signed-in agent's
    :class:`WorkOrderService`. Down (from the desk):
    :meth:`work_orders_changed`, :meth:`retranslate`. Read: :attr:`view`,
    :attr:`filters`, :attr:`shown` (the orders listed, in order)."""

    CSS_PATH = "work_orders.tcss"
    BINDINGS = [
        Binding("escape", "close", "wo.close", id="wo.close"),
        Binding("enter", "open", "wo.open", id="wo.open"),
        Binding("n", "new", "wo.new", id="wo.new"),
        Binding("slash,ctrl+f", "focus_filter", "wo.filter", id="wo.filter"),
        Binding("t", "cycle('type')", "wo.cycle_type", id="wo.cycle_type", show=False),
        Binding("s", "cycle('status')", "wo.cycle_status", id="wo.cycle_status", show=False),
        Binding("l", "cycle('level')", "wo.cycle_level", id="wo.cycle_level", show=False),
        Binding("x", "clear_filters", "wo.clear_filters", id="wo.clear_filters", show=False),
        Binding("alt+m,1", "view('mine')", "wo.view_mine", id="wo.view_mine", show=False),
        Binding("alt+t,2", "view('team')", "wo.view_team", id="wo.view_team", show=False),
        Binding("alt+d,3", "view('due_today')", "wo.view_due_today", id="wo.view_due_today", show=False),
        Binding("alt+a,4", "view('at_risk')", "wo.view_at_risk", id="wo.view_at_risk", show=False),
        Binding("alt+x,5", "view('breached')", "wo.view_breached", id="wo.view_breached", show=False),
        Binding("alt+c,6", "view('created')", "wo.view_created", id="wo.view_created", show=False),
    ]

    def __init__(self, service: WorkOrderService, *, view: str = "mine") -> None:
        super().__init__()
        translate_bindings(self)
        self.service = service
        self.view = view if view in VIEWS else "mine"
        self.cycle_values: dict[str, str] = {kind: "" for kind in FILTER_CYCLES}
        self.customer = ""
        #: The orders listed now, in order.
        self.shown: list[WorkOrderDoc] = []
        self._matched = 0
        self._ready = False
        self._note = ""

    @property
    def ready(self) -> bool:
        """True once the orders were read from the local store."""
        return self._ready

    @property
    def filters(self) -> Filters:
        """The filters set now."""
        values = self.cycle_values
        return Filters(
            types=frozenset({values["type"]} - {""}), statuses=frozenset({values["status"]} - {""}),
            levels=frozenset({values["level"]} - {""}), customer=self.customer.strip(),
        )

    def compose(self) -> ComposeResult:
        yield Static("", id="wo-views")
        yield Static("", id="wo-filters")
        yield FormInput(placeholder=t("wo.filter_placeholder"), id="wo-filter", max_length=64)
        yield Static("", id="wo-header")
        yield OptionList(id="wo-list")
        yield Static("", id="wo-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#wo-list", OptionList).focus()
        self.set_interval(TICK_SECONDS, self._tick, name="wo-clock-tick")
        self._show_bars()
        self._render_list()
        self._load()

    def on_resize(self, event: events.Resize) -> None:
        self._render_list()

    def on_screen_resume(self) -> None:
        """Back from a detail or the form: the service may hold newer orders."""
        if self._ready:
            self._render_list()

    # -- down (from the desk) ------------------------------------------------------------

    def retranslate(self) -> None:
        """Relabel in the current language."""
        translate_bindings(self)
        self.query_one("#wo-filter", Input).placeholder = t("wo.filter_placeholder")
        self._show_bars()
        self._render_list()
        self.refresh_bindings()

    def work_orders_changed(self) -> None:
        """The desk read the orders again (sync changed them): list them again."""
        if self._ready:
            self._render_list()

    def work_orders_outbox_changed(self) -> None:
        """The desk read the orders again after an outbox change (a new order
        sent, refused or discarded): list them again."""
        if self._ready:
            self._render_list()

    # -- loading ----------------------------------------------------------------------------

    @work(group="wo-load", exclusive=True)
    async def _load(self) -> None:
        """Read the orders (local store), then the catalogue (queues of my team,
        the business calendar: from the backend, the kept copy offline)."""
        from csdesk.screens.errors import describe_error

        self._note = t("wo.loading")
        self._show_status()
        try:
            await self.service.reload()
        except Exception as exc:
            self._note = t("wo.failed", error=describe_error(exc))
            self._show_status()
            return
        self._ready = True
        self._note = ""
        self._render_list()
        try:
            if self.service.catalogue is None:
                await self.service.load_catalogue()
        except Exception:
            _log.debug("work-order catalogue not loaded", exc_info=True)
            return
        self._render_list()

    def _tick(self) -> None:
        if self._ready and self.is_attached:
            self._render_list()

    # -- rendering --------------------------------------------------------------------------

    def _row_width(self) -> int:
        option_list = self.query_one("#wo-list", OptionList)
        width = option_list.content_size.width or (self.app.size.width - 4)
        # Keep room for the scrollbar even while it is not shown (rows do not move when it comes).
        return max(20, width - (0 if option_list.show_vertical_scrollbar else option_list.styles.scrollbar_size_vertical))

    def _render_list(self) -> None:
        """List the current view's orders; the highlighted one stays highlighted."""
        option_list = self.query_one("#wo-list", OptionList)
        keep = self._highlighted_id()
        total = self._row_width()
        self.query_one("#wo-header", Static).update(header_row(total))
        now = datetime.now(UTC)
        try:
            orders = self.service.view(self.view, filters=self.filters, now=now) if self._ready else []
        except Exception:
            _log.debug("work-order view failed", exc_info=True)
            orders = []
        self._matched = len(orders)
        self.shown = orders[:ROW_LIMIT]
        calendar = self.service.calendar()
        options = []
        for order in self.shown:
            try:
                clock: sla.SlaClock | None = row_clock(order, calendar, now)
            except ValueError:
                clock = None
            refused = not order.number and order.client_ref in self.service.refused_refs
            options.append(Option(order_row(self.app, order, clock, total, refused=refused), id=order.id))
        option_list.set_options(options)
        ids = [order.id for order in self.shown]
        if ids:
            option_list.highlighted = ids.index(keep) if keep in ids else 0
        self._show_bars()
        self._show_status()

    def _show_bars(self) -> None:
        """The view bar (current view reversed, keys when they fit) and the filter line."""
        bar = self.query_one("#wo-views", Static)
        width = bar.content_size.width or self.app.size.width

        def line(with_keys: bool) -> Text:
            text = Text(no_wrap=True, overflow="ellipsis")
            for index, view in enumerate(VIEWS):
                if index:
                    text.append("│", style="dim")
                label = t(f"wo.view.{view}")
                if with_keys:
                    label = f"{key_hint(self, f'wo.view_{view}').split('/')[-1]} {label}"
                text.append(f" {label} ", style="reverse bold" if view == self.view else "")
            return text

        full = line(True)
        bar.update(full if cell_len(full.plain) <= width else line(False))
        filters = Text(no_wrap=True, overflow="ellipsis")
        for kind in FILTER_CYCLES:
            value = self.cycle_values[kind]
            filters.append(f"{t(f'wo.filter.{kind}')}({key_hint(self, f'wo.cycle_{kind}')}): ", style="dim")
            filters.append(filter_value_label(kind, value) + "  ", style="bold" if value else "")
        filters.append(t("wo.filter.clear", key=key_hint(self, "wo.clear_filters")), style="dim")
        self.query_one("#wo-filters", Static).update(filters)

    def _show_status(self) -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        if self._note:
            line.append(self._note, style=status_style(self.app, "warn"))
        elif not self.shown:
            line.append(t("wo.none"), style="dim")
        else:
            if self._matched > len(self.shown):
                line.append(t("wo.more", shown=len(self.shown), count=self._matched) + " · ",
                            style=status_style(self.app, "warn"))
            else:
                line.append(t("wo.count", count=self._matched) + " · ", style="dim")
            line.append(t("wo.hint", open="Enter", new=key_hint(self, "wo.new")), style="dim")
        self.query_one("#wo-status", Static).update(line)

    def _highlighted_id(self) -> str | None:
        option_list = self.query_one("#wo-list", OptionList)
        index = option_list.highlighted
        if index is None or not 0 <= index < option_list.option_count:
            return None
        return option_list.get_option_at_index(index).id

    # -- keys -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letters and digits belong to the filter box while it has the focus."""
        if action in ("cycle", "clear_filters", "new", "open") and isinstance(self.focused, Input):
            return False
        return True

    def action_view(self, view: str) -> None:
        """alt+m … alt+c (or 1 … 6 on the list): show a view."""
        if view in VIEWS and view != self.view:
            self.view = view
            self._render_list()

    def action_cycle(self, kind: str) -> None:
        """t / s / l: the next type / status / level filter (then "any" again)."""
        values = FILTER_CYCLES.get(kind)
        if not values:
            return
        current = self.cycle_values[kind]
        self.cycle_values[kind] = values[(values.index(current) + 1) % len(values)]
        self._render_list()

    def action_clear_filters(self) -> None:
        """x: no filter."""
        self.cycle_values = {kind: "" for kind in FILTER_CYCLES}
        self.query_one("#wo-filter", Input).value = ""
        self.customer = ""
        self._render_list()

    def action_focus_filter(self) -> None:
        """/ or ctrl+f: type a customer reference."""
        self.query_one("#wo-filter", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.customer = event.value
        if self._ready:
            self._render_list()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter box: to the list."""
        event.stop()
        self.query_one("#wo-list", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self._open(event.option.id)

    def action_open(self) -> None:
        """Enter: the highlighted order's detail."""
        order_id = self._highlighted_id()
        if order_id is not None:
            self._open(order_id)

    def _open(self, order_id: str) -> None:
        from csdesk.screens.work_order_detail import WorkOrderDetailScreen

        order = self.service.get(order_id)
        if order is None:
            self.notify(t("todos.gone"), severity="warning", markup=False)
            return
        self.app.push_screen(WorkOrderDetailScreen(order, service=self.service))

    def action_new(self) -> None:
        """n: the new-order form."""
        try:
            from csdesk.screens.work_order_form import WorkOrderFormScreen  # type: ignore[import-not-found]
        except ImportError:
            self.notify(t("wo.form_missing"), severity="warning", markup=False)
            return
        self.app.push_screen(WorkOrderFormScreen(self.service), self._form_closed)

    def _form_closed(self, result: Any) -> None:
        if result is not None:
            self._render_list()

    def action_close(self) -> None:
        """Esc: back to the desk."""
        self.dismiss(None)

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Palette entries: each view, the filters, a new order."""
        for view in VIEWS:
            yield SystemCommand(t("cmd.wo_view", view=t(f"wo.view.{view}")),
                                t("cmd.wo_key", key=key_hint(self, f"wo.view_{view}")),
                                lambda view=view: self.action_view(view))
        for kind in FILTER_CYCLES:
            yield SystemCommand(t(f"key.wo.cycle_{kind}"), t("cmd.wo_key", key=key_hint(self, f"wo.cycle_{kind}")),
                                lambda kind=kind: self.action_cycle(kind))
        yield SystemCommand(t("key.wo.clear_filters"), t("cmd.wo_key", key=key_hint(self, "wo.clear_filters")),
                            self.action_clear_filters)
        yield SystemCommand(t("cmd.wo_new"), t("cmd.wo_key", key=key_hint(self, "wo.new")), self.action_new)
