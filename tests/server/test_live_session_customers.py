"""Demo customers (issue #4): well-formed numbers, hashed secrets, seeded once."""

from __future__ import annotations

from sqlalchemy import select

from csdesk.server.customers import DEMO_CUSTOMERS, id_check_char, luhn_digit, seed_customers
from csdesk.server.models import Customer
from csdesk.server.runner import BackgroundServer
from csdesk.server.verification import normalise_answer


def test_demo_customers_are_well_formed() -> None:
    assert len(DEMO_CUSTOMERS) == 20
    assert {c["segment"] for c in DEMO_CUSTOMERS} == {"普通", "贵宾", "私行"}
    for demo in DEMO_CUSTOMERS:
        assert len(demo["phone"]) == 11 and demo["phone"].startswith("1")
        ident = demo["id_number"]
        assert len(ident) == 18 and ident[-1] == id_check_char(ident[:17])
        assert 1 <= len(demo["cards"]) <= 3
        for card in demo["cards"]:
            number = card["number"]
            assert number.startswith("62") and len(number) in range(16, 20)
            assert number[-1] == luhn_digit(number[:-1])
        assert len(demo["transaction_password"]) == 6 and demo["transaction_password"].isdigit()
        assert 1 <= demo["risk_rating"] <= 5
    assert id_check_char("11010519491231002") == "X"  # GB 11643-1999 example


def test_seeded_customers_hold_hashes_only(backend: BackgroundServer) -> None:
    ctx = backend.context
    assert ctx.customers_ready.wait(10)
    with ctx.db.read() as session:
        rows = list(session.scalars(select(Customer).order_by(Customer.customer_ref)))
    demo_refs = {d["customer_ref"] for d in DEMO_CUSTOMERS}
    rows = [r for r in rows if r.customer_ref in demo_refs]
    assert len(rows) == 20
    for row, demo in zip(rows, DEMO_CUSTOMERS, strict=True):
        assert demo["security_answer"] not in row.security_answer_hash
        assert ctx.passwords.verify(row.security_answer_hash, normalise_answer(demo["security_answer"]))
        assert ctx.passwords.verify(row.transaction_password_hash, demo["transaction_password"])
    assert seed_customers(ctx) is False  # once per database
