"""Sign-in step 2: the 6-digit code from the agent's authenticator (guide §1.2)."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from collections.abc import Iterable

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from csdesk.i18n import t
from csdesk.widgets.bindings import translate_bindings
from csdesk.widgets.texts import apply_texts


class MfaScreen(Screen[None]):
    """Code entry. Spaces and hyphens may be typed; Esc goes back to step 1."""

    CSS_PATH = "mfa.tcss"
    BINDINGS = [
        Binding("escape", "back", "mfa.back", id="mfa.back"),
        Binding("f10", "app.quit_now", "login.quit", id="mfa.quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._busy = False

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="mfa-box"):
                yield Static(id="title")
                yield Static(id="hint")
                yield Label(id="label-code")
                yield Input(placeholder="123 456", id="code")
                yield Button("", variant="primary", id="submit")
                yield Static("", id="error")
        yield Footer()

    TEXTS = {"#title": "mfa.title", "#hint": "mfa.hint", "#label-code": "mfa.code", "#submit": "mfa.submit"}

    def on_mount(self) -> None:
        apply_texts(self, self.TEXTS)
        self.query_one("#code", Input).focus()

    def retranslate(self) -> None:
        """Relabel in the current language; focus and the typed code stay."""
        apply_texts(self, self.TEXTS)
        self._error("")

    def palette_commands(self) -> Iterable[SystemCommand]:
        """MFA entries of the command palette."""
        yield SystemCommand(t("cmd.back_to_login"), t("cmd.back_to_login.help"), self.action_back)

    def action_back(self) -> None:
        """Back to employee ID and password."""
        self.app.pop_screen()

    def _error(self, message: str, style: str = "bold red") -> None:
        self.query_one("#error", Static).update(Text(message, style=style))

    @on(Input.Submitted, "#code")
    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        code = self.query_one("#code", Input).value
        from csdesk.domain.identity import normalize_otp

        try:
            normalize_otp(code)
        except ValueError:
            self._error(t("mfa.format"))
            return
        if not self._busy:
            self._busy = True
            self._error(t("mfa.checking"), style="dim")
            self._verify(code)

    @work(exclusive=True, group="mfa")
    async def _verify(self, code: str) -> None:
        from csdesk.screens.errors import describe_error

        session = self.app.get_session()
        try:
            await session.verify_code(code)
        except Exception as exc:
            self._busy = False
            self.query_one("#code", Input).value = ""
            self._error(describe_error(exc))
            if getattr(exc, "code", None) == "mfa-ticket-invalid":
                self.app.pop_screen()
                self.app.notify(describe_error(exc), severity="error", markup=False)
            return
        self._error(t("mfa.opening"), style="dim")
        try:
            await session.open_store()
        except Exception as exc:
            self._busy = False
            self._error(describe_error(exc))
            from csdesk.store.errors import StoreLockedError

            if not isinstance(exc, StoreLockedError):
                # This terminal cannot work without its store: end the sign-in
                # on the server too. (A locked store means another csdesk of
                # this agent is running; signing out would end that one.)
                try:
                    await session.api.logout()
                except Exception:
                    pass
            return
        # The app owns the rest: this screen is removed on the way to the desk.
        self.app.run_worker(self.app.enter_desk(), group="enter-desk", exclusive=True)
