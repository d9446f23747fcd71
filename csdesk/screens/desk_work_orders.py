"""Work orders on the desk: F4 and keeping open work-order screens fresh (issue #6).

A mixin of :class:`csdesk.screens.desk.DeskScreen` (beside the live-session,
knowledge and quick-phrase mixins), for operating guide §2.4 (complaints)
and §3.2 (work orders):

* **F4 / alt+g** (binding id ``desk.work_orders``; palette "Work orders")
  opens :class:`csdesk.screens.work_orders.WorkOrdersScreen` with the
  signed-in agent's :class:`csdesk.services.work_orders.WorkOrderService`
  (made on first use from the session's sync service, the agent's employee
  id and team). One list at a time.
* When sync reports a change of the ``work_orders`` collection, the service
  reads the local copy again (a worker) and the open work-order screens are
  told (``work_orders_changed``); when the outbox counts change (a change
  sent, refused or discarded), the service reads once more and they are
  told too (``work_orders_outbox_changed``) so the list and a detail can
  show what was refused.

Message handlers here run in addition to the desk's own (Textual calls the
handler of every class in the MRO that defines one).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import SystemCommand
from textual.binding import Binding

from csdesk.i18n import t
from csdesk.screens.stack import reload_then_tell
from csdesk.widgets.bindings import key_hint

if TYPE_CHECKING:
    from csdesk.services.work_orders import WorkOrderService

#: F4 and its second way in (alt+g: F-keys get lost over some SSH clients).
#: Priority: the composer's TextArea would otherwise take them. Not in the
#: footer (at 80 columns it would push F10 out during a contact): F1 and the
#: palette name it.
WORK_ORDER_BINDINGS = [
    Binding("f4,alt+g", "work_orders", "desk.work_orders", id="desk.work_orders", priority=True, show=False),
]


class WorkOrderDeskMixin:
    """Work-order behaviour of the desk screen (see the module docstring).

    The screen calls :meth:`init_work_orders` in ``__init__`` and yields
    :meth:`work_order_palette_commands` in its palette. Read:
    :attr:`work_order_service` (None before sign-in is done).
    """

    app: Any

    def init_work_orders(self) -> None:
        """Set the work-order fields (no I/O)."""
        self._warmed = False
        self._outbox_counts: tuple[int, int] | None = None

    @property
    def work_order_service(self) -> WorkOrderService | None:
        """The agent's work-order service (the session's: one per sign-in; None
        without a store or profile)."""
        session = getattr(self.app, "session", None)
        return None if session is None else session.work_orders

    def action_work_orders(self) -> None:
        """F4: the work-order list."""
        from csdesk.screens.work_orders import WorkOrdersScreen

        service = self.work_order_service
        if service is None or any(isinstance(s, WorkOrdersScreen) for s in self.app.screen_stack):
            return
        self.app.push_screen(WorkOrdersScreen(service))

    @work(group="work-orders-load", exclusive=True)
    async def reload_work_orders(self) -> None:
        """Read the orders from the local store again (in a thread), then tell open screens."""
        await reload_then_tell(self.app, self.work_order_service, "work_orders_changed", skip=self)

    def on_desk_screen_collection_changed(self, message: Any) -> None:
        from csdesk.services.work_orders import WORK_ORDERS

        if message.name == WORK_ORDERS:
            self.reload_work_orders()

    def on_desk_screen_sync_changed(self, message: Any) -> None:
        if not self._warmed:
            # Read (parse) the stored orders once after sign-in, in the store's
            # thread, so the first F4 opens at once.
            self._warmed = True
            self.reload_work_orders()
        status = message.status
        counts = (status.pending, status.failed)
        if counts != self._outbox_counts:
            self._outbox_counts = counts
            self.reload_after_outbox()

    @work(group="work-orders-outbox", exclusive=True)
    async def reload_after_outbox(self) -> None:
        """The outbox counts changed (a change sent, refused or discarded): read the
        orders once (a refused new order is marked from the outbox), then tell open screens."""
        await reload_then_tell(self.app, self.work_order_service, "work_orders_outbox_changed", skip=self)

    def work_order_palette_commands(self) -> Iterable[SystemCommand]:
        """Palette entry: the work-order list."""
        yield SystemCommand(t("cmd.work_orders"), t("cmd.work_orders.help", key=key_hint(self, "desk.work_orders")),  # type: ignore[arg-type]
                            self.action_work_orders)
