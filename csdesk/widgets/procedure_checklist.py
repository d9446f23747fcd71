"""The operating-procedure checklist of a contact (guide §2.1–2.3, issue #4).

One row per :class:`~csdesk.domain.contacts.ChecklistStep`: a mark (done /
open / not needed, through :func:`csdesk.glyphs.glyph`) and the step name;
the next step to do is highlighted. The ticking rule lives in
:mod:`csdesk.domain.procedure`; this widget only draws its result.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from csdesk.domain.contacts import ChecklistStep
from csdesk.domain.procedure import ChecklistResult, StepState
from csdesk.glyphs import glyph
from csdesk.i18n import t
from csdesk.themes import status_style

#: Step state → (mark, status role); the next step to do is marked "→".
MARKS = {
    StepState.DONE: ("✓", "good"),
    StepState.OPEN: ("○", ""),
    StepState.NOT_NEEDED: ("-", ""),
}


class ProcedureChecklist(Static):
    """The checklist, one step a row.

    Down: :meth:`show_result` (a :class:`~csdesk.domain.procedure.ChecklistResult`),
    :meth:`show_missed` (at wrap-up: the open steps are marked missed),
    :meth:`retranslate`. Posts nothing.
    """

    DEFAULT_CSS = """
    ProcedureChecklist {
        text-wrap: nowrap;
        text-overflow: ellipsis;
        height: auto;
        width: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", name=name, id=id, classes=classes, markup=False)
        self.result = ChecklistResult()
        self.missed_shown = False
        #: ID&V locked in this contact (3 failures): the verify step says so
        #: instead of "not needed" (QA round 8).
        self.verification_locked = False

    def on_mount(self) -> None:
        self._redraw()

    def show_result(self, result: ChecklistResult, *, verification_locked: bool = False) -> None:
        """Draw ``result`` (the rule's evaluation of the contact so far);
        ``verification_locked``: the contact's ID&V is locked."""
        self.result = result
        self.verification_locked = verification_locked
        self._redraw()

    def show_missed(self, missed: bool = True) -> None:
        """At wrap-up: show the open steps as missed (``✗``)."""
        self.missed_shown = missed
        self._redraw()

    def retranslate(self) -> None:
        """Redraw in the current language."""
        self._redraw()

    def _redraw(self) -> None:
        if self.is_attached:
            self.update(self.render_checklist())

    def render_checklist(self) -> Text:
        """The checklist as plain Text."""
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(t("checklist.title"), style="bold")
        current = self.result.current
        for step in ChecklistStep:
            state = self.result.state(step)
            mark, role = MARKS[state]
            style = status_style(self.app, role) if role else ""
            if state is StepState.OPEN and self.missed_shown:
                mark, style = "✗", status_style(self.app, "error")
            is_next = step is current and not self.missed_shown
            if is_next:
                mark, style = "→", "bold"
            locked = step is ChecklistStep.VERIFY and self.verification_locked and state is not StepState.DONE
            if locked:
                mark, style = "!", status_style(self.app, "error")
            text.append("\n")
            text.append(glyph(mark) + " ", style=style)
            label = t(f"checklist.{step.value}")
            if locked:
                text.append(label + " " + t("checklist.locked"), style=style)
            elif state is StepState.NOT_NEEDED:
                label += " " + t("checklist.not_needed")
                text.append(label, style="dim")
            elif is_next:
                text.append(label, style="bold underline")
            else:
                text.append(label)
        return text
