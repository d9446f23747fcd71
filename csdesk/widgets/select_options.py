"""Give a Textual ``Select`` new options safely, keeping what is picked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.console import RenderableType
from textual import events
from textual.widgets import Select


def replace_options(
    select: Select[Any],
    options: Sequence[tuple[RenderableType, Any]] | Callable[[], Sequence[tuple[RenderableType, Any]]],
    *,
    write: Callable[[Select[Any], Any], None] | None = None,
) -> None:
    """Set ``options`` (``(label, value)`` pairs, or a function making them) on
    ``select``, keep its value when still offered, and post no ``Changed``.

    ``Select.set_options`` needs the Select's own overlay and current-value
    label, which exist only once the Select has composed: called on a form that has just opened (a
    language switch, a contact update), it raised ``NoMatches``. Until then
    the change waits for the next refresh, and the options are made then (a
    function gives the newest). ``write(select, value)`` puts the old value
    back (default: assign ``select.value`` when the value is among the new
    options).
    """
    if not (select.query("SelectOverlay") and select.query("SelectCurrent #label")):
        if select.is_attached:
            select.call_after_refresh(replace_options, select, options, write=write)
        return
    made = list(options() if callable(options) else options)
    value = select.value
    with select.prevent(Select.Changed):
        select.set_options(made)
        if write is not None:
            write(select, value)
        elif any(option_value == value for _label, option_value in made):
            select.value = value
    _show_current(select)


def _show_current(select: Select[Any]) -> None:
    """Draw the label of the value picked from the new options.

    ``set_options`` picks the first option (no blank allowed) or the blank,
    and assigning the old value back redraws the label only when the value
    *changed*: a Select whose value was the first option (the wrap-up's
    "Ready", the theme "dark") or blank kept showing its label in the old
    language after a language switch.
    """
    current = select.query_one("SelectCurrent")
    value = select.value
    if value == Select.NULL:
        current.update(Select.NULL)  # type: ignore[attr-defined]
        return
    for prompt, option_value in select._options:
        if option_value == value:
            current.update(prompt)  # type: ignore[attr-defined]
            return


class SafeSelect(Select[Any]):
    """A ``Select`` that survives being taken down while it mounts.

    Textual 8's Select finishes its setup in its mount handler, reading its
    overlay and current-value label. When its screen is dismissed (Esc
    pressed as a form opens) or the app stops before that handler runs, those
    parts are already gone and the handler raised ``NoMatches``, which
    stopped the whole app. Then the setup is skipped: there is nothing left
    to set up. Use it wherever the desk would use ``Select``.
    """

    def _on_mount(self, event: events.Mount) -> None:
        if not (self.query("SelectOverlay") and self.query("SelectCurrent #label")):
            event.prevent_default()  # Select's own handler would read the parts that are gone
