"""The one-time-code box shared by the MFA and TOTP-enrolment screens."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Button, Input, Static

from csdesk.i18n import t


class CodeEntry:
    """Mixin for a screen with ``#code`` (Input), ``#submit`` and ``#error``.

    Enter or the button checks the format (6 digits; spaces, hyphens and
    full-width digits allowed: ``domain.identity.normalize_otp``) and, once
    at a time, calls the screen's ``_check_code(code)`` worker, which must
    reset ``_busy`` when it fails.
    """

    _busy: bool = False

    def _error(self, message: str, style: str = "bold red") -> None:
        self.query_one("#error", Static).update(Text(message, style=style))  # type: ignore[attr-defined]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the code box submits it."""
        if event.input.id == "code":
            event.stop()
            self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The submit button submits the code."""
        if event.button.id == "submit":
            event.stop()
            self._submit()

    def _submit(self) -> None:
        from csdesk.domain.identity import normalize_otp

        code = self.query_one("#code", Input).value  # type: ignore[attr-defined]
        try:
            normalize_otp(code)
        except ValueError:
            self._error(t("mfa.format"))
            return
        if not self._busy:
            self._busy = True
            self._error(t("mfa.checking"), style="dim")
            self._check_code(code)  # type: ignore[attr-defined]
