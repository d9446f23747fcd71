"""Work-order and callback details (issue #6 F4, guide §1.2, §2.4, §3.2).

:class:`WorkOrderDetailScreen` shows one work order in full: its fields, both
SLA clocks (first response, resolution) with their state, the complaint
record (reason, demand, how to reach the customer, the promised time and how
they were told it, the extension), the closing record, the linked contact and
the transcript excerpt, and the history timeline (who, when, from → to, the
comment; internal comments and comments to the customer are marked).

Opened from the F4 list (with the agent's
:class:`~csdesk.services.work_orders.WorkOrderService`) it acts, by key:
move the status (only the moves :func:`~csdesk.domain.work_orders.allowed_moves`
offers; resolving asks for the resolution note; closing a complaint asks how
and when the customer had the feedback and the satisfaction visit's result
and tries; "unsatisfied" offers to reopen instead), comment (internal or to
the customer), take (assign to me), assign (queue, agent), extend a
complaint, edit (the form). Every change is queued through the outbox with
the order's version (``base_version``). A change the backend refused as stale
shows here, theirs against ours field by field: re-apply ours or keep theirs.
Opened without a service (:func:`detail_screen_for`) it only reads.

:class:`CallbackDetailScreen` (modal, read-only) shows a scheduled callback.

Titles, names, comments and notes are typed by people (untrusted): they are
cleaned of control characters and escape sequences and shown as plain text,
never as markup.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from csdesk.domain import sla
from csdesk.domain.schemas import Callback
from csdesk.domain.text import clean_text
from csdesk.domain.work_order_schemas import WorkOrderDoc as WorkOrder
from csdesk.domain.work_order_views import first_response_clock, row_clock
from csdesk.domain.work_orders import (
    ASSIGN_KIND,
    COMMENT_KIND,
    CREATE_KIND,
    EDIT_KIND,
    COMMENT_MAX,
    CONTACT_METHODS,
    EXTEND_KIND,
    MOVE_KIND,
    OPEN_STATUSES,
    SATISFACTION,
    STATUSES,
    UNREACHABLE_AFTER_TRIES,
    allowed_moves,
    is_reopen,
)
from csdesk.i18n import t
from csdesk.screens.action_dialog import ActionDialog, DialogField
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint, translate_bindings
from csdesk.widgets.footer import Footer

if TYPE_CHECKING:
    from csdesk.services.work_orders import Conflict, QueuedChange, WorkOrderService

_log = logging.getLogger(__name__)

#: A field: translated label, value (plain text), value style.
Field = tuple[str, str, str]
#: How times are typed in the action dialogs (local time).
TIME_FORMAT = "%Y-%m-%d %H:%M"


def local_time(value: datetime) -> str:
    """An aware time as ``YYYY-MM-DD HH:MM`` in the terminal's time zone."""
    return value.astimezone().strftime(TIME_FORMAT)


def parse_local(text: str) -> datetime | None:
    """A time typed as the work-order form takes it (``YYYY-MM-DD HH:MM`` local,
    ``HH:MM`` today, ``+30m`` / ``+2h`` / ``+1d``), aware; None if blank or malformed."""
    from csdesk.screens.work_order_form import parse_local_time

    try:
        return parse_local_time(text, datetime.now(UTC))
    except ValueError:
        return None


def plain(value: Any, max_chars: int = 2000, *, one_line: bool = False) -> str:
    """Any value typed by people as cleaned plain text."""
    return clean_text(str(value or ""), keep_newlines=not one_line, max_chars=max_chars)


def labelled(rows: list[Field]) -> Text:
    """``label  value`` rows, labels padded to the widest (cells); continuation
    lines of a long value line up under the value."""
    width = max((cell_len(label) for label, _, _ in rows), default=0)
    text = Text()
    for index, (label, value, style) in enumerate(rows):
        if index:
            text.append("\n")
        text.append(label + " " * (width - cell_len(label)) + "  ", style="bold")
        text.append(value.replace("\n", "\n" + " " * (width + 2)), style=style)
    return text


# -- read-only details (to-dos) ---------------------------------------------------------------


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
        self.query_one("#fields", Static).update(labelled(self.fields()))
        self.query_one("#detail-hint", Static).update(Text(t("work_item.read_only"), style="dim"))

    def action_close(self) -> None:
        """Back to where the detail was opened from."""
        self.dismiss(None)


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


# -- the full detail ------------------------------------------------------------------------------


def status_label(status: str) -> str:
    """A status in full ("Pending customer")."""
    return t(f"work_order.status.{status}")


def contact_method_label(method: str | None) -> str:
    """A contact method ("Phone") or "-"."""
    return t(f"wo.method.{method}") if method else "-"


def field_label(name: str) -> str:
    """A wire field's label in the conflict view (the name itself when unknown)."""
    key = f"wo.field.{name}"
    label = t(key)
    return name if label == key else label


def wire_value(value: Any) -> str:
    """A field value of a change or an order as one cleaned line."""
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return plain(value, 80, one_line=True)


