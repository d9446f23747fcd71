"""Helpers shared by the desk's QA-round tests (``test_qa_round*.py``,
``test_desk_live.py``): message texts by language, the desk under the
modals, and the F7 freeze form filled in."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import OptionList

from csdesk.i18n import LANGUAGES
from tests.tui.helpers import wait_for


def text_of(key: str, language: str, **values: object) -> str:
    """Message ``key`` of catalogue ``language`` (``en``/``zh-CN``), formatted."""
    template = LANGUAGES[language].get(key) or LANGUAGES["en"][key]
    return template.format(**values) if values else template


def desk_of(app: Any) -> Any:
    """The desk screen on ``app``'s stack (under any modal); StopIteration if none."""
    return next(screen for screen in app.screen_stack if screen.__class__.__name__ == "DeskScreen")


async def fill_freeze_form(pilot: Pilot[Any]) -> Any:
    """F7 on the desk, "freeze_card" opened from the catalogue, and its card
    and reason picked (the first choice of each: the first card, ``lost``);
    nothing executed yet. Returns the operation screen."""
    from csdesk.screens.operation import OperationScreen

    app = pilot.app
    await pilot.press("f7")
    await wait_for(pilot, lambda: isinstance(app.screen, OperationScreen) and bool(app.screen.catalogue))
    ops = app.screen
    catalogue = ops.query_one("#catalogue", OptionList)
    catalogue.focus()
    catalogue.highlighted = list(ops.catalogue).index("freeze_card")
    await pilot.press("enter")
    await wait_for(pilot, lambda: ops.spec is not None)
    for name in ("card", "reason"):
        ops.fields[name].focus()
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
    return ops
