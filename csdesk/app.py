"""The Textual application: screen flow and app-wide events.

Start path is kept light (DESIGN, issue #2 benchmark): this module imports
Textual, the i18n catalogue and the login screen only. The backend client,
pydantic and the store are imported by the session when sign-in begins.

Issue #3 adds here: the personal settings applied app-wide (theme, keymap,
language, idle minutes: :meth:`CsdeskApp.apply_settings`), the idle lock
(no key or mouse input for N minutes, or ctrl+l → ``LockScreen`` on top of
everything; other screens are held back until it is unlocked), and the
"resume your shift" offer at start when the keyring still holds the last
agent's refresh token.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.filter import LineFilter
from textual.notifications import Notification, SeverityLevel
from textual.screen import Screen
from textual.widget import AwaitMount

from csdesk.domain.desk_settings import DeskSettings
from csdesk.glyphs import glyph, is_linux_console, plain_symbols
from csdesk.i18n import current_language, detect_language, set_language, t
from csdesk.screens.stack import screen_hooks, tell_screens
from csdesk.themes import CUSTOM_THEMES, MONOCHROME, THEME_NAMES, monochrome_filters
from csdesk.widgets.bindings import key_hint, translate_bindings

if TYPE_CHECKING:
    from csdesk.services.secrets import SecretStore
    from csdesk.services.session import DeskSession

#: Seconds between two looks at the idle clock.
IDLE_CHECK_INTERVAL = 0.5

#: App actions switched off while the lock screen is up (nothing may open
#: over it but the sign-out question).
_LOCKED_ACTIONS = frozenset({"command_palette", "settings", "lock", "change_theme"})
#: App actions switched off while a key is being captured (so it can be captured).
_CAPTURE_ACTIONS = frozenset(
    {"command_palette", "settings", "lock", "sign_out", "toggle_help", "quit", "help_quit"}
)


def _plain_palette_glyphs(palette: CommandPalette) -> None:
    """Textual's command palette draws an emoji prompt and an ellipsis: on the
    Linux console, their plain stand-ins (``csdesk.glyphs``)."""
    from textual.command import CommandInput, SearchIcon

    for icon in palette.query(SearchIcon):
        icon.icon = glyph(icon.icon)
        icon.refresh()  # a var: no repaint of its own
    for field in palette.query(CommandInput):
        field.placeholder = plain_symbols(field.placeholder)


def is_alt_chord(key: str) -> bool:
    """``alt+x``, ``alt+shift+x``, ``meta+x`` …: a key with an alt/meta modifier."""
    return key.startswith(("alt+", "meta+"))


#: Seconds between two clean-ups of watchers left by removed widgets.
WATCHER_PRUNE_SECONDS = 20.0


class CsdeskApp(App[int]):
    """The agent desktop for one backend ``server_url``.

    ``data_dir`` holds the per-agent local stores. ``language`` (``zh-CN`` or
    ``en``: ``--lang``, else the config file's) is the terminal's language,
    ``LANG`` the fallback. After sign-in the agent's own saved language wins;
    an agent without one gets the terminal's language, never the language of
    the agent before them. A language picked on the login screen is kept for
    this run and saved as the choice of the agent who signs in next, never
    in the config file (which says only what its owner wrote there).
    """

    TITLE = "csdesk"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "sign_out", "app.quit", id="app.quit", priority=True, show=False),
        Binding("f10", "sign_out", "app.sign_out", id="app.sign_out"),
        Binding("f1", "toggle_help", "app.help", id="app.help"),
        Binding("ctrl+p", "command_palette", "app.palette", id="app.palette", show=False, priority=True),
        Binding("ctrl+l", "lock", "app.lock", id="app.lock", show=False, priority=True),
        Binding("ctrl+s", "settings", "app.settings", id="app.settings", show=False),
    ]

    def __init__(
        self,
        server_url: str,
        data_dir: Path,
        *,
        language: str | None = None,
        idle_lock_seconds: float | None = None,
    ) -> None:
        """``idle_lock_seconds`` overrides the agent's idle-lock minutes (tests)."""
        #: The terminal's language (``--lang``, config file, ``LANG``): for an
        #: agent without a language setting, and the login screen.
        self.start_language = set_language(detect_language(language))
        #: Picked in the palette on the login screen: for the agent signing in.
        self._language_choice: str | None = None
        super().__init__()
        translate_bindings(self)
        for theme in CUSTOM_THEMES:
            self.register_theme(theme)
        if self.no_color:
            self.theme = MONOCHROME.name  # until the agent's own choice is known
        self.server_url = server_url
        self.data_dir = data_dir
        self.session: DeskSession | None = None
        self.idle_lock_seconds = idle_lock_seconds
        #: The agent's settings as applied (defaults before sign-in).
        self.desk_settings = DeskSettings()
        self._settings_doc: dict[str, Any] = {}
        self._secrets: SecretStore | None = None
        #: ``time.monotonic()`` of the last key or mouse input.
        self.last_input = time.monotonic()
        #: True from the desk's opening until sign-out (the idle lock applies).
        self.at_desk = False
        self._held_screens: list[tuple[Screen[Any], Any]] = []
        #: Notifications raised while locked (or still up at the lock): shown after the unlock.
        self._held_notifications: list[Notification] = []
        self._pushing_over_lock = False
        #: A message that replaces the generic one when the session ends (end_session).
        self._end_message: str | None = None
        #: The agent's to-do count as last read from the local store (None:
        #: not yet); the desk keeps it fresh, the palette shows it.
        self.todo_count: int | None = None

    def on_mount(self) -> None:
        from csdesk.screens.login import LoginScreen

        self._watch_hangup()
        self.push_screen(LoginScreen())
        self.set_interval(IDLE_CHECK_INTERVAL, self._check_idle, name="idle-lock")
        # Every TextArea watches the app's theme and Textual keeps that watcher
        # after the widget is gone (csdesk.widgets.watchers): forget them now and
        # then, or each wrap-up form would stay in memory for the whole shift.
        self.set_interval(WATCHER_PRUNE_SECONDS, self.prune_watchers, name="prune-watchers")
        self.call_after_refresh(self._start_resume_check)

    def prune_watchers(self) -> int:
        """Drop the app's watchers left by removed widgets; returns how many."""
        from csdesk.widgets.watchers import prune_detached_watchers

        return prune_detached_watchers(self)

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
        import os

        from csdesk.api.errors import ApiError

        session = self.session
        if session is not None and session.profile is not None:
            try:
                await asyncio.wait_for(session.sign_out(), timeout=5.0)
            except (ApiError, asyncio.TimeoutError):
                pass
        await self._stop_sync()
        if self.session is not None:
            await self.session.close()
        # The terminal is gone: Textual's orderly shutdown would block writing
        # to it (seen with tmux kill-session). The store is closed and the
        # sign-out sent, so end the process here; a demo backend child sees
        # its parent gone and stops itself.
        os._exit(0)

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

            self.session = DeskSession(self.server_url, self.data_dir, secrets=self.secret_store())
        return self.session

    def secret_store(self) -> SecretStore:
        """The one refresh-token store of this process (keyring or memory)."""
        if self._secrets is None:
            from csdesk.services.secrets import SecretStore

            self._secrets = SecretStore()
        return self._secrets

    async def continue_sign_in(self) -> None:
        """After the password step: a required password change, then TOTP
        enrolment for an agent without one, else the code (guide §1.2–1.3)."""
        from csdesk.screens.enrol import EnrolScreen
        from csdesk.screens.mfa import MfaScreen
        from csdesk.screens.password_change import PasswordChangeScreen

        challenge = self.get_session().challenge
        if challenge is not None and challenge.password_change_required:

            def changed(ok: bool | None) -> None:
                if ok:
                    self.run_worker(self.continue_sign_in(), group="sign-in-flow", exclusive=True)

            await self.push_screen(PasswordChangeScreen(), changed)
        elif challenge is not None and not challenge.totp_enrolled:
            await self.switch_or_push(EnrolScreen())
        else:
            await self.switch_or_push(MfaScreen())

    async def switch_or_push(self, screen: Screen) -> None:
        """Replace a sign-in step screen on top (not the login screen), else push."""
        from csdesk.screens.login import LoginScreen

        if isinstance(self.screen, LoginScreen):
            await self.push_screen(screen)
        else:
            await self.switch_screen(screen)

    async def finish_sign_in(self) -> None:
        """The second factor passed: open the agent's store, then the desk.

        A store that cannot be opened (in use, corrupt) is shown on the
        current screen; unless it is merely in use by another csdesk of this
        agent, the sign-in is ended on the server too.
        """
        from csdesk.screens.errors import describe_error
        from csdesk.store.errors import StoreLockedError

        session = self.get_session()
        try:
            await session.open_store()
        except Exception as exc:
            message = describe_error(exc)
            for error in self.screen.query("#error"):
                from rich.text import Text

                error.update(Text(message, style="bold red"))
            self.notify(message, severity="error", timeout=30, markup=False)
            if not isinstance(exc, StoreLockedError):
                try:
                    await session.api.logout()
                except Exception:
                    pass
            return
        # The app owns the rest: the sign-in screens are removed on the way.
        self.run_worker(self.enter_desk(), group="enter-desk", exclusive=True)

    async def enter_desk(self) -> None:
        """After sign-in: desk underneath, unread announcements on top of it,
        then release notes, then the to-dos (when there are any).

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
        document = await session.settings()
        self.apply_settings(document)
        choice, self._language_choice = self._language_choice, None
        if choice and not DeskSettings.from_document(document).language:
            # Picked on the login screen by this agent: it becomes their own setting.
            self.change_settings({"language": choice})
        unread = await session.unread_announcements()
        desk = DeskScreen()
        self._held_screens.clear()
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        await self.push_screen(desk)
        # Guide §1.2: announcements, release notes, then to-dos. The to-dos
        # are read when the last of the others closes (acks change them).
        intro_done = self._todos_after_sign_in
        notes_shown = await self._release_notes_once(session, intro_done)
        if unread:
            await self.push_screen(AnnouncementsScreen(unread), None if notes_shown else intro_done)
        elif not notes_shown:
            intro_done(None)
        challenge = session.challenge
        if challenge is not None and challenge.password_expires_in_days is not None:
            self.notify(
                t("password.expires_soon", days=challenge.password_expires_in_days, key=key_hint(self, "app.palette")),
                severity="warning", timeout=20, markup=False,
            )
        assert session.sync is not None
        session.on_signed_out = self.signed_out_elsewhere
        session.on_settings = self.apply_settings
        self.last_input = time.monotonic()
        self.at_desk = True
        self.run_worker(session.sync.run_push(), group="sync", name="outbox-push")
        self.run_worker(session.make_follower().run(), group="sync", name="event-stream")
        self.run_worker(self._remember_sign_in(session), group="secrets")

    async def _release_notes_once(self, session: DeskSession, closed: Any = None) -> bool:
        """Show what is new in this version, once per agent (guide §1.2).

        ``closed(result)`` is called when the notes are closed. Returns
        whether they were shown.
        """
        from csdesk import __version__
        from csdesk.release_notes import notes_to_show
        from csdesk.screens.release_notes import ReleaseNotesScreen

        settings = await session.settings()
        seen = settings.get("release_notes_seen")
        entries = notes_to_show(__version__, seen if isinstance(seen, str) else None)
        if entries:
            await self.push_screen(ReleaseNotesScreen(entries), closed)
        if seen != __version__:
            await session.save_settings({"release_notes_seen": __version__})
        return bool(entries)

    # -- to-dos (operating guide §1.2) -------------------------------------------

    def _todos_after_sign_in(self, _result: object = None) -> None:
        """The sign-in pop-ups are closed: show the to-dos, unless there are none."""
        from csdesk.screens.todos import show_todos

        self.run_worker(show_todos(self, pop_up=True), group="todos", exclusive=True)

    def action_todos(self) -> None:
        """ctrl+t on the desk, or palette: the to-do list ("no to-dos" when empty)."""
        from csdesk.screens.todos import show_todos

        if self.at_desk and not self.locked:
            self.run_worker(show_todos(self), group="todos", exclusive=True)

    def _todos_help(self) -> str:
        """Palette help of "To-dos", with the count last read from the store."""
        from csdesk.screens.todos import todos_key

        key = todos_key(self)
        if self.todo_count is None:
            return t("cmd.todos.help", key=key)
        if self.todo_count == 0:
            return t("cmd.todos.help_none", key=key)
        return t("cmd.todos.help_count", count=self.todo_count, key=key)

    async def _remember_sign_in(self, session: DeskSession) -> None:
        """Keep the refresh token (keyring, else memory: said once, in one line)."""
        session.on_secret_notice = self._secret_notice
        await session.remember_sign_in()

    def _secret_notice(self, reason: str) -> None:
        """The refresh token can only be kept in memory: one line, once."""
        self.notify(t(f"secrets.{reason}"), severity="warning", timeout=15, markup=False)

    # -- personal settings ---------------------------------------------------

    def apply_settings(self, document: dict[str, Any]) -> None:
        """Apply the settings ``document`` (untrusted JSON object) app-wide:
        theme, keymap, language and idle-lock minutes; other keys are kept for
        the features that read them. Open screens with a ``settings_changed``
        method are told."""
        self._settings_doc = dict(document)
        settings = DeskSettings.from_document(
            document, max_idle_lock_minutes=self.max_idle_lock_minutes
        )
        if self.no_color and document.get("theme") != settings.theme:
            # No choice made (or an unusable one): colourless terminals get monochrome.
            settings = replace(settings, theme="monochrome")
        self.desk_settings = settings
        theme = THEME_NAMES[settings.theme]
        if self.theme != theme:
            self.theme = theme
        # The quick-phrase key (issue #5) is its own setting: the desk's binding
        # ``desk.phrases`` answers to it.
        self.set_keymap({**settings.keymap, "desk.phrases": settings.phrase_key})
        # The agent's own language, else the one picked on the login screen
        # just before, else the terminal's (not the previous agent's).
        language = settings.language or self._language_choice or self.start_language
        if language != current_language():
            self.switch_language(language)
        tell_screens(self, "settings_changed")

    @property
    def max_idle_lock_minutes(self) -> int:
        """The bank's longest idle lock, whole minutes: the backend's desk
        policy once signed in, else the client fallback (15)."""
        from csdesk.domain.desk_settings import MAX_IDLE_LOCK_MINUTES

        session = self.session
        known = session.max_idle_lock_minutes if session is not None else None
        return known or MAX_IDLE_LOCK_MINUTES

    def get_line_filters(self) -> list[LineFilter]:
        """Textual's output filters, plus greys only under the monochrome theme
        (``themes.monochrome_filters``: no colour reaches the terminal)."""
        return monochrome_filters(self, super().get_line_filters())

    def change_settings(self, changes: dict[str, Any]) -> None:
        """The agent changed ``changes`` (settings keys → new values): apply
        them now, then save them (local store at once, server via the outbox)."""
        self.apply_settings({**self._settings_doc, **changes})
        self.run_worker(self._save_settings(changes), group="settings")

    async def _save_settings(self, changes: dict[str, Any]) -> None:
        from csdesk.screens.errors import describe_error

        session = self.session
        if session is None or session.sync is None:
            return
        try:
            await session.save_settings(changes)
        except Exception as exc:  # the store failed: say so, keep the desk
            self.notify(t("settings.save_failed", error=describe_error(exc)), severity="error", markup=False)

    def action_settings(self) -> None:
        """ctrl+s or palette: the personal settings screen (signed in only)."""
        from csdesk.screens.settings import SettingsScreen

        if not self.at_desk or isinstance(self.screen, SettingsScreen):
            return
        self.push_screen(SettingsScreen())

    # -- idle lock -------------------------------------------------------------

    @property
    def idle_seconds(self) -> float:
        """Seconds without input before the lock: the test override, else the agent's minutes."""
        if self.idle_lock_seconds is not None:
            return self.idle_lock_seconds
        return self.desk_settings.idle_lock_minutes * 60.0

    @property
    def locked(self) -> bool:
        """True while the lock screen is in the screen stack."""
        from csdesk.screens.lock import LockScreen

        return any(isinstance(screen, LockScreen) for screen in self.screen_stack)

    async def on_event(self, event: events.Event) -> None:
        """Every key, mouse and paste event resets the idle clock.

        An alt chord is never text: a terminal sends alt+x as ESC x, which
        Textual reports as key ``alt+x`` *with* the character ``x``, so the
        focused field typed "x" instead of the key reaching its binding (in
        the composer, the wrap-up form, any input). The character is dropped
        here, once for every screen and widget.
        """
        if isinstance(event, (events.Key, events.MouseEvent, events.Paste)):
            self.last_input = time.monotonic()
        if isinstance(event, events.Key) and event.character and is_alt_chord(event.key):
            event.character = None
        await super().on_event(event)

    def _check_idle(self) -> None:
        if self.at_desk and not self.locked and time.monotonic() - self.last_input >= self.idle_seconds:
            self.action_lock()

    def action_lock(self) -> None:
        """ctrl+l (or idle): cover everything with the lock screen at once."""
        from csdesk.screens.lock import LockScreen

        session = self.session
        if not self.at_desk or self.locked or session is None or session.profile is None:
            return
        self._pushing_over_lock = True
        try:
            super().push_screen(LockScreen(session.profile.employee_id), self._unlocked)
        finally:
            self._pushing_over_lock = False
        # An offer ringing now shows on the lock screen as well (no customer data).
        for show in screen_hooks(self, "offer_to_lock_screen"):
            self.call_after_refresh(show)
        # Toasts still up (they may name a customer) go under the lock too.
        self._held_notifications.extend(self._notifications)
        self.clear_notifications()

    def _unlocked(self, _result: bool | None) -> None:
        """The lock screen was opened with the password: let held screens and
        notifications through."""
        self.last_input = time.monotonic()
        held, self._held_screens = self._held_screens, []
        for screen, callback in held:
            self.push_screen(screen, callback)
        notes, self._held_notifications = self._held_notifications, []
        for note in notes:
            self.notify(note.message, title=note.title, severity=note.severity, timeout=note.timeout, markup=note.markup)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """As ``App.notify``, except while locked: the notification is held and
        shown after the unlock (nothing but the lock screen's own lines may
        show over it: a toast could name a customer)."""
        if self.locked:
            self._held_notifications.append(
                Notification(
                    message, title, severity,
                    self.NOTIFICATION_TIMEOUT if timeout is None else timeout, markup=markup,
                )
            )
            return
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def push_screen(self, screen: Any, callback: Any = None, wait_for_dismiss: bool = False, **kwargs: Any) -> Any:
        """As ``App.push_screen``, except while locked: a screen pushed then
        (an announcement, a dialog) is held and shown after the unlock, so
        nothing opens over the lock screen but what it asks for itself."""
        if (
            self.locked
            and not self._pushing_over_lock
            and not wait_for_dismiss
            and isinstance(screen, Screen)
        ):
            self._held_screens.append((screen, callback))
            return AwaitMount(self.screen, [])
        result = super().push_screen(screen, callback, wait_for_dismiss, **kwargs)
        if isinstance(screen, CommandPalette) and is_linux_console():
            screen.call_after_refresh(_plain_palette_glyphs, screen)
        return result

    def push_over_lock(self, screen: Screen[Any], callback: Any = None) -> None:
        """Push ``screen`` even over the lock screen (the sign-out question)."""
        self._pushing_over_lock = True
        try:
            super().push_screen(screen, callback)
        finally:
            self._pushing_over_lock = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """App keys off while locked (palette, settings) or while a key is captured."""
        from csdesk.screens.key_capture import KeyCaptureScreen

        if isinstance(self.screen, KeyCaptureScreen) and action in _CAPTURE_ACTIONS:
            return False
        if action in _LOCKED_ACTIONS and self.locked:
            return False
        return True

    # -- resume the shift (refresh token kept in the keyring) -----------------

    def _start_resume_check(self) -> None:
        self.run_worker(self._offer_resume(), group="resume", exclusive=True)

    async def _offer_resume(self) -> None:
        """At start: when this backend's last agent still has a kept refresh
        token, ask "Resume your shift as A1001?" over the login screen."""
        from csdesk.screens.login import LoginScreen

        session = await self.load_session()
        try:
            eid = await session.resumable_agent()
        except Exception:  # a broken keyring or file only means no offer
            return
        screen = self.screen
        if eid is None or not isinstance(screen, LoginScreen) or self.session is not session:
            return
        if any(getattr(field, "value", "") for field in screen.query("Input")):
            return  # the agent already started typing: do not get in the way
        from csdesk.screens.confirm import ConfirmScreen

        def answer(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._resume(eid), group="resume", exclusive=True)

        self.push_screen(
            ConfirmScreen(lambda: t("resume.question", eid=eid), yes=lambda: t("resume.yes"),
                          no=lambda: t("resume.no")),
            answer,
        )

    async def _resume(self, employee_id: str) -> None:
        """Resume: ``POST /auth/refresh`` with the kept token, then the same
        path as after MFA (:meth:`finish_sign_in`: store, desk). A failure
        leaves the login screen with one line saying why."""
        from csdesk.screens.errors import describe_error

        session = self.get_session()
        self._login_line(t("resume.resuming", eid=employee_id), style="dim")
        try:
            await session.resume(employee_id)
        except Exception as exc:
            self._login_line(t("resume.failed", error=describe_error(exc)))
            return
        self._login_line("")
        await self.finish_sign_in()

    def _login_line(self, message: str, style: str = "bold red") -> None:
        """Write ``message`` in the ``#error`` line of the current screen, if any."""
        from rich.text import Text

        for widget in self.screen.query("#error"):
            widget.update(Text(message, style=style))

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

        def question() -> str:
            """Live work in hand (a contact, a ringing offer): say what becomes of it
            (worded again after a language switch)."""
            asked = t("signout.confirm")
            for screen in self.screen_stack:
                warning = getattr(screen, "sign_out_warning", None)
                said = warning() if warning is not None else None
                if said:
                    asked = said
            return asked

        # With live work in hand a stray Enter must not end the customer's contact.
        live_work = question() != t("signout.confirm")
        self.push_over_lock(ConfirmScreen(question, default=not live_work), done)

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

            error = str(exc)
            self.push_over_lock(
                ConfirmScreen(lambda: t("signout.failed", error=error), yes=lambda: t("signout.quit_anyway")),
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
        self.at_desk = False
        await self._stop_sync()
        if self.session is not None:
            await self.session.close()
        self.exit(0)

    def signed_out_elsewhere(self) -> None:
        """The server ended this session (signed out on another terminal, or
        revoked): say so and go back to the login screen. Queued changes stay
        in the store and are sent at the next sign-in."""
        self.run_worker(self._back_to_login(t("signout.elsewhere")), group="sign-out", exclusive=True)

    def end_session(self, message: str) -> None:
        """The backend ended this sign-in for a reason the caller words in
        ``message`` (e.g. the account locked at the idle lock): back to the
        login screen, saying it. If the return to the login screen is already
        under way (the event stream saw the session end first), that one
        shows ``message`` instead of its own."""
        self._end_message = message
        if any(w.group == "sign-out" and not w.is_finished for w in self.workers):
            return
        self.run_worker(self._back_to_login(message), group="sign-out", exclusive=True)

    async def _back_to_login(self, message: str, on_form: bool = False) -> None:
        """Stop sync, end the session quietly, show a new login screen and
        ``message`` (a notification; also its error line when ``on_form``)."""
        from csdesk.screens.login import LoginScreen

        self.at_desk = False
        self._held_screens.clear()
        self._held_notifications.clear()  # the last agent's: not for the next one
        self.todo_count = None
        await self._stop_sync()
        if self.session is not None:
            session, self.session = self.session, None
            await session.revoke_quietly()
            await session.close()
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        # The next agent starts from this terminal's defaults, not the last agent's.
        self._language_choice = None
        self.apply_settings({})
        await self.push_screen(LoginScreen())
        if self._end_message is not None:
            message, self._end_message, on_form = self._end_message, None, True
        if on_form:
            self._login_line(message)
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
        if self.at_desk:
            yield SystemCommand(t("cmd.todos"), self._todos_help(), self.action_todos)
            yield SystemCommand(t("cmd.settings"), t("cmd.settings.help", key=key_hint(self, "app.settings")), self.action_settings)
            yield SystemCommand(t("cmd.lock"), t("cmd.lock.help", key=key_hint(self, "app.lock")), self.action_lock)
        yield SystemCommand(t("cmd.theme"), t("cmd.theme.help"), self.action_change_theme)
        yield SystemCommand(t("cmd.sign_out"), t("cmd.sign_out.help", key=key_hint(self, "app.sign_out")), self.action_sign_out)

    def action_change_theme(self) -> None:
        """Palette "Theme": only the desk's four themes; the choice is saved to
        the agent's settings like the settings screen's (replaces Textual's
        list of every registered theme)."""
        from csdesk.screens.settings import theme_commands

        self.search_commands(theme_commands(self), placeholder=t("cmd.theme.placeholder"))

    def _toggle_language(self) -> None:
        from csdesk.i18n import current_language

        target = "en" if current_language() == "zh-CN" else "zh-CN"
        session = self.session
        if self.at_desk and session is not None and session.sync is not None:
            self.change_settings({"language": target})
        else:
            # Not signed in: for this run, and for the agent who signs in next
            # (saved as their setting then). Never written to the config file:
            # the next agent on this terminal would inherit it.
            self._language_choice = target
            self.switch_language(target)
