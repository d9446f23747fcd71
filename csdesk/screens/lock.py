"""The idle lock (operating guide §1, issue #3): the password opens it again.

An opaque full :class:`~textual.screen.Screen` (not a modal: nothing of the
desk shows through) with the agent ID, a password field and one message line.
The app pushes it after N idle minutes or on ctrl+l and keeps running under
it (push loop, event stream). Unlocking calls ``POST /auth/reauth`` through
``DeskSession.unlock``. While it is up the app holds back any other screen
(see ``CsdeskApp.push_screen``) and every notification (``CsdeskApp.notify``:
a toast may name a customer); both come up after the unlock. The screen's
own toast area is hidden as well (``lock.tcss``).

Hook for contact offers (issue #4): :meth:`LockScreen.show_offer_waiting`
shows or hides a line saying a contact is waiting, so an offer rings
through the lock; the agent unlocks to accept.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from csdesk.domain.text import clean_text
from csdesk.i18n import t
from csdesk.themes import status_style
from csdesk.widgets.bindings import translate_bindings
from csdesk.widgets.form_screen import MAX_PASSWORD_CHARS, FormInput
from csdesk.widgets.texts import apply_texts

__all__ = ["MAX_PASSWORD_CHARS", "LockScreen", "describe_unlock_error"]


def describe_unlock_error(exc: BaseException) -> str:
    """One line for a failed unlock (or a failed "current password" check
    on the signed-in password change, which fails the same way).

    ``account-locked`` names the local time it opens again (from the
    problem's ``locked_until``); everything else is worded as at sign-in
    (``screens.errors.describe_error``: a wrong password reads exactly as on
    the login screen).
    """
    from csdesk.screens.errors import describe_error

    if getattr(exc, "code", None) == "account-locked":
        until = getattr(getattr(exc, "problem", None), "locked_until", None)
        if isinstance(until, datetime):
            return t("lock.account_locked_until", time=until.astimezone().strftime("%H:%M"))
    return describe_error(exc)


class LockScreen(Screen[bool]):
    """Covers the desk until the agent's password is accepted.

    ``employee_id`` is the only agent detail shown. Dismisses itself with
    True after a successful unlock (the app's push callback then lets held
    screens through). It is never dismissed otherwise; signing out or a
    session ended by the server removes it with the rest of the stack.
    """

    CSS_PATH = "lock.tcss"
    BINDINGS: list = []
    AUTO_FOCUS = "#password"

    TEXTS = {"#title": "lock.title", "#label-password": "lock.password"}

    def __init__(self, employee_id: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.employee_id = employee_id
        self._busy = False
        self._offer: str | None = None

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="lock-box"):
                yield Static(id="title")
                yield Static(Text(self.employee_id, style="bold"), id="agent")
                yield Static(id="label-password")
                yield FormInput(password=True, id="password", kind="password")
                yield Static("", id="error")
                yield Static("", id="offer")

    def on_mount(self) -> None:
        apply_texts(self, self.TEXTS)
        self.query_one("#password", Input).placeholder = t("lock.hint")
        self.query_one("#password", Input).focus()
        self._render_offer()

    def retranslate(self) -> None:
        """Relabel in the current language; the typed password stays."""
        apply_texts(self, self.TEXTS)
        self.query_one("#password", Input).placeholder = t("lock.hint")
        self._render_offer()

    # -- contact offers (issue #4) ------------------------------------------

    def show_offer_waiting(self, summary: str | None) -> None:
        """Show (``summary`` = a short plain-text description, e.g. the
        channel, or ``""``) or hide (None) the "a contact is waiting" line.

        ``summary`` is untrusted: shown as plain text, control characters
        removed, at most 60 characters. It must not hold customer data: the
        lock screen is seen by whoever passes the desk.
        """
        self._offer = None if summary is None else clean_text(summary, keep_newlines=False, max_chars=60)
        self._render_offer()

    def _render_offer(self) -> None:
        if not self.is_mounted:
            return  # on_mount draws it
        line = self.query_one("#offer", Static)
        if self._offer is None:
            line.update("")
            line.display = False
            return
        text = Text(t("lock.offer_waiting"), style="bold reverse")
        if self._offer:
            text.append(" " + self._offer)
        line.update(text)
        line.display = True

    # -- unlock ----------------------------------------------------------------

    def _error(self, message: str, style: str | None = None) -> None:
        style = status_style(self.app, "error") if style is None else style
        self.query_one("#error", Static).update(Text(message, style=style))

    def on_form_input_too_long(self, event: FormInput.TooLong) -> None:
        """Characters past the cap were dropped: say so once."""
        event.stop()
        self._error(t("form.too_long"))

    @on(Input.Submitted, "#password")
    def _submit(self) -> None:
        field = self.query_one("#password", Input)
        if not field.value:
            self._error(t("login.need_password"))
            return
        if self._busy:
            return
        self._busy = True
        self._error(t("lock.checking"), style="dim")
        password, field.value = field.value, ""
        self._unlock(password)

    @work(exclusive=True, group="unlock")
    async def _unlock(self, password: str) -> None:
        session = self.app.get_session()
        try:
            await session.unlock(password)
        except Exception as exc:  # every failure becomes one clear line
            self._busy = False
            code = getattr(exc, "code", None)
            if code == "unauthorized":
                self.app.signed_out_elsewhere()  # the session ended on the server
                return
            if code == "account-locked":
                # The backend ended this sign-in: back to the login screen, saying until when.
                self.app.end_session(describe_unlock_error(exc))
                return
            self._error(describe_unlock_error(exc))
            self.query_one("#password", Input).focus()
            return
        self._busy = False
        self.dismiss(True)
