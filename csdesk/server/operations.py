"""Business operations: the catalogue and their execution (guide §2.3, issue #4).

The catalogue is data: ``csdesk/server/data/operations.toml`` (operations,
the wealth-management products, the self-service guides), loaded once
(:func:`catalogue`, :func:`products`). Each operation declares the
verification level it needs, its risk disclosure when one is required, its
form fields (:class:`~csdesk.domain.contact_schemas.FieldSpec`) and what to
tell the customer (conditions, materials, time to complete; guide §2.3.1).

:func:`execute` runs one operation in the agent's active contact, in this
order of checks:

1. level (``verification-required``, 403, with ``required_level`` and
   ``current_level``: "needs L3, contact is at L2"); a locked verification
   refuses every operation above L0 (``verification-locked``);
2. risk disclosure (``disclosure-required``, 409; one consent per execution);
3. fields per their ``FieldSpec`` (``validation-error``, 422, with
   ``errors=[{"field": "fields.<name>", "message": …}]``);
4. the wealth product's risk against the customer's rating
   (``risk-rating-exceeded``, 403);
5. the operation's own rules (card state, balance, limits: field errors).

It then changes the demo data for real (card status, reserved phone, SMS
alerts, the small ledger), stores an :class:`OperationRecord` with a unique
reference ``OP-YYYYMMDD-XXXXXX``, adds a system transcript line with the
reference, writes an audit event and returns
:class:`~csdesk.domain.contact_schemas.OperationDone`. Card numbers are only
ever shown first 6 + last 4 (PCI DSS 3.4); a new phone number is masked in
every summary.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain.contact_schemas import (
    FieldSpec,
    OperationDone,
    OperationSpec,
    WealthProduct,
)
from csdesk.domain.contacts import Speaker
from csdesk.domain.masking import mask_card, mask_phone
from csdesk.server.audit import audit
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.disclosures import consume_consent
from csdesk.server.models import Contact, Customer, LedgerEntry, OperationRecord
from csdesk.server.problems import ProblemError
from csdesk.server.verification import (
    active_contact,
    add_transcript_line,
    contact_changed,
    contact_level,
    is_locked,
    normalise,
    normalise_phone,
)

#: The catalogue file (one source of the operations, products and guides).
CATALOGUE_FILE = Path(__file__).parent / "data" / "operations.toml"

#: Longest text field value, characters.
MAX_TEXT = 256

_REF_ALPHABET = string.ascii_uppercase + string.digits


# -- the catalogue ------------------------------------------------------------


@cache
def _data() -> dict[str, Any]:
    with CATALOGUE_FILE.open("rb") as handle:
        return tomllib.load(handle)


@cache
def catalogue() -> dict[str, OperationSpec]:
    """Operation code → :class:`OperationSpec`, in catalogue order (loaded once)."""
    specs = [OperationSpec.model_validate(item) for item in _data()["operations"]]
    return {spec.code: spec for spec in specs}


@cache
def products() -> dict[str, WealthProduct]:
    """Product code → :class:`WealthProduct` on sale (risk R1–R5)."""
    items = [WealthProduct.model_validate(item) for item in _data()["products"]]
    return {item.code: item for item in items}


def guide(topic: str, language: str) -> str:
    """The self-service mobile-banking steps for ``topic`` in ``language`` (``zh-CN``/``en``)."""
    texts: dict[str, str] = _data()["guides"][topic]
    return texts.get(language) or texts["zh-CN"]


# -- fields ------------------------------------------------------------------------


def _cents(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


def _yuan(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}CNY {abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def _card_index(customer: Customer, value: str) -> int | None:
    """The customer's card given as its masked number (as the desk shows it) or last 4 digits."""
    wanted = normalise(value)
    masked = [mask_card(str(card.get("number", ""))) for card in customer.cards or []]
    hits = [i for i, m in enumerate(masked) if m == wanted]
    if not hits and len(wanted) == 4 and wanted.isdigit():
        hits = [i for i, m in enumerate(masked) if m.endswith(wanted)]
    return hits[0] if len(hits) == 1 else None


