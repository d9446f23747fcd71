"""Personal settings (operating guide §1.3, issue #3): ctrl+s or the palette.

Theme, language, new-offer alert, idle-lock minutes, quick-phrase list key,
and the key of every binding by its id. Each change is applied at once and
saved through ``CsdeskApp.change_settings`` (local store first, then the
outbox to ``PUT /me/settings``), so it follows the agent to another terminal.
The command palette's "Theme" list (:func:`theme_commands`) saves through
the same call.

The idle lock offers 1..the bank's maximum (``GET /auth/desk-policy``,
``CsdeskApp.max_idle_lock_minutes``), shown beside the list; a longer value
is refused with a message (:meth:`SettingsScreen.set_idle_minutes`).

Keyboard: Tab / shift+Tab between controls; Enter or ↓ opens a choice list;
in the key table Enter asks for the new key and Delete goes back to the
default; Esc closes. Fits 80×24 (the key table scrolls).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.command import SimpleCommand
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Label, Select, Static

from csdesk.domain import desk_settings as ds
from csdesk.i18n import current_language, t
from csdesk.widgets.bindings import translate_bindings
from csdesk.widgets.select_options import SafeSelect, replace_options
from csdesk.widgets.texts import apply_texts
from csdesk.widgets.footer import Footer

if TYPE_CHECKING:
    from csdesk.app import CsdeskApp

#: Binding ids that are not offered for remapping (Enter on the login form
#: moves focus before the next typed key: it must stay Enter; the quick-phrase
#: list's key is the phrase-key setting of its own, issue #5).
NOT_REMAPPABLE = frozenset({"login.enter", "desk.phrases"})
#: The binding the phrase-key setting gives its key to.
PHRASE_BINDING_ID = "desk.phrases"

#: Scope of the app's own bindings: they are active on every screen.
APP_SCOPE = "app"
#: Scope the quick-phrase key is checked against (with the app's keys).
PHRASE_SCOPE = "DeskScreen"


@dataclass(frozen=True)
class BindingInfo:
    """A remappable binding: ``binding_id``, its ``scope`` (``"app"`` or the
    screen class name) and its ``default`` key string (``"f2"``, ``"escape,n"``)."""

    binding_id: str
    scope: str
    default: str


def binding_owners() -> list[tuple[str, type]]:
    """``(scope, class)`` of everything that declares bindings: the app
    (scope ``"app"``), then each screen of ``csdesk.screens`` (scope = its
    class name).

    Screens are found by importing the modules of ``csdesk.screens`` (a
    module that fails to import is skipped), so a new screen's bindings
    appear without a list to maintain.
    """
    from textual.app import App

    import csdesk.screens
    from csdesk.app import CsdeskApp

    for module in pkgutil.iter_modules(csdesk.screens.__path__):
        try:
            importlib.import_module(f"csdesk.screens.{module.name}")
        except Exception:
            continue
    owners: list[tuple[str, type]] = [(APP_SCOPE, CsdeskApp)]
    seen: set[type] = set()
    stack = list(Screen.__subclasses__())
    while stack:
        cls = stack.pop(0)
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("csdesk.screens.") and not issubclass(cls, App):
            owners.append((cls.__name__, cls))
    return owners


def binding_catalogue() -> list[BindingInfo]:
    """Every remappable binding (with an id, not in :data:`NOT_REMAPPABLE`),
    in :func:`binding_owners` order, each id once."""
    result: list[BindingInfo] = []
    ids: set[str] = set()
    for scope, cls in binding_owners():
        for binding in cls.__dict__.get("BINDINGS", ()):
            if not isinstance(binding, Binding) or not binding.id:
                continue
            if binding.id in NOT_REMAPPABLE or binding.id in ids:
                continue
            ids.add(binding.id)
            result.append(BindingInfo(binding.id, scope, binding.key))
    return result


def keys_of(info: BindingInfo, keymap: Mapping[str, str]) -> list[str]:
    """The keys ``info`` answers to under ``keymap`` (its default when not remapped)."""
    return [k.strip() for k in (keymap.get(info.binding_id) or info.default).split(",") if k.strip()]


def find_conflict(
    binding_id: str | None,
    scope: str,
    key: str,
    catalogue: Iterable[BindingInfo],
    keymap: Mapping[str, str],
) -> BindingInfo | None:
    """The binding already answering to ``key`` where ``scope`` is active, or None.

    Two bindings clash when they share a key and either is the app's (active
    everywhere) or both belong to the same screen. ``binding_id`` (the one
    being changed) is not compared with itself.
    """
    for other in catalogue:
        if other.binding_id == binding_id:
            continue
        if scope == APP_SCOPE or other.scope == APP_SCOPE or other.scope == scope:
            if key in keys_of(other, keymap):
                return other
    return None


def choose_theme(app: CsdeskApp, name: str) -> None:
    """Make ``name`` (one of ``desk_settings.THEMES``) the agent's theme: applied
    now and saved like every settings change (``CsdeskApp.change_settings``:
    local store, then the outbox). Choosing the current theme saves nothing.
    Raises ``ValueError`` for a name outside ``THEMES``."""
    if name not in ds.THEMES:
        raise ValueError(f"unknown theme {name!r}")
    if app.desk_settings.theme != name:
        app.change_settings({ds.THEME: name})


def theme_commands(app: CsdeskApp) -> list[SimpleCommand]:
    """The command palette's theme list: the desk's four themes (translated
    names, in ``desk_settings.THEMES`` order; the current one says so), each
    calling :func:`choose_theme`."""
    current = app.desk_settings.theme
    return [
        SimpleCommand(
            t(f"settings.theme.{name}"),
            partial(choose_theme, app, name),
            t("cmd.theme.current") if name == current else None,
        )
        for name in ds.THEMES
    ]


#: Message id of each reason :func:`desk_settings.idle_minutes_problem` gives.
_IDLE_PROBLEMS = {
    "not-whole-minutes": "settings.idle_not_whole",
    "below-one": "settings.idle_below_one",
    "above-maximum": "settings.idle_above_max",
}


class SettingsScreen(Screen[None]):
    """The agent's personal settings; every change is saved at once."""

    CSS_PATH = "settings.tcss"
    BINDINGS = [
        Binding("escape", "close", "settings.close", id="settings.close"),
        Binding("delete", "reset_key", "settings.reset_key", id="settings.reset_key"),
    ]

    TEXTS = {
        "#title": "settings.title",
        "#label-theme": "settings.theme",
        "#label-language": "settings.language",
        "#label-offer-alert": "settings.offer_alert",
        "#label-idle": "settings.idle_minutes",
        "#label-phrase-key": "settings.phrase_key",
        "#keys-title": "settings.keys_title",
    }

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.catalogue = binding_catalogue()
        #: The bank's maximum the idle list was last built for.
        self._idle_maximum = 0

    # -- layout ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        settings = self.app.desk_settings
        yield Static(id="title")
        with Vertical(id="general"):
            with Horizontal(classes="row"):
                yield Label(id="label-theme", classes="label")
                yield SafeSelect(self._theme_options(), id="theme", allow_blank=False, compact=True, value=settings.theme)
            with Horizontal(classes="row"):
                yield Label(id="label-language", classes="label")
                yield SafeSelect(
                    self._language_options(), id="language", allow_blank=False, compact=True,
                    value=settings.language or current_language(),
                )
            with Horizontal(classes="row"):
                yield Label(id="label-offer-alert", classes="label")
                yield SafeSelect(
                    self._alert_options(), id="offer-alert", allow_blank=False, compact=True,
                    value=settings.offer_alert,
                )
            with Horizontal(classes="row"):
                yield Label(id="label-idle", classes="label")
                yield SafeSelect(
                    self._idle_options(), id="idle", allow_blank=False, compact=True,
                    value=settings.idle_lock_minutes,
                )
                yield Label(id="idle-max", classes="hint")
            with Horizontal(classes="row"):
                yield Label(id="label-phrase-key", classes="label")
                yield Button("", id="phrase-key", compact=True)
        yield Static(id="keys-title")
        yield DataTable(id="keys", cursor_type="row", zebra_stripes=True)
        yield Static("", id="status")
        yield Footer()

    @staticmethod
    def _theme_options() -> list[tuple[str, str]]:
        return [(t(f"settings.theme.{name}"), name) for name in ds.THEMES]

    @staticmethod
    def _language_options() -> list[tuple[str, str]]:
        return [(t(f"settings.language.{code}"), code) for code in ds.LANGUAGES]

    @staticmethod
    def _alert_options() -> list[tuple[str, str]]:
        return [(t(f"settings.alert.{name}"), name) for name in ds.OFFER_ALERTS]

    def _idle_options(self) -> list[tuple[str, int]]:
        self._idle_maximum = self.app.max_idle_lock_minutes
        return [(str(n), n) for n in range(1, self._idle_maximum + 1)]

    def _show_idle(self) -> None:
        """The idle list up to the bank's maximum, its hint, and the applied value."""
        maximum = self.app.max_idle_lock_minutes
        self.query_one("#idle-max", Label).update(t("settings.idle_max", maximum=maximum))
        select = self.query_one("#idle", Select)
        value = self.app.desk_settings.idle_lock_minutes
        with self.prevent(Select.Changed):
            if self._idle_maximum != maximum:
                select.set_options(self._idle_options())
            if select.value != value:
                select.value = value

    def on_mount(self) -> None:
        apply_texts(self, self.TEXTS)
        self._show_idle()
        self._fill_keys()
        self._show_phrase_key()
        self.query_one("#theme", Select).focus()

    def retranslate(self) -> None:
        """Relabel in the current language; values, focus and the table row stay."""
        apply_texts(self, self.TEXTS)
        for select_id, options in (
            ("#theme", self._theme_options()),
            ("#language", self._language_options()),
            ("#offer-alert", self._alert_options()),
        ):
            replace_options(self.query_one(select_id, Select), options)
        self._show_idle()
        self._fill_keys()
        self._show_phrase_key()

    def settings_changed(self) -> None:
        """The settings changed elsewhere (another terminal): show the new values."""
        settings = self.app.desk_settings
        values = {
            "#theme": settings.theme,
            "#language": settings.language or current_language(),
            "#offer-alert": settings.offer_alert,
        }
        with self.prevent(Select.Changed):
            for select_id, value in values.items():
                select = self.query_one(select_id, Select)
                if select.value != value:
                    select.value = value
        self._show_idle()
        self._fill_keys()
        self._show_phrase_key()

    def _key_label(self, keys: str) -> str:
        return ", ".join(self.app.get_key_display(Binding(k.strip(), "")) for k in keys.split(",") if k.strip())

    def _fill_keys(self) -> None:
        table = self.query_one("#keys", DataTable)
        row = table.cursor_row
        keymap = self.app.desk_settings.keymap
        table.clear(columns=True)
        table.add_column(t("settings.col.action"), width=26, key="action")
        table.add_column(t("settings.col.key"), width=12, key="key")
        table.add_column(t("settings.col.id"), key="id")
        for info in self.catalogue:
            keys = ",".join(keys_of(info, keymap))
            key_text = Text(self._key_label(keys))
            if info.binding_id in keymap:
                key_text.stylize("bold")
            table.add_row(
                Text(t(f"key.{info.binding_id}")), key_text, Text(info.binding_id, style="dim"),
                key=info.binding_id,
            )
        if self.catalogue:
            table.move_cursor(row=min(max(row, 0), len(self.catalogue) - 1), animate=False)

    def _show_phrase_key(self) -> None:
        key = self.app.desk_settings.phrase_key
        self.query_one("#phrase-key", Button).label = t("settings.change_key", key=self._key_label(key))

    def _status(self, message: str, style: str = "") -> None:
        self.query_one("#status", Static).update(Text(message, style=style))

    # -- changes -----------------------------------------------------------

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        fields = {
            "theme": ds.THEME,
            "language": ds.LANGUAGE,
            "offer-alert": ds.OFFER_ALERT,
            "idle": ds.IDLE_LOCK_MINUTES,
        }
        name = fields.get(event.select.id or "")
        if name is None or event.value == Select.NULL:
            return
        if name == ds.IDLE_LOCK_MINUTES:
            self.set_idle_minutes(event.value)
            return
        settings = self.app.desk_settings
        current = {
            ds.THEME: settings.theme,
            ds.LANGUAGE: settings.language or current_language(),
            ds.OFFER_ALERT: settings.offer_alert,
            ds.IDLE_LOCK_MINUTES: settings.idle_lock_minutes,
        }[name]
        if event.value == current:
            return
        self.app.change_settings({name: event.value})
        self._status(t("settings.saved"), style="green")

    def set_idle_minutes(self, minutes: object) -> bool:
        """Make ``minutes`` (whole minutes) the idle lock, within 1..the bank's maximum.

        The one way this screen changes the idle lock (the list calls it). A
        value outside (e.g. 12 when the backend's desk policy allows 10) is
        refused: the status line says why and what the maximum is, the list
        keeps the current value, and nothing is saved. Returns True when the
        value is allowed (saved, or already the current one), else False.
        """
        maximum = self.app.max_idle_lock_minutes
        problem = ds.idle_minutes_problem(minutes, maximum)
        if problem is not None:
            message = t(_IDLE_PROBLEMS[problem], minutes=minutes, maximum=maximum)
            self._status(message, style="bold red")
            self._show_idle()
            return False
        if minutes != self.app.desk_settings.idle_lock_minutes:
            self.app.change_settings({ds.IDLE_LOCK_MINUTES: minutes})
            self._status(t("settings.saved"), style="green")
        return True

    @on(DataTable.RowSelected, "#keys")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        binding_id = event.row_key.value
        if binding_id:
            self.edit_key(binding_id)

    def _info(self, binding_id: str) -> BindingInfo | None:
        return next((i for i in self.catalogue if i.binding_id == binding_id), None)

    def edit_key(self, binding_id: str) -> None:
        """Ask for the new key of ``binding_id`` and save it (Esc keeps the old one)."""
        info = self._info(binding_id)
        if info is None:
            return
        from csdesk.screens.key_capture import KeyCaptureScreen

        def chosen(key: str | None) -> None:
            if key is not None:
                self._set_binding_key(info, key)

        def prompt() -> str:
            return t("settings.press_key", action=t(f"key.{binding_id}"), id=binding_id)

        self.app.push_screen(KeyCaptureScreen(prompt), chosen)

    def _refuse(self, key: str) -> str | None:
        """Why ``key`` cannot be used, or None."""
        if not ds.is_valid_key(key):
            return t("settings.key_invalid", key=key)
        if key in ds.RESERVED_KEYS:
            return t("settings.key_reserved", key=self._key_label(key))
        return None

    def _key_problem(
        self, binding_id: str | None, scope: str, key: str, keymap: dict[str, str]
    ) -> str | None:
        """Why ``key`` cannot go to ``binding_id`` (None: the phrase key), or None if it can."""
        problem = self._refuse(key)
        if problem is not None:
            return problem
        if binding_id is not None and scope in (APP_SCOPE, PHRASE_SCOPE) and key == self.app.desk_settings.phrase_key:
            # The quick-phrase list has this key (a setting of its own, not in the catalogue).
            return t("settings.key_taken", key=self._key_label(key), action=t(f"key.{PHRASE_BINDING_ID}"),
                     id=PHRASE_BINDING_ID)
        clash = find_conflict(binding_id, scope, key, self.catalogue, keymap)
        if clash is None:
            return None
        return t(
            "settings.key_taken", key=self._key_label(key),
            action=t(f"key.{clash.binding_id}"), id=clash.binding_id,
        )

    def _set_binding_key(self, info: BindingInfo, key: str) -> None:
        keymap = dict(self.app.desk_settings.keymap)
        problem = self._key_problem(info.binding_id, info.scope, key, keymap)
        if problem is not None:
            self._status(problem, style="bold red")
            return
        if key == info.default:
            keymap.pop(info.binding_id, None)
        else:
            keymap[info.binding_id] = key
        self.app.change_settings({ds.KEYMAP: keymap})
        self._fill_keys()
        self._status(t("settings.key_saved", action=t(f"key.{info.binding_id}"), key=self._key_label(key)), style="green")

    def action_reset_key(self) -> None:
        """Delete: the highlighted binding goes back to its default key."""
        table = self.query_one("#keys", DataTable)
        if self.focused is not table or not self.catalogue:
            return
        info = self.catalogue[table.cursor_row]
        keymap = dict(self.app.desk_settings.keymap)
        if info.binding_id not in keymap:
            return
        del keymap[info.binding_id]
        clash = next(
            (k for k in keys_of(info, keymap) if find_conflict(info.binding_id, info.scope, k, self.catalogue, keymap)),
            None,
        )
        if clash is not None:
            self._status(t("settings.key_taken_default", key=self._key_label(clash)), style="bold red")
            return
        self.app.change_settings({ds.KEYMAP: keymap})
        self._fill_keys()
        self._status(t("settings.key_reset", action=t(f"key.{info.binding_id}")), style="green")

    @on(Button.Pressed, "#phrase-key")
    def _phrase_key(self, event: Button.Pressed) -> None:
        event.stop()
        from csdesk.screens.key_capture import KeyCaptureScreen

        def chosen(key: str | None) -> None:
            if key is None:
                return
            problem = self._key_problem(None, PHRASE_SCOPE, key, self.app.desk_settings.keymap)
            if problem is not None:
                self._status(problem, style="bold red")
                return
            self.app.change_settings({ds.PHRASE_KEY: key})
            self._show_phrase_key()
            self._status(t("settings.saved"), style="green")

        self.app.push_screen(KeyCaptureScreen(lambda: t("settings.press_phrase_key")), chosen)

    def action_close(self) -> None:
        """Esc: back to where the agent was."""
        self.dismiss()

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Settings entries of the command palette."""
        yield SystemCommand(t("cmd.close_settings"), t("cmd.close_settings.help"), self.action_close)
