"""What the live-session modals share (F5 verification, F7 operations, F9 wrap-up; issue #4).

:class:`LiveModal` (binding texts in the current language, a message line,
the notice when a field drops characters past its cap, failures worded
through :func:`csdesk.screens.errors.describe_error`, every text worded again
after a language switch), :func:`level_text`,
:func:`verify_key_hint` and :func:`localized` (backend texts by language).
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.dom import DOMNode
from textual.screen import ModalScreen, ScreenResultType
from textual.widgets import Static

from csdesk.domain.text import clean_text
from csdesk.i18n import t
from csdesk.screens.errors import describe_error
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint, translate_bindings
from csdesk.widgets.capped_text_area import CappedTextArea
from csdesk.widgets.form_screen import FormInput
from csdesk.widgets.texts import LiveText, live_text


def localized(texts: Mapping[str, str], language: str) -> str:
    """``texts`` (language → text) in ``language``, else zh-CN, else English, else
    any; cleaned of control characters (draw it as plain text)."""
    text = texts.get(language) or texts.get("zh-CN") or texts.get("en") or next(iter(texts.values()), "")
    return clean_text(text)


def level_text(level: int) -> str:
    """``"L2 (two factors, one of them ID or card digits)"``: a level with its meaning."""
    return t("verify.level", level=level, meaning=t(f"verify.level_meaning.{level}"))


def verify_key_hint(node: DOMNode) -> str:
    """The desk's key(s) for the verification modal (binding ``desk.verify``) as
    hints show them, e.g. ``"F5/alt+v"``: from the agent's keymap or the screen
    below that has the binding; ``"F5"`` when none has."""
    for screen in reversed(node.app.screen_stack):
        hint = key_hint(screen, "desk.verify")
        if hint != "?":
            return hint
    return "F5"


class LiveModal(ModalScreen[ScreenResultType]):
    """What the live-session modals (F5, F7, F9) share: binding texts in the
    current language, a message line (a ``Static`` with id ``message``, drawn by
    :meth:`_say`), the notice when a field drops characters past its cap, and
    :meth:`retranslate` (the app calls it on every screen after a language
    switch): each screen redraws its own texts in :meth:`_retranslate`, the
    message line is worded again, and what was typed, picked or focused stays.
    """

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        #: What the message line says (worded again after a switch) and its role.
        self._said: tuple[LiveText, str] = ("", "info")

    @property
    def showing(self) -> bool:
        """False once the modal is closing: a worker's late answer is then dropped
        (its widgets may already be gone)."""
        return self.is_running and not self._closing

    def _say(self, message: LiveText, role: str) -> None:
        """Show ``message`` in the message line, as plain text styled by status
        ``role``. A function (``lambda: t(...)``) is worded again after a
        language switch; a string (backend text) is kept as it is."""
        self._said = (message, role)
        self._draw_said()

    def _draw_said(self) -> None:
        if self.showing and self.query("#message"):
            message, role = self._said
            self.query_one("#message", Static).update(Text(live_text(message), style=status_style(self.app, role)))

    def _failure(self, exc: BaseException) -> LiveText:
        """The line for a failed call (screens add their own cases): called once
        per failure (side effects, such as a lock noticed, happen here); the
        returned function words it again after a language switch."""
        return lambda: describe_error(exc)

    def _report(self, exc: BaseException) -> None:
        """Show the failure ``exc`` unless the modal is closing."""
        if self.showing:
            self._say(self._failure(exc), "error")

    def on_form_input_too_long(self, event: FormInput.TooLong) -> None:
        event.stop()
        self._say(lambda: t("form.too_long"), "warn")

    def on_capped_text_area_too_long(self, event: CappedTextArea.TooLong) -> None:
        event.stop()
        self._say(lambda: t("form.too_long"), "warn")

    def retranslate(self) -> None:
        """Redraw titles, labels, hints, lists and the message line in the current
        language, keeping every value, pick, highlight and the focus."""
        if not self.showing or not self.query("#message"):
            return  # not composed yet (it composes in the new language) or closing
        self._retranslate()
        self._draw_said()

    def _retranslate(self) -> None:
        """The screen's own texts in the current language (see :meth:`retranslate`)."""
