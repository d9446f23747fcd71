"""F5 identity verification modal (issue #4 "Identity verification", guide §2.1.3, DESIGN §8).

:class:`VerificationScreen` lists the methods the backend offers for the
contact's customer with those already passed, the level reached (L0–L3 with
its meaning) and the failed attempts (of 3). The agent picks a method (digits
1–5, or up/down + Enter), types what the customer says and presses Enter;
the backend answers pass/fail only. The transaction password is keyed by the
customer on the phone keypad: nothing is typed, Enter asks the keypad.

What was typed is taken out of the field when the check starts and never
shown again, logged or kept on the screen. After 3 failures verification is
locked for the contact ("possible fraud" is flagged on the card by the
backend) and the screen refuses further tries. Esc closes with the last
:class:`~csdesk.domain.contact_schemas.VerifyResult` (None when nothing was
checked).
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen, ScreenResultType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from csdesk.api.errors import ApiError, ProblemError
from csdesk.domain.contact_schemas import VerificationInfo, VerifyRequest, VerifyResult
from csdesk.domain.contacts import MAX_FAILED_VERIFICATIONS, VerificationMethod
from csdesk.domain.text import clean_text
from csdesk.glyphs import glyph
from csdesk.i18n import t
from csdesk.screens.errors import describe_error
from csdesk.services.contact import ContactService
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint, translate_bindings
from csdesk.widgets.form_screen import FormInput

#: The method the customer keys on the phone keypad (nothing is typed).
KEYPAD = VerificationMethod.TRANSACTION_PASSWORD
#: Longest answer typed (``VerifyRequest.answer``).
MAX_ANSWER_CHARS = VerifyRequest.model_fields["answer"].metadata[0].max_length


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
            self._report(exc)

    def on_form_input_too_long(self, event: FormInput.TooLong) -> None:
        event.stop()
        self._say(t("form.too_long"), "warn")


class VerificationScreen(LiveModal[VerifyResult | None]):
    """Identity verification of the current contact's customer (see the module docstring).

    ``service`` is the desk's :class:`ContactService`; its current contact is
    the one verified. Dismisses with the last ``VerifyResult`` or None.
    Backend faults (offline, refusals) are shown in the result line; the
    screen stays open.
    """

    CSS_PATH = "verification.tcss"
    BINDINGS = [
        Binding("escape", "close", "verify.close", id="verify.close"),
        *(
            Binding(str(i), f"pick({i - 1})", show=False, id=f"verify.pick{i}")
            for i in range(1, len(VerificationMethod) + 1)
        ),
    ]

    def __init__(self, service: ContactService) -> None:
        super().__init__()
        self.service = service
        self.info: VerificationInfo | None = None
        #: The last answer of the backend (the dismiss value).
        self.result: VerifyResult | None = None
        self.method: VerificationMethod | None = None
        self._checking = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(t("verify.title")), id="title")
            yield Static("", id="state")
            yield OptionList(id="methods")
            yield Static("", id="prompt")
            yield FormInput(
                id="answer", max_length=MAX_ANSWER_CHARS, compact=True,
                placeholder=t("verify.answer_placeholder"),
            )
            yield Static("", id="message")
            yield Static("", id="hint")

    def on_mount(self) -> None:
        self._say(t("verify.loading"), "info")
        self.query_one("#hint", Static).update(Text(t(
            "verify.hint", pick=f"1-{len(VerificationMethod)}", close=key_hint(self, "verify.close")
        ), style="dim"))
        self.query_one(OptionList).focus()
        self.load()

    # -- loading and drawing ---------------------------------------------------

    @work(group="verify-load", exclusive=True)
    async def load(self) -> None:
        """Read the methods and the state so far (``verification_info``)."""
        try:
            info = await self.service.verification_info()
        except (ApiError, RuntimeError) as exc:
            self._report(exc)
            return
        if not self.showing:
            return
        self.info = info
        methods = self.query_one(OptionList)
        methods.set_options(self._options())
        methods.highlighted = 0 if info.methods else None
        self._say("", "info")
        self._draw_state()

    def _options(self) -> list[Option]:
        info = self.info
        assert info is not None
        options = []
        for number, method in enumerate(info.methods, start=1):
            label = Text(f"{number}. {t(f'verify.method.{method.value}')}", no_wrap=True, overflow="ellipsis")
            if method in info.verified_methods:
                label.append(f"  {glyph('✓')} {t('verify.passed_mark')}", style=status_style(self.app, "good"))
            options.append(Option(label, id=method.value))
        return options

    def _draw_state(self) -> None:
        info = self.info
        if info is None:
            return
        line = Text()
        line.append(t("verify.level_now", level=level_text(info.level)), style="bold")
        line.append("  " + t("verify.attempts", failed=info.failed_attempts, limit=MAX_FAILED_VERIFICATIONS))
        self.query_one("#state", Static).update(line)
        answer = self.query_one("#answer", FormInput)
        answer.disabled = info.locked
        if info.locked:
            self._say(t("verify.locked"), "error")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Show what to ask for the highlighted method (the question, or the keypad)."""
        event.stop()
        if event.option.id is not None:
            self._set_method(VerificationMethod(event.option.id))

    def _set_method(self, method: VerificationMethod) -> None:
        self.method = method
        prompt = Text()
        if self.method is VerificationMethod.SECURITY_QUESTION and self.info is not None:
            prompt.append(t("verify.question") + " ", style="bold")
            prompt.append(clean_text(self.info.security_question, keep_newlines=False, max_chars=200))
        elif self.method is KEYPAD:
            available = self.info is not None and self.info.keypad_available
            prompt.append(t("verify.keypad" if available else "verify.keypad_unavailable"))
        else:
            prompt.append(t(f"verify.prompt.{self.method.value}"))
        self.query_one("#prompt", Static).update(prompt)
        self.query_one("#answer", FormInput).display = self.method is not KEYPAD

    # -- picking and checking ----------------------------------------------------

    def action_pick(self, index: int) -> None:
        """Pick method number ``index`` (0-based): the answer field gets the focus."""
        methods = self.query_one(OptionList)
        if self.info is None or not 0 <= index < len(self.info.methods):
            return
        methods.highlighted = index
        self._set_method(self.info.methods[index])
        if self.method is KEYPAD:
            methods.focus()  # Enter asks the keypad
        else:
            self._to_answer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a method: type the answer, or (keypad) ask the customer's keypad now."""
        event.stop()
        if self.method is KEYPAD:
            self.check()
        else:
            self._to_answer()

    def _to_answer(self) -> None:
        answer = self.query_one("#answer", FormInput)
        if not answer.disabled:
            answer.display = True
            answer.focus()

    def on_input_submitted(self, event: FormInput.Submitted) -> None:
        event.stop()
        self.check()

    @work(group="verify-check")
    async def check(self) -> None:
        """Send the typed answer (empty for the keypad) and show pass/fail only."""
        if self._checking or self.info is None or self.method is None:
            return
        field = self.query_one("#answer", FormInput)
        answer = "" if self.method is KEYPAD else field.value
        field.value = ""  # never shown back
        if self.info.locked:
            self._say(t("verify.locked"), "error")
            return
        if self.method is not KEYPAD and not answer.strip():
            self._say(t("verify.empty"), "warn")
            return
        self._checking = True
        self._say(t("verify.checking"), "info")
        try:
            result = await self.service.verify(self.method, answer)
        except (ApiError, RuntimeError) as exc:
            self._report(exc)
            return
        finally:
            answer = ""
            self._checking = False
        if self.showing:
            self._adopt(self.method, result)

    def _adopt(self, method: VerificationMethod, result: VerifyResult) -> None:
        """Show ``result`` and keep it as the state of this contact."""
        assert self.info is not None
        self.result = result
        passed = [*self.info.verified_methods]
        if result.passed and method not in passed:
            passed.append(method)
        self.info = self.info.model_copy(update={
            "level": result.level, "verified_methods": passed,
            "failed_attempts": result.failed_attempts, "locked": result.locked,
        })
        methods = self.query_one(OptionList)
        highlighted = methods.highlighted
        methods.set_options(self._options())
        methods.highlighted = highlighted
        self._draw_state()
        if result.locked:
            return
        if result.passed:
            self._say(f"{glyph('✓')} " + t("verify.pass", level=level_text(result.level)), "ok")
        else:
            left = max(0, MAX_FAILED_VERIFICATIONS - result.failed_attempts)
            self._say(f"{glyph('✗')} " + t("verify.fail", left=left), "bad")

    def _failure(self, exc: BaseException) -> str:
        """One line for a failed load or check (the answer is never part of it)."""
        if isinstance(exc, RuntimeError):
            return t("verify.no_contact")
        if isinstance(exc, ProblemError):
            if exc.code == "verification-locked":
                if self.info is not None:
                    self.info = self.info.model_copy(update={"locked": True})
                    self._draw_state()
                return t("verify.locked")
            if exc.code == "validation-error" and self.method is not None:
                return t(f"verify.shape.{self.method.value}")
            if exc.code == "keypad-unavailable":
                return t("verify.keypad_failed")
            if exc.code in ("contact-not-active", "not-found"):
                return t("verify.no_contact")
        return describe_error(exc)

    def action_close(self) -> None:
        """Close, returning the last result (None when nothing was checked)."""
        self.dismiss(self.result)
