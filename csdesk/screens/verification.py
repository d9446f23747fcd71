"""F5 identity verification modal (issue #4 "Identity verification", guide §2.1.3, DESIGN §8).

:class:`VerificationScreen` lists the methods the backend offers for the
contact's customer with those already passed, the level reached (L0–L3 with
its meaning) and the failed attempts (of 3). The agent picks a method in
the method list (digits 1–5, or up/down + Enter), types what the customer
says into the answer box (digits typed there are part of the answer) and
presses Enter; the backend answers pass/fail only. The transaction password
is keyed by the customer on the phone keypad: nothing is typed, Enter asks
the keypad. The hint line says what the keys do where the focus is.

While a check runs the focus is on the method list, so a digit typed then
picks the next method instead of landing in the emptied answer box. After a
pass the next method not yet passed is highlighted in the list (a digit
picks another one); after a failure the focus is back in the emptied answer
box for the agent to type again. Neither happens when the agent has already
moved on during the check. The digit keys are priority bindings that act
only while the list has the focus: the focus move of a pick is made before
the next key is read, so "2023158" typed at once puts "023158" in the
answer box of method 2.

The window fits an 80×24 terminal with everything in view: title and failed
attempts, level, method list, the question, the bordered answer box with its
label (the method) in the border, the message line and the hint.

What was typed is taken out of the field when the check starts and never
shown again, logged or kept on the screen. After 3 failures verification is
locked for the contact ("possible fraud" is flagged on the card by the
backend) and the screen refuses further tries. Esc closes with the last
:class:`~csdesk.domain.contact_schemas.VerifyResult` (None when nothing was
checked).

A language switch while the window is up redraws every text in place (the
method list, question, hint, message …); the answer typed, the method
picked and the focus stay.
"""

from __future__ import annotations

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import DescendantFocus
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from csdesk.api.errors import ApiError, ProblemError
from csdesk.domain.contact_schemas import VerificationInfo, VerifyRequest, VerifyResult
from csdesk.domain.contacts import MAX_FAILED_VERIFICATIONS, VerificationMethod
from csdesk.domain.text import clean_text
from csdesk.glyphs import glyph
from csdesk.i18n import t
from csdesk.screens.errors import describe_error
from csdesk.screens.live_modal import LiveModal, level_text
from csdesk.services.contact import ContactService
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint
from csdesk.widgets.form_screen import FormInput
from csdesk.widgets.texts import LiveText

#: The method the customer keys on the phone keypad (nothing is typed).
KEYPAD = VerificationMethod.TRANSACTION_PASSWORD
#: Longest answer typed (``VerifyRequest.answer``).
MAX_ANSWER_CHARS = VerifyRequest.model_fields["answer"].metadata[0].max_length


