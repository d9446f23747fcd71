"""Wire schemas of the ``/api/v1`` protocol, shared by client and backend.

Every time on the wire is an ISO 8601 timestamp in UTC. Field names are the
JSON names. See ``docs/protocol.md`` for the endpoints that carry them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from csdesk.domain.agent_state import AgentState, NotReadyReason


class WireModel(BaseModel):
    """Base of wire models: unknown fields from a newer backend are ignored."""

    model_config = ConfigDict(extra="ignore")


class Problem(WireModel):
    """RFC 9457 problem details. ``type`` is a URI; ``code`` is our short slug.

    ``locked_until`` is an extension member (RFC 9457 §3.2) of
    ``account-locked``: when the account opens again.
    """

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    code: str | None = None
    errors: list[dict[str, Any]] | None = None
    locked_until: datetime | None = None
    #: ``verification-required`` (issue #4): the level the operation needs and the contact's.
    required_level: int | None = None
    current_level: int | None = None
    #: ``version-conflict`` of a personal quick phrase (issue #5): the version stored now.
    current_version: int | None = None
    #: ``version-conflict`` of a work order (issue #6): the stored order, to compare field by field.
    current: dict[str, Any] | None = None


class Health(WireModel):
    """``GET /api/v1/health``: ``time`` is the server clock, for skew checks."""

    status: Literal["ok"]
    version: str
    time: datetime


class LoginRequest(WireModel):
    """Step 1 of sign-in: employee ID and password."""

    employee_id: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class MfaChallenge(WireModel):
    """Answer to step 1: a short-lived ticket for the second factor (seconds).

    ``password_change_required``: the password is temporary or expired; it
    must be changed (``POST /auth/password``) before anything else.
    ``password_expires_in_days``: days left, only within the warning window.
    ``totp_enrolled``: false means enrol first (``/auth/totp/enrol``).
    ``methods``: ``"totp"``, plus ``"sms"`` when the bank has SMS codes on.
    """

    mfa_ticket: str
    methods: list[str]
    expires_in: int
    password_change_required: bool = False
    password_expires_in_days: int | None = None
    totp_enrolled: bool = True


class MfaRequest(WireModel):
    """Step 2 of sign-in: the ticket and a one-time code (a string of digits).

    ``method`` is ``"totp"`` (authenticator app) or ``"sms"`` (a code sent by
    ``POST /auth/sms``).
    """

    mfa_ticket: str = Field(min_length=1, max_length=256)
    code: str = Field(min_length=1, max_length=32)
    method: Literal["totp", "sms"] = "totp"


class RefreshRequest(WireModel):
    """Exchange a refresh token for a new token pair."""

    refresh_token: str = Field(min_length=1, max_length=256)


class AgentStateView(WireModel):
    """An agent's state; ``since`` is when it was entered."""

    state: AgentState
    reason: NotReadyReason | None = None
    since: datetime


class AgentProfile(WireModel):
    """``GET /api/v1/me``."""

    employee_id: str
    name: str
    team: str
    state: AgentStateView
    server_time: datetime


class TokenPair(WireModel):
    """Answer to step 2 and to refresh. Lifetimes are in seconds."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_expires_in: int
    agent: AgentProfile


class StateChangeRequest(WireModel):
    """``PUT /api/v1/me/state``: Ready, or Not Ready with a reason."""

    state: AgentState
    reason: NotReadyReason | None = None


class Announcement(WireModel):
    """A bulletin for agents; ``acknowledged_at`` is this agent's, if any."""

    id: str
    title: str
    body: str
    mandatory: bool
    version: int
    published_at: datetime
    expires_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_version: int | None = None


def is_unread(ann: Announcement) -> bool:
    """True until the agent acknowledged this version (an update needs a new ack)."""
    return ann.acknowledged_version is None or ann.acknowledged_version < ann.version


class AckRequest(WireModel):
    """Acknowledge the given version of an announcement."""

    version: int = Field(ge=1)


class AckResult(WireModel):
    """What the server recorded for an acknowledgement."""

    announcement_id: str
    version: int
    acknowledged_at: datetime


class AgentSettings(WireModel):
    """The agent's personal settings (a free-form document) and its version."""

    data: dict[str, Any] = Field(default_factory=dict)
    version: int = 0
    updated_at: datetime | None = None


class SettingsUpdate(WireModel):
    """``PUT /api/v1/me/settings``: ``base_version`` is the version edited from."""

    data: dict[str, Any]
    base_version: int = Field(ge=0)


