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

The two bindings are Textual's standard focus keys, not offered for
remapping (this module is not under ``csdesk.screens``, so the settings key
table does not list them), but carry ids like every csdesk binding.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.binding import Binding
from textual.screen import Screen, ScreenResultType
from textual.widgets import Input


class FormScreen(Screen[ScreenResultType]):
    """A screen of input fields: Tab / shift+Tab move focus at once."""

    BINDINGS = [
        Binding("tab", "focus_next_field", "form.focus_next", id="form.focus_next", show=False, priority=True),
        Binding(
            "shift+tab", "focus_previous_field", "form.focus_previous",
            id="form.focus_previous", show=False, priority=True,
        ),
    ]

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
    """An Input whose own editing keys act in order with the typed characters."""

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable:
            return  # Input's own handler (next in the MRO) inserts it
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if binding.priority:
                continue  # the app ran priority bindings before this field saw the key
            event.stop()
            event.prevent_default()  # handled here: no bubbling, no second run
            self._restart_blink()
            await self.run_action(binding.action)
            return
