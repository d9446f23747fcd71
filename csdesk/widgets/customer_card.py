"""The customer card of a contact (issue #4, guide §2.1.3, DESIGN §8).

Name, segment, masked reserved phone (``138****5678``), masked ID number
(first 3 + last 4), cards (first 6 + last 4, product, status), open work
orders, last contacts, risk rating (1–5), the verification level reached in
this contact (L0–L3, drawn prominently: the agent must see it all contact
long) and a "possible fraud" flag after a verification lockout.

Everything here comes from the server and is treated as untrusted: cleaned
with :func:`csdesk.domain.text.clean_text` and drawn as plain Text. The
backend masks personal data before sending; as a second line of defence a
number that arrives without any ``*`` is masked here before it is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from csdesk.domain.masking import mask_card, mask_id_number, mask_phone
from csdesk.domain.text import clean_text
from csdesk.glyphs import glyph
from csdesk.i18n import t
from csdesk.themes import status_style

if TYPE_CHECKING:
    from csdesk.domain.contact_schemas import CustomerCard

#: Verification level → status role of its badge.
LEVEL_ROLES = {0: "error", 1: "warn", 2: "ok", 3: "ok"}
#: Past contacts listed at most.
MAX_LAST_CONTACTS = 3


def _one_line(value: str, limit: int = 40) -> str:
    return clean_text(value, keep_newlines=False, max_chars=limit)


def ensure_masked(value: str, masker: object) -> str:
    """``value`` cleaned; masked with ``masker`` when it holds no ``*`` at all
    (a clear number must never reach the screen, DESIGN §8)."""
    cleaned = _one_line(value, 32)
    if "*" in cleaned or not any(ch.isdigit() for ch in cleaned):
        return cleaned
    return masker(cleaned)  # type: ignore[operator]


class CustomerCardView(Static):
    """The customer card, as plain Text.

    Down: :meth:`show_card` (a ``CustomerCard`` or None), :meth:`set_verification`
    (level 0–3, locked after 3 failures), :meth:`retranslate`. Posts nothing.
    The possible-fraud flag shows when the card says so or verification is locked.
    """

    DEFAULT_CSS = """
    CustomerCardView {
        height: auto;
        width: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", name=name, id=id, classes=classes, markup=False)
        self.card: CustomerCard | None = None
        self.level = 0
        self.locked = False

    def on_mount(self) -> None:
        self._redraw()

    def show_card(self, card: CustomerCard | None) -> None:
        """Show ``card`` (None: no customer identified)."""
        self.card = card
        self._redraw()

    def set_verification(self, level: int, *, locked: bool = False) -> None:
        """The verification level reached in this contact (0–3), and whether it is locked."""
        self.level = max(0, min(3, int(level)))
        self.locked = locked
        self._redraw()

    def retranslate(self) -> None:
        """Redraw in the current language."""
        self._redraw()

    def _redraw(self) -> None:
        if self.is_attached:
            self.update(self.render_card())

    def render_card(self) -> Text:
        """The card as plain Text (nothing in it is parsed as markup)."""
        text = Text(overflow="fold")
        app = self.app
        # The verification level first: prominent, words and style (not colour alone).
        text.append(f" {t('card.level', level=self.level)} ", style=status_style(app, LEVEL_ROLES[self.level]) + " reverse")
        text.append(" " + t(f"card.level.{self.level}"))
        if self.locked:
            text.append(" · " + t("card.locked"), style=status_style(app, "error"))
        card = self.card
        if card is None:
            text.append("\n" + t("card.none"), style="dim")
            return text
        if card.possible_fraud or self.locked:
            text.append("\n")
            text.append(f"{glyph('⚠')} {t('card.possible_fraud')}", style=status_style(app, "error"))
        text.append("\n")
        text.append(_one_line(card.name), style="bold")
        text.append(f"  {_one_line(card.segment, 24)}", style="dim")
        text.append("\n" + t("card.phone") + " ")
        text.append(ensure_masked(card.phone_masked, mask_phone))
        text.append("\n" + t("card.id_number") + " ")
        text.append(ensure_masked(card.id_number_masked, mask_id_number))
        text.append("\n" + t("card.risk", rating=card.risk_rating))
        text.append("  " + t("card.work_orders", count=card.open_work_orders),
                    style=status_style(app, "warn") if card.open_work_orders else "")
        text.append("\n" + t("card.cards", count=len(card.cards)), style="bold")
        for item in card.cards:
            text.append("\n  ")
            text.append(ensure_masked(item.number_masked, mask_card))
            text.append(f" {_one_line(item.product, 20)} ")
            role = {"active": "good", "frozen": "warn", "closed": "bad"}.get(item.status, "info")
            text.append(t(f"card.status.{item.status}"), style=status_style(app, role))
        text.append("\n" + t("card.last_contacts"), style="bold")
        if not card.last_contacts:
            text.append(" " + t("card.none_short"), style="dim")
        for past in sorted(card.last_contacts, key=lambda p: p.at, reverse=True)[:MAX_LAST_CONTACTS]:
            at = past.at
            try:
                at = at.astimezone()
            except (ValueError, OSError):
                pass
            text.append(f"\n  {at:%Y-%m-%d %H:%M} {t(f'offer.channel.{past.channel}')}")
            if past.disposition:
                text.append(f" {_one_line(past.disposition, 30)}", style="dim")
        return text
