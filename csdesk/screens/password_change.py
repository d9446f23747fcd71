"""Set a new password: required for a temporary or expired one (guide §1.3),
or chosen by a signed-in agent from the palette.

The rules show as a live checklist; the server enforces them all, including
"not one of the last five", and its refusal is shown rule by rule until the
password is edited.

Layout: the fields, the button and the message line on the left, the
checklist on the right, so that everything (a message of a few lines
included) fits 80×24; on a smaller terminal the box scrolls, and a new
message is scrolled into view.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from csdesk.domain.password_policy import DEFAULT_POLICY, PasswordPolicy
from csdesk.glyphs import glyph
from csdesk.i18n import t
from csdesk.themes import status_style
from csdesk.widgets.bindings import translate_bindings
from csdesk.widgets.form_screen import FormInput, FormScreen
from csdesk.widgets.password_checklist import PasswordChecklist
from csdesk.widgets.footer import Footer


class PasswordChangeScreen(FormScreen[bool]):
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
            with Horizontal(id="columns"):
                with Vertical(id="fields"):
                    if self.signed_in:
                        yield Label(t("password.current"))
                        yield FormInput(password=True, id="current", kind="password")
                    yield Label(t("password.new"))
                    yield FormInput(password=True, id="new", kind="new_password")
                    yield Label(t("password.again"))
                    yield FormInput(password=True, id="again", kind="new_password")
                    yield Button(t("password.submit"), variant="primary", id="submit")
                    yield Static("", id="error")
                yield PasswordChecklist(self.policy, id="checklist")
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
        refused = bool(checklist.server_failures)
        ok = checklist.update_for(
            self.query_one("#new", Input).value, self.query_one("#again", Input).value, self._employee_id()
        )
        if refused and not checklist.server_failures and not self._busy:
            self._error("")  # the refusal was about the password before this edit
        return ok

    def action_enter(self) -> None:
        """Enter: next field at once; in the last field (or the button), save."""
        order = (["current"] if self.signed_in else []) + ["new", "again"]
        focused = self.focused
        name = focused.id if isinstance(focused, Input) else None
        if name in order and order.index(name) + 1 < len(order):
            self.set_focus(self.query_one(f"#{order[order.index(name) + 1]}", Input))
            return
        # Keys typed before this Enter may still sit in the fields' queues.
        self.after_queued_keys(self._submit)

    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        if self.signed_in and not self.query_one("#current", Input).value:
            self._error(t("password.need_current"))
            self.set_focus(self.query_one("#current", Input))
            return
        self.query_one(PasswordChecklist).mark_server_failures(set())
        if not self._redraw():
            self._error(t("password.not_yet"))
            return
        if not self._busy:
            self._busy = True
            self._error(t("password.saving"), style="dim")
            self._save()

    def _error(self, message: str, style: str | None = None) -> None:
        """Show ``message`` under the button (in view, should the box scroll)."""
        line = self.query_one("#error", Static)
        line.update(Text(message, style=status_style(self.app, "error") if style is None else style))
        if message:
            line.call_after_refresh(line.scroll_visible, animate=False)

    @work(exclusive=True, group="password")
    async def _save(self) -> None:
        from csdesk.api.errors import ProblemError
        from csdesk.screens.errors import describe_error
        from csdesk.screens.lock import describe_unlock_error
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
                self.query_one(PasswordChecklist).mark_server_failures(rules, password=new)
                self._redraw()
                self._error(t("password.refused", mark=glyph("✗")))
            elif self.signed_in and exc.code == "invalid-credentials":
                # No ID field here: only the current password can be wrong.
                self._error(t("password.current_wrong"))
            elif self.signed_in and exc.code == "account-locked":
                # Too many wrong current passwords: the backend locked the
                # account and ended this sign-in. Say until when (as the idle
                # lock does), on the way back to the login screen.
                self.app.end_session(describe_unlock_error(exc))
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