class AnswerInput(FormInput):
    """The answer box. Enter checks at once, in the key handler: Input's usual
    ``Submitted`` message would be handled after keys already queued behind
    Enter (a burst over a slow link), which then joined the answer checked."""

    async def action_submit(self) -> None:
        """Enter: check what was typed, now."""
        screen = self.screen
        if isinstance(screen, VerificationScreen):
            screen.check()

    async def _on_key(self, event: events.Key) -> None:
        screen = self.screen
        if isinstance(screen, VerificationScreen) and screen.checking and self.app.focused is not self:
            # Queued here before Enter moved the focus to the method list: hand
            # the key on to where the focus is now (a digit picks a method).
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
        # Otherwise FormInput's and Input's handlers run next (Textual follows the MRO).


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
        Binding("shift+tab", "to_methods", "verify.to_methods", id="verify.to_methods", show=False),
        # Priority: the pick's focus move happens before the next key is read
        # (see the module docstring); check_action lets digits through to the
        # answer box when the list does not have the focus.
        *(
            Binding(str(i), f"pick({i - 1})", show=False, priority=True, id=f"verify.pick{i}")
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
            with Horizontal(id="top"):
                yield Static(Text(t("verify.title")), id="title")
                yield Static("", id="attempts")
            yield Static("", id="state")
            yield OptionList(id="methods")
            yield Static("", id="prompt")
            yield AnswerInput(id="answer", max_length=MAX_ANSWER_CHARS, placeholder=t("verify.answer_placeholder"))
            yield Static("", id="message")
            yield Static("", id="hint")

    def on_mount(self) -> None:
        self._say(lambda: t("verify.loading"), "info")
        self.set_focus(self._methods())
        self._draw_hint()
        self.load()

    def _methods(self) -> OptionList:
        return self.query_one("#methods", OptionList)

    def _answer(self) -> FormInput:
        return self.query_one("#answer", FormInput)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """The hint follows the focus (the list picks, the answer box takes digits)."""
        self._draw_hint()

    def _draw_hint(self) -> None:
        close = key_hint(self, "verify.close")
        if self.focused is self._answer():
            hint = t("verify.hint_answer", back=key_hint(self, "verify.to_methods"), close=close)
        else:
            hint = t("verify.hint_list", pick=f"1-{len(VerificationMethod)}", close=close)
        self.query_one("#hint", Static).update(Text(hint, style="dim"))

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
        methods = self._methods()
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
        level = Text(t("verify.level_now", level=level_text(info.level)), style="bold")
        self.query_one("#state", Static).update(level)
        attempts = t("verify.attempts", failed=info.failed_attempts, limit=MAX_FAILED_VERIFICATIONS)
        style = status_style(self.app, "bad") if info.failed_attempts else "dim"
        self.query_one("#attempts", Static).update(Text(attempts, style=style))
        answer = self._answer()
        answer.disabled = info.locked
        if info.locked:
            self._say(lambda: t("verify.locked"), "error")

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
        answer = self._answer()
        answer.display = self.method is not KEYPAD
        answer.border_title = Text(t("verify.answer_label", method=t(f"verify.method.{self.method.value}")))

    # -- picking and checking ----------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Digits pick a method only while the method list has the focus; in the
        answer box they are typed (the key goes on to the box)."""
        if action == "pick":
            return self.focused is self._methods()
        return True

    def action_pick(self, index: int) -> None:
        """Pick method number ``index`` (0-based): the answer box gets the focus
        at once (the keys typed next go into it)."""
        methods = self._methods()
        if self.info is None or not 0 <= index < len(self.info.methods):
            return
        methods.highlighted = index
        self._set_method(self.info.methods[index])
        if self.method is not KEYPAD:  # the keypad: Enter in the list asks it
            self._to_answer()

    def action_to_methods(self) -> None:
        """Back to the method list (from the answer box)."""
        self.set_focus(self._methods())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a method: type the answer, or (keypad) ask the customer's keypad now."""
        event.stop()
        if self.method is KEYPAD:
            self.check()
        else:
            self._to_answer()

    def _to_answer(self) -> None:
        answer = self._answer()
        if not answer.disabled:
            answer.display = True
            self.set_focus(answer)  # now, not after the keys already queued

    def on_input_submitted(self, event: FormInput.Submitted) -> None:
        event.stop()
        self.check()

    @property
    def checking(self) -> bool:
        """True while an answer is being checked by the backend."""
        return self._checking

    def check(self) -> None:
        """Send the typed answer (empty for the keypad) and show pass/fail only.

        The answer is taken out of the field and the focus moved to the method
        list *now*, in the key handler: keys already queued behind Enter (a
        burst over a slow SSH link) must not join the answer being checked.
        """
        if self._checking or self.info is None or self.method is None:
            return
        method, methods = self.method, self._methods()
        row = methods.highlighted
        field = self._answer()
        answer = "" if method is KEYPAD else field.value
        field.value = ""  # never shown back
        if self.info.locked:
            self._say(lambda: t("verify.locked"), "error")
            return
        if method is not KEYPAD and not answer.strip():
            self._say(lambda: t("verify.empty"), "warn")
            return
        self._checking = True
        self._say(lambda: t("verify.checking"), "info")
        self.set_focus(methods)  # a digit typed meanwhile picks a method
        self._check(method, row, answer)

    @work(group="verify-check")
    async def _check(self, method: VerificationMethod, row: int | None, answer: str) -> None:
        try:
            result = await self.service.verify(method, answer)
        except (ApiError, RuntimeError) as exc:
            self._report(exc)
            self._after_check(row, passed=False)
            return
        finally:
            answer = ""
            self._checking = False
        if self.showing:
            self._adopt(method, result)
            self._after_check(row, passed=result.passed)

    def _after_check(self, row: int | None, *, passed: bool) -> None:
        """Where the agent goes on after the check of list row ``row``: a pass
        highlights the next method not yet passed (the focus stays in the list);
        a failure puts the focus back in the emptied answer box. Nothing moves
        when the agent picked something else during the check, or when locked."""
        methods = self._methods()
        if not self.showing or self.info is None or self.info.locked:
            return
        if self.focused is not methods or methods.highlighted != row or row is None:
            return
        if passed:
            following = self._next_open(row)
            if following is not None:
                methods.highlighted = following
        elif self.method is not KEYPAD:
            self._to_answer()

    def _next_open(self, row: int) -> int | None:
        """The list row after ``row`` (wrapping) of a method not yet passed and
        usable (the keypad only when connected), or None."""
        info = self.info
        assert info is not None
        count = len(info.methods)
        for step in range(1, count + 1):
            candidate = (row + step) % count
            method = info.methods[candidate]
            if method in info.verified_methods or (method is KEYPAD and not info.keypad_available):
                continue
            return candidate
        return None

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
        methods = self._methods()
        highlighted = methods.highlighted
        methods.set_options(self._options())
        methods.highlighted = highlighted
        self._draw_state()
        if result.locked:
            return
        if result.passed:
            self._say(lambda: f"{glyph('✓')} " + t("verify.pass", level=level_text(result.level)), "ok")
        else:
            left = max(0, MAX_FAILED_VERIFICATIONS - result.failed_attempts)
            self._say(lambda: f"{glyph('✗')} " + t("verify.fail", left=left), "bad")

    def _failure(self, exc: BaseException) -> LiveText:
        """One line for a failed load or check (the answer is never part of it),
        worded again after a language switch."""
        if isinstance(exc, RuntimeError):
            return lambda: t("verify.no_contact")
        if isinstance(exc, ProblemError):
            if exc.code == "verification-locked":
                if self.info is not None:
                    self.info = self.info.model_copy(update={"locked": True})
                    self._draw_state()
                return lambda: t("verify.locked")
            if exc.code == "validation-error" and self.method is not None:
                shape = f"verify.shape.{self.method.value}"
                return lambda: t(shape)
            if exc.code == "keypad-unavailable":
                return lambda: t("verify.keypad_failed")
            if exc.code in ("contact-not-active", "not-found"):
                return lambda: t("verify.no_contact")
        return lambda: describe_error(exc)

    def _retranslate(self) -> None:
        """Title, state, method list, prompt, answer label and placeholder, hint
        in the current language; the answer typed, the method highlighted and
        the focus stay."""
        self.query_one("#title", Static).update(Text(t("verify.title")))
        answer = self._answer()
        answer.placeholder = t("verify.answer_placeholder")
        if self.info is not None:
            methods = self._methods()
            highlighted = methods.highlighted
            methods.set_options(self._options())
            methods.highlighted = highlighted
            self._draw_state()
        if self.method is not None:
            self._set_method(self.method)
        self._draw_hint()

    def action_close(self) -> None:
        """Close, returning the last result (None when nothing was checked)."""
        self.dismiss(self.result)
