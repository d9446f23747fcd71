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
reference ``OP-YYYYMMDD-XXXXXX``, adds a bilingual system transcript line
with the reference, writes an audit event and returns
:class:`~csdesk.domain.contact_schemas.OperationDone`, whose ``summary`` is
in the request's language (``zh-CN``/``en``) or bilingual when it names
none (:mod:`csdesk.server.texts`). Card numbers are only ever shown first
6 + last 4 (PCI DSS 3.4); a new phone number is masked in every summary.

Cross-field rules are data too: an operation's ``distinct`` lists groups of
fields that must name different values (``transfer_own``: from and to
account); a clash is a ``validation-error`` naming every field of the group.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from csdesk.domain.operation_fields import (
    MAX_TEXT_CHARS,
    FieldProblem,
    check_field,
    normalise,
    normalise_phone,
)
from csdesk.domain.masking import mask_card, mask_phone
from csdesk.server.audit import audit
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.disclosures import consume_consent
from csdesk.server.models import Contact, Customer, LedgerEntry, OperationRecord
from csdesk.server.problems import ProblemError
from csdesk.server.texts import Text, amount, bilingual, yuan
from csdesk.server.verification import (
    active_contact,
    add_transcript_line,
    contact_changed,
    contact_level,
    is_locked,
)

#: The catalogue file (one source of the operations, products and guides).
CATALOGUE_FILE = Path(__file__).parent / "data" / "operations.toml"

#: Longest text field value, characters.
MAX_TEXT = MAX_TEXT_CHARS

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
def distinct_groups() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Operation code → its groups of fields that must differ (``distinct`` in the catalogue)."""
    return {
        item["code"]: tuple(tuple(group) for group in item.get("distinct", ()))
        for item in _data()["operations"]
    }


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


def _card_index(customer: Customer, value: str) -> int | None:
    """The customer's card given as its masked number (as the desk shows it) or last 4 digits."""
    wanted = normalise(value)
    masked = [mask_card(str(card.get("number", ""))) for card in customer.cards or []]
    hits = [i for i, m in enumerate(masked) if m == wanted]
    if not hits and len(wanted) == 4 and wanted.isdigit():
        hits = [i for i, m in enumerate(masked) if m.endswith(wanted)]
    return hits[0] if len(hits) == 1 else None


