"""The Textual application: screen flow and app-wide events.

Start path is kept light (DESIGN, issue #2 benchmark): this module imports
Textual, the i18n catalogue and the login screen only. The backend client,
pydantic and the store are imported by the session when sign-in begins.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from csdesk.i18n import detect_language, set_language, t
from csdesk.widgets.bindings import translate_bindings

if TYPE_CHECKING:
    from csdesk.services.session import DeskSession


class CsdeskApp(App[int]):
    """The agent desktop for one backend ``server_url``.

    ``data_dir`` holds the per-agent local stores. ``language`` (``zh-CN`` or
    ``en``) is the start language; the agent's settings override it after
    sign-in, and ``LANG`` is the fallback.
    """

    TITLE = "csdesk"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "sign_out", "app.quit", id="app.quit", priority=True, show=False),
        Binding("f10", "sign_out", "app.sign_out", id="app.sign_out"),
        Binding("f1", "toggle_help", "app.help", id="app.help"),
        Binding("ctrl+p", "command_palette", "app.palette", id="app.palette", show=False, priority=True),
    ]

    def __init__(self, server_url: str, data_dir: Path, *, language: str | None = None) -> None:
        set_language(detect_language(language))
        super().__init__()
        translate_bindings(self)
        self.server_url = server_url
        self.data_dir = data_dir
        self.session: DeskSession | None = None

    def on_mount(self) -> None:
        from csdesk.screens.login import LoginScreen

        self._watch_hangup()
        self.push_screen(LoginScreen())

    def _watch_hangup(self) -> None:
        """On SIGHUP (terminal closed, SSH dropped) sign out on the server
        before quitting, so the agent is not left Ready with nobody there."""
        import asyncio
        import signal

        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._on_hangup)
        except (NotImplementedError, RuntimeError, ValueError, AttributeError):
            pass  # no SIGHUP here (Windows) or not the main thread (tests)

    def _on_hangup(self) -> None:
        self.run_worker(self._hangup_sign_out(), group="sign-out", exclusive=True)

    async def _hangup_sign_out(self) -> None:
        import asyncio

        from csdesk.api.errors import ApiError

        session = self.session
        if session is not None and session.profile is not None:
            try:
                await asyncio.wait_for(session.sign_out(), timeout=5.0)
            except (ApiError, asyncio.TimeoutError):
                pass
        await self._close_and_exit()

    # -- session -------------------------------------------------------------

    async def load_session(self) -> DeskSession:
        """The session, with its heavy imports (httpx, pydantic, TinyDB) done in
        a thread so the login screen paints and takes keys meanwhile."""
        if self.session is None:
            import asyncio
            import importlib

            await asyncio.to_thread(importlib.import_module, "csdesk.services.session")
        return self.get_session()

    def get_session(self) -> DeskSession:
        """The session for this backend, created on first use (imports httpx)."""
        if self.session is None:
            from csdesk.services.session import DeskSession

            self.session = DeskSession(self.server_url, self.data_dir)
        return self.session

    async def enter_desk(self) -> None:
        """After sign-in: desk underneath, unread announcements on top of it.

        Runs the first pull (offline is fine: the local copy is used), applies
        the agent's language setting, then starts the push loop and the event
        stream as workers that live as long as the app. A failure is shown on
        the current screen; the agent stays where they were.
        """
        try:
            await self._enter_desk()
        except Exception as exc:  # nothing may leave the agent on a dead screen
            from csdesk.screens.errors import describe_error

            message = describe_error(exc)
            self.notify(message, severity="error", timeout=30, markup=False)
            error = self.screen.query("#error")
            if error:
                from rich.text import Text

                error.first().update(Text(message, style="bold red"))

    async def _enter_desk(self) -> None:
        from csdesk.screens.announcements import AnnouncementsScreen
        from csdesk.screens.desk import DeskScreen

        session = self.get_session()
        await session.initial_sync()
        settings = await session.settings()
        if isinstance(settings.get("language"), str):
            self.switch_language(settings["language"])
        unread = await session.unread_announcements()
        desk = DeskScreen()
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        await self.push_screen(desk)
        if unread:
            await self.push_screen(AnnouncementsScreen(unread))
        assert session.sync is not None
        session.on_signed_out = self.signed_out_elsewhere
        self.run_worker(session.sync.run_push(), group="sync", name="outbox-push")
        self.run_worker(session.make_follower().run(), group="sync", name="event-stream")

    def switch_language(self, code: str) -> None:
        """Switch the UI language now, on every screen."""
        set_language(code)
        translate_bindings(self)
        for screen in self.screen_stack:
            translate_bindings(screen)
            retranslate = getattr(screen, "retranslate", None)
            if retranslate:
                retranslate()
        self.refresh_bindings()

    # -- sign-out (F10, ctrl+q) ----------------------------------------------

    def action_sign_out(self) -> None:
        """Confirm, then sign out on the server and exit (operating guide §4)."""
        handler = getattr(self.screen, "request_sign_out", None)
        if handler is not None:
            handler()
            return
        if self.session is None or self.session.profile is None:
            self.exit(0)
            return
        from csdesk.screens.confirm import ConfirmScreen

        def done(ok: bool | None) -> None:
            if ok:
                self.run_worker(self._sign_out_and_exit(), exclusive=True, group="sign-out")

        self.push_screen(ConfirmScreen(t("signout.confirm")), done)

    async def _sign_out_and_exit(self) -> None:
        from csdesk.api.errors import ApiError

        session = self.get_session()
        try:
            await session.sign_out()
        except ApiError as exc:
            from csdesk.screens.confirm import ConfirmScreen

            def forced(ok: bool | None) -> None:
                if ok:
                    self.run_worker(self._close_and_exit(), group="sign-out")

            self.push_screen(
                ConfirmScreen(t("signout.failed", error=str(exc)), yes=t("signout.quit_anyway")),
                forced,
            )
            return
        await self._close_and_exit()

    async def _stop_sync(self) -> None:
        """Cancel the push loop and the event stream and wait for them to end,
        so that nothing touches the store after it is closed."""
        for worker in list(self.workers):
            if worker.group == "sync":
                worker.cancel()
        for worker in list(self.workers):
            if worker.group == "sync":
                try:
                    await worker.wait()
                except Exception:
                    pass

    async def _close_and_exit(self) -> None:
        await self._stop_sync()
        if self.session is not None:
            await self.session.close()
        self.exit(0)

    def signed_out_elsewhere(self) -> None:
        """The server ended this session (signed out on another terminal, or
        revoked): say so and go back to the login screen. Queued changes stay
        in the store and are sent at the next sign-in."""
        self.run_worker(self._back_to_login(t("signout.elsewhere")), group="sign-out", exclusive=True)

    async def _back_to_login(self, message: str) -> None:
        from csdesk.screens.login import LoginScreen

        await self._stop_sync()
        if self.session is not None:
            session, self.session = self.session, None
            await session.revoke_quietly()
            await session.close()
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        await self.push_screen(LoginScreen())
        self.notify(message, severity="warning", timeout=30, markup=False)

    def action_toggle_help(self) -> None:
        """F1: show or hide the keys panel of the current screen."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_quit_now(self) -> None:
        """Quit at once (before sign-in there is nothing to sign out of)."""
        self.exit(0)

    async def action_quit(self) -> None:
        """Quit: signs out first when signed in (never silently)."""
        self.action_sign_out()

    # -- command palette --------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Palette entries: the current screen's own, then language, keys, sign-out."""
        own = getattr(screen, "palette_commands", None)
        if own is not None:
            yield from own()
        yield SystemCommand(t("cmd.language"), t("cmd.language.help"), self._toggle_language)
        yield SystemCommand(t("cmd.keys"), t("cmd.keys.help"), self.action_toggle_help)
        yield SystemCommand(t("cmd.theme"), t("cmd.theme.help"), self.action_change_theme)
        yield SystemCommand(t("cmd.sign_out"), t("cmd.sign_out.help"), self.action_sign_out)

    def _toggle_language(self) -> None:
        from csdesk.i18n import current_language

        target = "en" if current_language() == "zh-CN" else "zh-CN"
        self.switch_language(target)
        session = self.session
        if session is not None and session.sync is not None:
            self.run_worker(session.save_settings({"language": target}), group="settings")
        else:
            # Not signed in: no agent settings yet; this terminal remembers it.
            self.run_worker(self._save_config_language(target), group="settings")

    async def _save_config_language(self, language: str) -> None:
        import asyncio
        from dataclasses import replace

        from csdesk.config import ConfigError, load_config, save_config

        def write() -> None:
            save_config(replace(load_config(), language=language))

        try:
            await asyncio.to_thread(write)
        except (ConfigError, OSError) as exc:
            self.notify(str(exc), severity="warning", markup=False)
