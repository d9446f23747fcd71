"""Demo bank customers and the masked customer card (issue #4, operating guide §2.1).

:data:`DEMO_CUSTOMERS` is the one source of the demo customers: the seed, the
training simulator (which must know the right answers to give them) and the
tests read it. The values are made up but well formed: 11-digit mainland
mobile numbers, 18-digit resident ID numbers with a valid GB 11643-1999
check character, and card numbers of 16 or 19 digits starting ``62``
(China UnionPay) with a valid Luhn check digit (ISO/IEC 7812-1).

In the database the security answer and the 6-digit transaction password
are Argon2id hashes made with the backend's password hasher
(``csdesk.server.verification.hash_security_answer`` /
``hash_transaction_password``); phone, ID and card numbers are stored in
clear because verification compares digits of them, and only
:func:`customer_card` (masked, ``csdesk.domain.masking``) leaves the backend.
"""

from __future__ import annotations

import logging
import threading
from datetime import date
from typing import Final, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain.contact_schemas import CardView, CustomerCard, PastContact
from csdesk.domain.contacts import Channel
from csdesk.domain.masking import mask_card, mask_id_number, mask_phone
from csdesk.domain.work_orders import OPEN_STATUSES
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.models import Customer, Meta, SessionRecord, WorkOrder

_log = logging.getLogger(__name__)

#: How many past contacts the customer card lists (newest first).
LAST_CONTACTS = 5

_SEEDED_KEY = "seeded_customers_at"


class DemoCard(TypedDict):
    """A demo card: ``number`` in clear (16 or 19 digits), product name, status."""

    number: str
    product: str
    status: str


class DemoCustomer(TypedDict):
    """A demo customer with every secret in clear (for the simulator and tests only)."""

    customer_ref: str
    name: str
    segment: str
    phone: str
    id_number: str
    cards: list[DemoCard]
    security_question: str
    security_answer: str
    transaction_password: str
    risk_rating: int


def id_check_char(first17: str) -> str:
    """The 18th character of a resident ID number (GB 11643-1999, ISO 7064 MOD 11-2).

    ``first17`` is 17 digits; returns ``"0"``-``"9"`` or ``"X"``. Raises
    ``ValueError`` for anything else.
    """
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("17 digits expected")
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return "10X98765432"[total % 11]


