"""Create or edit a work order or complaint (issue #6 "Form", guide §2.4, §3.2).

One scrolling form at 80×24: type, priority (or a complaint's grade), title,
category, customer reference, queue and assignee, a callback's scheduled
time, an optional earlier deadline, the description and the transcript
excerpt (prefilled from a live contact; the agent trims it), and for a
complaint the §2.4 record: reason, the customer's demand, how to reach them,
the promised feedback time and how and when the customer was told it.

Every change is written to the local store as a draft half a second after
the typing stops (:meth:`WorkOrderService.save_draft`), so a crash of
csdesk loses nothing: the form opens on its draft again. ctrl+r checks the
form — field by field: required, too long, a time in the past, an unknown
queue or assignee — and queues the order through the outbox (offline too);
Esc goes back, the draft kept. Text typed by people is shown as plain text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, Select, Static, TextArea

from csdesk.domain import work_orders as wo
from csdesk.domain.text import clean_text
from csdesk.i18n import current_language, t
from csdesk.themes import status_style
from csdesk.screens.action_dialog import FIELD_BACKGROUND, FOCUSED_FIELD_BACKGROUND
from csdesk.screens.work_order_detail import TIME_FORMAT, local_time
from csdesk.widgets.bindings import translate_bindings
from csdesk.widgets.capped_text_area import CappedTextArea
from csdesk.widgets.form_screen import FormInput
from csdesk.widgets.footer import Footer
from csdesk.widgets.select_options import SafeSelect, replace_options

if TYPE_CHECKING:
    from csdesk.domain.work_order_schemas import WorkOrderDoc
    from csdesk.services.work_orders import WorkOrderService

#: Seconds of no typing before the draft is written.
DRAFT_DELAY = 0.5
#: The short text fields: id → (message id of the label, cap in characters).
INPUTS: dict[str, tuple[str, int]] = {
    "title": ("wo_form.title", wo.TITLE_MAX),
    "category": ("wo_form.category", 64),
    "customer_ref": ("wo_form.customer_ref", 64),
    "assignee_id": ("wo_form.assignee", 32),
    "scheduled_at": ("wo_form.scheduled_at", 16),
    "due_at": ("wo_form.due_at", 16),
    "reason": ("wo_form.reason", wo.NOTE_MAX),
    "demand": ("wo_form.demand", wo.NOTE_MAX),
    "contact_detail": ("wo_form.contact_detail", 64),
    "promised_at": ("wo_form.promised_at", 16),
    "told_at": ("wo_form.told_at", 16),
}
#: The choice fields: id → label message id.
SELECTS: dict[str, str] = {
    "type": "wo_form.type", "level": "wo_form.level", "queue": "wo_form.queue",
    "contact_method": "wo_form.contact_method", "told_via": "wo_form.told_via",
}
#: The long text fields: id → (label message id, cap).
AREAS: dict[str, tuple[str, int]] = {
    "description": ("wo_form.description", wo.DESCRIPTION_MAX),
    "excerpt": ("wo_form.excerpt", wo.DESCRIPTION_MAX),
}
#: Fields an edit cannot change (``PATCH /work-orders/{id}`` has no such field).
EDIT_LOCKED = ("type", "customer_ref", "queue", "assignee_id", "excerpt")
#: Form fields → the edit body's key (complaint fields go as one record).
EDIT_KEYS: dict[str, str] = {
    "title": "title", "category": "category", "description": "description", "level": "level",
    "scheduled_at": "scheduled_at", "due_at": "due_at",
    **{ident: "complaint" for ident in ("reason", "demand", "contact_method", "contact_detail",
                                        "promised_at", "told_via", "told_at")},
}
#: Fields shown only for a complaint.
COMPLAINT_FIELDS = ("reason", "demand", "contact_method", "contact_detail", "promised_at", "told_via", "told_at")


def parse_local_time(text: str, now: datetime) -> datetime | None:
    """``YYYY-MM-DD HH:MM`` (or ``HH:MM`` today, or ``+Nm`` / ``+Nh`` / ``+Nd``
    from now) in the terminal's time zone, as an aware UTC datetime; None for
    blank. Raises ``ValueError`` for anything else."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("+") and text[1:-1].isdigit() and text[-1] in "mhd":
        amount = int(text[1:-1])
        unit = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}[text[-1]]
        return now + amount * unit
    local = now.astimezone()
    if len(text) <= 5 and ":" in text:
        hour, minute = (int(part) for part in text.split(":"))
        return local.replace(hour=hour, minute=minute, second=0, microsecond=0).astimezone(UTC)
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=local.tzinfo).astimezone(UTC)