class SyncPage(WireModel):
    """``GET /api/v1/sync/{collection}?since=``: changes after a cursor.

    ``items`` are full documents with an ``id``; ``deleted`` are ids removed
    since the cursor. ``cursor`` is opaque; pass it as ``since`` next time.
    ``has_more`` means call again at once.
    """

    collection: str
    items: list[dict[str, Any]]
    deleted: list[str] = Field(default_factory=list)
    cursor: str
    has_more: bool = False


class Event(WireModel):
    """One server-sent event: ``id`` is the resume point for ``Last-Event-ID``."""

    id: str
    type: str
    data: dict[str, Any]


# -- issue #3: sign-in security (docs/protocol.md, "Issue #3 additions") -------

#: Longest password the backend accepts (characters).
PASSWORD_MAX_LENGTH = 256


class PasswordRuleView(WireModel):
    """One rule of the password policy, for the client's checklist.

    ``rule`` is an id of ``csdesk.domain.password_policy.RULE_IDS``;
    ``message_key`` the catalogue id (``password.rule.<rule>``) and
    ``params`` its placeholder values; ``message`` the English text.
    """

    rule: str
    message_key: str
    params: dict[str, int] = Field(default_factory=dict)
    message: str


class PasswordPolicyView(WireModel):
    """``GET /auth/password-policy``: the numbers in force and the rules they make.

    The fields up to ``warn_days`` are those of
    ``csdesk.domain.password_policy.PasswordPolicy`` (``from_mapping``
    rebuilds it); ``max_age_days``/``warn_days`` are days.
    """

    min_length: int
    require_upper: bool
    require_lower: bool
    require_digit: bool
    require_symbol: bool
    forbid_employee_id: bool
    history: int
    max_age_days: int
    warn_days: int
    rules: list[PasswordRuleView]


class DeskPolicyView(WireModel):
    """``GET /auth/desk-policy``: the bank's limits on the agent's personal settings.

    ``max_idle_lock_minutes``: the longest idle lock an agent may choose,
    whole minutes (>= 1). The client offers 1..this and applies a stored
    longer value as this; the server stores a longer ``idle_lock_minutes``
    sent to ``PUT /me/settings`` as this.
    """

    max_idle_lock_minutes: int = Field(ge=1)


class TicketRequest(WireModel):
    """A step of sign-in that only needs the MFA ticket (``/auth/totp/enrol``, ``/auth/sms``)."""

    mfa_ticket: str = Field(min_length=1, max_length=256)


class PasswordChangeRequest(WireModel):
    """``POST /auth/password``: the required change during sign-in."""

    mfa_ticket: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class MyPasswordChange(WireModel):
    """``PUT /me/password``: a signed-in agent changes the password."""

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class TotpEnrolment(WireModel):
    """``POST /auth/totp/enrol``: a new secret (base32, 32 characters) and its ``otpauth://`` URI.

    The URI (``otpauth://totp/csdesk:<ID>?secret=…&issuer=csdesk``) is what a QR code shows.
    """

    secret: str
    otpauth_uri: str


class TotpConfirmRequest(WireModel):
    """``POST /auth/totp/confirm``: the first code from the newly enrolled authenticator."""

    mfa_ticket: str = Field(min_length=1, max_length=256)
    code: str = Field(min_length=1, max_length=32)


class SmsChallenge(WireModel):
    """``POST /auth/sms``: a code was sent; it expires in ``expires_in`` seconds.

    ``sent_to`` is the masked number it went to (``138****5678``).
    """

    expires_in: int
    sent_to: str | None = None


class ReauthRequest(WireModel):
    """``POST /auth/reauth``: the password again, to open the idle lock."""

    password: str = Field(min_length=1, max_length=1024)


# -- issue #3: to-dos (callbacks, synced; work orders: csdesk.domain.work_order_schemas) --

#: Callback statuses; ``scheduled`` is still to be done.
CallbackStatus = Literal["scheduled", "done", "cancelled"]


class Callback(WireModel):
    """A callback the agent promised (sync collection ``callbacks``).

    ``customer_name`` and ``phone_masked`` arrive masked (``王*``,
    ``138****5678``); ``scheduled_at`` is UTC; ``note`` is untrusted text.
    """

    id: str
    agent_id: str
    customer_name: str
    phone_masked: str
    scheduled_at: datetime
    note: str = ""
    status: CallbackStatus
    created_at: datetime
    updated_at: datetime
    version: int = 1