def luhn_digit(payload: str) -> str:
    """The Luhn check digit to append to ``payload`` (digits; ISO/IEC 7812-1 Annex B)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _id_number(area: str, born: date, seq: int) -> str:
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def _card(bin6: str, length: int, n: int) -> str:
    body = f"{bin6}{n:0{length - 7}d}"
    return body + luhn_digit(body)


# name, segment, phone, area code, birth date, ID sequence, question, answer,
# transaction password, risk rating, cards: (BIN, length, serial, product, status)
_RAW: Final = [
    ("王建国", "普通", "13812345678", "110101", date(1975, 3, 7), 123, "您母亲的姓名是？", "李秀兰", "135790", 2,
     [("622202", 19, 4400100001, "借记卡·灵通卡", "active")]),
    ("李秀英", "贵宾", "13911112222", "310104", date(1968, 11, 21), 246, "您小学的校名是？", "向阳小学", "246810", 3,
     [("621700", 19, 3100200002, "借记卡·龙卡", "active"), ("625807", 16, 300003, "信用卡·白金卡", "active")]),
    ("张敏", "普通", "15000003333", "440103", date(1990, 6, 15), 58, "您的出生城市是？", "广州", "112233", 2,
     [("622848", 19, 4401300003, "借记卡·金穗卡", "active")]),
    ("刘洋", "普通", "18600004444", "510104", date(1988, 1, 30), 77, "您最喜欢的运动是？", "羽毛球", "908172", 1,
     [("621483", 16, 500004, "借记卡·一卡通", "active")]),
    ("陈晓明", "私行", "13600005555", "330106", date(1965, 9, 2), 315, "您第一辆车的品牌是？", "桑塔纳", "564738", 5,
     [("622202", 19, 3301600005, "借记卡·私人银行卡", "active"), ("625807", 16, 600006, "信用卡·无限卡", "active"),
      ("621700", 19, 3301600007, "借记卡·龙卡", "frozen")]),
    ("杨丽", "普通", "15800006666", "420102", date(1995, 4, 12), 402, "您的宠物叫什么名字？", "豆豆", "102938", 2,
     [("621483", 16, 700008, "借记卡·一卡通", "active")]),
    ("赵强", "贵宾", "13700007777", "120101", date(1979, 12, 5), 19, "您父亲的生日是几月几日？", "五月一日", "675849", 4,
     [("622848", 19, 1201000009, "借记卡·金穗卡", "active"), ("625807", 16, 800010, "信用卡·金卡", "active")]),
    ("黄婷婷", "普通", "18900008888", "350102", date(1998, 8, 8), 266, "您最喜欢的颜色是？", "蓝色", "314159", 1,
     [("622202", 19, 3501000011, "借记卡·灵通卡", "active")]),
    ("周杰", "普通", "13300009999", "320102", date(1985, 2, 28), 133, "您的出生城市是？", "南京", "271828", 3,
     [("621700", 19, 3201000012, "借记卡·龙卡", "active"), ("621483", 16, 900013, "借记卡·一卡通", "closed")]),
    ("吴芳", "贵宾", "15900001010", "370102", date(1972, 7, 19), 88, "您母亲的姓名是？", "王桂芝", "161803", 3,
     [("622848", 19, 3701000014, "借记卡·金穗卡", "active"), ("625807", 16, 100015, "信用卡·白金卡", "active")]),
    ("徐磊", "普通", "13500001111", "410102", date(1992, 10, 3), 311, "您小学的校名是？", "实验小学", "424242", 2,
     [("622202", 16, 4101016, "借记卡·灵通卡", "active")]),
    ("孙丽娟", "普通", "18800001212", "210102", date(1983, 5, 25), 207, "您最喜欢的水果是？", "苹果", "838383", 2,
     [("621700", 19, 2101000017, "借记卡·龙卡", "active")]),
    ("胡军", "普通", "13000001313", "430102", date(1970, 3, 14), 55, "您的出生城市是？", "长沙", "777123", 1,
     [("621483", 16, 1300018, "借记卡·一卡通", "frozen")]),
    ("朱静", "贵宾", "15100001414", "340102", date(1987, 11, 11), 424, "您的宠物叫什么名字？", "咪咪", "909090", 4,
     [("622202", 19, 3401000019, "借记卡·灵通卡", "active"), ("625807", 16, 1400020, "信用卡·金卡", "active")]),
    ("高峰", "私行", "13900001515", "110105", date(1960, 1, 1), 99, "您第一份工作的单位是？", "第一机床厂", "505050", 5,
     [("621700", 19, 1101050021, "借记卡·私人银行卡", "active"), ("625807", 16, 1500022, "信用卡·无限卡", "active")]),
    ("林小红", "普通", "18500001616", "350203", date(2000, 2, 29), 362, "您最喜欢的颜色是？", "红色", "123987", 1,
     [("622848", 19, 3502030023, "借记卡·金穗卡", "active")]),
    ("何勇", "普通", "13200001717", "500103", date(1977, 6, 6), 171, "您父亲的姓名是？", "何建华", "654321", 2,
     [("621483", 16, 1700024, "借记卡·一卡通", "active"), ("622202", 19, 5001030025, "借记卡·灵通卡", "active")]),
    ("郭雪", "普通", "15600001818", "610103", date(1993, 12, 24), 288, "您的出生城市是？", "西安", "246135", 3,
     [("621700", 19, 6101030026, "借记卡·龙卡", "active")]),
    ("马超", "贵宾", "13100001919", "640104", date(1981, 4, 4), 45, "您最喜欢的运动是？", "篮球", "357246", 4,
     [("622848", 19, 6401040027, "借记卡·金穗卡", "active"), ("625807", 16, 1900028, "信用卡·白金卡", "frozen")]),
    ("罗欣", "普通", "18700002020", "530102", date(1996, 9, 9), 333, "您小学的校名是？", "翠湖小学", "864209", 2,
     [("621483", 16, 2000029, "借记卡·一卡通", "active")]),
]

#: The 20 demo customers (refs ``CU0001``…``CU0020``), secrets in clear.
DEMO_CUSTOMERS: Final[list[DemoCustomer]] = [
    {
        "customer_ref": f"CU{i:04d}",
        "name": name,
        "segment": segment,
        "phone": phone,
        "id_number": _id_number(area, born, seq),
        "cards": [
            {"number": _card(bin6, length, n), "product": product, "status": status}
            for bin6, length, n, product, status in cards
        ],
        "security_question": question,
        "security_answer": answer,
        "transaction_password": pin,
        "risk_rating": risk,
    }
    for i, (name, segment, phone, area, born, seq, question, answer, pin, risk, cards) in enumerate(
        _RAW, start=1
    )
]


def seed_customers(ctx: ServerContext) -> bool:
    """Insert :data:`DEMO_CUSTOMERS` once per database; return whether it did.

    Answers and transaction passwords are hashed with ``ctx.passwords``
    (Argon2id at the context's cost; tests use cheap parameters). A
    ``meta`` row remembers the seeding, so customers deleted later are not
    brought back; customers that already exist are left alone. Stops
    without writing when the server closes meanwhile (the next start seeds).
    """
    with ctx.db.read() as session:
        if session.get(Meta, _SEEDED_KEY) is not None:
            return False
    rows = []
    for demo in DEMO_CUSTOMERS:
        if ctx.hub.closed:  # the server is stopping: the next start seeds
            return False
        rows.append(_customer_row(ctx, demo))
    with ctx.db.write() as session:
        if session.get(Meta, _SEEDED_KEY) is not None:
            return False
        for row in rows:
            if session.get(Customer, row.customer_ref) is None:
                session.add(row)
        session.add(Meta(key=_SEEDED_KEY, value=utcnow().isoformat()))
    return True


def _customer_row(ctx: ServerContext, demo: DemoCustomer) -> Customer:
    from csdesk.server.verification import hash_security_answer, hash_transaction_password

    return Customer(
        customer_ref=demo["customer_ref"],
        name=demo["name"],
        segment=demo["segment"],
        phone=demo["phone"],
        id_number=demo["id_number"],
        cards=[dict(card) for card in demo["cards"]],
        security_question=demo["security_question"],
        security_answer_hash=hash_security_answer(ctx.passwords, demo["security_answer"]),
        transaction_password_hash=hash_transaction_password(
            ctx.passwords, demo["transaction_password"]
        ),
        risk_rating=demo["risk_rating"],
    )


def start_seeding(ctx: ServerContext) -> threading.Thread:
    """Run :func:`seed_customers` in a daemon thread; ``ctx.customers_ready`` is set when done.

    Hashing 40 secrets at production Argon2 cost takes seconds, so the demo
    backend answers sign-ins meanwhile; :func:`wait_for_customers` (used by
    ``enqueue_contact``) waits for it.
    """
    ctx.customers_ready.clear()

    def run() -> None:
        try:
            seed_customers(ctx)
        except Exception:  # database closed under us (server stopped at once)
            _log.warning("seeding demo customers failed", exc_info=True)
        finally:
            ctx.customers_ready.set()

    thread = threading.Thread(target=run, name="csdesk-seed-customers", daemon=True)
    thread.start()
    return thread


def wait_for_customers(ctx: ServerContext, timeout: float = 60.0) -> bool:
    """Wait until background seeding (if any) finished; return whether it did within ``timeout`` s."""
    return ctx.customers_ready.wait(timeout)


def customer_card(session: Session, customer: Customer) -> CustomerCard:
    """The masked card the desk shows (design §8): phone ``138****5678``, ID first 3 +
    last 4, cards first 6 + last 4 (PCI DSS 3.4), and the last
    :data:`LAST_CONTACTS` wrapped-up contacts, newest first.

    ``open_work_orders`` counts the customer's work orders still open
    (issue #6: ``new`` … ``pending_*``), matched by customer reference.
    """
    open_orders = session.scalar(
        select(func.count()).select_from(WorkOrder).where(
            WorkOrder.customer_ref == customer.customer_ref, WorkOrder.status.in_(sorted(OPEN_STATUSES))
        )
    ) or 0
    records = session.scalars(
        select(SessionRecord)
        .where(SessionRecord.customer_ref == customer.customer_ref)
        .order_by(SessionRecord.ended_at.desc())
        .limit(LAST_CONTACTS)
    )
    return CustomerCard(
        customer_ref=customer.customer_ref,
        name=customer.name,
        segment=customer.segment,
        phone_masked=mask_phone(customer.phone),
        id_number_masked=mask_id_number(customer.id_number),
        cards=[
            CardView(
                number_masked=mask_card(str(card.get("number", ""))),
                product=str(card.get("product", "")),
                status=card.get("status", "active"),
            )
            for card in customer.cards or []
        ],
        risk_rating=min(5, max(1, customer.risk_rating)),
        open_work_orders=open_orders,
        last_contacts=[
            PastContact(at=r.ended_at, channel=Channel(r.channel), disposition=r.disposition)
            for r in records
        ],
        possible_fraud=customer.possible_fraud,
    )