def format_local_time(value: datetime | None) -> str:
    """An aware time as the form shows it (:func:`local_time`; blank for None)."""
    return local_time(value) if value else ""


class WorkOrderFormScreen(Screen["WorkOrderDoc | None"]):
    """The form (see the module docstring). ``order``: edit it (else create);
    ``prefill``: starting fields (e.g. from a live contact); ``draft_key``:
    where the draft is kept (one per form: ``new``, ``edit-<id>``, a
    contact's id); ``replaces``: the outbox key of a create the backend
    refused, which this (corrected) one is sent in place of, with the same
    ``client_ref`` (from ``prefill``). Dismisses with the queued order, or None."""

    CSS_PATH = "work_order_form.tcss"
    #: The one-line fields (compact: no border) show as fields, the focused one
    #: apart, as in the action dialogs (:data:`FIELD_BACKGROUND`): an empty
    #: compact Input had no box, and at 256 colours the focused one looked like
    #: the rest. Backgrounds only, so every row keeps its one line at 80×24.
    #: (Screen ``CSS`` wins over ``CSS_PATH``: the same selectors there lose.)
    CSS = f"""
    WorkOrderFormScreen .row Input,
    WorkOrderFormScreen .row Select > SelectCurrent {{ {FIELD_BACKGROUND} }}
    WorkOrderFormScreen .row Input:focus,
    WorkOrderFormScreen .row Select:focus-within > SelectCurrent {{ {FOCUSED_FIELD_BACKGROUND} }}
    """
    BINDINGS = [
        Binding("ctrl+r", "save", "wo_form.save", id="wo_form.save"),
        Binding("escape", "close", "wo_form.close", id="wo_form.close"),
    ]

    def __init__(self, service: WorkOrderService, *, order: WorkOrderDoc | None = None,
                 prefill: dict[str, Any] | None = None, draft_key: str | None = None,
                 replaces: str | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.service = service
        self.order = order
        self.replaces = replaces
        self.prefill = dict(prefill or {})
        self.draft_key = draft_key or (f"edit-{order.id}" if order else "new")
        self._draft_timer: Timer | None = None
        self._loading = True
        #: The fields as the form opened (after its draft), and whether a draft was restored.
        self._opened_with: dict[str, str] | None = None
        self._had_draft = False
        #: A draft was written since the form opened.
        self._saved_draft = False
        #: The order is being queued: no draft is written any more.
        self._saving = False
        #: field id → problem text of the last check.
        self.problems: dict[str, str] = {}

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        start_type = str(self.prefill.get("type") or (self.order.type if self.order else "follow_up"))
        yield Static("", id="heading")
        with VerticalScroll(id="body"):
            for ident in ("type", "level", "title", "category", "customer_ref", "queue", "assignee_id",
                          "scheduled_at", "due_at", *COMPLAINT_FIELDS, "description", "excerpt"):
                with Horizontal(classes="row", id=f"row-{ident}"):
                    yield Label("", classes="label", id=f"label-{ident}")
                    if ident in SELECTS:
                        options = self._choices(start_type)[ident]
                        default = self._default(ident, start_type, [v for _label, v in options])
                        yield SafeSelect(options, id=ident, allow_blank=ident == "queue", compact=True,
                                         value=default if default is not None else Select.NULL,
                                         prompt=t("wo_form.auto_queue"))
                    elif ident in AREAS:
                        yield CappedTextArea(id=ident, max_chars=AREAS[ident][1], soft_wrap=True,
                                             tab_behavior="focus", compact=True)
                    else:
                        yield FormInput(id=ident, max_length=INPUTS[ident][1], compact=True, select_on_focus=False)
                yield Static("", classes="problem", id=f"problem-{ident}")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.retranslate()
        self._load()

    def retranslate(self) -> None:
        """Labels, choices and the heading in the current language (values stay)."""
        title = "wo_form.heading_edit" if self.order else "wo_form.heading_new"
        number = self.order.number if self.order else ""
        self.query_one("#heading", Static).update(Text(t(title, number=number), style="bold"))
        for ident, (key, _cap) in {**INPUTS, **AREAS}.items():
            self.query_one(f"#label-{ident}", Label).update(t(key))
        for ident, key in SELECTS.items():
            self.query_one(f"#label-{ident}", Label).update(t(key))
        self.query_one("#queue", SafeSelect).prompt = t("wo_form.auto_queue")
        self._fill_choices()
        self._show_problems()

    def _choices(self, order_type: str) -> dict[str, list[tuple[str, str]]]:
        """The options of each choice field for an order of ``order_type``, in the current language."""
        levels = wo.GRADES if order_type == "complaint" else wo.PRIORITIES
        level_key = "work_order.grade" if order_type == "complaint" else "wo_form.priority"
        methods = [(t(f"wo_form.method.{x}"), x) for x in wo.CONTACT_METHODS]
        english = current_language() == "en"
        queues = self.service.catalogue.queues if self.service.catalogue else []
        return {
            "type": [(t(f"work_order.type.{x}"), x) for x in wo.TYPES],
            "level": [(t(f"{level_key}.{x}"), x) for x in levels],
            "queue": [((q.name_en if english else q.name), q.id) for q in queues],
            "contact_method": methods,
            "told_via": list(methods),
        }

    @staticmethod
    def _default(ident: str, order_type: str, values: list[str]) -> str | None:
        if ident == "queue" or not values:
            return None  # blank: the routing rules choose
        if ident == "type":
            return "follow_up"
        if ident == "level" and order_type != "complaint":
            return "P3"
        return values[0]

    def _fill_choices(self) -> None:
        order_type = self._value("type") or "follow_up"
        for ident, options in self._choices(order_type).items():
            select = self.query_one(f"#{ident}", SafeSelect)
            keep = select.value
            replace_options(select, options)
            values = [value for _label, value in options]
            if keep in values:
                select.value = keep
            elif (default := self._default(ident, order_type, values)) is not None:
                select.value = default

    def _show_complaint_fields(self) -> None:
        complaint = self._value("type") == "complaint"
        for ident in COMPLAINT_FIELDS:
            self.query_one(f"#row-{ident}").display = complaint
            self.query_one(f"#problem-{ident}").display = complaint
        callback = self._value("type") == "callback"
        self.query_one("#row-scheduled_at").display = callback

    # -- values ---------------------------------------------------------------------------

    def _value(self, ident: str) -> str:
        widget = self.query_one(f"#{ident}")
        if isinstance(widget, Select):
            value = widget.value
            return "" if value == Select.NULL or value is None else str(value)
        if isinstance(widget, TextArea):
            return widget.text
        return str(widget.value)  # type: ignore[attr-defined]

    def _set(self, ident: str, value: Any) -> None:
        widget = self.query_one(f"#{ident}")
        text = "" if value is None else str(value)
        if isinstance(widget, Select):
            if text:
                widget.value = text
        elif isinstance(widget, TextArea):
            widget.load_text(clean_text(text))
        else:
            widget.value = clean_text(text, keep_newlines=False)  # type: ignore[attr-defined]

    def fields(self) -> dict[str, str]:
        """Every field's current text, by id (what a draft keeps)."""
        return {ident: self._value(ident) for ident in (*INPUTS, *SELECTS, *AREAS)}

    @work(group="wo-form-load")
    async def _load(self) -> None:
        if self.service.catalogue is None:
            await self.service.load_catalogue()
            self._fill_choices()
        start: dict[str, Any] = {"told_at": format_local_time(datetime.now(UTC))}
        if self.order is not None:
            self._status(t("wo_form.edit_locked"), "info")  # a draft's message below replaces it
            start.update(self._from_order(self.order))
        start.update({k: v for k, v in self.prefill.items() if v is not None})
        draft = await self.service.draft(self.draft_key)
        version = draft.pop("_version", 0) if draft else 0
        if draft and self.order is not None and version != self.order.version:
            # The order changed since the draft was typed: the draft would undo that.
            await self.service.drop_draft(self.draft_key)
            self._status(t("wo_form.draft_stale"), "warn")
            draft = None
        self._apply(start)
        #: The fields as the order gives them (edit): what an edit is compared with.
        self._order_fields = self.fields()
        if draft:
            self._apply(draft)
        self._show_complaint_fields()
        if self.order is not None:
            # An order keeps its type; customer, contact excerpt, queue and assignee
            # are not edited here (queue and assignee: "a" on the order).
            for ident in EDIT_LOCKED:
                self.query_one(f"#{ident}").disabled = True
        self._loading = False
        self._opened_with = self.fields()
        self._had_draft = bool(draft)
        if draft:
            self._status(t("wo_form.draft_restored"), "info")
        self.query_one("#title", Input).focus()

    def _apply(self, values: dict[str, Any]) -> None:
        """Put ``values`` (field id → value) into the form, the type first (it sets the choices)."""
        if "type" in values:
            self._set("type", values["type"])
            self._fill_choices()
        names = self.fields()
        for ident, value in values.items():
            if ident in names and ident != "type":
                self._set(ident, value)

    def changed_fields(self) -> set[str]:
        """The ids of the fields that differ from the order being edited (all of them for a new one)."""
        now = self.fields()
        base = getattr(self, "_order_fields", None)
        if self.order is None or base is None:
            return set(now)
        return {ident for ident, value in now.items() if base.get(ident) != value}

    @classmethod
    def prefill_from_order(cls, order: WorkOrderDoc) -> dict[str, Any]:
        """The form's fields for a new order made again from ``order`` (a local
        order the backend refused): what the form shows, plus the fields it
        carries unseen (contact, channel, tags, ``client_ref``)."""
        return {**cls._from_order(order), "contact_id": order.contact_id, "channel": order.channel,
                "tags": list(order.tags), "client_ref": order.client_ref}

    @staticmethod
    def _from_order(order: WorkOrderDoc) -> dict[str, Any]:
        values: dict[str, Any] = {
            "type": order.type, "level": order.priority or order.grade, "title": order.title,
            "category": order.category, "customer_ref": order.customer_ref, "queue": order.queue,
            "assignee_id": order.assignee_id or "", "scheduled_at": format_local_time(order.scheduled_at),
            "due_at": format_local_time(order.due_at), "description": order.description, "excerpt": order.excerpt,
        }
        if order.complaint:
            c = order.complaint
            values.update(reason=c.reason, demand=c.demand, contact_method=c.contact_method,
                          contact_detail=c.contact_detail, promised_at=format_local_time(c.promised_at),
                          told_via=c.told_via, told_at=format_local_time(c.told_at))
        return values

    # -- typing and drafts -------------------------------------------------------------------

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    def _changed(self, event: Any) -> None:
        if self._loading or not self.is_attached:
            return
        if isinstance(event, Select.Changed) and event.select.id == "type":
            self._fill_choices()
            self._show_complaint_fields()
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DELAY, self._write_draft)

    @property
    def _touched(self) -> bool:
        """The fields differ from how the form opened (or it opened on a draft)."""
        return self._had_draft or (self._opened_with is not None and self.fields() != self._opened_with)

    def _write_draft(self) -> None:
        """Write the draft now, in an app worker (it finishes even if the form closes).
        A timer firing after the form closed writes nothing (its fields are gone)."""
        self._draft_timer = None
        if not self.is_attached:
            return
        if self._saving:
            return
        if not self._touched:
            # Only choice fields settling as the form opened (their Changed messages
            # come after loading), or typing undone: nothing of the agent's to keep.
            if self._saved_draft:
                self._saved_draft = False
                self.app.run_worker(self.service.drop_draft(self.draft_key), group="wo-form-draft",
                                    exit_on_error=False)
            return
        self._saved_draft = True
        draft = {**self.fields(), "_version": self.order.version if self.order else 0}
        self.app.run_worker(self.service.save_draft(self.draft_key, draft), group="wo-form-draft",
                            exit_on_error=False)

    @on(CappedTextArea.TooLong)
    @on(FormInput.TooLong)
    def _too_long(self, event: CappedTextArea.TooLong | FormInput.TooLong) -> None:
        event.stop()
        self._status(t("form.too_long"), "warn")

    # -- checking and saving ------------------------------------------------------------------

    def check(self, now: datetime | None = None) -> tuple[dict[str, Any], dict[str, str]]:
        """The form as a create (or edit) body and the field problems (id → text)."""
        now = now or datetime.now(UTC)
        values = self.fields()
        problems: dict[str, str] = {}
        order_type = values["type"]
        body: dict[str, Any] = {"type": order_type}
        for ident in ("title", "category", "customer_ref", "description", "excerpt"):
            body[ident] = values[ident].strip() if ident not in AREAS else values[ident]
        if not body["title"]:
            problems["title"] = t("wo_form.problem.required")
        body["grade" if order_type == "complaint" else "priority"] = values["level"] or None
        if not values["level"]:
            problems["level"] = t("wo_form.problem.required")
        catalogue = self.service.catalogue
        if values["queue"]:
            body["queue"] = values["queue"]
        assignee = values["assignee_id"].strip()
        if assignee:
            if catalogue and assignee not in {a["id"] for a in catalogue.agents}:
                problems["assignee_id"] = t("wo_form.problem.unknown_agent")
            body["assignee_id"] = assignee
        times = {}
        for ident in ("scheduled_at", "due_at", "promised_at", "told_at"):
            try:
                times[ident] = parse_local_time(values[ident], now)
            except ValueError:
                problems[ident] = t("wo_form.problem.time", example=format_local_time(now))
        changed = self.changed_fields()
        for ident in ("scheduled_at", "due_at", "promised_at"):
            # An edit keeps a time it does not touch (an overdue order's deadline).
            if ident in changed and times.get(ident) is not None and times[ident] <= now:
                problems[ident] = t("wo_form.problem.in_past")
        if "told_at" in changed and times.get("told_at") is not None and times["told_at"] > now + timedelta(minutes=5):
            problems["told_at"] = t("wo_form.problem.in_future")  # the backend refuses it too
        scheduled, due = times.get("scheduled_at"), times.get("due_at")
        current_due = self.order.due_at if self.order is not None else None
        if ("due_at" in changed and due is not None and current_due is not None and "due_at" not in problems
                and due > current_due + timedelta(minutes=1)):
            # The service level sets the deadline; an edit can only bring it forward.
            problems["due_at"] = t("wo_form.problem.due_later", latest=format_local_time(current_due))
        if (order_type == "callback" and scheduled is not None and due is not None and due < scheduled
                and "due_at" not in problems):
            problems["due_at"] = t("wo_form.problem.due_before_call")
        promised = times.get("promised_at")
        if order_type == "complaint" and promised is not None and "promised_at" not in problems:
            from csdesk.domain import sla

            received = self.order.created_at if self.order is not None else now
            days = (self.order.complaint.total_days if self.order is not None and self.order.complaint
                    else sla.COMPLAINT_DECISION_DAYS)
            limit = sla.complaint_deadline(received, days - sla.COMPLAINT_DECISION_DAYS)
            if promised > limit:
                problems["promised_at"] = t("wo_form.problem.after_limit", days=days, latest=format_local_time(limit))
        if order_type == "callback":
            if times.get("scheduled_at") is None and "scheduled_at" not in problems:
                problems["scheduled_at"] = t("wo_form.problem.required")
            body["scheduled_at"] = times.get("scheduled_at")
        if times.get("due_at"):
            body["due_at"] = times["due_at"]
        if order_type == "complaint":
            for ident in ("reason", "demand", "promised_at"):
                if not values[ident].strip() and ident not in problems:
                    problems[ident] = t("wo_form.problem.required")
            body["complaint"] = {
                "reason": values["reason"].strip(), "demand": values["demand"].strip(),
                "contact_method": values["contact_method"] or "phone",
                "contact_detail": values["contact_detail"].strip(),
                "promised_at": times.get("promised_at"), "told_via": values["told_via"] or "phone",
                "told_at": times.get("told_at") or now,
            }
        if self.order is None:
            for ident in ("contact_id", "channel", "tags", "client_ref"):
                if self.prefill.get(ident):
                    body[ident] = self.prefill[ident]
        return body, problems

    def _show_problems(self) -> None:
        style = status_style(self.app, "error")
        for ident in (*INPUTS, *SELECTS, *AREAS):
            text = self.problems.get(ident, "")
            self.query_one(f"#problem-{ident}", Static).update(Text(text, style=style))
            self.query_one(f"#problem-{ident}").display = bool(text)

    def _status(self, text: str, role: str) -> None:
        self.query_one("#status", Static).update(Text(text, style=status_style(self.app, role)))

    def action_save(self) -> None:
        """ctrl+r: check the form and queue the order (or the edit)."""
        body, self.problems = self.check()
        self._show_problems()
        if self.problems:
            first = next(iter(self.problems))
            self._status(t("wo_form.fix", count=len(self.problems)), "error")
            self.query_one(f"#{first}").focus()
            return
        self._save(body)

    @work(group="wo-form-save", exclusive=True)
    async def _save(self, body: dict[str, Any]) -> None:
        from pydantic import ValidationError

        from csdesk.domain.work_order_schemas import WorkOrderCreate
        from csdesk.domain.work_orders import EDIT_KIND
        from csdesk.screens.errors import describe_error

        # No draft is written from here on: the order is being queued (a draft
        # timer firing meanwhile brought a saved order's draft back: QA).
        self._saving = True
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        try:
            if self.order is None:
                order = await self.service.create(WorkOrderCreate.model_validate(body), replaces=self.replaces)
            else:
                keys = {EDIT_KEYS[ident] for ident in self.changed_fields() if ident in EDIT_KEYS}
                if "level" in keys:
                    keys |= {"priority", "grade"}
                edit = {k: v for k, v in body.items() if k in keys and v is not None}
                if not edit:
                    self._saving = False
                    self._status(t("wo_form.unchanged"), "warn")
                    return
                await self.service.change(EDIT_KIND, self.order.id, {"base_version": self.order.version, **edit})
                order = self.service.get(self.order.id) or self.order
        except (ValidationError, ValueError) as exc:
            self._saving = False
            self._status(clean_text(str(exc), keep_newlines=False, max_chars=200), "error")
            return
        except Exception as exc:  # the store failed: say so, keep the form and its draft
            self._saving = False
            self._status(t("wo_form.not_queued", error=describe_error(exc)), "error")
            return
        await self.service.drop_draft(self.draft_key)
        self.notify(t("wo_form.queued"), markup=False)
        self.dismiss(order)

    def action_close(self) -> None:
        """Esc: back, the draft kept (and said) if anything was typed."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._write_draft()
        if self._touched:
            self.notify(t("wo_form.draft_kept"), markup=False)
        self.dismiss(None)
