"""F7 business-operation modal (issue #4 "Business operations", guide §2.3).

:class:`OperationScreen` lists the backend's catalogue (name, required
verification level, risk disclosure). An operation above the customer's
level is shown but refused with the missing level named. Picking one opens
its form: what to tell the customer (conditions, materials, time), one row
per field (checked per its ``FieldSpec`` before sending, with a message under
the field), and, when the operation needs it, the risk disclosure: a key
sends it, the customer's answer arrives as a ``disclosure`` change of the
:class:`~csdesk.services.contact.ContactService` (polled every
:data:`CONSENT_POLL_SECONDS` as a fallback); no consent, no execution.
Executing shows the summary, the reference number and the follow-ups.

At 80×24 a form keeps what the agent needs in view: the operation's name,
level and the customer's level share the title line; the consent state, the
message line and a one-row hint stay fixed under the form; the texts and
fields between them scroll (a focused field is scrolled into view).

Nothing typed is lost: a refusal keeps the form; a form left with Esc is
filled again when the same operation is picked again; a retry after the
backend went unreachable sends the same values, so the service reuses the
idempotency key and the backend runs it once. Catalogue and backend texts
are drawn as plain text.

The card lists follow the customer's card: after an operation the service
reads the masked card again, and the open form's lists show the new status
(a frozen card says "frozen"), the pick kept. A language switch redraws the
title, catalogue, labels, placeholders, lists, messages and hint in place
(:meth:`LiveModal.retranslate`); the customer-facing texts stay in the
customer's language.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, ContentSwitcher, Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from csdesk.api.errors import ApiError, OfflineError, ProblemError
from csdesk.domain.contact_schemas import (
    CardView,
    FieldSpec,
    OperationDone,
    OperationSpec,
    WealthProduct,
)
from csdesk.domain.operation_fields import MAX_TEXT_CHARS, check_field
from csdesk.domain.text import clean_text
from csdesk.glyphs import glyph
from csdesk.i18n import current_language, normalize_language, t
from csdesk.screens.errors import describe_error
from csdesk.screens.live_modal import LiveModal, localized, verify_key_hint
from csdesk.services.contact import ContactChange, ContactService
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint
from csdesk.widgets.form_screen import FormInput
from csdesk.widgets.select_options import SafeSelect, replace_options
from csdesk.widgets.texts import LiveText, live_text

#: Seconds between consent polls while a disclosure is awaited (the event may be missed).
CONSENT_POLL_SECONDS = 2.0
#: Caps of the typed field kinds, characters.
FIELD_CAPS = {"text": MAX_TEXT_CHARS, "amount": 24, "phone": 24, "account": 32}

Value = str | bool | None


def field_problem(
    spec: FieldSpec, value: Value, *, products: Mapping[str, WealthProduct] | None = None,
    risk_rating: int | None = None,
) -> str | None:
    """What is wrong with ``value`` for field ``spec`` (a translated line), or None.

    The rule is the backend's own (:func:`csdesk.domain.operation_fields.check_field`);
    on top, a wealth product (a key of ``products``) above the customer's
    ``risk_rating`` is refused here at once, as the backend refuses it.
    """
    _clean, problem = check_field(spec, value)
    if problem is not None:
        if problem.code in ("minimum", "maximum"):
            return t(f"operation.field.{problem.code}", **{problem.code: f"{problem.limit or 0:,.2f}"})
        if problem.code == "too_long":
            return t("operation.field.too_long", max=int(problem.limit or MAX_TEXT_CHARS))
        if problem.code == "flag":
            return t("operation.field.format")
        return t(f"operation.field.{problem.code}")
    product = (products or {}).get(value) if spec.kind == "choice" and isinstance(value, str) else None
    if product is not None and risk_rating is not None and product.risk > risk_rating:
        return t("operation.field.risk", risk=product.risk, rating=risk_rating)
    return None


def read_value(widget: Widget) -> Value:
    """The value of a field widget: a Checkbox's bool, a Select's value, an Input's
    stripped text (None when blank)."""
    if isinstance(widget, Checkbox):
        return widget.value
    if isinstance(widget, Select):
        return None if widget.is_blank() else str(widget.value)
    assert isinstance(widget, Input)
    return widget.value.strip() or None


def write_value(widget: Widget, value: Value) -> None:
    """Put ``value`` back into a field widget (a value no longer offered is skipped)."""
    if isinstance(widget, Checkbox):
        widget.value = bool(value)
    elif isinstance(widget, Select):
        if value is not None and any(v == value for _label, v in widget._options):
            widget.value = value
    elif isinstance(widget, Input):
        widget.value = str(value or "")


class OperationScreen(LiveModal[OperationDone | None]):
    """The business-operation catalogue and forms (see the module docstring).

    ``service`` is the desk's :class:`ContactService` (its current contact is
    served); ``language`` (``zh-CN``/``en``) is the customer's: the text to
    tell them and the risk disclosure are shown and sent in it. Labels
    follow the desk's language. Dismisses with the last operation done here
    (:class:`OperationDone`), or None.
    """

    CSS_PATH = "operation.tcss"
    BINDINGS = [
        Binding("escape", "back", "operation.back", id="operation.back"),
        Binding("ctrl+r", "execute", "operation.execute", id="operation.execute"),
        Binding("ctrl+t", "send_disclosure", "operation.send_disclosure", id="operation.send_disclosure"),
    ]

    class ServiceChanged(Message):
        """The contact service changed (``kind`` of its ContactChange)."""

        def __init__(self, kind: str) -> None:
            super().__init__()
            self.kind = kind

    def __init__(self, service: ContactService, *, language: str) -> None:
        super().__init__()
        self.service = service
        self.language = normalize_language(language) or "zh-CN"
        self.catalogue: dict[str, OperationSpec] = {}
        self.products: dict[str, WealthProduct] = {}
        #: The operation whose form is open (None on the list).
        self.spec: OperationSpec | None = None
        #: The last operation done in this screen (the dismiss value).
        self.last_done: OperationDone | None = None
        #: Field name → widget / error line of the open form.
        self.fields: dict[str, Widget] = {}
        self.errors: dict[str, Static] = {}
        #: Field name → its label (redrawn after a language switch).
        self.labels: dict[str, Static] = {}
        #: Field name → the error shown under it (worded again after a switch).
        self._error_texts: dict[str, LiveText] = {}
        self._drafts: dict[str, dict[str, Value]] = {}
        self._disclosure_id: str | None = None
        self._done: OperationDone | None = None
        self._busy = False
        self._unlisten: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("", id="title")
            with ContentSwitcher(initial="catalogue", id="pages"):
                yield OptionList(id="catalogue")
                with VerticalScroll(id="form"):
                    yield Static("", id="tell")
                    yield Vertical(id="fields")
                    yield Static("", id="disclosure")
                    yield Static("", id="outcome")
            yield Static("", id="consent")
            yield Static("", id="message")
            yield Static("", id="hint")

    def on_mount(self) -> None:
        self._draw_title()
        self._draw_consent()
        self._draw_hint()
        self._say(lambda: t("operation.loading"), "info")
        self._unlisten = self.service.add_listener(self._heard)
        self.query_one("#catalogue", OptionList).focus()
        self.load()

    def on_unmount(self) -> None:
        if self._unlisten is not None:
            self._unlisten()

    # -- the catalogue -------------------------------------------------------------

    @work(group="operation-load", exclusive=True)
    async def load(self) -> None:
        """Read the catalogue and the wealth products."""
        try:
            specs = await self.service.operations()
        except ApiError as exc:
            self._say(lambda exc=exc: describe_error(exc), "error")
            return
        try:
            self.products = {p.code: p for p in await self.service.products()}
        except ApiError:
            self.products = {}  # product codes are shown instead of names
        if not self.showing:
            return
        self.catalogue = {spec.code: spec for spec in specs}
        self._draw_catalogue()
        self._say("", "info")

    def _draw_catalogue(self) -> None:
        options = self.query_one("#catalogue", OptionList)
        highlighted = options.highlighted
        level = self.service.verification_level
        lang = current_language()
        rows = []
        for spec in self.catalogue.values():
            label = Text(no_wrap=True, overflow="ellipsis")
            label.append(f"L{spec.level}  ", style="bold")
            label.append(localized(spec.name, lang))
            if spec.disclosure:
                label.append("  · " + t("operation.has_disclosure"), style="dim")
            if spec.level > level:
                label.append("  " + t("operation.needs_short", level=spec.level), style=status_style(self.app, "bad"))
            rows.append(Option(label, id=spec.code))
        options.set_options(rows)
        if rows:
            options.highlighted = min(highlighted or 0, len(rows) - 1)

    def _draw_title(self) -> None:
        """The title line: "Business operations" on the list, the operation's
        name and level on a form; then the customer's level."""
        level = self.service.verification_level
        customer = t("operation.customer_level", level=level, meaning=t(f"card.level.{level}"))
        if self.spec is None:
            title = Text(t("operation.title"), style="bold")
            title.append("  " + customer)
        else:
            title = Text(localized(self.spec.name, current_language()), style="bold")
            title.append("  " + t("operation.requires", level=self.spec.level) + " · " + customer, style="dim")
        self.query_one("#title", Static).update(title)

    def _draw_hint(self) -> None:
        keys = {
            "back": key_hint(self, "operation.back"),
            "execute": key_hint(self, "operation.execute"),
            "send": key_hint(self, "operation.send_disclosure"),
        }
        if self.spec is None:
            hint = t("operation.hint_list", **keys)
        elif self.spec.disclosure:
            hint = t("operation.hint_disclosure", **keys)
        else:
            hint = t("operation.hint_form", **keys)
        self.query_one("#hint", Static).update(Text(hint, style="dim"))

    def _heard(self, change: ContactChange) -> None:
        """Service listener: only posts a message (never raises into the service)."""
        self.post_message(self.ServiceChanged(change.kind))

    def on_operation_screen_service_changed(self, message: ServiceChanged) -> None:
        message.stop()
        if message.kind == "disclosure":
            self._draw_consent()
        elif message.kind in ("verification", "contact"):
            self._draw_title()
            self._draw_catalogue()
            self._refill_choices()  # a card frozen / unfrozen shows in the card list

    # -- opening a form -------------------------------------------------------------

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on an operation: open its form, or say which level is missing."""
        if event.option_list.id != "catalogue":
            return  # a Select's own list
        event.stop()
        spec = self.catalogue.get(event.option.id or "")
        if spec is None:
            return
        contact = self.service.contact
        level = self.service.verification_level
        if contact is None:
            self._say(lambda: t("operation.no_contact"), "error")
        elif spec.level > 0 and contact.verification_locked:
            self._say(lambda: t("operation.locked"), "error")
        elif spec.level > level:
            key = verify_key_hint(self)
            self._say(lambda: t("operation.needs_level", need=spec.level, have=level, key=key), "error")
        else:
            await self._open(spec)

    def _cards(self) -> list[CardView]:
        contact = self.service.contact
        return list(contact.customer.cards) if contact and contact.customer else []

    def _risk_rating(self) -> int | None:
        contact = self.service.contact
        return contact.customer.risk_rating if contact and contact.customer else None

    def _choice_label(self, choice: str) -> Text:
        product = self.products.get(choice)
        if product is None:
            known = t(f"operation.choice.{choice}")
            return Text(clean_text(choice if known == f"operation.choice.{choice}" else known, keep_newlines=False))
        label = Text(localized(product.name, current_language()), no_wrap=True, overflow="ellipsis")
        rating = self._risk_rating()
        risky = rating is not None and product.risk > rating
        label.append(f"  R{product.risk}", style=status_style(self.app, "bad" if risky else "good"))
        label.append("  " + t("operation.product_minimum", minimum=f"{product.minimum:,.2f}"), style="dim")
        return label

    def _choices(self, spec: FieldSpec) -> list[tuple[Text, str]] | None:
        """The options of field ``spec`` as a list (a choice, or the customer's
        cards with their status now), or None when it is not picked from a list."""
        if spec.kind == "choice":
            return [(self._choice_label(c), c) for c in spec.choices]
        cards = self._cards()
        if spec.kind == "account" and cards:
            return [
                (Text(clean_text(f"{c.number_masked}  {c.product} · {t(f'card.status.{c.status}')}",
                                 keep_newlines=False), no_wrap=True, overflow="ellipsis"),
                 clean_text(c.number_masked, keep_newlines=False))
                for c in cards
            ]
        return None

    def _widget_for(self, spec: FieldSpec) -> Widget:
        if spec.kind == "bool":
            return Checkbox(Text(""), compact=True)
        choices = self._choices(spec)
        if choices is not None:
            return SafeSelect(choices, prompt=t("operation.pick"), compact=True)
        return FormInput(
            max_length=FIELD_CAPS.get(spec.kind, MAX_TEXT_CHARS), compact=True,
            placeholder=t(f"operation.placeholder.{spec.kind}"),
        )

    def _refill_choices(self) -> None:
        """Draw the option lists of the open form again (the cards' status as
        the service knows it now, labels in the current language); what is
        picked stays picked, and no field error is cleared by it."""
        if self.spec is None:
            return
        for field in self.spec.fields:
            widget = self.fields.get(field.name)
            choices = self._choices(field)
            if not isinstance(widget, Select) or choices is None:
                continue
            prompt = t("operation.pick")
            shown = [(str(label), value) for label, value in widget._options if value != Select.NULL]
            if widget.prompt == prompt and shown == [(str(label), value) for label, value in choices]:
                continue  # unchanged: an open drop-down is left alone
            widget.prompt = prompt
            replace_options(widget, choices, write=write_value)

    @staticmethod
    def _field_label(field: FieldSpec) -> Text:
        return Text(localized(field.label, current_language())
                    + ("" if field.required else " " + t("operation.optional")))

    async def _open(self, spec: OperationSpec) -> None:
        """Show the form of ``spec`` (filled with what was typed last time)."""
        self.spec = spec
        self._done = None
        box = self.query_one("#fields", Vertical)
        await box.remove_children()
        self.fields, self.errors, self.labels, rows = {}, {}, {}, []
        self._error_texts = {}
        for field in spec.fields:
            widget = self._widget_for(field)
            widget.add_class("field-input")
            error = Static("", classes="field-error")
            error.display = False
            label = Static(self._field_label(field), classes="field-label")
            rows.append(Vertical(Horizontal(label, widget, classes="field-row"), error, classes="field"))
            self.fields[field.name], self.errors[field.name], self.labels[field.name] = widget, error, label
        await box.mount_all(rows)
        for name, value in self._drafts.get(spec.code, {}).items():
            if name in self.fields:
                write_value(self.fields[name], value)
        self._draw_title()
        self._draw_texts()
        self.query_one("#disclosure", Static).display = bool(spec.disclosure)
        self.query_one("#outcome", Static).update("")
        self.query_one("#outcome", Static).display = False
        self._disclosure_id = self._known_disclosure(spec.code)
        self._draw_consent()
        self._draw_hint()
        self._say("", "info")
        self.query_one("#pages", ContentSwitcher).current = "form"
        if self.fields:
            next(iter(self.fields.values())).focus()
        else:
            self.query_one("#form", VerticalScroll).focus()
        if self._disclosure_id and self.service.consent(self._disclosure_id) is None:
            self.wait_consent(self._disclosure_id)

    def _known_disclosure(self, code: str) -> str | None:
        """A consented, unused disclosure of ``code``, else one still awaited, else None."""
        consented = self.service.consented_disclosure(code)
        if consented:
            return consented
        waiting = [d for d, r in self.service.disclosures.items() if r.operation == code and r.consent is None]
        return waiting[-1] if waiting else None

    def _draw_texts(self) -> None:
        """The open form's "tell the customer" and risk-disclosure lines: the
        headings in the desk's language, the texts in the customer's."""
        spec = self.spec
        if spec is None:
            return
        tell = Text.assemble((t("operation.tell") + " ", "bold"), localized(spec.tell_customer, self.language))
        self.query_one("#tell", Static).update(tell)
        said = localized(spec.disclosure, self.language) if spec.disclosure else ""
        disclosure = Text.assemble((t("operation.disclosure") + " ", "bold"), said)
        self.query_one("#disclosure", Static).update(disclosure)

    def _retranslate(self) -> None:
        """Title, catalogue, the open form (labels, placeholders, option lists,
        texts, errors under fields, the outcome), consent line and hint in the
        current language; values, picks, highlight and focus stay."""
        self._draw_title()
        self._draw_catalogue()
        self._draw_consent()
        self._draw_hint()
        if self.spec is None:
            return
        for field in self.spec.fields:
            widget = self.fields.get(field.name)
            if field.name in self.labels:
                self.labels[field.name].update(self._field_label(field))
            if isinstance(widget, FormInput):
                widget.placeholder = t(f"operation.placeholder.{field.kind}")
        self._refill_choices()
        self._draw_texts()
        self._draw_outcome()
        for name, message in list(self._error_texts.items()):
            self._field_error(name, message)

    # -- the risk disclosure ----------------------------------------------------------

    def _draw_consent(self) -> None:
        line = self.query_one("#consent", Static)
        spec = self.spec
        line.display = bool(spec and spec.disclosure)
        if spec is None or not spec.disclosure:
            return
        send = key_hint(self, "operation.send_disclosure")
        consent = self.service.consent(self._disclosure_id) if self._disclosure_id else None
        if self._done is not None:
            text, role = t("operation.disclosure.used"), "good"
        elif self._disclosure_id is None:
            text, role = t("operation.disclosure.unsent", key=send), "warn"
        elif consent is None:
            text, role = t("operation.disclosure.waiting"), "info"
        elif consent:
            text, role = f"{glyph('✓')} " + t("operation.disclosure.consented"), "ok"
        else:
            text, role = f"{glyph('✗')} " + t("operation.disclosure.declined", key=send), "bad"
        line.update(Text(text, style=status_style(self.app, role)))

    def action_send_disclosure(self) -> None:
        """Send the open operation's risk disclosure to the customer (in their language)."""
        spec = self.spec
        if spec is None or not spec.disclosure or self._done is not None:
            return
        if self._disclosure_id is not None and self.service.consent(self._disclosure_id) is not False:
            self._draw_consent()  # already awaited or consented
            return
        self.send_disclosure(spec)

    @work(group="operation-disclosure", exclusive=True)
    async def send_disclosure(self, spec: OperationSpec) -> None:
        """``send_disclosure`` in a worker, then wait for the consent."""
        self._say(lambda: t("operation.sending"), "info")
        try:
            result = await self.service.send_disclosure(spec.code, self.language)
        except (ApiError, RuntimeError) as exc:
            self._report(exc)
            return
        self._say("", "info")
        if self.showing and self.spec is spec:
            self._disclosure_id = result.id
            self._draw_consent()
            self.wait_consent(result.id)

    @work(group="operation-consent", exclusive=True)
    async def wait_consent(self, disclosure_id: str) -> None:
        """Poll the consent every :data:`CONSENT_POLL_SECONDS` until it is known
        (the ``disclosure`` change usually comes first) or another form opens."""
        while self._disclosure_id == disclosure_id and self.service.consent(disclosure_id) is None:
            await asyncio.sleep(CONSENT_POLL_SECONDS)
            if self._disclosure_id != disclosure_id:
                return
            try:
                await self.service.refresh_disclosure(disclosure_id)
            except ApiError:
                continue
            except RuntimeError:
                return  # the contact is gone
            if not self.showing:
                return
            self._draw_consent()

    # -- executing ---------------------------------------------------------------------

    def _collect(self) -> dict[str, str | bool] | None:
        """The form's values (blank optional fields left out), or None after
        showing a message under each field that is not valid."""
        assert self.spec is not None
        values: dict[str, str | bool] = {}
        first_bad: Widget | None = None
        for field in self.spec.fields:
            widget = self.fields[field.name]
            value = read_value(widget)
            rating = self._risk_rating()
            problem = field_problem(field, value, products=self.products, risk_rating=rating)
            # Worded again after a language switch (the check is pure).
            self._field_error(field.name, None if problem is None else (
                lambda field=field, value=value: field_problem(
                    field, value, products=self.products, risk_rating=rating) or ""
            ))
            if problem and first_bad is None:
                first_bad = widget
            if value is not None:
                values[field.name] = value
        if first_bad is not None:
            first_bad.focus()
            return None
        return values

    def _field_error(self, name: str, message: LiveText | None) -> None:
        """Show ``message`` under field ``name`` (None or empty: hide the line);
        a function is worded again after a language switch."""
        error = self.errors.get(name)
        if error is None:
            return
        if message:
            self._error_texts[name] = message
        else:
            self._error_texts.pop(name, None)
        shown = live_text(message) if message else ""
        error.update(Text(shown, style=status_style(self.app, "bad")))
        error.display = bool(shown)

    def action_execute(self) -> None:
        """Check the form and the consent, then run the operation."""
        spec = self.spec
        if spec is None or self._busy:
            return
        if self._done is not None:
            reference = self._done.reference
            self._say(lambda: t("operation.already_done", reference=reference), "warn")
            return
        values = self._collect()
        if values is None:
            self._say(lambda: t("operation.fix_fields"), "warn")
            return
        disclosure_id = None
        if spec.disclosure:
            consent = self.service.consent(self._disclosure_id) if self._disclosure_id else None
            if consent is not True:
                key = key_hint(self, "operation.send_disclosure")
                refused = "operation.refused_declined" if consent is False else "operation.need_consent"
                self._say(lambda: t(refused, key=key), "error")
                return
            disclosure_id = self._disclosure_id
        self.execute(spec, values, disclosure_id)

    @work(group="operation-execute")
    async def execute(self, spec: OperationSpec, values: dict[str, str | bool], disclosure_id: str | None) -> None:
        """``ContactService.execute`` in a worker; the outcome or a clear refusal."""
        self._busy = True
        self._say(lambda: t("operation.executing"), "info")
        try:
            done = await self.service.execute(spec.code, dict(values), disclosure_id)
        except OfflineError:
            key = key_hint(self, "operation.execute")
            self._say(lambda: t("operation.offline", key=key), "error")
            return
        except (ApiError, RuntimeError) as exc:
            self._report(exc)
            return
        finally:
            self._busy = False
        self.last_done = done
        if not self.showing:
            return
        if self.spec is spec:
            self._show_done(done)
        else:
            self._say(lambda: t("operation.done_elsewhere", reference=done.reference), "ok")

    def _show_done(self, done: OperationDone) -> None:
        self._done = done
        widget = self.query_one("#outcome", Static)
        self._draw_outcome()
        widget.display = True
        widget.scroll_visible()
        self._draw_consent()
        key = key_hint(self, "operation.back")
        self._say(lambda: t("operation.done_hint", key=key), "ok")

    def _draw_outcome(self) -> None:
        """The outcome of the operation done in the open form (summary as the backend wrote it)."""
        done = self._done
        if done is None:
            return
        outcome = Text()
        outcome.append(f"{glyph('✓')} " + t("operation.done", reference=clean_text(done.reference)),
                       style=status_style(self.app, "ok"))
        outcome.append("\n" + clean_text(done.summary))
        outcome.append("\n" + t("operation.follow_up"), style="italic")
        self.query_one("#outcome", Static).update(outcome)

    def _failure(self, exc: BaseException) -> LiveText:
        """One clear line for a refused or failed call (worded again after a
        language switch); field errors go under their fields."""
        if isinstance(exc, RuntimeError):
            return lambda: t("operation.no_contact")
        if not isinstance(exc, ProblemError):
            return lambda: describe_error(exc)
        problem = exc.problem
        if exc.code == "verification-required":
            need = problem.required_level if problem.required_level is not None else (self.spec.level if self.spec else 0)
            have = problem.current_level if problem.current_level is not None else self.service.verification_level
            key = verify_key_hint(self)
            return lambda: t("operation.needs_level", need=need, have=have, key=key)
        if exc.code == "verification-locked":
            return lambda: t("operation.locked")
        if exc.code == "disclosure-required":
            self._disclosure_id = None
            self._draw_consent()
            key = key_hint(self, "operation.send_disclosure")
            return lambda: t("operation.disclosure_required", key=key)
        if exc.code == "risk-rating-exceeded":
            rating = self._risk_rating() or "?"
            return lambda: t("operation.risk_exceeded", rating=rating)
        if exc.code in ("contact-not-active", "not-found"):
            return lambda: t("operation.no_contact")
        if exc.code == "validation-error":
            general = []
            for error in problem.errors or []:
                name = str(error.get("field", "")).removeprefix("fields.")
                message = clean_text(str(error.get("message", "")), keep_newlines=False, max_chars=200)
                if name in self.errors:
                    self._field_error(name, message)
                else:
                    general.append(message)
            detail = "; ".join(general)
            return lambda: t("operation.backend_fields", detail=detail)
        return lambda: describe_error(exc)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._clear_error_of(event.input)

    def on_select_changed(self, event: Select.Changed) -> None:
        self._clear_error_of(event.select)

    def _clear_error_of(self, widget: Widget) -> None:
        for name, field in self.fields.items():
            if field is widget:
                self._field_error(name, None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a field moves to the next one (executing is a key of its own)."""
        event.stop()
        self.focus_next()

    # -- leaving -----------------------------------------------------------------------

    def action_back(self) -> None:
        """From a form: back to the list (what was typed is kept). From the list: close."""
        if self.spec is None:
            self.dismiss(self.last_done)
            return
        if self._done is None:
            self._drafts[self.spec.code] = {name: read_value(w) for name, w in self.fields.items()}
        else:
            self._drafts.pop(self.spec.code, None)
        self.spec = None
        self._disclosure_id = None
        self._draw_title()
        self._draw_consent()
        self.query_one("#pages", ContentSwitcher).current = "catalogue"
        self.query_one("#catalogue", OptionList).focus()
        self._draw_hint()
        self._say("", "info")
