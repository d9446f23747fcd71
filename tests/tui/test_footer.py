"""The footer forgets the keys it removed (Textual 8 kept them: a leak per rebuild)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets._footer import FooterKey

from csdesk.widgets.footer import Footer


class Toggling(App[None]):
    BINDINGS = [Binding("f3", "one", "One"), Binding("f4", "two", "Two")]

    def __init__(self) -> None:
        super().__init__()
        self.flip = False

    def compose(self) -> ComposeResult:
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.flip if action == "one" else True

    def action_one(self) -> None: ...

    def action_two(self) -> None: ...


async def test_rebuilding_the_footer_leaves_no_removed_keys_behind() -> None:
    app = Toggling()
    async with app.run_test(size=(80, 24)) as pilot:
        footer = app.query_one(Footer)
        for _ in range(30):
            app.flip = not app.flip
            app.screen.refresh_bindings()
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        # The footer holds (through its watchers) only the keys on screen now.
        watchers = getattr(footer, "__watchers", {}).get("compact", [])
        shown = list(footer.query(FooterKey))
        assert shown and all(node.is_attached for node, _ in watchers)
        assert len(watchers) <= len(shown)


async def test_a_removed_text_area_is_not_kept_by_the_theme_watcher() -> None:
    from textual.widgets import TextArea

    from csdesk.widgets.watchers import prune_detached_watchers

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield TextArea(id="notes")

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        area = app.query_one(TextArea)
        await area.remove()
        await pilot.pause()
        theme_watchers = getattr(app, "__watchers", {}).get("theme", [])
        assert any(node is area for node, _ in theme_watchers)  # Textual keeps it
        assert prune_detached_watchers(app) >= 1
        assert not any(node is area for node, _ in getattr(app, "__watchers", {}).get("theme", []))
