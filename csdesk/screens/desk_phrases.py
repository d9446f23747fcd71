"""Quick phrases on the desk: ``/code`` + Tab, the phrase list, the editor (issue #5).

A mixin of :class:`csdesk.screens.desk.DeskScreen` (beside the live-session
and knowledge mixins), for operating guide §1.3 (personal quick phrases) and
§3.4 (quick phrases and templates adapted to the contact):

* On the desk's mount the signed-in agent's
  :class:`csdesk.services.phrases.PhraseService` reads the team's and the
  agent's phrases from the local store (a worker), and again whenever sync
  reports a change of ``team_phrases`` / ``my_phrases`` (open editors are
  told: ``phrases_changed``).
* The composer's :attr:`~csdesk.widgets.composer.Composer.expander` is set
  here: ``/code`` + Tab expands the phrase with that code (the agent's own
  first) with its known placeholders filled from the agent and the contact
  in hand (:func:`csdesk.services.phrases.placeholder_context`).
* The quick-phrase key (binding ``desk.phrases``; F6 unless the agent chose
  another in settings, ``phrase_key``; priority: the composer's TextArea
  binds f6 itself) and the palette open
  :class:`csdesk.screens.phrase_picker.PhrasePickerScreen`; the phrase picked
  goes into the composer at the cursor. From there (ctrl+o) or the palette,
  :class:`csdesk.screens.phrase_editor.PhraseEditorScreen` edits the
  agent's own phrases.
* Enter refused for placeholders left in the composer
  (:class:`~csdesk.widgets.composer.Composer.Blocked`) is also said in a
  toast that names them.

Message handlers here run in addition to the desk's own (Textual calls the
handler of every class in the MRO that defines one).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import SystemCommand
from textual.binding import Binding

from csdesk.domain.desk_settings import DEFAULT_PHRASE_KEY
from csdesk.domain.phrases import PHRASE_COLLECTIONS
from csdesk.i18n import t
from csdesk.screens.stack import reload_then_tell
from csdesk.widgets.bindings import key_hint

if TYPE_CHECKING:
    from csdesk.domain.phrases import PlaceholderContext
    from csdesk.services.phrases import PhraseService

#: The quick-phrase key. Its key is the ``phrase_key`` setting (the app puts it
#: in the keymap under this id), so it is not offered in the settings' key table.
#: Not in the footer (at 80 columns it would push F10 out during a contact):
#: the empty composer's hint names it, and so do F1 and the palette.
PHRASE_BINDINGS = [
    Binding(DEFAULT_PHRASE_KEY, "phrases", "desk.phrases", id="desk.phrases", priority=True, show=False),
]


class PhraseDeskMixin:
    """Quick-phrase behaviour of the desk screen (see the module docstring).

    The screen calls :meth:`init_phrases` in ``__init__`` and
    :meth:`start_phrases` on mount, and yields :meth:`phrase_palette_commands`
    in its palette. Read: :attr:`phrase_service` (None before sign-in is done).
    """

    app: Any

    def init_phrases(self) -> None:
        """Set the quick-phrase fields (no I/O)."""
        self._phrases: PhraseService | None = None

    @property
    def phrase_service(self) -> PhraseService | None:
        """The agent's phrase service (made on first use; None without a store)."""
        if self._phrases is None:
            session = getattr(self.app, "session", None)
            if session is None or session.sync is None:
                return None
            from csdesk.services.phrases import PhraseService

            self._phrases = PhraseService(session.sync)
        return self._phrases

    def start_phrases(self) -> None:
        """Hook the composer's ``/code`` expansion and read the phrases."""
        from csdesk.widgets.live_contact import LiveContact

        getattr(self, "query_one")(LiveContact).composer.expander = self._expand_code
        self.reload_phrases()

    @work(group="phrases-load", exclusive=True)
    async def reload_phrases(self) -> None:
        """Read the phrases from the local store again (in a thread), then tell open screens."""
        await reload_then_tell(self.app, self.phrase_service, "phrases_changed", skip=self)

    def on_desk_screen_collection_changed(self, message: Any) -> None:
        if message.name in PHRASE_COLLECTIONS:
            self.reload_phrases()

    # -- expansion -------------------------------------------------------------

    def phrase_context(self) -> PlaceholderContext:
        """The values of the known placeholders now (agent, contact in hand, today)."""
        from csdesk.services.phrases import placeholder_context

        session = self.app.get_session()
        profile = session.profile
        return placeholder_context(
            agent_id=profile.employee_id if profile is not None else session.employee_id,
            agent_name=profile.name if profile is not None else None,
            contact=session.contact.contact,
            today=date.today(),
        )

    def _expand_code(self, code: str) -> str | None:
        """The composer's ``/code`` + Tab: the phrase's text, filled; None if unknown."""
        from csdesk.services.phrases import expand

        service = self.phrase_service
        phrase = service.book.by_code(code) if service is not None else None
        if phrase is None:
            return None
        return expand(phrase, self.phrase_context())

    def on_composer_blocked(self, message: Any) -> None:
        message.stop()
        self.notify(t("phrases.blocked", tokens=", ".join(message.tokens)),  # type: ignore[attr-defined]
                    severity="warning", markup=False)

    # -- the list and the editor ---------------------------------------------------

    def _composer_open(self) -> bool:
        """True when the composer of a contact in hand can take a phrase."""
        from csdesk.widgets.live_contact import LiveContact

        live = getattr(self, "query_one")(LiveContact)
        return bool(live.display) and live.contact is not None and not live.composer.input.read_only

    def action_phrases(self) -> None:
        """The quick-phrase key: the phrase list; the pick goes into the composer."""
        from csdesk.screens.phrase_picker import PhrasePick, PhrasePickerScreen
        from csdesk.services.phrases import expand
        from csdesk.widgets.live_contact import LiveContact

        service = self.phrase_service
        if service is None or any(isinstance(s, PhrasePickerScreen) for s in self.app.screen_stack):
            return

        def picked(pick: PhrasePick | None) -> None:
            if pick is None:
                return
            if pick.action == "edit":
                self.action_phrase_editor()
            elif pick.phrase is not None and self._composer_open():
                composer = getattr(self, "query_one")(LiveContact).composer
                composer.insert_phrase(expand(pick.phrase, self.phrase_context()))

        self.app.push_screen(
            PhrasePickerScreen(service.book, self.phrase_context(), can_insert=self._composer_open()), picked
        )

    def action_phrase_editor(self) -> None:
        """Palette (or ctrl+o in the list): the editor of the agent's own phrases."""
        from csdesk.screens.phrase_editor import PhraseEditorScreen

        service = self.phrase_service
        if service is None or any(isinstance(s, PhraseEditorScreen) for s in self.app.screen_stack):
            return
        self.app.push_screen(PhraseEditorScreen(service))

    def phrase_palette_commands(self) -> Iterable[SystemCommand]:
        """Palette entries: the phrase list and the editor."""
        yield SystemCommand(t("cmd.phrases"), t("cmd.phrases.help", key=key_hint(self, "desk.phrases")),  # type: ignore[arg-type]
                            self.action_phrases)
        yield SystemCommand(t("cmd.phrase_editor"), t("cmd.phrase_editor.help"), self.action_phrase_editor)