def validate_fields(
    specs: list[FieldSpec], values: dict[str, Any], customer: Customer,
    distinct: tuple[tuple[str, ...], ...] = (),
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Check ``values`` against ``specs``; return (clean values, field errors).

    The rule is :func:`csdesk.domain.operation_fields.check_field` (the
    desk's F7 form checks with it too). Clean values: ``amount`` → int fen
    (0.01 yuan); ``account`` → index in ``customer.cards``; ``phone`` → 11
    digits; ``bool`` → bool; ``choice`` and ``text`` → str; an optional field
    left out → None. Errors are ``{"field": "fields.<name>", "message": …}``;
    unknown names are errors. Each group of ``distinct`` (field names) must
    have different clean values (two accounts: different cards, however
    the agent typed them): a clash is an error on every field of the group
    that has a value equal to another's.
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
        value, problem = check_field(spec, values.get(spec.name))
        if problem is not None:
            fail(spec.name, _problem_message(spec, problem))
            continue
        if spec.kind == "account" and value is not None:
            index = _card_index(customer, value)
            if index is None:
                fail(spec.name, "not one of the customer's cards")
                continue
            value = index
        clean[spec.name] = value
    for group in distinct:
        given = [name for name in group if clean.get(name) is not None]
        for name in given:
            others = [o for o in given if o != name and clean[o] == clean[name]]
            if others:
                fail(name, "must differ from " + ", ".join(others))
    return clean, errors


def _problem_message(spec: FieldSpec, problem: FieldProblem) -> str:
    """The English field message of ``problem`` (problem+json ``errors``)."""
    code, limit = problem.code, problem.limit or 0
    if code == "format":
        code = {"choice": "choice", "account": "account", "bool": "flag"}.get(spec.kind, code)
    messages = {
        "required": "required",
        "amount": "an amount in yuan with at most 2 decimals",
        "minimum": f"at least {limit:.2f}",
        "maximum": f"at most {limit:.2f}",
        "phone": "an 11-digit mainland mobile number",
        "flag": "true or false",
        "choice": "one of: " + ", ".join(spec.choices),
        "account": "not one of the customer's cards",
        "too_long": f"at most {MAX_TEXT} characters",
        "format": "not a valid mobile number" if spec.kind == "phone" else "wrong format",
    }
    return messages[code]


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
    language: str | None = None

    def card(self, name: str) -> dict[str, Any]:
        return dict(self.customer.cards[self.fields[name]])

    def masked(self, name: str) -> str:
        return mask_card(str(self.card(name).get("number", "")))

    def set_card_status(self, name: str, status: str) -> None:
        cards = [dict(card) for card in self.customer.cards]
        cards[self.fields[name]]["status"] = status
        self.customer.cards = cards  # a new list: the JSON column sees the change


def _balance_inquiry(job: _Job) -> Text:
    account = job.masked("account")
    cents = balance(job.session, job.customer.customer_ref, account)
    return Text(f"{account} 余额：{yuan(cents, 'zh-CN')}", f"Balance of {account}: {yuan(cents, 'en')}")


#: Ledger and demo-history descriptions (stored in English) in Chinese.
_DESCRIPTIONS_ZH = {
    "Salary": "工资", "Supermarket": "超市消费", "Utilities": "水电燃气", "Online shopping": "网购",
    "ATM withdrawal": "ATM 取款", "Transfer in": "转入",
}
_DESCRIPTION_PREFIXES_ZH = (("Transfer to ", "转出至 "), ("Transfer from ", "转入自 "), ("Purchase ", "购买 "))


def describe(description: str, language: str) -> str:
    """A ledger/demo-history ``description`` (stored in English) in ``language``;
    an unknown one as stored."""
    if language != "zh-CN":
        return description
    if description in _DESCRIPTIONS_ZH:
        return _DESCRIPTIONS_ZH[description]
    for en, zh in _DESCRIPTION_PREFIXES_ZH:
        if description.startswith(en):
            return zh + description[len(en):]
    return description


def _recent_transactions(job: _Job) -> Text:
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
    zh = "；".join(f"{at:%Y-%m-%d} {describe(what, 'zh-CN')} {yuan(cents, 'zh-CN')}"
                  for at, what, cents in lines)
    en = "; ".join(f"{at:%Y-%m-%d} {what} {yuan(cents, 'en')}" for at, what, cents in lines)
    both = "; ".join(f"{at:%Y-%m-%d} {describe(what, 'zh-CN')} {what} {amount(cents)}"
                     for at, what, cents in lines)  # one list, both labels, amounts once
    return Text(f"{account} 近期交易：{zh}", f"Recent transactions of {account}: {en}",
                both=f"{bilingual(f'{account} 近期交易（元）', f'Recent transactions of {account} (CNY)')}: {both}")


#: Freeze reasons (the ``reason`` choices) per language.
_REASONS = {
    "lost": Text("挂失", "lost"),
    "stolen": Text("被盗", "stolen"),
    "suspected_fraud": Text("疑似盗刷", "suspected fraud"),
}


def _freeze_card(job: _Job) -> Text:
    status = job.card("card").get("status")
    if status != "active":
        raise _field_error("card", f"the card is {status}, not active")
    job.set_card_status("card", "frozen")
    card, reason = job.masked("card"), _REASONS[job.fields["reason"]]
    return Text(f"银行卡 {card} 已冻结（{reason.zh}）", f"Card {card} frozen ({reason.en})")


def _unfreeze_card(job: _Job) -> Text:
    status = job.card("card").get("status")
    if status != "frozen":
        raise _field_error("card", f"the card is {status}, not frozen")
    job.set_card_status("card", "active")
    card = job.masked("card")
    return Text(f"银行卡 {card} 已解除冻结", f"Card {card} unfrozen")


def _change_phone(job: _Job) -> Text:
    new = job.fields["new_phone"]
    if new == normalise_phone(job.customer.phone):
        raise _field_error("new_phone", "the same as the current reserved phone")
    job.customer.phone = new
    masked = mask_phone(new)
    return Text(f"预留手机号已变更为 {masked}", f"Reserved phone changed to {masked}")


def _debit(job: _Job, name: str, cents: int) -> str:
    card = job.card(name)
    if card.get("status") != "active":
        raise _field_error(name, f"the card is {card.get('status')}, not active")
    account = job.masked(name)
    if balance(job.session, job.customer.customer_ref, account) < cents:
        raise _field_error("amount", "more than the available balance")
    return account


def _transfer_own(job: _Job) -> Text:
    to_card = job.card("to_account")
    if to_card.get("status") == "closed":
        raise _field_error("to_account", "the card is closed")
    cents = job.fields["amount"]
    source = _debit(job, "from_account", cents)
    target = job.masked("to_account")
    ref = job.customer.customer_ref
    _post(job.session, ref, source, -cents, f"Transfer to {target[-4:]}", job.reference)
    _post(job.session, ref, target, cents, f"Transfer from {source[-4:]}", job.reference)
    return Text(f"已从 {source} 转账 {yuan(cents, 'zh-CN')} 至 {target}",
                f"Transferred {yuan(cents, 'en')} from {source} to {target}")


def _buy_wealth(job: _Job) -> Text:
    product = products()[job.fields["product"]]
    cents = job.fields["amount"]
    if cents < round(product.minimum * 100):
        raise _field_error("amount", f"below the product's minimum of {product.minimum:.2f}")
    source = _debit(job, "from_account", cents)
    _post(job.session, job.customer.customer_ref, source, -cents, f"Purchase {product.code}",
          job.reference)
    zh_name = product.name.get("zh-CN", product.code)
    en_name = product.name.get("en", product.code)
    return Text(f"已购买 {zh_name}（R{product.risk}），{yuan(cents, 'zh-CN')}",
                f"Bought {en_name} (R{product.risk}) for {yuan(cents, 'en')}")


def _sms_alerts(job: _Job) -> Text:
    job.customer.sms_alerts = bool(job.fields["enabled"])
    on = job.customer.sms_alerts
    return Text(f"动账短信通知已{'开启' if on else '关闭'}", f"SMS alerts {'on' if on else 'off'}")


#: Self-service guide topics (the ``topic`` choices) per language.
_TOPICS = {
    "balance": Text("余额查询", "balance"),
    "freeze_card": Text("临时挂失", "freeze card"),
    "transfer": Text("转账", "transfer"),
    "reset_password": Text("重置密码", "reset password"),
    "sms_alerts": Text("动账通知", "SMS alerts"),
}


def _self_service_guide(job: _Job) -> Text:
    topic = job.fields["topic"]
    text = guide(topic, job.fields.get("language") or job.language or "zh-CN")
    add_transcript_line(job.session, job.contact.id, text, speaker=Speaker.AGENT, kind="message")
    label = _TOPICS.get(topic, Text(topic, topic))
    return Text(f"已发送自助办理指引：{label.zh}", f"Self-service steps sent: {label.en}")


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
    language: str | None = None,
) -> OperationDone:
    """Run operation ``code`` in the agent's active contact (in ``session``'s write transaction).

    Checks in the order of the module docstring; every refusal raises
    :class:`ProblemError` and changes nothing. Raises ``not-found`` for an
    unknown code or contact. Returns the :class:`OperationDone`: ``summary``
    masked, in ``language`` (``zh-CN``/``en``; None: bilingual ``中文 ·
    English``); the transcript line is always bilingual.
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
    clean, errors = validate_fields(spec.fields, fields, customer, distinct_groups().get(code, ()))
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
               reference=reference, language=language)
    summary = _HANDLERS[code](job).pick(language)
    record = OperationRecord(
        contact_id=contact_id, agent_id=agent_id, code=code, reference=reference,
        fields=_fields_summary(spec.fields, clean, customer), summary=summary, at=now,
    )
    session.add(record)
    add_transcript_line(session, contact_id, bilingual(
        f"业务办理完成：{spec.name.get('zh-CN', code)}，业务编号 {reference}",
        f"Operation {spec.name.get('en', code)} done, reference {reference}",
    ))
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
    language: str | None = None,
) -> OperationDone:
    """:func:`execute` in its own write transaction (in-process callers: tests, simulator)."""
    with ctx.db.write() as session:
        return execute(session, agent_id, contact_id, code, fields, disclosure_id, language)