def validate_fields(
    specs: list[FieldSpec], values: dict[str, Any], customer: Customer
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Check ``values`` against ``specs``; return (clean values, field errors).

    Clean values: ``amount`` → int fen (0.01 yuan); ``account`` → index in
    ``customer.cards``; ``phone`` → 11 digits; ``bool`` → bool; ``choice``
    and ``text`` → str; an optional field left out → None. Errors are
    ``{"field": "fields.<name>", "message": …}``; unknown names are errors.
    """
    clean: dict[str, Any] = {}
    errors: list[dict[str, str]] = []

    def fail(name: str, message: str) -> None:
        errors.append({"field": f"fields.{name}", "message": message})

    known = {spec.name for spec in specs}
    for name in values:
        if name not in known:
            fail(name, "unknown field")
    for spec in specs:
        raw = values.get(spec.name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if spec.required:
                fail(spec.name, "required")
            clean[spec.name] = None
            continue
        if spec.kind == "amount":
            cents = _cents(raw)
            if cents is None:
                fail(spec.name, "an amount in yuan with at most 2 decimals")
            elif spec.minimum is not None and cents < round(spec.minimum * 100):
                fail(spec.name, f"at least {spec.minimum:.2f}")
            elif spec.maximum is not None and cents > round(spec.maximum * 100):
                fail(spec.name, f"at most {spec.maximum:.2f}")
            else:
                clean[spec.name] = cents
        elif spec.kind == "account":
            index = _card_index(customer, str(raw)) if isinstance(raw, str) else None
            if index is None:
                fail(spec.name, "not one of the customer's cards")
            else:
                clean[spec.name] = index
        elif spec.kind == "phone":
            phone = normalise_phone(str(raw)) if isinstance(raw, str) else ""
            if not (len(phone) == 11 and phone.isascii() and phone.isdigit()
                    and phone.startswith("1")):
                fail(spec.name, "an 11-digit mainland mobile number")
            elif spec.pattern and not _matches(spec.pattern, phone):
                fail(spec.name, "not a valid mobile number")
            else:
                clean[spec.name] = phone
        elif spec.kind == "bool":
            flag = _flag(raw)
            if flag is None:
                fail(spec.name, "true or false")
            else:
                clean[spec.name] = flag
        elif spec.kind == "choice":
            if not isinstance(raw, str) or raw not in spec.choices:
                fail(spec.name, "one of: " + ", ".join(spec.choices))
            else:
                clean[spec.name] = raw
        else:  # text
            text = str(raw)
            if len(text) > MAX_TEXT:
                fail(spec.name, f"at most {MAX_TEXT} characters")
            elif spec.pattern and not _matches(spec.pattern, text):
                fail(spec.name, "wrong format")
            else:
                clean[spec.name] = text
    return clean, errors


def _matches(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def _flag(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        lowered = raw.strip().lower()
        if lowered in {"true", "on", "yes", "1"}:
            return True
        if lowered in {"false", "off", "no", "0"}:
            return False
    return None


def _field_error(name: str, message: str) -> ProblemError:
    return ProblemError(
        "validation-error", message, errors=[{"field": f"fields.{name}", "message": message}]
    )


# -- the small ledger --------------------------------------------------------------


def opening_balance(customer_ref: str, account: str) -> int:
    """The demo opening balance of an account, fen: 5,000.00–200,000.00 yuan, fixed per account."""
    digest = hashlib.sha256(f"{customer_ref}|{account}".encode()).digest()
    return 500_000 + int.from_bytes(digest[:4], "big") % 19_500_000


def balance(session: Session, customer_ref: str, account: str) -> int:
    """Balance of the account known by its masked number, fen: opening + ledger movements."""
    moved = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.customer_ref == customer_ref, LedgerEntry.account == account
        )
    )
    return opening_balance(customer_ref, account) + int(moved or 0)


_DEMO_HISTORY = (
    ("Salary", 1),
    ("Supermarket", -1),
    ("Utilities", -1),
    ("Online shopping", -1),
    ("ATM withdrawal", -1),
    ("Transfer in", 1),
)


def demo_history(customer_ref: str, account: str, now: datetime) -> list[tuple[datetime, str, int]]:
    """Deterministic past movements of a demo account: (time, description, fen), newest first."""
    digest = hashlib.sha256(f"history|{customer_ref}|{account}".encode()).digest()
    lines = []
    for i in range(6):
        label, sign = _DEMO_HISTORY[digest[i] % len(_DEMO_HISTORY)]
        cents = sign * (1_000 + int.from_bytes(digest[8 + 2 * i : 10 + 2 * i], "big") * 10)
        lines.append((now - timedelta(days=2 * i + 1, hours=digest[i] % 12), label, cents))
    return lines


def _post(session: Session, customer_ref: str, account: str, cents: int, what: str,
          reference: str) -> None:
    session.add(LedgerEntry(customer_ref=customer_ref, account=account, amount_cents=cents,
                            description=what, reference=reference, at=utcnow()))


# -- execution -----------------------------------------------------------------------


@dataclass
class _Job:
    session: Session
    contact: Contact
    customer: Customer
    fields: dict[str, Any]
    reference: str

    def card(self, name: str) -> dict[str, Any]:
        return dict(self.customer.cards[self.fields[name]])

    def masked(self, name: str) -> str:
        return mask_card(str(self.card(name).get("number", "")))

    def set_card_status(self, name: str, status: str) -> None:
        cards = [dict(card) for card in self.customer.cards]
        cards[self.fields[name]]["status"] = status
        self.customer.cards = cards  # a new list: the JSON column sees the change


def _balance_inquiry(job: _Job) -> str:
    account = job.masked("account")
    return f"Balance of {account}: {_yuan(balance(job.session, job.customer.customer_ref, account))}"


def _recent_transactions(job: _Job) -> str:
    account = job.masked("account")
    ref = job.customer.customer_ref
    rows = list(job.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.customer_ref == ref, LedgerEntry.account == account)
        .order_by(LedgerEntry.at.desc(), LedgerEntry.id.desc())
        .limit(10)
    ))
    lines = [(row.at, row.description, row.amount_cents) for row in rows]
    lines += demo_history(ref, account, utcnow())
    lines = lines[:10]
    text = "; ".join(f"{at:%Y-%m-%d} {what} {_yuan(cents)}" for at, what, cents in lines)
    return f"Recent transactions of {account}: {text}"


def _freeze_card(job: _Job) -> str:
    status = job.card("card").get("status")
    if status != "active":
        raise _field_error("card", f"the card is {status}, not active")
    job.set_card_status("card", "frozen")
    return f"Card {job.masked('card')} frozen ({job.fields['reason']})"


def _unfreeze_card(job: _Job) -> str:
    status = job.card("card").get("status")
    if status != "frozen":
        raise _field_error("card", f"the card is {status}, not frozen")
    job.set_card_status("card", "active")
    return f"Card {job.masked('card')} unfrozen"


def _change_phone(job: _Job) -> str:
    new = job.fields["new_phone"]
    if new == normalise_phone(job.customer.phone):
        raise _field_error("new_phone", "the same as the current reserved phone")
    job.customer.phone = new
    return f"Reserved phone changed to {mask_phone(new)}"


def _debit(job: _Job, name: str, cents: int) -> str:
    card = job.card(name)
    if card.get("status") != "active":
        raise _field_error(name, f"the card is {card.get('status')}, not active")
    account = job.masked(name)
    if balance(job.session, job.customer.customer_ref, account) < cents:
        raise _field_error("amount", "more than the available balance")
    return account


def _transfer_own(job: _Job) -> str:
    if job.fields["from_account"] == job.fields["to_account"]:
        raise _field_error("to_account", "the same account as the source")
    to_card = job.card("to_account")
    if to_card.get("status") == "closed":
        raise _field_error("to_account", "the card is closed")
    cents = job.fields["amount"]
    source = _debit(job, "from_account", cents)
    target = job.masked("to_account")
    ref = job.customer.customer_ref
    _post(job.session, ref, source, -cents, f"Transfer to {target[-4:]}", job.reference)
    _post(job.session, ref, target, cents, f"Transfer from {source[-4:]}", job.reference)
    return f"Transferred {_yuan(cents)} from {source} to {target}"


def _buy_wealth(job: _Job) -> str:
    product = products()[job.fields["product"]]
    cents = job.fields["amount"]
    if cents < round(product.minimum * 100):
        raise _field_error("amount", f"below the product's minimum of {product.minimum:.2f}")
    source = _debit(job, "from_account", cents)
    _post(job.session, job.customer.customer_ref, source, -cents, f"Purchase {product.code}",
          job.reference)
    return f"Bought {product.name.get('en', product.code)} (R{product.risk}) for {_yuan(cents)}"


def _sms_alerts(job: _Job) -> str:
    job.customer.sms_alerts = bool(job.fields["enabled"])
    return f"SMS alerts {'on' if job.customer.sms_alerts else 'off'}"


def _self_service_guide(job: _Job) -> str:
    topic = job.fields["topic"]
    text = guide(topic, job.fields.get("language") or "zh-CN")
    add_transcript_line(job.session, job.contact.id, text, speaker=Speaker.AGENT, kind="message")
    return f"Self-service steps sent: {topic}"


_HANDLERS = {
    "balance_inquiry": _balance_inquiry,
    "recent_transactions": _recent_transactions,
    "freeze_card": _freeze_card,
    "unfreeze_card": _unfreeze_card,
    "change_phone": _change_phone,
    "transfer_own": _transfer_own,
    "buy_wealth": _buy_wealth,
    "sms_alerts": _sms_alerts,
    "self_service_guide": _self_service_guide,
}


def new_reference(session: Session, now: datetime | None = None) -> str:
    """A new unique reference ``OP-YYYYMMDD-XXXXXX`` (UTC date; 6 random capitals/digits)."""
    day = (now or utcnow()).strftime("%Y%m%d")
    while True:
        tail = "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))
        reference = f"OP-{day}-{tail}"
        taken = session.scalar(
            select(OperationRecord.id).where(OperationRecord.reference == reference)
        )
        if taken is None:
            return reference


def _fields_summary(specs: list[FieldSpec], clean: dict[str, Any], customer: Customer
                    ) -> dict[str, Any]:
    """Field values to store: cards masked (first 6 + last 4), phones masked, amounts in yuan."""
    summary: dict[str, Any] = {}
    for spec in specs:
        value = clean.get(spec.name)
        if value is None:
            continue
        if spec.kind == "account":
            summary[spec.name] = mask_card(str(customer.cards[value].get("number", "")))
        elif spec.kind == "phone":
            summary[spec.name] = mask_phone(value)
        elif spec.kind == "amount":
            summary[spec.name] = f"{value / 100:.2f}"
        else:
            summary[spec.name] = value
    return summary


def execute(
    session: Session,
    agent_id: str,
    contact_id: str,
    code: str,
    fields: dict[str, Any],
    disclosure_id: str | None,
) -> OperationDone:
    """Run operation ``code`` in the agent's active contact (in ``session``'s write transaction).

    Checks in the order of the module docstring; every refusal raises
    :class:`ProblemError` and changes nothing. Raises ``not-found`` for an
    unknown code or contact. Returns the :class:`OperationDone` (``summary``
    in English, masked).
    """
    spec = catalogue().get(code)
    if spec is None:
        raise ProblemError("not-found", "No such operation.")
    contact = active_contact(session, contact_id, agent_id)
    level = int(contact_level(contact))
    if spec.level > 0 and is_locked(contact):
        raise ProblemError("verification-locked", "Identity verification is locked in this contact.")
    if level < spec.level:
        raise ProblemError(
            "verification-required",
            f"needs L{spec.level}, contact is at L{level}",
            extensions={"required_level": spec.level, "current_level": level},
        )
    customer = session.get(Customer, contact.customer_ref)
    if customer is None:
        raise ProblemError("not-found", "The contact has no customer.")
    now = utcnow()
    reference = new_reference(session, now)
    if spec.disclosure:
        consume_consent(session, contact_id, code, disclosure_id, reference)
    clean, errors = validate_fields(spec.fields, fields, customer)
    if errors:
        raise ProblemError("validation-error", "Some fields are not valid.", errors=errors)
    if code == "buy_wealth":
        product = products()[clean["product"]]
        if product.risk > customer.risk_rating:
            raise ProblemError(
                "risk-rating-exceeded",
                f"The product is R{product.risk}; the customer's risk rating is "
                f"R{customer.risk_rating}.",
            )
    job = _Job(session=session, contact=contact, customer=customer, fields=clean,
               reference=reference)
    summary = _HANDLERS[code](job)
    record = OperationRecord(
        contact_id=contact_id, agent_id=agent_id, code=code, reference=reference,
        fields=_fields_summary(spec.fields, clean, customer), summary=summary, at=now,
    )
    session.add(record)
    add_transcript_line(
        session, contact_id, f"Operation {spec.name.get('en', code)} done, reference {reference}"
    )
    audit(session, agent_id=agent_id, type="operation",
          detail=f"contact={contact_id} operation={code} reference={reference}")
    session.flush()
    contact_changed(session, contact)
    return _done(record)


def _done(record: OperationRecord) -> OperationDone:
    return OperationDone(code=record.code, reference=record.reference, at=record.at,
                         summary=record.summary)


def operations_of(session: Session, contact_id: str) -> list[OperationDone]:
    """The operations done in a contact, oldest first (for ``ContactView.operations``)."""
    rows = session.scalars(
        select(OperationRecord)
        .where(OperationRecord.contact_id == contact_id)
        .order_by(OperationRecord.at, OperationRecord.id)
    )
    return [_done(row) for row in rows]


def run_operation(
    ctx: ServerContext,
    agent_id: str,
    contact_id: str,
    code: str,
    fields: dict[str, Any],
    disclosure_id: str | None = None,
) -> OperationDone:
    """:func:`execute` in its own write transaction (in-process callers: tests, simulator)."""
    with ctx.db.write() as session:
        return execute(session, agent_id, contact_id, code, fields, disclosure_id)
