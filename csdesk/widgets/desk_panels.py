"""The desk's three live-session panels, laid out for the terminal's width.

At 120 columns or more: the conversation (transcript / call) on the left,
the customer card above the checklist on the right, side by side. Below
120 (the 80×24 minimum): one panel at a time under a tab strip; alt+c /
alt+u / alt+k (or alt+1/2/3 where the terminal reports them; binding ids ``desk.panel_conversation``, ``desk.panel_card``,
``desk.panel_checklist``) or a click on a tab switch panels.

The three panels are mounted once and never moved: switching layout only
changes CSS classes, so the transcript keeps its lines and scroll position
and the composer its text.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Tab, Tabs

from csdesk.i18n import t
from csdesk.widgets.bindings import key_hint, translate_bindings

#: Panel names, in tab order.
PANELS = ("conversation", "card", "checklist")
#: Width (columns) from which the panels are side by side.
WIDE_COLUMNS = 120


class DeskPanels(Widget):
    """Conversation | card + checklist, or tabs below :data:`WIDE_COLUMNS`.

    Construct with the three panel widgets (``conversation``: e.g. a
    Vertical of Transcript + Composer; ``card``; ``checklist``). Down:
    :meth:`show_panel` (``"conversation"``/``"card"``/``"checklist"``),
    :meth:`retranslate`. Read: :attr:`active`, :attr:`wide`. Up:
    :class:`DeskPanels.Switched` when the panel in front changes (narrow
    layout). The layout follows the widget's own width (``-wide`` class).
    """

    DEFAULT_CSS = """
    DeskPanels {
        height: 1fr;
        width: 1fr;
        layout: vertical;
    }
    DeskPanels > #panel-tabs { height: 2; }
    DeskPanels > #panel-body {
        height: 1fr;
        layout: vertical;
    }
    DeskPanels .desk-panel { height: 1fr; width: 1fr; display: none; }
    DeskPanels .desk-panel.-active { display: block; }
    DeskPanels #panel-side { display: none; height: 1fr; }

    DeskPanels.-wide > #panel-tabs { display: none; }
    DeskPanels.-wide > #panel-body { layout: horizontal; }
    DeskPanels.-wide #panel-conversation { display: block; width: 3fr; }
    DeskPanels.-wide #panel-side {
        display: block;
        width: 2fr;
        min-width: 40;
        border-left: vkey $border-blurred;
    }
    DeskPanels.-wide #panel-side > .desk-panel { display: block; }
    DeskPanels.-wide #panel-side > #panel-card { height: 1fr; }
    DeskPanels.-wide #panel-side > #panel-checklist { height: auto; max-height: 50%; }
    """

    #: alt+letter first: many terminals send alt+digit as ESC digit, which
    #: Textual reads as a character ("\x1b2" → "™"); the digits stay as
    #: second keys for terminals that report them. Priority: the composer
    #: inside would otherwise type the letter.
    BINDINGS = [
        Binding("alt+c,alt+1", "show_panel('conversation')", "key.desk.panel_conversation",
                id="desk.panel_conversation", show=False, priority=True),
        Binding("alt+u,alt+2", "show_panel('card')", "key.desk.panel_card", id="desk.panel_card",
                show=False, priority=True),
        Binding("alt+k,alt+3", "show_panel('checklist')", "key.desk.panel_checklist",
                id="desk.panel_checklist", show=False, priority=True),
    ]

    class Switched(Message):
        """``panel`` is now in front (one of :data:`PANELS`)."""

        def __init__(self, panels: DeskPanels, panel: str) -> None:
            super().__init__()
            self.panels = panels
            self.panel = panel

        @property
        def control(self) -> DeskPanels:
            return self.panels

    def __init__(
        self,
        conversation: Widget,
        card: Widget,
        checklist: Widget,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        translate_bindings(self)
        self._children = {"conversation": conversation, "card": card, "checklist": checklist}
        self.active = "conversation"

    def compose(self) -> ComposeResult:
        yield Tabs(*(Tab(self._tab_label(i, name), id=f"tab-{name}") for i, name in enumerate(PANELS)),
                   id="panel-tabs")
        with Container(id="panel-body"):
            with Vertical(id="panel-conversation", classes="desk-panel -active"):
                yield self._children["conversation"]
            with Vertical(id="panel-side"):
                with VerticalScroll(id="panel-card", classes="desk-panel"):
                    yield self._children["card"]
                with VerticalScroll(id="panel-checklist", classes="desk-panel"):
                    yield self._children["checklist"]

    def _tab_label(self, index: int, name: str) -> str:
        try:
            key = key_hint(self, f"desk.panel_{name}").split("/")[0]  # the first key: tabs are narrow
        except Exception:  # not attached to an app yet
            key = ("alt+c", "alt+u", "alt+k")[index]
        return f"{t(f'panels.{name}')} ({key})"

    # -- down ---------------------------------------------------------------

    @property
    def wide(self) -> bool:
        """True when the panels are side by side."""
        return self.has_class("-wide")

    def show_panel(self, panel: str, *, focus: bool = True) -> None:
        """Bring ``panel`` to the front (narrow) or focus it (wide)."""
        if panel not in PANELS:
            return
        changed = panel != self.active
        self.active = panel
        for name in PANELS:
            self.query_one(f"#panel-{name}").set_class(name == panel, "-active")
        # The side column holds card and checklist: shown when one of them is in front.
        self.query_one("#panel-side").styles.display = "block" if (self.wide or panel != "conversation") else "none"
        tabs = self.query_one(Tabs)
        if tabs.active != f"tab-{panel}":
            tabs.active = f"tab-{panel}"
        if focus:
            self._focus_panel(panel)
        if changed:
            self.post_message(self.Switched(self, panel))

    def action_show_panel(self, panel: str) -> None:
        """alt+1/2/3."""
        self.show_panel(panel)

    def retranslate(self) -> None:
        """Tab labels in the current language (and the keys bound now)."""
        translate_bindings(self)
        for index, name in enumerate(PANELS):
            self.query_one(f"#tab-{name}", Tab).label = self._tab_label(index, name)

    # -- internals ----------------------------------------------------------

    def _focus_panel(self, panel: str) -> None:
        from textual.widgets import Input, TextArea

        container = self.query_one(f"#panel-{panel}")
        focusable = [w for w in container.query("*") if w.focusable]
        # A field that takes text first (the composer, not the transcript above
        # it): the agent who switches back to the conversation goes on typing.
        typing = [w for w in focusable if isinstance(w, (Input, TextArea)) and not getattr(w, "read_only", False)] \
            if focusable else []
        target = (typing or focusable or [container if container.focusable else None])[0]
        if target is not None:
            self.call_after_refresh(target.focus)

    def on_mount(self) -> None:
        self.retranslate()
        self._apply_width(self.size.width or self.app.size.width)

    def on_resize(self, event: Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        self.set_class(width >= WIDE_COLUMNS, "-wide")
        self.show_panel(self.active, focus=False)

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tabs.id != "panel-tabs" or event.tab is None or event.tab.id is None:
            return
        panel = event.tab.id.removeprefix("tab-")
        if panel != self.active:
            self.show_panel(panel, focus=False)
