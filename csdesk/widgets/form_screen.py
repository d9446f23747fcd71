"""A screen whose Tab and shift+Tab move focus before the next key is read.

Textual hands each key to the focused widget's own queue, and Tab is a
normal (non-priority) binding: it only moves focus when the focused field
gets round to it. Keys that arrive in the same burst (a fast typist, a
password manager's auto-type, a paste without bracketed-paste mode, keys
queued while the app was busy) have by then been queued in the old field:
"ID⇥password" puts part of the password in the ID field.

Priority bindings run in the app's own key handler, before the next key is
dispatched, so a focus move made there is seen by every later key. Forms
with more than one field (login, password change) derive from
:class:`FormScreen`; Enter is handled by each screen (it also submits).
A submit must wait for the keys still queued in *every* field (each field
has its own queue, and they run side by side): :meth:`FormScreen.after_queued_keys`.

The same race hits a field's own editing keys. Textual runs an Input's key
bindings (Backspace, ←/→, Home/End, ctrl+u …) only after the key has
bubbled up to the app, through a queue per widget, while the field goes on
inserting the characters typed after it: "abc⌫de" could end as "abcde",
and a Backspace typed just before Tab could delete in the next field.
:class:`FormInput` runs those bindings in its own key handler, in the order
the keys came.

Every field also has a cap (:data:`FIELD_CAPS`, the wire limits of
``csdesk.domain.schemas``). Textual's Input does work per key that grows
with the value (a 100 KB paste typed as keys froze the app for minutes), so
:class:`FormInput` drops a printable key at the cap before the Input sees
it, cuts a bracketed paste to the room left, and says so once (a
:class:`FormInput.TooLong` message; :class:`FormScreen` shows
``form.too_long`` in its error line).

The two bindings are Textual's standard focus keys, not offered for
remapping (this module is not under ``csdesk.screens``, so the settings key
table does not list them), but carry ids like every csdesk binding.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen, ScreenResultType
from textual.widgets import Input

from csdesk.i18n import t

# The backend's limits (``csdesk.domain.schemas``), copied rather than imported:
# the login screen must start without pydantic (tests/test_layers.py).
# tests/tui/test_qa_round5.py checks they still match the wire models.

#: Longest employee ID (``LoginRequest.employee_id``), characters.
MAX_EMPLOYEE_ID_CHARS = 64
#: Longest existing password sent (sign-in, unlock, "current password"): the
#: backend's limit (``LoginRequest.password`` = ``ReauthRequest.password`` =
#: ``MyPasswordChange.current_password``).
MAX_PASSWORD_CHARS = 1024
#: Cap of the new-password fields: the same as for a password at sign-in,
#: *above* the policy's maximum (``schemas.PASSWORD_MAX_LENGTH``, 256). A
#: longer password must arrive whole, so the checklist marks "at most 256"
#: and the form refuses it; a cap at 256 would silently save the first 256
#: characters, a password the agent never typed and cannot sign in with.
MAX_NEW_PASSWORD_CHARS = MAX_PASSWORD_CHARS
#: Longest one-time code (``MfaRequest.code`` = ``TotpConfirmRequest.code``).
MAX_CODE_CHARS = 32

#: The cap of each kind of sign-in field, in one place.
FIELD_CAPS = {
    "employee_id": MAX_EMPLOYEE_ID_CHARS,
    "password": MAX_PASSWORD_CHARS,
    "new_password": MAX_NEW_PASSWORD_CHARS,
    "code": MAX_CODE_CHARS,
}


class FormScreen(Screen[ScreenResultType]):
    """A screen of input fields: Tab / shift+Tab move focus at once."""

    BINDINGS = [
        Binding("tab", "focus_next_field", "form.focus_next", id="form.focus_next", show=False, priority=True),
        Binding(
            "shift+tab", "focus_previous_field", "form.focus_previous",
            id="form.focus_previous", show=False, priority=True,
        ),
    ]

    def on_form_input_too_long(self, event: FormInput.TooLong) -> None:
        """A field dropped characters past its cap: say so in the error line."""
        event.stop()
        show = getattr(self, "_error", None)
        if callable(show):
            show(t("form.too_long"))

    def action_focus_next_field(self) -> None:
        """Tab: the next focusable widget, now (not after the queued keys)."""
        self.focus_next()

    def action_focus_previous_field(self) -> None:
        """shift+Tab: the previous focusable widget, now."""
        self.focus_previous()

    def after_queued_keys(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once every field of this screen has handled the
        keys already queued for it (a submit sees everything typed before it)."""
        fields = list(self.query(Input))
        if not fields:
            self.call_later(callback)
            return
        waiting = len(fields)

        def drained() -> None:
            nonlocal waiting
            waiting -= 1
            if waiting == 0:
                callback()

        for field in fields:
            field.call_later(drained)


class FormInput(Input):
    """An Input whose own editing keys act in order with the typed characters.

    ``kind`` (a key of :data:`FIELD_CAPS`) sets ``max_length``; keys past it
    are dropped at once and :class:`TooLong` is posted once per overflow.
    """

    class TooLong(Message):
        """Characters past the field's cap were dropped (posted once until the value shrinks)."""

        def __init__(self, field: FormInput) -> None:
            super().__init__()
            self.field = field

        @property
        def control(self) -> FormInput:
            return self.field

    def __init__(self, *args: object, kind: str | None = None, **kwargs: object) -> None:
        if kind is not None:
            kwargs.setdefault("max_length", FIELD_CAPS[kind])
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._told_too_long = False

    def _too_long(self) -> None:
        if not self._told_too_long:
            self._told_too_long = True
            self.post_message(self.TooLong(self))

    def _on_paste(self, event: events.Paste) -> None:
        if not self.max_length or not event.text:
            return  # Input's own handler (next in the MRO) inserts it
        lines = event.text.splitlines()
        line = lines[0] if lines else ""
        start, end = sorted(self.selection)
        room = self.max_length - (len(self.value) - (end - start))
        if len(line) <= room:
            self._told_too_long = False
            return
        event.stop()
        event.prevent_default()  # Input would refuse it whole (and ring)
        line = line[: max(room, 0)]
        if line:
            if start == end:
                self.insert_text_at_cursor(line)
            else:
                self.replace(line, start, end)
        self._too_long()

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable:
            if self.max_length and len(self.value) >= self.max_length:
                if self.selection.is_empty:
                    # At the cap: drop it here, before the Input does any work.
                    event.stop()
                    event.prevent_default()
                    self._too_long()
                return
            self._told_too_long = False
            return  # Input's own handler (next in the MRO) inserts it
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if binding.priority:
                continue  # the app ran priority bindings before this field saw the key
            event.stop()
            event.prevent_default()  # handled here: no bubbling, no second run
            self._restart_blink()
            await self.run_action(binding.action)
            return
