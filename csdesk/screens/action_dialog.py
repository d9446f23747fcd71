"""A small modal form for one action on a work order (issue #6): move,
comment, assign, extend. :class:`ActionDialog` holds :class:`DialogField`
rows, text (:class:`~textual.widgets.Input`) or a pick from a few
(:class:`ChoiceField`, Left / Right); rows can show or hide with the values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from csdesk.domain.work_orders import NOTE_MAX
from csdesk.i18n import t
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint, translate_bindings
from csdesk.widgets.form_screen import FormInput

#: The background of a one-line field (here and in the work-order form): a
#: tint of the text colour, so an empty field still shows as a box in every
#: theme, at 256 colours too (``$boost`` is invisible on the light, high-contrast
#: and monochrome themes, and one step from the screen on the dark one).
FIELD_BACKGROUND = "background: $foreground 12%;"
#: The background of the focused one-line field: the panel, tinted with the
#: primary colour, clearly apart from the others and from the screen.
FOCUSED_FIELD_BACKGROUND = "background: $panel; background-tint: $primary 25%;"


@dataclass(frozen=True)
class DialogField:
    """One field of an :class:`ActionDialog`: ``name`` (key of the result),
    ``label`` (translated), ``kind`` (``text`` or ``choice``), ``choices``
    (value, translated label), the starting ``value``, ``shown(values)``
    (None: always) and ``max_length`` of a text."""

    name: str
    label: str
    kind: str = "text"
    choices: tuple[tuple[str, str], ...] = ()
    value: str = ""
    shown: Callable[[dict[str, str]], bool] | None = None
    max_length: int = NOTE_MAX


class ChoiceField(Static, can_focus=True):
    """A value picked from a few: Left / Right (or Space) cycle through them."""

    DEFAULT_CSS = f"""
    ChoiceField {{ width: 1fr; height: 1; padding: 0 1; {FIELD_BACKGROUND} }}
    ChoiceField:focus {{ {FOCUSED_FIELD_BACKGROUND} text-style: bold; }}
    """
    BINDINGS = [
        Binding("left", "step(-1)", "wo_dialog.prev", id="wo_dialog.prev", show=False),
        Binding("right,space", "step(1)", "wo_dialog.next", id="wo_dialog.next", show=False),
    ]

    class Changed(Message):
        """The value changed."""

    def __init__(self, choices: tuple[tuple[str, str], ...], value: str, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        translate_bindings(self)
        self.choices = choices
        values = [v for v, _ in choices]
        self.index = values.index(value) if value in values else 0
        self._show()

    @property
    def value(self) -> str:
        """The value picked ("" when there is no choice)."""
        return self.choices[self.index][0] if self.choices else ""

    def _show(self) -> None:
        label = self.choices[self.index][1] if self.choices else "-"
        if len(self.choices) < 2:  # nothing to step to: no arrows
            self.update(Text(label))
            return
        self.update(Text.assemble(("◀ ", "dim"), (label, ""), (" ▶", "dim")))

    def action_step(self, delta: int) -> None:
        """Left / Right: the previous / next value."""
        if self.choices:
            self.index = (self.index + delta) % len(self.choices)
            self._show()
            self.post_message(self.Changed())


class ActionDialog(ModalScreen[dict[str, str] | None]):
    """A small form for one action on an order: dismisses with the values
    (field name → text or choice value) of the fields shown, or None (Esc).

    ``check(values)`` returns a translated problem (shown, the dialog stays)
    or None. Enter (in a field) or ctrl+s submits. Tab / shift+Tab go round
    the fields shown, and nothing else (:meth:`shown_fields`).
    """

    DEFAULT_CSS = f"""
    ActionDialog {{ align: center middle; }}
    ActionDialog #dialog {{
        width: 74; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }}
    ActionDialog #dialog-heading {{ margin-bottom: 1; }}
    ActionDialog #dialog-fields {{ height: auto; max-height: 14; }}
    ActionDialog .row {{ height: 1; }}
    ActionDialog .row Label {{ width: 20; }}
    ActionDialog .row Input {{ width: 1fr; height: 1; border: none; padding: 0 1; {FIELD_BACKGROUND} }}
    ActionDialog .row Input:focus {{ {FOCUSED_FIELD_BACKGROUND} }}
    ActionDialog #dialog-error {{ margin-top: 1; }}
    """
    BINDINGS = [
        Binding("escape", "cancel", "wo_dialog.cancel", id="wo_dialog.cancel"),
        Binding("ctrl+s", "submit", "wo_dialog.submit", id="wo_dialog.submit", priority=True),
        Binding("enter", "submit", "wo_dialog.submit_enter", id="wo_dialog.submit_enter", show=False),
    ]

    def __init__(self, heading: str, fields: Iterable[DialogField], *,
                 check: Callable[[dict[str, str]], str | None] | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.heading = heading
        self.fields = list(fields)
        self._check = check or (lambda values: None)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.heading, style="bold"), id="dialog-heading")
            # The box only scrolls the rows: never focused itself (the focused field is scrolled to).
            with VerticalScroll(id="dialog-fields", can_focus=False):
                for field in self.fields:
                    with Horizontal(classes="row", id=f"row-{field.name}"):
                        yield Label(Text(field.label))
                        if field.kind == "choice":
                            yield ChoiceField(field.choices, field.value, id=f"f-{field.name}")
                        else:
                            yield FormInput(field.value, id=f"f-{field.name}", max_length=field.max_length)
            yield Static("", id="dialog-error")
            yield Static(Text(t("wo_dialog.hint", submit=key_hint(self, "wo_dialog.submit"),
                                cancel=key_hint(self, "wo_dialog.cancel")), style="dim"), id="dialog-hint")

    def on_mount(self) -> None:
        self._apply_shown()
        shown = self.shown_fields()
        if shown:
            shown[0].focus()

    def shown_fields(self) -> list[Widget]:
        """The fields the agent can use now, in order: row shown, field shown,
        focusable (not disabled). Empty before the dialog is composed."""
        found: list[Widget] = []
        for field in self.fields:
            for row in self.query(f"#row-{field.name}"):
                if not row.display:
                    continue
                found.extend(widget for widget in row.query(f"#f-{field.name}")
                             if widget.display and widget.focusable)
        return found

    @property
    def focus_chain(self) -> list[Widget]:
        """What Tab / shift+Tab go round (wrapping): the fields shown, and not a
        hidden row's field, the scrolling box, or anything added to the dialog later."""
        return self.shown_fields()

    def values(self) -> dict[str, str]:
        """The values of every field now (shown or not)."""
        found: dict[str, str] = {}
        for field in self.fields:
            widget = self.query_one(f"#f-{field.name}")
            found[field.name] = widget.value if isinstance(widget, (Input, ChoiceField)) else ""
        return found

    def _apply_shown(self) -> None:
        values = self.values()
        for field in self.fields:
            row = self.query_one(f"#row-{field.name}")
            row.display = field.shown is None or field.shown(values)
        focused = self.focused
        if focused is not None and focused not in self.shown_fields():
            # Its row went away: the focus goes to a field the agent can see.
            shown = self.shown_fields()
            self.set_focus(shown[0] if shown else None)

    def on_choice_field_changed(self, event: ChoiceField.Changed) -> None:
        event.stop()
        self.query_one("#dialog-error", Static).update("")  # it was about the values before
        self._apply_shown()

    def on_form_input_too_long(self, event: FormInput.TooLong) -> None:
        """Typed or pasted past a field's cap: the rest was dropped; say so."""
        event.stop()
        self.query_one("#dialog-error", Static).update(Text(t("form.too_long"), style=status_style(self.app, "warn")))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        """Enter / ctrl+s: check, then dismiss with the values of the fields shown."""
        values = self.values()
        shown = {f.name: values[f.name] for f in self.fields if f.shown is None or f.shown(values)}
        problem = self._check(shown)
        if problem:
            self.query_one("#dialog-error", Static).update(Text(problem, style=status_style(self.app, "error")))
            return
        self.dismiss(shown)

    def action_cancel(self) -> None:
        """Esc: nothing done."""
        self.dismiss(None)