class WorkOrderDetailScreen(Screen[None]):
    """The full detail of ``order``; with ``service`` (from the F4 list) it acts
    on it, without (the to-dos) it only reads. Down (from the desk):
    :meth:`work_orders_changed`, :meth:`work_orders_outbox_changed`,
    :meth:`retranslate`. Read: :attr:`order`, :attr:`conflicts`."""

    DEFAULT_CSS = """
    WorkOrderDetailScreen #wod-heading { height: 1; background: $panel; padding: 0 1; }
    WorkOrderDetailScreen #wod-body { height: 1fr; padding: 0 1; }
    WorkOrderDetailScreen #wod-body:focus { background-tint: $foreground 3%; }
    WorkOrderDetailScreen .section { margin-top: 1; }
    WorkOrderDetailScreen #wod-conflict { display: none; border: round $error; padding: 0 1; }
    WorkOrderDetailScreen #wod-outbox { display: none; border: round $warning; padding: 0 1; }
    WorkOrderDetailScreen #wod-hint { height: 1; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "close", "wod.close", id="wod.close"),
        Binding("m", "move", "wod.move", id="wod.move"),
        Binding("c", "comment", "wod.comment", id="wod.comment"),
        Binding("t", "take", "wod.take", id="wod.take"),
        Binding("a", "assign", "wod.assign", id="wod.assign", show=False),
        Binding("x", "extend", "wod.extend", id="wod.extend", show=False),
        Binding("e", "edit", "wod.edit", id="wod.edit", show=False),
        Binding("r", "reapply", "wod.reapply", id="wod.reapply"),
        Binding("k", "keep_theirs", "wod.keep_theirs", id="wod.keep_theirs"),
        Binding("d", "discard", "wod.discard", id="wod.discard"),
        Binding("o", "open_record", "wod.record", id="wod.record", show=False),
    ]

    def __init__(self, order: WorkOrder, *, service: WorkOrderService | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.order = order
        self.service = service
        #: Changes of this order the backend refused as stale.
        self.conflicts: list[Conflict] = []
        #: Changes of this order still in the outbox: waiting to be sent, and
        #: refused for another reason (a local order's refused create too).
        self.waiting: list[QueuedChange] = []
        self.refused: list[QueuedChange] = []

    def compose(self) -> ComposeResult:
        # Filled before they are mounted: the detail shows whole from its first frame.
        parts = self._parts = {
            name: Static("", id=name, classes="" if name in ("wod-heading", "wod-hint", "wod-conflict",
                                                                 "wod-outbox", "wod-fields") else "section")
            for name in ("wod-heading", "wod-conflict", "wod-outbox", "wod-fields", "wod-clocks", "wod-complaint",
                         "wod-closing", "wod-contact", "wod-history", "wod-hint")
        }
        self._show()
        yield parts["wod-heading"]
        with VerticalScroll(id="wod-body"):
            for name in ("wod-conflict", "wod-outbox", "wod-fields", "wod-clocks", "wod-complaint", "wod-closing",
                         "wod-contact", "wod-history"):
                yield parts[name]
        yield parts["wod-hint"]
        yield Footer()

    def _part(self, name: str) -> Static:
        return self._parts[name]

    def on_mount(self) -> None:
        self.query_one("#wod-body").focus()
        if self.service is not None:
            self.set_interval(30.0, self._show, name="wod-clock-tick")
            self.load_conflicts()

    # -- down (from the desk) ------------------------------------------------------------------

    def retranslate(self) -> None:
        """Relabel in the current language."""
        translate_bindings(self)
        self._show()
        self.refresh_bindings()

    def work_orders_changed(self) -> None:
        """The desk read the orders again: show this one as stored now."""
        if self.service is not None:
            fresh = self.service.get(self.order.id) or (
                self.service.get(self.order.client_ref) if self.order.client_ref else None)
            if fresh is not None:
                self.order = fresh
            self._show()
            self.load_conflicts()

    def work_orders_outbox_changed(self) -> None:
        """The outbox changed (a change sent or refused): look for conflicts again."""
        if self.service is not None:
            self.load_conflicts()

    @work(group="wod-conflicts", exclusive=True)
    async def load_conflicts(self) -> None:
        """Read this order's changes in the outbox (in a thread): conflicts,
        changes waiting to be sent, refusals."""
        if self.service is None:
            return
        try:
            if self.service.catalogue is None:  # opened before the F4 list (the to-dos): names of queues, agents
                await self.service.load_catalogue()
            changes = await self.service.changes_of(self.order)
        except Exception:
            _log.debug("outbox changes not read", exc_info=True)
            return
        self.order = changes.order
        self.conflicts = list(changes.conflicts)
        self.waiting = list(changes.waiting)
        self.refused = list(changes.refused)
        self._show()
        self.refresh_bindings()

    # -- rendering --------------------------------------------------------------------------------

    def _calendar(self) -> sla.BusinessCalendar:
        return self.service.calendar() if self.service is not None else sla.BusinessCalendar()

    def _agent_name(self, agent_id: str | None) -> str:
        if not agent_id:
            return t("wo.unassigned")
        catalogue = self.service.catalogue if self.service is not None else None
        for agent in (catalogue.agents if catalogue else []):
            if agent.get("id") == agent_id:
                return f"{plain(agent.get('name'), 40, one_line=True)} ({plain(agent_id, 32, one_line=True)})"
        return plain(agent_id, 32, one_line=True)

    def _queue_name(self, queue_id: str) -> str:
        from csdesk.i18n import current_language

        catalogue = self.service.catalogue if self.service is not None else None
        for queue in (catalogue.queues if catalogue else []):
            if queue.id == queue_id:
                name = queue.name if current_language() == "zh-CN" else queue.name_en
                return plain(name, 40, one_line=True)
        return plain(queue_id, 40, one_line=True) or "-"

    def _show(self) -> None:
        if not hasattr(self, "_parts"):
            return
        order = self.order
        from csdesk.screens.work_orders import level_label, number_label

        heading = Text(no_wrap=True, overflow="ellipsis")
        heading.append(t("work_item.heading", type=t(f"work_order.type.{order.type}"), number=number_label(order)),
                       style="bold")
        heading.append(f" · {status_label(order.status)}")
        if order.escalated:
            heading.append(" · " + t("wo.escalated"), style=status_style(self.app, "bad"))
        self._part("wod-heading").update(heading)

        due_at = order.scheduled_at if order.type == "callback" and order.scheduled_at else order.due_at
        due = local_time(due_at) if due_at is not None else "-"
        due_style = ""
        if due_at is not None and order.status in OPEN_STATUSES and due_at < datetime.now(due_at.tzinfo):
            due += " (" + t("work_item.overdue") + ")"
            due_style = status_style(self.app, "bad")
        level_name = t("wo.grade") if order.type == "complaint" else t("wo.priority")
        rows: list[Field] = [
            (t("work_item.number"), number_label(order), "bold"),
            (t("work_item.kind"), t(f"work_order.type.{order.type}"), ""),
            (t("work_item.subject"), plain(order.title, 400, one_line=True), ""),
            (t("work_item.status"), status_label(order.status), "bold"),
            (level_name, level_label(order, short=False), ""),
            (t("wo.queue"), self._queue_name(order.queue), ""),
            (t("wo.assignee"), self._agent_name(order.assignee_id), ""),
            (t("work_item.customer"), plain(order.customer_ref, 64, one_line=True) or "-", ""),
            (t("work_item.due"), due, due_style),
            (t("wo.created"), f"{local_time(order.created_at)} · {self._agent_name(order.created_by)}", "dim"),
        ]
        if order.category:
            rows.append((t("wo.category"), plain(order.category, 64, one_line=True), ""))
        if order.tags:
            rows.append((t("wo.tags"), ", ".join(plain(tag, 32, one_line=True) for tag in order.tags), ""))
        if order.description.strip():
            rows.append((t("wo.description"), plain(order.description, 4000), ""))
        self._part("wod-fields").update(labelled(rows))
        self._show_clocks()
        self._show_complaint()
        self._show_closing()
        self._show_contact()
        self._show_history()
        self._show_conflict()
        self._show_outbox()
        self._show_hint()

    def _show_clocks(self) -> None:
        from csdesk.screens.work_orders import clock_style, clock_text

        order, now = self.order, datetime.now().astimezone()
        rows: list[Field] = []
        for label, make in ((t("wo.clock_first"), first_response_clock), (t("wo.clock_resolution"), row_clock)):
            try:
                clock = make(order, self._calendar(), now)
            except ValueError:
                rows.append((label, "-", "dim"))
                continue
            text = clock_text(clock)
            if clock.due_at is not None and clock.state not in ("met", "met_late"):
                text += " · " + t("wo.clock_due", at=local_time(clock.due_at))
            rows.append((label, text, clock_style(self.app, clock.state)))
        widget = self._part("wod-clocks")
        widget.update(Text.assemble((t("wo.section.sla") + "\n", "bold underline"), labelled(rows)))

    def _show_complaint(self) -> None:
        record = self.order.complaint
        widget = self._part("wod-complaint")
        widget.display = record is not None
        if record is None:
            return
        how = contact_method_label(record.contact_method)
        if record.contact_detail:
            how += f" {plain(record.contact_detail, 64, one_line=True)}"
        rows: list[Field] = [
            (t("wo.complaint.reason"), plain(record.reason), ""),
            (t("wo.complaint.demand"), plain(record.demand), ""),
            (t("wo.complaint.contact"), how, ""),
            (t("wo.complaint.promised"), local_time(record.promised_at), "bold"),
            (t("wo.complaint.told"), t("wo.complaint.told_value", via=contact_method_label(record.told_via),
                                        at=local_time(record.told_at)), ""),
            (t("wo.complaint.limit"), t("wo.complaint.days", days=record.total_days)
             + (" · " + t("wo.complaint.complex") if record.complex_case else ""), ""),
        ]
        if record.extension_reason:
            rows.append((t("wo.complaint.extension"), plain(record.extension_reason), ""))
        if record.approved_by:
            rows.append((t("wo.complaint.approver"), self._agent_name(record.approved_by), ""))
        widget.update(Text.assemble((t("wo.section.complaint") + "\n", "bold underline"), labelled(rows)))

    def _show_closing(self) -> None:
        record = self.order.closing
        widget = self._part("wod-closing")
        widget.display = record is not None
        if record is None:
            return
        rows: list[Field] = [(t("wo.closing.resolution"), plain(record.resolution), "")]
        if record.feedback_via or record.feedback_at:
            at = local_time(record.feedback_at) if record.feedback_at else "-"
            rows.append((t("wo.closing.feedback"), t("wo.complaint.told_value",
                                                    via=contact_method_label(record.feedback_via), at=at), ""))
        if record.satisfaction:
            rows.append((t("wo.closing.satisfaction"),
                         t(f"wo.satisfaction.{record.satisfaction}") + " · " + t("wo.closing.tries_value",
                                                                                 tries=record.tries, count=record.tries), ""))
        widget.update(Text.assemble((t("wo.section.closing") + "\n", "bold underline"), labelled(rows)))

    def _show_contact(self) -> None:
        order = self.order
        widget = self._part("wod-contact")
        widget.display = bool(order.contact_id or order.excerpt.strip())
        contact = plain(order.contact_id, 64, one_line=True) or "-"
        if order.contact_id and self.service is not None:
            contact += "  " + t("wo.record_key", key=key_hint(self, "wod.record"))
        rows: list[Field] = [(t("wo.contact_id"), contact, "")]
        if order.channel:
            rows.append((t("wo.channel"), plain(order.channel, 16, one_line=True), ""))
        if order.excerpt.strip():
            rows.append((t("wo.excerpt"), plain(order.excerpt, 4000), "italic"))
        widget.update(Text.assemble((t("wo.section.contact") + "\n", "bold underline"), labelled(rows)))

    def _show_history(self) -> None:
        text = Text()
        text.append(t("wo.section.history", count=len(self.order.history)) + "\n", style="bold underline")
        if not self.order.history:
            text.append(t("wo.history_none"), style="dim")
        for index, entry in enumerate(self.order.history):
            if index:
                text.append("\n")
            text.append(local_time(entry.at) + " ", style="dim")
            text.append(self._agent_name(entry.actor_id) + " ", style="bold")
            kind_key = f"wo.history.{entry.kind}"
            kind = t(kind_key)
            text.append(plain(entry.kind, 24, one_line=True) if kind == kind_key else kind)
            if entry.from_status and entry.to_status:
                text.append(f" {status_label(entry.from_status)} → {status_label(entry.to_status)}", style="bold")
            elif entry.to_status:
                text.append(f" {status_label(entry.to_status)}", style="bold")
            if entry.changes:
                changed = "; ".join(self._history_change(str(name), pair) for name, pair in entry.changes.items()
                                    if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[0] == pair[1]))
                if changed:  # a pair with the same value twice (nobody → nobody) says nothing
                    text.append(" (" + plain(changed, 400, one_line=True) + ")", style="dim")
            if entry.comment.strip():
                customer = entry.visibility == "customer"
                mark = t("wo.visibility.customer") if customer else t("wo.visibility.internal")
                text.append("\n  ")
                text.append(f"[{mark}] ", style=status_style(self.app, "info") if customer else "dim")
                text.append(plain(entry.comment).replace("\n", "\n  "))
        self._part("wod-history").update(text)

    #: Fields whose values are too long for a history line: only their label shows.
    _LONG_FIELDS = frozenset({"description", "excerpt", "complaint", "closing", "reason", "demand",
                              "extension_reason"})

    def _history_change(self, name: str, pair: Any) -> str:
        """``field: old → new`` for one change of a history entry (queues and
        agents by name, times in local time); the label alone for long text."""
        label = field_label(name)
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            return label
        old_value, new_value = pair
        if name == "complaint" and isinstance(old_value, dict) and isinstance(new_value, dict):
            # The record's own fields, as the rest: Complaint (Promised by: a → b; Reason).
            inner = [self._history_change(key, [old_value.get(key), new_value.get(key)])
                     for key in new_value if old_value.get(key) != new_value.get(key)]
            return f"{label} (" + "; ".join(inner) + ")" if inner else label
        if name in self._LONG_FIELDS:
            return label
        old, new = (self._history_value(name, value) for value in pair)
        return t("wo.history.change", field=label, old=old, new=new)

    def _history_value(self, name: str, value: Any) -> str:
        if value is None or value == "":
            return t("wo.unassigned") if name == "assignee_id" else "-"
        if name == "queue":
            return self._queue_name(str(value))
        if name in ("assignee_id", "approved_by", "supervisor_id"):
            return self._agent_name(str(value))
        if name in ("status", "to"):
            return status_label(str(value))
        if name == "grade":
            key = f"work_order.grade.{value}"
            return t(key) if t(key) != key else plain(value, 24, one_line=True)
        if name == "total_days":
            return t("wo.history.days", days=plain(value, 8, one_line=True))
        if name.endswith("_at") and isinstance(value, str):
            try:
                return local_time(datetime.fromisoformat(value))
            except ValueError:
                pass
        return plain(wire_value(value), 40, one_line=True)

    def _show_conflict(self) -> None:
        widget = self._part("wod-conflict")
        widget.display = bool(self.conflicts)
        if not self.conflicts:
            widget.update("")
            return
        conflict = self.conflicts[0]
        text = Text()
        text.append(t("wo.conflict.heading", kind=t(f"wo.kind.{conflict.kind.split('.')[-1]}"),
                      version=conflict.theirs.version) + "\n", style=status_style(self.app, "error"))
        theirs = conflict.theirs.model_dump(mode="json")
        rows: list[Field] = []
        for name, ours in conflict.ours.items():
            stored = theirs.get("status" if name == "to" else name)
            differs = name in conflict.fields
            rows.append((field_label(name),
                         t("wo.conflict.row", theirs=wire_value(stored), ours=wire_value(ours)),
                         "bold" if differs else "dim"))
        text.append_text(labelled(rows))
        text.append("\n" + t("wo.conflict.keys", reapply=key_hint(self, "wod.reapply"),
                             keep=key_hint(self, "wod.keep_theirs")), style="dim")
        if len(self.conflicts) > 1:
            text.append("\n" + t("wo.conflict.more", count=len(self.conflicts) - 1), style="dim")
        widget.update(text)

    def _change_summary(self, change: QueuedChange) -> str:
        """One line for a queued change: what it does, in the agent's words."""
        body = change.body
        kind = t(f"wo.kind.{change.kind.split('.')[-1]}")
        if change.kind == MOVE_KIND and body.get("to"):
            return f"{kind} → {status_label(str(body['to']))}"
        if change.kind == ASSIGN_KIND:
            who = self._agent_name(body.get("assignee_id")) if body.get("assignee_id") else ""
            where = self._queue_name(str(body["queue"])) if body.get("queue") else ""
            return f"{kind} → " + " · ".join(x for x in (where, who) if x) if (who or where) else kind
        if change.kind == COMMENT_KIND and body.get("text"):
            return f"{kind}: " + plain(body.get("text"), 60, one_line=True)
        if change.kind == EDIT_KIND:
            names = [field_label(name) for name in body if name != "base_version"]
            return f"{kind} (" + plain(", ".join(names), 80, one_line=True) + ")" if names else kind
        return kind

    def _show_outbox(self) -> None:
        widget = self._part("wod-outbox")
        widget.display = bool(self.waiting or self.refused)
        if not widget.display:
            widget.update("")
            return
        text = Text()
        if self.refused:
            text.append(t("wo.refused.heading", count=len(self.refused)) + "\n", style=status_style(self.app, "error"))
            for change in self.refused:
                text.append(f"{local_time(change.made_at)} {self._change_summary(change)}\n", style="bold")
                reason = (change.error or "").split(" ", 1)[-1]
                text.append("  " + plain(reason, 600) + "\n", style=status_style(self.app, "error"))
            keys = {"discard": key_hint(self, "wod.discard"), "fix": key_hint(self, "wod.edit")}
            creates = any(change.kind == CREATE_KIND for change in self.refused)
            text.append(t("wo.refused.keys_create" if creates else "wo.refused.keys", **keys), style="dim")
        if self.waiting:
            if self.refused:
                text.append("\n")
            text.append(t("wo.waiting.heading", count=len(self.waiting)), style=status_style(self.app, "warn"))
            for change in self.waiting:
                text.append(f"\n{local_time(change.made_at)} {self._change_summary(change)}")
        widget.update(text)

    def _show_hint(self) -> None:
        hint = Text(no_wrap=True, overflow="ellipsis")
        if self.service is None:
            hint.append(t("work_item.read_only"), style="dim")
        elif self._refused_create() is not None:
            hint.append(t("wo.refused.hint", fix=key_hint(self, "wod.edit"), discard=key_hint(self, "wod.discard")),
                        style=status_style(self.app, "error"))
        elif not self.order.number:
            hint.append(t("wo.not_sent_yet"), style=status_style(self.app, "warn"))
        else:
            hint.append(t("wo.detail_hint", assign=key_hint(self, "wod.assign"), extend=key_hint(self, "wod.extend"),
                          edit=key_hint(self, "wod.edit")), style="dim")
        self._part("wod-hint").update(hint)

    # -- actions -----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Read-only without a service; extend for complaints; conflict keys with a conflict."""
        if action == "close":
            return True
        if self.service is None:
            return False
        if action == "extend":
            return self.order.type == "complaint" and self.order.complaint is not None
        if action in ("reapply", "keep_theirs"):
            return bool(self.conflicts)
        if action == "discard":
            return bool(self.refused)
        if action == "open_record":
            return bool(self.order.contact_id)
        return True

    def _me(self) -> str:
        return self.service.agent_id if self.service is not None else ""

    def _can_change(self) -> bool:
        if not self.order.number or self.order.id.startswith("local-"):
            self.notify(t("wo.not_sent_yet"), severity="warning", markup=False)
            return False
        return True

    @work(group="wod-change")
    async def _queue(self, kind: str, body: dict[str, Any], done: str) -> None:
        """Queue a change of this order (outbox), then show the order as it is here now."""
        from csdesk.screens.errors import describe_error

        if self.service is None:
            return
        try:
            await self.service.change(kind, self.order.id, body)
        except Exception as exc:
            self.notify(t("wo.change_failed", error=describe_error(exc)), severity="error", markup=False)
            return
        self.notify(done, markup=False)
        fresh = self.service.get(self.order.id)
        if fresh is not None:
            self.order = fresh
        self._show()

    def action_move(self) -> None:
        """m: move the status (only the moves the flow allows from here)."""
        if not self._can_change():
            return
        order = self.order
        # A move still waiting to be sent (offline) is where the next one starts from.
        status = self._status_after_waiting()
        moves = [s for s in STATUSES if s in allowed_moves(status)]
        if not moves:
            self.notify(t("wo.no_moves"), severity="warning", markup=False)
            return
        complaint = order.type == "complaint"
        has_resolution = order.closing is not None and bool(order.closing.resolution.strip())

        def closing_complaint(values: dict[str, str]) -> bool:
            return complaint and values.get("to") == "closed"

        def needs_resolution(values: dict[str, str]) -> bool:
            return values.get("to") == "resolved" or (closing_complaint(values) and not has_resolution)

        choices = tuple((s, status_label(s) + (f" ({t('wo.reopen')})" if is_reopen(status, s) else ""))
                        for s in moves)
        methods = tuple((m, contact_method_label(m)) for m in CONTACT_METHODS)
        fields = [
            DialogField("to", t("wo.move.to"), "choice", choices, moves[0]),
            DialogField("resolution", t("wo.closing.resolution"), shown=needs_resolution),
            DialogField("feedback_via", t("wo.move.feedback_via"), "choice", methods, "phone",
                        shown=closing_complaint),
            DialogField("feedback_at", t("wo.move.feedback_at"), value=local_time(datetime.now().astimezone()),
                        shown=closing_complaint, max_length=16),
            DialogField("satisfaction", t("wo.closing.satisfaction"), "choice",
                        tuple((s, t(f"wo.satisfaction.{s}")) for s in SATISFACTION), "satisfied",
                        shown=closing_complaint),
            DialogField("tries", t("wo.move.tries"), value="1", shown=closing_complaint, max_length=2),
            DialogField("comment", t("wo.move.comment"), max_length=COMMENT_MAX),
        ]

        def check(values: dict[str, str]) -> str | None:
            if "resolution" in values and not values["resolution"].strip():
                return t("wo.problem.resolution")
            if "feedback_at" in values:
                at = parse_local(values["feedback_at"])
                if at is None:
                    return t("wo.problem.time", example=local_time(datetime.now().astimezone()))
                if at > datetime.now().astimezone() + timedelta(minutes=5):
                    return t("wo.problem.feedback_future")
                if at < order.created_at - timedelta(minutes=1):  # typed to the minute
                    return t("wo.problem.feedback_before", at=local_time(order.created_at))
            if "tries" in values:
                if not values["tries"].strip().isdigit() or not 1 <= int(values["tries"]) <= 20:
                    return t("wo.problem.tries")
                if values.get("satisfaction") == "unreachable" and int(values["tries"]) < UNREACHABLE_AFTER_TRIES:
                    return t("wo.problem.unreachable", tries=UNREACHABLE_AFTER_TRIES)
            return None

        def answered(values: dict[str, str] | None) -> None:
            if values is not None:
                self._move_answered(values)

        self.app.push_screen(ActionDialog(t("wo.move.heading", number=number_of(order)), fields, check=check),
                             answered)

    def _status_after_waiting(self) -> str:
        """The order's status once the moves waiting in the outbox land (the stored one if none)."""
        return next((str(c.body["to"]) for c in reversed(self.waiting) if c.kind == MOVE_KIND and c.body.get("to")),
                    self.order.status)

    def _move_answered(self, values: dict[str, str]) -> None:
        from csdesk.screens.confirm import ConfirmScreen

        order = self.order
        to = values["to"]
        closing: dict[str, Any] = {}
        if "resolution" in values:
            closing["resolution"] = values["resolution"].strip()
        elif to == "closed" and order.closing is not None:
            closing["resolution"] = order.closing.resolution
        if "feedback_via" in values:
            at = parse_local(values["feedback_at"])
            closing.update(feedback_via=values["feedback_via"], feedback_at=at.isoformat() if at else None,
                           satisfaction=values["satisfaction"], tries=int(values["tries"]))
        body: dict[str, Any] = {"base_version": order.version, "to": to, "comment": values.get("comment", "").strip()}
        if closing:
            body["closing"] = closing
        if to == "closed" and values.get("satisfaction") == "unsatisfied" and "in_progress" in allowed_moves(
                self._status_after_waiting()):

            def reopen(yes: bool | None) -> None:
                if yes:
                    self._queue(MOVE_KIND, {**body, "to": "in_progress"}, t("wo.queued.reopen"))
                elif yes is False:
                    self._queue(MOVE_KIND, body, t("wo.queued.move", status=status_label(to)))
                # None (Esc): neither; the order stays as it is.

            self.app.push_screen(ConfirmScreen(t("wo.unsatisfied_reopen"), yes=t("wo.reopen_yes"),
                                               no=t("wo.reopen_no"), escape_means_neither=True), reopen)
            return
        self._queue(MOVE_KIND, body, t("wo.queued.move", status=status_label(to)))

    def action_comment(self) -> None:
        """c: a comment, internal or to the customer."""
        if not self._can_change():
            return
        fields = [
            DialogField("visibility", t("wo.comment.visibility"), "choice",
                        (("internal", t("wo.visibility.internal")), ("customer", t("wo.visibility.customer"))),
                        "internal"),
            DialogField("text", t("wo.comment.text"), max_length=COMMENT_MAX),
        ]

        def check(values: dict[str, str]) -> str | None:
            return None if values["text"].strip() else t("wo.problem.comment")

        def answered(values: dict[str, str] | None) -> None:
            if values is not None:
                self._queue(COMMENT_KIND, {"text": values["text"].strip(), "visibility": values["visibility"]},
                            t("wo.queued.comment"))

        self.app.push_screen(ActionDialog(t("wo.comment.heading", number=number_of(self.order)), fields,
                                          check=check), answered)
        # The text field is the one to type in.
        self.call_after_refresh(lambda: self._focus_dialog_field("text"))

    def _focus_dialog_field(self, name: str) -> None:
        screen = self.app.screen
        if isinstance(screen, ActionDialog):
            for widget in screen.query(f"#f-{name}"):
                widget.focus()

    def action_take(self) -> None:
        """t: assign the order to me (it stays in its queue)."""
        if not self._can_change():
            return
        if self.order.assignee_id == self._me():
            self.notify(t("wo.already_mine"), markup=False)
            return
        self._queue(ASSIGN_KIND, {"base_version": self.order.version, "assignee_id": self._me()},
                    t("wo.queued.take"))

    def action_assign(self) -> None:
        """a: put the order in a queue and/or give it to an agent."""
        from csdesk.i18n import current_language

        if not self._can_change() or self.service is None:
            return
        order = self.order
        catalogue = self.service.catalogue
        zh = current_language() == "zh-CN"
        queues = [(q.id, plain(q.name if zh else q.name_en, 40, one_line=True)) for q in (catalogue.queues if catalogue else [])]
        if order.queue not in [q for q, _ in queues]:
            queues.insert(0, (order.queue, plain(order.queue, 40, one_line=True)))
        agents = sorted((catalogue.agents if catalogue else []),
                        key=lambda a: (a.get("team") != self.service.team if self.service else True, a.get("id", "")))
        people = [("", t("wo.assign.queue_only"))] + [
            (str(a.get("id")), f"{plain(a.get('name'), 30, one_line=True)} ({plain(a.get('id'), 16, one_line=True)})")
            for a in agents if a.get("id")
        ]
        fields = [
            DialogField("queue", t("wo.queue"), "choice", tuple(queues), order.queue),
            DialogField("assignee_id", t("wo.assignee"), "choice", tuple(people), order.assignee_id or ""),
            DialogField("comment", t("wo.move.comment"), max_length=COMMENT_MAX),
        ]

        def answered(values: dict[str, str] | None) -> None:
            if values is None:
                return
            body: dict[str, Any] = {"base_version": order.version, "assignee_id": values["assignee_id"] or None,
                                    "comment": values["comment"].strip()}
            if values["queue"] != order.queue:
                body["queue"] = values["queue"]
            self._queue(ASSIGN_KIND, body, t("wo.queued.assign"))

        self.app.push_screen(ActionDialog(t("wo.assign.heading", number=number_of(order)), fields), answered)

    def action_extend(self) -> None:
        """x: extend a complaint's time limit (30 days complex, 60 with a supervisor)."""
        if not self._can_change():
            return
        order = self.order
        record = order.complaint
        if record is None:
            return
        totals = [days for days in (sla.COMPLAINT_EXTENDED_DAYS, sla.COMPLAINT_MAX_DAYS) if days > record.total_days]
        if not totals:
            self.notify(t("wo.extend.at_max"), severity="warning", markup=False)
            return
        methods = tuple((m, contact_method_label(m)) for m in CONTACT_METHODS)
        now_text = local_time(datetime.now().astimezone())
        fields = [
            DialogField("total_days", t("wo.extend.total"), "choice",
                        tuple((str(d), t("wo.complaint.days", days=d)) for d in totals), str(totals[0])),
            DialogField("complex_case", t("wo.extend.complex"), "choice",
                        (("yes", t("wo.yes")), ("no", t("wo.no"))), "yes"),
            DialogField("supervisor_id", t("wo.extend.supervisor"), max_length=32,
                        shown=lambda v: v.get("total_days") == str(sla.COMPLAINT_MAX_DAYS)),
            DialogField("reason", t("wo.extend.reason")),
            DialogField("promised_at", t("wo.complaint.promised"), max_length=16),
            DialogField("told_via", t("wo.extend.told_via"), "choice", methods, record.told_via),
            DialogField("told_at", t("wo.extend.told_at"), value=now_text, max_length=16),
        ]

        def check(values: dict[str, str]) -> str | None:
            try:
                sla.check_extension(record.total_days, int(values["total_days"]),
                                    complex_case=values["complex_case"] == "yes",
                                    supervisor_id=values.get("supervisor_id") or None)
            except sla.ExtensionRefused as exc:
                return t(f"wo.extend.refused.{exc.code}")
            supervisor = (values.get("supervisor_id") or "").strip()
            catalogue = self.service.catalogue if self.service else None
            if supervisor and catalogue is not None and not any(
                a.get("id") == supervisor and a.get("role") == "supervisor" for a in catalogue.agents
            ):
                return t("wo.extend.not_supervisor", id=plain(supervisor, 32, one_line=True))
            if not values["reason"].strip():
                return t("wo.problem.reason")
            for name in ("promised_at", "told_at"):
                if parse_local(values[name]) is None:
                    return t("wo.problem.time", example=now_text)
            promised = parse_local(values["promised_at"])
            if promised is not None and promised <= datetime.now().astimezone():
                return t("wo.problem.promised_past")
            total = int(values["total_days"])
            limit = sla.complaint_deadline(order.created_at, total - sla.COMPLAINT_DECISION_DAYS)
            if promised is not None and promised > limit:
                return t("wo.problem.after_limit", days=total, latest=local_time(limit))
            return None

        def answered(values: dict[str, str] | None) -> None:
            if values is None:
                return
            promised, told = parse_local(values["promised_at"]), parse_local(values["told_at"])
            body = {
                "base_version": order.version, "total_days": int(values["total_days"]),
                "complex_case": values["complex_case"] == "yes", "reason": values["reason"].strip(),
                "supervisor_id": (values.get("supervisor_id") or "").strip() or None,
                "promised_at": promised.isoformat() if promised else None, "told_via": values["told_via"],
                "told_at": told.isoformat() if told else None,
            }
            self._queue(EXTEND_KIND, body, t("wo.queued.extend"))

        self.app.push_screen(ActionDialog(t("wo.extend.heading", number=number_of(order)), fields, check=check),
                             answered)

    @work(group="wod-record", exclusive=True)
    async def action_open_record(self) -> None:
        """o: the linked contact's session record and transcript (F8), when it is
        on this desk (an agent's own records sync; another agent's contact is not)."""
        from csdesk.screens.records import RecordsScreen
        from csdesk.services.records import load_records

        contact_id = self.order.contact_id
        session: Any = getattr(self.app, "session", None)
        if not contact_id or session is None or session.sync is None:
            return
        try:
            records = await load_records(session)
        except Exception:
            records = []
        if not any(record.contact_id == contact_id for record in records):
            self.notify(t("wo.record_missing", contact=plain(contact_id, 64, one_line=True)),
                        severity="warning", markup=False)
            return
        await self.app.push_screen(RecordsScreen(contact_id=contact_id))

    def _refused_create(self) -> QueuedChange | None:
        """The refused create of this (local) order, if the backend refused it."""
        return next((c for c in self.refused if c.kind == CREATE_KIND), None)

    def action_edit(self) -> None:
        """e: the form, on this order; on a local order the backend refused,
        the form to correct it (it is sent again in place of the refused one)."""
        from csdesk.screens.work_order_form import WorkOrderFormScreen

        if self.service is None:
            return
        refused = self._refused_create()
        if refused is not None:
            self.app.push_screen(
                WorkOrderFormScreen(self.service, prefill=WorkOrderFormScreen.prefill_from_order(self.order),
                                    draft_key=f"fix-{self.order.id}", replaces=refused.item_key),
                self._corrected)
            return
        if not self._can_change():
            return
        self.app.push_screen(WorkOrderFormScreen(self.service, order=self.order),
                             lambda result: self.work_orders_changed())

    def _corrected(self, order: WorkOrder | None) -> None:
        """The corrected order was queued (or the form left): show it as it is now."""
        if order is not None:
            self.order = order
        self.work_orders_changed()

    @work(group="wod-conflict", exclusive=True)
    async def action_discard(self) -> None:
        """d: discard the first refused change (a refused new order goes with it)."""
        if self.service is None or not self.refused:
            return
        change = self.refused[0]
        try:
            await self.service.drop(change)
        except Exception as exc:
            from csdesk.screens.errors import describe_error

            self.notify(t("wo.change_failed", error=describe_error(exc)), severity="error", markup=False)
            return
        if change.kind == CREATE_KIND:
            self.notify(t("wo.refused.create_discarded"), markup=False)
            self.dismiss(None)
            return
        self.notify(t("wo.refused.discarded"), markup=False)
        self.load_conflicts()

    @work(group="wod-conflict", exclusive=True)
    async def action_reapply(self) -> None:
        """r: send our refused change again, on the version stored now."""
        if self.service is None or not self.conflicts:
            return
        try:
            await self.service.reapply(self.conflicts[0])
        except Exception as exc:
            from csdesk.screens.errors import describe_error

            self.notify(t("wo.change_failed", error=describe_error(exc)), severity="error", markup=False)
            return
        self.notify(t("wo.conflict.reapplied"), markup=False)
        self.load_conflicts()

    @work(group="wod-conflict", exclusive=True)
    async def action_keep_theirs(self) -> None:
        """k: drop our refused change; the stored order stands."""
        if self.service is None or not self.conflicts:
            return
        try:
            await self.service.drop(self.conflicts[0])
        except Exception as exc:
            from csdesk.screens.errors import describe_error

            self.notify(t("wo.change_failed", error=describe_error(exc)), severity="error", markup=False)
            return
        self.notify(t("wo.conflict.dropped"), markup=False)
        self.load_conflicts()

    def action_close(self) -> None:
        """Esc: back to the list (or the to-dos)."""
        self.dismiss(None)

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Palette entries: the actions allowed now."""
        for action, binding_id in (("move", "wod.move"), ("comment", "wod.comment"), ("take", "wod.take"),
                                   ("assign", "wod.assign"), ("extend", "wod.extend"), ("edit", "wod.edit"),
                                   ("reapply", "wod.reapply"), ("keep_theirs", "wod.keep_theirs"),
                                   ("discard", "wod.discard"), ("open_record", "wod.record")):
            if self.check_action(action, ()):
                yield SystemCommand(t(f"key.{binding_id}"), t("cmd.wo_key", key=key_hint(self, binding_id)),
                                    getattr(self, f"action_{action}"))


def number_of(order: WorkOrder) -> str:
    """The order's number for a heading ("pending" before it has one)."""
    from csdesk.screens.work_orders import number_label

    return number_label(order)


def detail_screen_for(item: WorkOrder | Callback, service: WorkOrderService | None = None) -> Screen[None]:
    """The detail screen of a work order or a callback (the to-dos): a work
    order acts with ``service`` (the agent's), reads only without it; a
    callback always reads only."""
    if isinstance(item, WorkOrder):
        return WorkOrderDetailScreen(item, service=service)
    return CallbackDetailScreen(item)
