"""TOTP enrolment on first sign-in (operating guide §1.2: dynamic token).

Left: the ``otpauth://`` URI as a QR code in half-blocks (41×21 cells, scans
from an 80×24 terminal). Right: the secret in groups of four for typing by
hand, and the first code, which enables TOTP and finishes signing in.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from csdesk.i18n import t
from csdesk.screens.code_entry import CodeEntry
from csdesk.widgets.bindings import translate_bindings
from csdesk.widgets.qr import QrCode


def group_secret(secret: str, size: int = 4) -> str:
    """``"JBSWY3DPEHPK3PXP"`` → ``"JBSW Y3DP EHPK 3PXP"`` (for reading aloud or typing)."""
    clean = "".join(secret.split()).upper()
    return " ".join(clean[i : i + size] for i in range(0, len(clean), size))


class EnrolScreen(CodeEntry, Screen[None]):
    """Shows a new secret; the agent adds it to an authenticator and types a code."""

    CSS_PATH = "enrol.tcss"
    BINDINGS = [Binding("escape", "back", "enrol.back", id="enrol.back")]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._busy = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="layout"):
            yield QrCode(id="qr")
            with Vertical(id="side"):
                yield Static(Text(t("enrol.title"), style="bold"))
                yield Static(t("enrol.hint"), id="hint")
                yield Static("", id="secret")
                yield Label(t("enrol.code"))
                yield Input(placeholder="123 456", id="code")
                yield Button(t("enrol.submit"), variant="primary", id="submit")
                yield Static("", id="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()
        self._start()

    @work(exclusive=True, group="enrol")
    async def _start(self) -> None:
        from csdesk.screens.errors import describe_error
        from csdesk.services.sign_in_steps import start_enrolment

        try:
            enrolment = await start_enrolment(self.app.get_session())
        except Exception as exc:
            self._error(describe_error(exc))
            return
        self.query_one(QrCode).show(enrolment.otpauth_uri)
        secret = Text(t("enrol.secret") + "\n", style="dim")
        secret.append(group_secret(enrolment.secret), style="bold")
        self.query_one("#secret", Static).update(secret)

    @work(exclusive=True, group="enrol-confirm")
    async def _check_code(self, code: str) -> None:
        from csdesk.screens.errors import describe_error
        from csdesk.services.sign_in_steps import confirm_enrolment

        session = self.app.get_session()
        try:
            await confirm_enrolment(session, code)
        except Exception as exc:
            self._busy = False
            self.query_one("#code", Input).value = ""
            self._error(describe_error(exc))
            return
        self.query_one(QrCode).show("")  # the secret leaves the screen
        self.query_one("#secret", Static).update("")
        await self.app.finish_sign_in()

    def action_back(self) -> None:
        """Back to the login screen (nothing is enabled until a code is confirmed)."""
        self.app.pop_screen()
