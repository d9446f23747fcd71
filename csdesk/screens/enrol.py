"""TOTP enrolment on first sign-in (operating guide §1.2: dynamic token).

Left: the ``otpauth://`` URI as a QR code in half-blocks (41×21 cells, scans
from an 80×24 terminal). Right: the secret in groups of four for typing by
hand, and the first code, which enables TOTP and finishes signing in.

A QR code cut by the terminal's edge does not scan, so on a terminal too
small for it (QR + a usable side panel + the key bar) the code is not drawn
and one line says so: enlarge the terminal, or type the secret. The secret
and the code field stay on screen at any size (the side panel scrolls).
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from csdesk.i18n import t
from csdesk.screens.code_entry import CodeEntry
from csdesk.widgets.bindings import translate_bindings
from csdesk.widgets.form_screen import FormInput
from csdesk.widgets.qr import QrCode, qr_lines
from csdesk.widgets.footer import Footer

#: Cells of the QR code before the URI is known (version 5, 2-module quiet zone).
QR_CELLS = (41, 21)
#: Narrowest side panel worth keeping beside the QR code (title, secret, code field).
SIDE_MIN_WIDTH = 30
#: Rows under the QR code: the key bar.
CHROME_ROWS = 1


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
        self._qr_cells = QR_CELLS

    def compose(self) -> ComposeResult:
        with Horizontal(id="layout"):
            yield QrCode(id="qr")
            with VerticalScroll(id="side", can_focus=False):
                yield Static(Text(t("enrol.title"), style="bold"))
                yield Static("", id="too-small")
                yield Static(t("enrol.hint"), id="hint")
                yield Static("", id="secret")
                yield Label(t("enrol.code"))
                yield FormInput(placeholder="123 456", id="code", kind="code")
                yield Button(t("enrol.submit"), variant="primary", id="submit")
                yield Static("", id="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()
        self._fit_qr()
        self._start()

    def on_resize(self, _event: Resize) -> None:
        self._fit_qr()

    def qr_needs(self) -> tuple[int, int]:
        """Terminal cells (columns, rows) needed to show the whole QR code."""
        width, height = self._qr_cells
        return width + 1 + SIDE_MIN_WIDTH, height + CHROME_ROWS

    def qr_fits(self) -> bool:
        """True when the whole QR code fits beside the side panel."""
        cols, rows = self.qr_needs()
        return self.app.size.width >= cols and self.app.size.height >= rows

    def _fit_qr(self) -> None:
        """Draw the QR code only when all of it fits; else say so in one line."""
        fits = self.qr_fits()
        self.query_one(QrCode).display = fits
        self.query_one("#hint").display = fits
        notice = self.query_one("#too-small", Static)
        notice.display = not fits
        if not fits:
            cols, rows = self.qr_needs()
            notice.update(Text(t("enrol.too_small", cols=cols, rows=rows), style="bold"))

    @work(exclusive=True, group="enrol")
    async def _start(self) -> None:
        from csdesk.screens.errors import describe_error
        from csdesk.services.sign_in_steps import start_enrolment

        try:
            enrolment = await start_enrolment(self.app.get_session())
        except Exception as exc:
            self._error(describe_error(exc))
            return
        lines = qr_lines(enrolment.otpauth_uri)
        self._qr_cells = (max(len(line) for line in lines), len(lines))
        self.query_one(QrCode).show(enrolment.otpauth_uri)
        self._fit_qr()
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

    def on_form_input_too_long(self, event: FormInput.TooLong) -> None:
        """Characters past the cap were dropped: say so once."""
        event.stop()
        self._error(t("form.too_long"))

    def action_back(self) -> None:
        """Back to the login screen (nothing is enabled until a code is confirmed)."""
        self.app.pop_screen()
