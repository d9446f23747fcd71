"""What the live-session modals share (F5 verification, F7 operations, F9 wrap-up; issue #4).

:class:`LiveModal` (binding texts in the current language, a message line,
the notice when a field drops characters past its cap, failures worded
through :func:`csdesk.screens.errors.describe_error`), :func:`level_text`,
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
from csdesk.widgets.form_screen import FormInput


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
    :meth:`_say`) and the notice when a field drops characters past its cap."""

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    @property
    def showing(self) -> bool:
        """False once the modal is closing: a worker's late answer is then dropped
        (its widgets may already be gone)."""
        return self.is_running and not self._closing

    def _say(self, message: str, role: str) -> None:
        """Show ``message`` (plain text) in the message line, styled by status ``role``."""
        if self.showing:
            self.query_one("#message", Static).update(Text(message, style=status_style(self.app, role)))

    def _failure(self, exc: BaseException) -> str:
        """The line for a failed call (screens add their own cases)."""
        return describe_error(exc)

    def _report(self, exc: BaseException) -> None:
        """Show the failure ``exc`` unless the modal is closing."""
        if self.showing:
            self._say(self._failure(exc), "error")

    def on_form_input_too_long(self, event: FormInput.TooLong) -> None:
        event.stop()
        self._say(t("form.too_long"), "warn")
