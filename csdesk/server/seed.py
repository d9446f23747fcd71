"""Deterministic demo data for a new database (``csdesk demo``, training, tests).

:data:`DEMO_AGENTS` is the one source of the demo accounts for the README,
the tests and the login screen's hints. Each TOTP secret is 32 base32
characters (160 bits, RFC 4226 §4 R6); add it to an authenticator app, or
compute a code with ``pyotp.TOTP(secret).now()``. Their passwords count as
changed at seeding time, so they sign in with password + TOTP and are not
asked for a change (until the policy's ``max_age_days`` have passed).

:data:`DEMO_FIRST_SIGN_IN` is an account in the first-sign-in state
(operating guide §1.1/§1.3): a temporary password that must be changed and
no authenticator yet, so signing in walks through the password change and
TOTP enrolment. Its phone receives SMS codes when the backend has them on
(the demo sender writes them to ``sms.log`` beside the database).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final, TypedDict

from sqlalchemy.orm import Session

from csdesk.domain.agent_state import AgentState
from csdesk.server.changes import record_change
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.knowledge import seed_knowledge
from csdesk.server.models import Agent, Announcement, Meta
from csdesk.server.passwords import set_password
from csdesk.server.phrases import seed_team_phrases


class DemoAgent(TypedDict):
    """A demo account: sign in with ``employee_id`` + ``password``, then a TOTP code.

    ``phone`` is where SMS codes go (a made-up number).
    """

    employee_id: str
    name: str
    team: str
    password: str
    totp_secret: str
    phone: str


class DemoFirstSignIn(TypedDict):
    """The demo account in the first-sign-in state: ``password`` is temporary, no TOTP yet."""

    employee_id: str
    name: str
    team: str
    password: str
    phone: str


class DemoAnnouncement(TypedDict):
    """A demo announcement; ages and lifetimes are relative to seeding time."""

    id: str
    title: str
    body: str
    mandatory: bool
    published_hours_ago: int
    expires_in_days: int | None


DEMO_AGENTS: Final[list[DemoAgent]] = [
    {
        "employee_id": "A1001",
        "name": "张伟",
        "team": "零售客服一组",
        "password": "Demo#2026a",
        "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        "phone": "13800001001",
    },
    {
        "employee_id": "A1002",
        "name": "李娜 / Li Na",
        "team": "零售客服一组",
        "password": "Demo#2026b",
        "totp_secret": "JRUSATTBEBSGK3LPEBQWGY3POVXHIIJO",
        "phone": "13800001002",
    },
    {
        "employee_id": "A1003",
        "name": "王芳",
        "team": "信用卡客服组",
        "password": "Demo#2026c",
        "totp_secret": "K5QW4ZZAIZQW4ZZAMRSW23ZAMFRWG5BO",
        "phone": "13800001003",
    },
]

#: Demo agents with more than the agent role (issue #6): 李娜 leads her team's
#: work-order queues and approves complaint extensions past 30 days.
DEMO_ROLES: Final[dict[str, str]] = {"A1002": "supervisor"}

#: The first-sign-in demo account (README "Demo accounts"): sign in with the
#: temporary password, choose a new one, then enrol an authenticator app.
DEMO_FIRST_SIGN_IN: Final[DemoFirstSignIn] = {
    "employee_id": "A1004",
    "name": "陈静",
    "team": "零售客服一组",
    "password": "Temp#2026d",
    "phone": "13800001004",
}

DEMO_ANNOUNCEMENTS: Final[list[DemoAnnouncement]] = [
    {
        "id": "ann-antifraud-script",
        "title": "反诈骗话术更新",
        "body": (
            "自即日起，凡客户来电涉及转账、汇款、解除账户限制或修改预留手机号，"
            "坐席须在办理前完整播报以下提示：\n"
            "“本行工作人员不会以任何理由向您索要短信验证码、交易密码或要求您向"
            "所谓‘安全账户’转账。如有人以公检法、客服退款、贷款解冻等名义要求您"
            "转账，请立即停止操作并拨打 96110 反诈专线。”\n"
            "客户表示正受他人指导操作、通话中有第三方提示、或转账对象为陌生个人"
            "账户时，应暂停业务办理，按《可疑交易上报流程》提交工单并标记“疑似"
            "电信诈骗”。\n本公告须确认已阅读后方可进入工作台。"
        ),
        "mandatory": True,
        "published_hours_ago": 2,
        "expires_in_days": None,
    },
    {
        "id": "ann-holiday-hours",
        "title": "元旦假期服务安排",
        "body": (
            "元旦假期期间（1 月 1 日至 1 月 3 日），电话银行人工服务照常 7×24 小时"
            "提供；网点营业时间调整为 9:00—16:00，对公业务暂停办理。\n"
            "客户咨询假期期间跨行转账到账时间时，请说明：小额支付系统正常运行，"
            "大额支付系统假期后首个工作日处理。"
        ),
        "mandatory": False,
        "published_hours_ago": 26,
        "expires_in_days": 45,
    },
    {
        "id": "ann-kb-release",
        "title": "知识库更新：信用卡分期手续费说明",
        "body": (
            "知识库已更新《信用卡账单分期手续费说明》：新增 3 期、6 期费率示例，"
            "以及提前还款时剩余手续费的计算方法。\n"
            "解答分期问题时，请以知识库最新版本为准，并提醒客户分期手续费按期收取、"
            "提前还款不退已收取部分。"
        ),
        "mandatory": False,
        "published_hours_ago": 50,
        "expires_in_days": 30,
    },
]

_SEEDED_KEY = "seeded_at"
#: Set once the first-sign-in account is in; databases seeded before it existed get it then.
_FIRST_SIGN_IN_KEY = "seeded_first_sign_in_at"


def seed_if_new(ctx: ServerContext) -> bool:
    """Insert the demo agents and announcements once per database.

    The demo knowledge base (``csdesk.server.knowledge.seed_knowledge``,
    issue #5) is seeded first, once per database too, also into a database
    seeded by a csdesk that had none; so are the team quick phrases
    (``csdesk.server.phrases.seed_team_phrases``).

    Returns ``True`` when it seeded, ``False`` when the database was seeded
    before (the ``meta`` table remembers it, so deleting demo data later does
    not bring it back). Agents start Offline; passwords are hashed with the
    context's Argon2 parameters. A demo database seeded by an older csdesk
    (before :data:`DEMO_FIRST_SIGN_IN`) gets that account added once.
    """
    seed_knowledge(ctx)  # issue #5: the demo knowledge base, once per database
    seed_team_phrases(ctx)  # issue #5: the team quick phrases, once per database
    with ctx.db.read() as session:
        seeded = session.get(Meta, _SEEDED_KEY) is not None
        first_sign_in = session.get(Meta, _FIRST_SIGN_IN_KEY) is not None
    if seeded and first_sign_in:
        return False
    passwords = {agent["employee_id"]: agent["password"] for agent in DEMO_AGENTS}
    passwords[DEMO_FIRST_SIGN_IN["employee_id"]] = DEMO_FIRST_SIGN_IN["password"]
    hashes = {ident: ctx.passwords.hash(password) for ident, password in passwords.items()}
    with ctx.db.write() as session:
        did_seed = False
        if session.get(Meta, _SEEDED_KEY) is None:
            _insert(ctx, session, hashes)
            did_seed = True
        if session.get(Meta, _FIRST_SIGN_IN_KEY) is None:
            _insert_first_sign_in(ctx, session, hashes[DEMO_FIRST_SIGN_IN["employee_id"]])
    return did_seed


def _new_agent(
    ctx: ServerContext,
    session: Session,
    *,
    employee_id: str,
    name: str,
    team: str,
    password_hash: str,
    totp_secret: str,
    phone: str,
    temporary: bool,
) -> None:
    now = utcnow()
    agent = Agent(
        employee_id=employee_id,
        name=name,
        team=team,
        password_hash=password_hash,
        totp_secret=totp_secret,
        totp_last_step=None,
        state=AgentState.OFFLINE.value,
        state_reason=None,
        state_since=now,
        created_at=now,
        phone=phone,
    )
    session.add(agent)
    session.flush()
    set_password(
        session, agent, password_hash, ctx.settings.password_policy, now, temporary=temporary
    )


def _insert_first_sign_in(ctx: ServerContext, session: Session, password_hash: str) -> None:
    demo = DEMO_FIRST_SIGN_IN
    if session.get(Agent, demo["employee_id"]) is None:
        _new_agent(
            ctx,
            session,
            employee_id=demo["employee_id"],
            name=demo["name"],
            team=demo["team"],
            password_hash=password_hash,
            totp_secret="",
            phone=demo["phone"],
            temporary=True,
        )
    session.add(Meta(key=_FIRST_SIGN_IN_KEY, value=utcnow().isoformat()))


def _insert(ctx: ServerContext, session: Session, hashes: dict[str, str]) -> None:
    now = utcnow()
    for demo in DEMO_AGENTS:
        if session.get(Agent, demo["employee_id"]) is not None:
            continue
        _new_agent(
            ctx,
            session,
            employee_id=demo["employee_id"],
            name=demo["name"],
            team=demo["team"],
            password_hash=hashes[demo["employee_id"]],
            totp_secret=demo["totp_secret"],
            phone=demo["phone"],
            temporary=False,
        )
        session.flush()
        session.get(Agent, demo["employee_id"]).role = DEMO_ROLES.get(demo["employee_id"], "agent")  # type: ignore[union-attr]
    # Oldest first, so the change log (sync order) follows publication order.
    for ann in sorted(DEMO_ANNOUNCEMENTS, key=lambda a: -a["published_hours_ago"]):
        if session.get(Announcement, ann["id"]) is not None:
            continue
        published = now - timedelta(hours=ann["published_hours_ago"])
        expires = now + timedelta(days=ann["expires_in_days"]) if ann["expires_in_days"] else None
        session.add(
            Announcement(
                id=ann["id"],
                title=ann["title"],
                body=ann["body"],
                mandatory=ann["mandatory"],
                version=1,
                published_at=published,
                expires_at=expires,
                updated_at=now,
            )
        )
        record_change(session, "announcements", ann["id"])
    session.add(Meta(key=_SEEDED_KEY, value=now.isoformat()))
