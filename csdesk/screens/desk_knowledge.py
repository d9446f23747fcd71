"""Knowledge on the desk: the index, suggestions during a contact, F3 (issue #5).

A mixin of :class:`csdesk.screens.desk.DeskScreen` (beside
:class:`csdesk.screens.desk_live.LiveDeskMixin`), for operating guide §2.2
("answer from the knowledge base") and §3.1 ("read updates"):

* **The index.** On the desk's mount the signed-in agent's
  :class:`csdesk.services.knowledge.KnowledgeService` builds its index from
  the local store in a worker (threads inside), and brings it up to date
  each time sync reports a change of the ``knowledge`` collection; open
  knowledge screens are told (``knowledge_changed``), and the agent gets a
  toast naming how many articles changed. The backend does not push a
  knowledge event yet, so the desk also pulls ``knowledge`` every
  :data:`KB_PULL_SECONDS` (an empty page when nothing changed).
* **Suggestions.** While a contact is in hand, each customer line (chat
  message or phone caption) asks the index for up to :data:`SUGGEST_COUNT`
  articles answering the last :data:`SUGGEST_LINES` customer lines (in a
  worker; an answer overtaken by a newer line is dropped). They show on one
  line over the composer (:class:`csdesk.widgets.kb_suggestions.KbSuggestionBar`)
  and in open knowledge screens (``suggestions_changed``).
* **F3 / alt+i** (binding id ``desk.knowledge``; palette "Knowledge base")
  opens :class:`csdesk.screens.knowledge.KnowledgeScreen`, on the
  suggestions when there are any. An article's summary or link line chosen
  there comes back as an ``ArticleInsert`` and goes into the composer (not
  sent: the agent reads it and presses Enter, so it takes the desk's normal
  send path and the transcript and checklist record it). Text already in
  the composer is kept: the article's text goes on a new line after it.

Message handlers here (``on_contact_changed``,
``on_desk_screen_collection_changed``) run in addition to those of the
desk and of ``LiveDeskMixin``: Textual calls the handler of every class in
the MRO that defines one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import SystemCommand
from textual.binding import Binding

from csdesk.i18n import t
from csdesk.screens.stack import tell_screens
from csdesk.widgets.bindings import key_hint

if TYPE_CHECKING:
    from csdesk.screens.kb_article import ArticleInsert
    from csdesk.search import Hit
    from csdesk.services.knowledge import KnowledgeService

_log = logging.getLogger(__name__)

#: Keys of the knowledge features on the desk (descriptions ``key.desk.*``).
#: Priority: the composer's TextArea would otherwise take them.
KNOWLEDGE_BINDINGS = [
    Binding("f3,alt+i", "knowledge", "desk.knowledge", id="desk.knowledge", priority=True),
]

#: Seconds between two pulls of the knowledge collection while the desk is up.
KB_PULL_SECONDS = 300.0
#: Customer lines a suggestion is made from (the latest ones).
SUGGEST_LINES = 3
#: Most articles suggested.
SUGGEST_COUNT = 3
#: Transcript line kinds that carry the customer's words.
_CUSTOMER_KINDS = ("message", "caption")


class KnowledgeDeskMixin:
    """Knowledge behaviour of the desk screen (see the module docstring).

    The screen calls :meth:`init_knowledge` in ``__init__`` and
    :meth:`start_knowledge` on mount, and yields
    :meth:`knowledge_palette_commands` in its palette. Read:
    :attr:`kb_suggestions` (the hits shown now).
    """

    app: Any

    def init_knowledge(self) -> None:
        """Set the knowledge fields (no I/O)."""
        #: The articles suggested now (best first).
        self.kb_suggestions: list[Hit] = []
        #: The contact and customer lines the suggestions were made for.
        self._kb_for: tuple[str | None, tuple[str, ...]] = (None, ())
        self._kb_seq = 0
        #: The contact id and status last seen (open screens are told when they change).
        self._kb_contact_state: tuple[str | None, str | None] = (None, None)

    def knowledge(self) -> KnowledgeService | None:
        """The signed-in agent's knowledge service (None once the store is closed)."""
        from csdesk.services.knowledge import knowledge_service

        try:
            return knowledge_service(self.app.get_session())
        except RuntimeError:
            return None

    def start_knowledge(self) -> None:
        """Build the index (worker) and pull the knowledge base now and then."""
        self._kb_load()
        getattr(self, "set_interval")(KB_PULL_SECONDS, self._kb_pull, name="kb-pull")

    # -- the index --------------------------------------------------------------

    @work(group="kb-load")
    async def _kb_load(self) -> None:
        """Bring the index in step with the local store; say what changed."""
        service = self.knowledge()
        if service is None:
            return
        try:
            change = await service.load()
        except Exception:
            _log.debug("knowledge index not loaded", exc_info=True)
            return  # the store closed (signing out); the next change tries again
        if change.built or not change.changed:
            if change.built:
                self._kb_suggest(force=True)
            return
        tell_screens(self.app, "knowledge_changed", skip=self)
        if change.upserted:
            getattr(self, "notify")(
                t("kbdesk.updated", count=len(change.upserted), key=key_hint(self, "desk.knowledge")),  # type: ignore[arg-type]
                markup=False,
            )
        self._kb_suggest(force=True)

    @work(group="kb-pull", exclusive=True)
    async def _kb_pull(self) -> None:
        """Pull the knowledge collection (its change, if any, comes back as a message)."""
        from csdesk.services.sync import KNOWLEDGE_COLLECTION

        session = getattr(self.app, "session", None)
        sync = getattr(session, "sync", None)
        if sync is None or session.store is None:
            return
        try:
            await sync.pull(KNOWLEDGE_COLLECTION)
        except Exception:
            # offline: the local copy serves; the next pull or reconnect catches up
            _log.debug("knowledge pull failed", exc_info=True)

    def on_desk_screen_collection_changed(self, message: Any) -> None:
        from csdesk.services.sync import KNOWLEDGE_COLLECTION

        if message.name == KNOWLEDGE_COLLECTION:
            self._kb_load()

    # -- suggestions ----------------------------------------------------------------

    def on_contact_changed(self, message: Any) -> None:
        change = message.change
        if change.kind == "transcript":
            line = change.line
            if line is not None and line.speaker == "customer" and line.kind in _CUSTOMER_KINDS:
                self._kb_suggest()
            return
        if change.kind == "queues":
            return
        contact = self._kb_contact()
        state = (contact.id, contact.status.value) if contact is not None else (None, None)
        if state != self._kb_contact_state:
            self._kb_contact_state = state
            tell_screens(self.app, "contact_changed", skip=self)
        self._kb_suggest()

    def _kb_contact(self) -> Any:
        try:
            return self.app.get_session().contact.contact
        except Exception:
            _log.debug("no contact to suggest for", exc_info=True)
            return None

    def _kb_can_send(self) -> bool:
        """True while a contact is in hand whose composer may take text for the customer."""
        from csdesk.domain.contacts import ContactStatus

        contact = self._kb_contact()
        return contact is not None and contact.status is ContactStatus.ACTIVE

    def _kb_suggest(self, force: bool = False) -> None:
        """Suggest articles for the latest customer lines of the contact in hand
        (nothing when there is none); only when those lines changed, unless ``force``."""
        contact = self._kb_contact()
        if contact is None:
            if self._kb_for != (None, ()) or self.kb_suggestions:
                self._kb_for = (None, ())
                self._kb_seq += 1
                self._kb_show([])
            return
        lines = tuple(
            line.text for line in contact.transcript
            if line.speaker == "customer" and line.kind in _CUSTOMER_KINDS and line.text.strip()
        )[-SUGGEST_LINES:]
        wanted = (contact.id, lines)
        if wanted == self._kb_for and not force:
            return
        if contact.id != self._kb_for[0] and self.kb_suggestions:
            self._kb_show([])  # another contact: never the last one's articles
        self._kb_for = wanted
        self._kb_seq += 1
        if lines:
            self._kb_run_suggest(self._kb_seq, lines)
        elif self.kb_suggestions:
            self._kb_show([])

    @work(group="kb-suggest", exclusive=True)
    async def _kb_run_suggest(self, seq: int, lines: tuple[str, ...]) -> None:
        service = self.knowledge()
        if service is None:
            return
        try:
            hits = await service.suggest(list(lines), SUGGEST_COUNT)
        except Exception:
            _log.debug("knowledge suggestions failed", exc_info=True)
            return
        if seq == self._kb_seq:  # else the customer spoke again meanwhile
            self._kb_show(hits)

    def _kb_show(self, hits: list[Hit]) -> None:
        from csdesk.widgets.live_contact import LiveContact

        self.kb_suggestions = list(hits)
        try:
            getattr(self, "query_one")(LiveContact).suggestions.show_hits(self.kb_suggestions)
        except Exception:
            _log.debug("suggestions not shown (the desk is being taken down)", exc_info=True)
        tell_screens(self.app, "suggestions_changed", self.kb_suggestions, skip=self)

    def on_kb_suggestion_bar_chosen(self, message: Any) -> None:
        message.stop()
        self.action_knowledge()

    # -- the knowledge screen ---------------------------------------------------------

    def action_knowledge(self, view: str | None = None) -> None:
        """F3 / alt+i: the knowledge screen (on the suggestions when there are any)."""
        from csdesk.screens.knowledge import KnowledgeScreen

        if any(isinstance(screen, KnowledgeScreen) for screen in self.app.screen_stack):
            return
        service = self.knowledge()
        if service is None:
            return
        suggestions = self.kb_suggestions if self._kb_contact() is not None else []
        self.app.push_screen(
            KnowledgeScreen(service, suggestions=suggestions, can_send=self._kb_can_send, view=view),
            self._kb_insert,
        )

    def _kb_insert(self, result: ArticleInsert | None) -> None:
        """Put an article's summary or link line into the composer (after any
        text already there), show the conversation and put the cursor there."""
        from csdesk.widgets.live_contact import LiveContact

        if result is None:
            return
        notify: Any = getattr(self, "notify")
        if not self._kb_can_send():
            notify(t("kbdesk.no_contact"), severity="warning", markup=False)
            return
        live = getattr(self, "query_one")(LiveContact)
        composer = live.composer
        current = composer.text
        composer.set_text(f"{current.rstrip()}\n{result.text}" if current.strip() else result.text)
        live.panels.show_panel("conversation", focus=False)
        composer.focus_input()
        key = "kbdesk.in_composer_note" if live.note_mode else "kbdesk.in_composer"
        notify(t(key, what=t(f"kbdesk.what_{result.kind}")), markup=False)

    def knowledge_palette_commands(self) -> Iterable[SystemCommand]:
        """Palette entries: the knowledge base, and the suggestions when there are any."""
        key = key_hint(self, "desk.knowledge")
        yield SystemCommand(t("cmd.knowledge"), t("cmd.knowledge.help", key=key), self.action_knowledge)
        if self.kb_suggestions and self._kb_contact() is not None:
            yield SystemCommand(
                t("cmd.kb_suggested", count=len(self.kb_suggestions)), t("cmd.knowledge.help", key=key),
                lambda: self.action_knowledge("suggested"),
            )
