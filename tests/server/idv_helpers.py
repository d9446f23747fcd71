"""Helpers for the ID&V and business-operation tests: a customer and an active contact.

The rows are made directly in the backend's database (``backend.context``),
so these tests do not depend on routing; the contact is ``active`` for the
agent, as after an accepted offer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from csdesk.domain.masking import mask_card
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.models import Contact, Customer
from csdesk.server.operations import opening_balance
from csdesk.server.verification import hash_security_answer, hash_transaction_password
from tests.conftest import bearer

PHONE = "13812345678"
ID_NUMBER = "11010119750307123X"
CARDS = ["6222021234567890123", "6217001234567894567", "6258071111222233"]
#: Least opening balance (fen) of the test customer's active cards: 50,000 yuan.
MIN_OPENING_FEN = 5_000_000
ANSWER = "Li Xiulan"
QUESTION = "您母亲的姓名是？"
PIN = "135790"
#: Every clear secret of the test customer: none may appear in a response body.
SECRETS = [PHONE, ID_NUMBER, *CARDS, ANSWER, "lixiulan", PIN, "0307123"]


def make_customer(ctx: ServerContext, *, risk_rating: int = 2, cards: bool = True) -> str:
    """Insert a customer (two active cards and a frozen one); return its ref.

    The demo ledger's opening balance follows from the ref (5,000–200,000
    yuan per account): the ref is drawn until both active cards hold at
    least :data:`MIN_OPENING_FEN`, so a test moving money is never refused
    for the balance by chance (a 10,000-yuan purchase failed in ~3% of runs).
    """
    while True:
        ref = "T" + uuid.uuid4().hex[:10]
        if all(opening_balance(ref, mask_card(card)) >= MIN_OPENING_FEN for card in CARDS[:2]):
            break
    with ctx.db.write() as session:
        session.add(
            Customer(
                customer_ref=ref,
                name="测试客户",
                segment="普通",
                phone=PHONE,
                id_number=ID_NUMBER,
                cards=[
                    {"number": CARDS[0], "product": "借记卡", "status": "active"},
                    {"number": CARDS[1], "product": "借记卡", "status": "active"},
                    {"number": CARDS[2], "product": "信用卡", "status": "frozen"},
                ]
                if cards
                else [],
                security_question=QUESTION,
                security_answer_hash=hash_security_answer(ctx.passwords, ANSWER),
                transaction_password_hash=hash_transaction_password(ctx.passwords, PIN),
                risk_rating=risk_rating,
            )
        )
    return ref


def make_contact(ctx: ServerContext, agent_id: str, customer_ref: str, *,
                 simulated: bool = False, status: str = "active") -> str:
    """Insert a chat contact of ``customer_ref`` handled by ``agent_id``; return its id."""
    now = utcnow()
    contact_id = str(uuid.uuid4())
    with ctx.db.write() as session:
        session.add(
            Contact(
                id=contact_id, channel="chat", queue="chat.general", queue_rank=0.0,
                status=status, customer_ref=customer_ref, agent_id=agent_id,
                first_words="hello", queued_at=now, offered_at=now, accepted_at=now,
                simulated=simulated,
            )
        )
    return contact_id


@dataclass
class Live:
    """A signed-in agent with an active contact: ``call(method, path, **kw)`` records bodies."""

    api: httpx.Client
    headers: dict[str, str]
    ctx: ServerContext
    agent_id: str
    customer_ref: str
    contact_id: str
    bodies: list[str]

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with the agent's token; remember the body for the no-clear-PII check."""
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = self.api.request(method, path, headers=headers, **kwargs)
        self.bodies.append(response.text)
        return response

    def verify(self, method: str, answer: str = "") -> httpx.Response:
        return self.call("POST", f"/contacts/{self.contact_id}/verify",
                         json={"method": method, "answer": answer})

    def operate(self, code: str, fields: dict[str, Any], disclosure_id: str | None = None,
                key: str | None = None, lang: str | None = None) -> httpx.Response:
        """``POST /contacts/{id}/operations/{code}`` (``lang``: ``?lang=``, the summary's language)."""
        body: dict[str, Any] = {"fields": fields}
        if disclosure_id is not None:
            body["disclosure_id"] = disclosure_id
        params = {"lang": lang} if lang is not None else None
        return self.call("POST", f"/contacts/{self.contact_id}/operations/{code}", json=body,
                         params=params, headers={"Idempotency-Key": key or str(uuid.uuid4())})

    def assert_no_secrets(self) -> None:
        """No clear phone, ID, card number or answer in any body received."""
        for body in self.bodies:
            for secret in SECRETS:
                assert secret not in body, secret


def start_live(api: httpx.Client, sign_in: Any, ctx: ServerContext, agent: dict[str, Any],
               **customer: Any) -> Live:
    """Sign ``agent`` in and give them an active contact with a fresh test customer."""
    token = sign_in(api, dict(agent))["access_token"]
    ref = make_customer(ctx, **customer)
    contact_id = make_contact(ctx, agent["employee_id"], ref)
    return Live(api, bearer(token), ctx, agent["employee_id"], ref, contact_id, [])
