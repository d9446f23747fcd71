"""Sign-in step 1: employee ID and password, with the pre-flight line (guide §1.1–1.2)."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from collections.abc import Iterable

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.events import Resize
from textual.widgets import Button, Input, Label, Static

from csdesk import __version__
from csdesk.i18n import t
from csdesk.services.preflight import terminal_too_small
from csdesk.widgets.bindings import key_hint, translate_bindings
from csdesk.widgets.form_screen import MAX_PASSWORD_CHARS, FormInput, FormScreen
from csdesk.widgets.texts import apply_texts
from csdesk.widgets.footer import Footer

__all__ = ["MAX_PASSWORD_CHARS", "LoginScreen"]


class LoginScreen(FormScreen[None]):
    """Employee ID + password; Enter (or Tab) moves on at once, then Enter signs in."""

    CSS_PATH = "login.tcss"
    BINDINGS = [
        Binding("f5", "preflight", "login.recheck", id="login.recheck"),
        Binding("f10", "app.quit_now", "login.quit", id="login.quit"),
        # Priority, so focus moves before the next key is dispatched: an agent
        # (or a password manager) typing "ID⏎password⏎" at full speed must not
        # see the password land in the ID field.
        Binding("enter", "enter", "login.enter", id="login.enter", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._backend_line = Text(t("preflight.checking"), style="dim")
        self._busy = False

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="login-box"):
                yield Static(id="title")
                yield Label(id="label-employee-id", classes="field-label")
                yield FormInput(id="employee-id", kind="employee_id")
                yield Label(id="label-password", classes="field-label")
                yield FormInput(password=True, id="password", kind="password")
                yield Button("", variant="primary", id="submit")
                yield Static("", id="error")
        yield Static("", id="preflight")
        yield Footer()

    TEXTS = {
        "#title": "login.title",
        "#label-employee-id": "login.employee_id",
        "#label-password": "login.password",
        "#submit": "login.submit",
    }

    def on_mount(self) -> None:
        apply_texts(self, self.TEXTS)
        self.query_one("#employee-id", Input).placeholder = t("login.employee_id_example")
        self.query_one("#employee-id", Input).focus()
        self._render_preflight()
        # After the first paint: the check loads the HTTP client, off the start path.
        self.call_after_refresh(self.action_preflight)

    def retranslate(self) -> None:
        """Relabel in the current language; focus and typed values stay."""
        apply_texts(self, self.TEXTS)
        self.query_one("#employee-id", Input).placeholder = t("login.employee_id_example")
        self._error("")
        self.action_preflight()

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Login entries of the command palette."""
        yield SystemCommand(t("cmd.recheck"), t("cmd.recheck.help", key=key_hint(self, "login.recheck")), self.action_preflight)

    # -- pre-flight --------------------------------------------------------

    def on_resize(self, _event: Resize) -> None:
        self._render_preflight()

    def _render_preflight(self) -> None:
        cols, rows = self.app.size
        line = Text(no_wrap=True, overflow="ellipsis")
        if terminal_too_small(cols, rows):
            line.append(t("preflight.small", cols=cols, rows=rows), style="bold yellow")
        else:
            line.append(t("preflight.size_ok", cols=cols, rows=rows), style="green")
        line.append(" · ")
        line.append_text(self._backend_line)
        line.append(f" · v{__version__}", style="dim")
        for widget in self.query("#preflight"):  # gone once the screen is removed
            widget.update(line)

    @work(exclusive=True, group="preflight")
    async def action_preflight(self) -> None:
        """Check the backend and the clock again (F5)."""
        self._backend_line = Text(t("preflight.checking"), style="dim")
        self._render_preflight()
        session = await self.app.load_session()
        result = await session.preflight()
        line = Text()
        if not result.reachable:
            line.append(t("preflight.unreachable", key=key_hint(self, "login.recheck")), style="bold red")
        else:
            line.append(t("preflight.backend_ok"), style="green")
            line.append(" · ")
            if result.skew_warning:
                line.append(t("preflight.skew_bad", skew=result.skew_text), style="bold yellow")
            else:
                line.append(t("preflight.skew_ok", skew=result.skew_text), style="green")
        self._backend_line = line
        self._render_preflight()

    # -- sign-in -----------------------------------------------------------

    def action_enter(self) -> None:
        """Enter: from the ID field go to the password (at once), else sign in."""
        employee = self.query_one("#employee-id", Input)
        password = self.query_one("#password", Input)
        if self.focused is employee:
            self.set_focus(password)
            self._error("")
            return
        # Keys typed before this Enter may still sit in the fields' queues:
        # submit after them.
        self.after_queued_keys(self._submit)

    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        eid = self.query_one("#employee-id", Input).value
        password = self.query_one("#password", Input).value
        if not eid.strip():
            self._error(t("login.need_id"))
            self.set_focus(self.query_one("#employee-id", Input))
            return
        if not password:
            self._error(t("login.need_password"))
            self.set_focus(self.query_one("#password", Input))
            return
        if len(password) > MAX_PASSWORD_CHARS:
            self._error(t("login.password_too_long", max=MAX_PASSWORD_CHARS))
            self.set_focus(self.query_one("#password", Input))
            return
        if not self._busy:
            self._busy = True
            self._error(t("login.signing_in"), style="dim")
            self._sign_in(eid, password)

    def _error(self, message: str, style: str = "bold red") -> None:
        self.query_one("#error", Static).update(Text(message, style=style))

    @work(exclusive=True, group="sign-in")
    async def _sign_in(self, eid: str, password: str) -> None:
        from csdesk.screens.errors import describe_error

        session = await self.app.load_session()
        try:
            await session.login(eid, password)
        except ValueError:
            self._error(t("login.bad_id"))
        except Exception as exc:  # every failure becomes one clear line
            from csdesk.api.errors import OfflineError

            self._error(describe_error(exc))
            if isinstance(exc, OfflineError):
                # The pre-flight line must not keep saying "reachable".
                self.action_preflight()
            if getattr(exc, "code", None) == "invalid-credentials":
                pwd = self.query_one("#password", Input)
                pwd.value = ""
                pwd.focus()
        else:
            self.query_one("#password", Input).value = ""
            self._error("")
            await self.app.continue_sign_in()
        finally:
            self._busy = False
