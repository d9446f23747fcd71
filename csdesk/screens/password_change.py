"""Set a new password: required for a temporary or expired one (guide §1.3),
or chosen by a signed-in agent from the palette.

The rules show as a live checklist; the server enforces them all, including
"not one of the last five", and its refusal is shown rule by rule.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from csdesk.domain.password_policy import DEFAULT_POLICY, PasswordPolicy
from csdesk.i18n import t
from csdesk.widgets.bindings import translate_bindings
from csdesk.widgets.password_checklist import PasswordChecklist


class PasswordChangeScreen(Screen[bool]):
    """``signed_in=False``: the sign-in step (ticket); True: asks the current password too.

    Dismisses with True once the server accepted the new password, False on Esc.
    """

    CSS_PATH = "password_change.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "password.cancel", id="password.cancel"),
        # Priority, so focus moves before the next key is dispatched: typing
        # or pasting "new⏎again⏎" at full speed fills the right fields.
        Binding("enter", "enter", "password.enter", id="password.enter", show=False, priority=True),
    ]

    def __init__(self, *, signed_in: bool = False, reason: str = "password.reason_temporary") -> None:
        super().__init__()
        translate_bindings(self)
        self.signed_in = signed_in
        self.reason = reason
        self.policy: PasswordPolicy = DEFAULT_POLICY
        self._busy = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="box"):
            yield Static(Text(t("password.title"), style="bold"), id="title")
            yield Static(t(self.reason), id="reason")
            if self.signed_in:
                yield Label(t("password.current"))
                yield Input(password=True, id="current")
            with Vertical(id="fields"):
                yield Label(t("password.new"))
                yield Input(password=True, id="new")
                yield Label(t("password.again"))
                yield Input(password=True, id="again")
            yield PasswordChecklist(self.policy, id="checklist")
            yield Button(t("password.submit"), variant="primary", id="submit")
            yield Static("", id="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#current" if self.signed_in else "#new", Input).focus()
        self._redraw()
        self._load_policy()

    @work(exclusive=True, group="policy")
    async def _load_policy(self) -> None:
        from csdesk.services.sign_in_steps import password_policy

        try:
            self.policy = await password_policy(self.app.get_session())
        except Exception:
            return  # the defaults stay; the server still enforces its own
        self.query_one(PasswordChecklist).policy = self.policy
        self._redraw()

    def _employee_id(self) -> str:
        return self.app.get_session().employee_id or ""

    @on(Input.Changed)
    def _redraw(self) -> bool:
        checklist = self.query_one(PasswordChecklist)
        return checklist.update_for(
            self.query_one("#new", Input).value, self.query_one("#again", Input).value, self._employee_id()
        )

    def action_enter(self) -> None:
        """Enter: next field at once; in the last field (or the button), save."""
        order = (["current"] if self.signed_in else []) + ["new", "again"]
        focused = self.focused
        name = focused.id if isinstance(focused, Input) else None
        if name in order and order.index(name) + 1 < len(order):
            self.set_focus(self.query_one(f"#{order[order.index(name) + 1]}", Input))
            return
        # Keys typed before this Enter may still sit in the field's queue.
        target = focused if focused is not None else self
        target.call_later(self._submit)

    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        self.query_one(PasswordChecklist).mark_server_failures(set())
        if not self._redraw():
            self._error(t("password.not_yet"))
            return
        if not self._busy:
            self._busy = True
            self._error(t("password.saving"), style="dim")
            self._save()

    def _error(self, message: str, style: str = "bold red") -> None:
        self.query_one("#error", Static).update(Text(message, style=style))

    @work(exclusive=True, group="password")
    async def _save(self) -> None:
        from csdesk.api.errors import ProblemError
        from csdesk.screens.errors import describe_error
        from csdesk.services import sign_in_steps

        session = self.app.get_session()
        new = self.query_one("#new", Input).value
        try:
            if self.signed_in:
                await sign_in_steps.change_password(session, self.query_one("#current", Input).value, new)
            else:
                await sign_in_steps.change_initial_password(session, new)
        except ProblemError as exc:
            self._busy = False
            if exc.code == "password-policy":
                rules = {str(e.get("rule")) for e in exc.problem.errors or [] if e.get("rule")}
                self.query_one(PasswordChecklist).mark_server_failures(rules)
                self._redraw()
                self._error(t("password.refused"))
            else:
                self._error(describe_error(exc))
            return
        except Exception as exc:
            self._busy = False
            self._error(describe_error(exc))
            return
        for field in self.query(Input):
            field.value = ""
        self.app.notify(t("password.changed"), markup=False)
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Back (sign-in: to the login screen; signed in: to the desk)."""
        self.dismiss(False)
