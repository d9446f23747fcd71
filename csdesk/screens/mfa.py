"""Sign-in step 2: the 6-digit code from the agent's authenticator (guide §1.2)."""

from __future__ import annotations

from textual import work
from collections.abc import Iterable

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from csdesk.i18n import t
from csdesk.screens.code_entry import CodeEntry
from csdesk.widgets.bindings import key_hint, translate_bindings
from csdesk.widgets.form_screen import FormInput
from csdesk.widgets.texts import apply_texts
from csdesk.widgets.footer import Footer


class MfaScreen(CodeEntry, Screen[None]):
    """Code entry. Spaces and hyphens may be typed; Esc goes back to step 1."""

    CSS_PATH = "mfa.tcss"
    AUTO_FOCUS = "#code"
    BINDINGS = [
        Binding("escape", "back", "mfa.back", id="mfa.back"),
        Binding("f10", "app.quit_now", "login.quit", id="mfa.quit"),
        Binding("ctrl+t", "send_sms", "mfa.sms", id="mfa.sms"),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._busy = False
        #: "totp" (authenticator) or "sms" once a code was texted.
        self._method = "totp"

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="mfa-box"):
                yield Static(id="title")
                yield Static(id="hint")
                yield Label(id="label-code")
                yield FormInput(placeholder="123 456", id="code", kind="code")
                yield Button("", variant="primary", id="submit")
                yield Static("", id="error")
        yield Footer()

    TEXTS = {"#title": "mfa.title", "#hint": "mfa.hint", "#label-code": "mfa.code", "#submit": "mfa.submit"}

    def on_mount(self) -> None:
        apply_texts(self, self.TEXTS)

    def retranslate(self) -> None:
        """Relabel in the current language; focus and the typed code stay."""
        apply_texts(self, self.TEXTS)
        self._error("")

    def palette_commands(self) -> Iterable[SystemCommand]:
        """MFA entries of the command palette."""
        yield SystemCommand(t("cmd.back_to_login"), t("cmd.back_to_login.help", key=key_hint(self, "mfa.back")), self.action_back)
        if self._sms_enabled():
            yield SystemCommand(t("cmd.sms"), t("cmd.sms.help", key=key_hint(self, "mfa.sms")), self.action_send_sms)

    def _sms_enabled(self) -> bool:
        challenge = self.app.get_session().challenge
        return challenge is not None and "sms" in challenge.methods

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer "text me a code" only when the bank has SMS codes on."""
        if action == "send_sms":
            return self._sms_enabled()
        return True

    @work(exclusive=True, group="sms")
    async def action_send_sms(self) -> None:
        """Ask the backend to text a code (valid 5 minutes); the code box then takes it."""
        from csdesk.screens.errors import describe_error
        from csdesk.services.sign_in_steps import send_sms

        if not self._sms_enabled():
            return
        try:
            sent = await send_sms(self.app.get_session())
        except Exception as exc:
            self._error(describe_error(exc))
            return
        self._method = "sms"
        minutes = max(1, sent.expires_in // 60)
        self.query_one("#hint", Static).update(
            t("mfa.sms_sent", to=sent.sent_to or "", minutes=minutes)
        )
        self._error("")
        self.query_one("#code", Input).focus()

    def on_form_input_too_long(self, event: FormInput.TooLong) -> None:
        """Characters past the cap were dropped: say so once."""
        event.stop()
        self._error(t("form.too_long"))

    def action_back(self) -> None:
        """Back to employee ID and password."""
        self.app.pop_screen()

    @work(exclusive=True, group="mfa")
    async def _check_code(self, code: str) -> None:
        from csdesk.screens.errors import describe_error

        session = self.app.get_session()
        try:
            await session.verify_code(code, method=self._method)
        except Exception as exc:
            self._busy = False
            self.query_one("#code", Input).value = ""
            self._error(
                t("problem.invalid-sms-code", key=key_hint(self, "mfa.sms"))
                if self._method == "sms" and getattr(exc, "code", None) == "invalid-code"
                else describe_error(exc)
            )
            if getattr(exc, "code", None) == "mfa-ticket-invalid":
                self.app.pop_screen()
                self.app.notify(describe_error(exc), severity="error", markup=False)
            return
        self._error(t("mfa.opening"), style="dim")
        await self.app.finish_sign_in()
        self._busy = False
