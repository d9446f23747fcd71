"""Read-only detail of a work order or a callback, opened from the to-dos (guide §1.2).

One modal shows a heading and a list of labelled fields; the two screens
differ only in which fields they list. Titles, names and notes are typed by
people (untrusted): they are cleaned of control characters and escape
sequences and shown as plain text, never as markup. Esc goes back. Issue #6
adds the editable work-order screens; this one only reads the local copy.
"""

from __future__ import annotations

from datetime import datetime

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from csdesk.domain.schemas import Callback
from csdesk.domain.work_order_schemas import WorkOrderDoc as WorkOrder
from csdesk.domain.work_orders import OPEN_STATUSES
from csdesk.domain.text import clean_text
from csdesk.i18n import t
from csdesk.widgets.bindings import translate_bindings

#: A field: translated label, value (plain text), value style.
Field = tuple[str, str, str]


def local_time(value: datetime) -> str:
    """An aware time as ``YYYY-MM-DD HH:MM`` in the terminal's time zone."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


class WorkItemDetailScreen(ModalScreen[None]):
    """A heading and labelled read-only fields; subclasses say which (:meth:`fields`)."""

    DEFAULT_CSS = """
    WorkItemDetailScreen { align: center middle; }
    WorkItemDetailScreen #dialog {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    WorkItemDetailScreen #fields-scroll { height: auto; max-height: 16; }
    WorkItemDetailScreen #detail-heading { margin-bottom: 1; }
    WorkItemDetailScreen #detail-hint { margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "close", "work_item.close", id="work_item.close")]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def heading(self) -> str:
        """The translated heading (plain text)."""
        raise NotImplementedError

    def fields(self) -> list[Field]:
        """``(label, value, style)`` rows in display order; values are already cleaned."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("", id="detail-heading")
            with VerticalScroll(id="fields-scroll"):
                yield Static("", id="fields")
            yield Static("", id="detail-hint")

    def on_mount(self) -> None:
        self._show_fields()

    def retranslate(self) -> None:
        """Relabel in the current language."""
        self._show_fields()

    def _show_fields(self) -> None:
        self.query_one("#detail-heading", Static).update(Text(self.heading(), style="bold"))
        rows = self.fields()
        width = max((cell_len(label) for label, _, _ in rows), default=0)
        text = Text()
        for index, (label, value, style) in enumerate(rows):
            if index:
                text.append("\n")
            text.append(label + " " * (width - cell_len(label)) + "  ", style="bold")
            # Continuation lines of a long value line up under the value.
            text.append(value.replace("\n", "\n" + " " * (width + 2)), style=style)
        self.query_one("#fields", Static).update(text)
        self.query_one("#detail-hint", Static).update(Text(t("work_item.read_only"), style="dim"))

    def action_close(self) -> None:
        """Back to where the detail was opened from."""
        self.dismiss(None)


class WorkOrderDetailScreen(WorkItemDetailScreen):
    """Number, type, title, status and due time of ``order`` (read-only)."""

    def __init__(self, order: WorkOrder) -> None:
        super().__init__()
        self.order = order

    def heading(self) -> str:
        """``Follow-up WO-…`` (the type, then the number)."""
        number = clean_text(self.order.number, keep_newlines=False, max_chars=40)
        return t("work_item.heading", type=t(f"work_order.type.{self.order.type}"), number=number)

    def fields(self) -> list[Field]:
        """Number, type, title, status, due (marked when overdue)."""
        order = self.order
        due_at = order.scheduled_at if order.type == "callback" and order.scheduled_at else order.due_at
        due = local_time(due_at) if due_at is not None else "-"
        due_style = ""
        if due_at is not None and order.status in OPEN_STATUSES and due_at < datetime.now(due_at.tzinfo):
            due += " (" + t("work_item.overdue") + ")"
            due_style = "bold red"
        return [
            (t("work_item.number"), clean_text(order.number, keep_newlines=False, max_chars=40), ""),
            (t("work_item.kind"), t(f"work_order.type.{order.type}"), ""),
            (t("work_item.subject"), clean_text(order.title, keep_newlines=False), ""),
            (t("work_item.status"), t(f"work_order.status.{order.status}"), "bold"),
            (t("work_item.due"), due, due_style),
        ]


class CallbackDetailScreen(WorkItemDetailScreen):
    """Customer (masked), phone (masked), time, status and note of ``callback`` (read-only)."""

    def __init__(self, callback: Callback) -> None:
        super().__init__()
        self.callback = callback

    def heading(self) -> str:
        """``Callback``."""
        return t("work_item.heading_callback")

    def fields(self) -> list[Field]:
        """Customer, phone, scheduled time (marked when missed), status, note."""
        call = self.callback
        when = local_time(call.scheduled_at)
        when_style = ""
        if call.status == "scheduled" and call.scheduled_at < datetime.now(call.scheduled_at.tzinfo):
            when += " (" + t("work_item.overdue") + ")"
            when_style = "bold red"
        rows: list[Field] = [
            (t("work_item.customer"), clean_text(call.customer_name, keep_newlines=False, max_chars=60), ""),
            (t("work_item.phone"), clean_text(call.phone_masked, keep_newlines=False, max_chars=32), ""),
            (t("work_item.scheduled"), when, when_style),
            (t("work_item.status"), t(f"callback.status.{call.status}"), "bold"),
        ]
        if call.note.strip():
            rows.append((t("work_item.note"), clean_text(call.note, max_chars=2000), ""))
        return rows


def detail_screen_for(item: WorkOrder | Callback) -> WorkItemDetailScreen:
    """The detail screen of a work order or a callback."""
    if isinstance(item, WorkOrder):
        return WorkOrderDetailScreen(item)
    return CallbackDetailScreen(item)
