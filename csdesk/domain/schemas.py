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
    """RFC 9457 problem details. ``type`` is a URI; ``code`` is our short slug."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    code: str | None = None
    errors: list[dict[str, Any]] | None = None


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
    """Answer to step 1: a short-lived ticket for the second factor (seconds)."""

    mfa_ticket: str
    methods: list[str]
    expires_in: int


class MfaRequest(WireModel):
    """Step 2 of sign-in: the ticket and a one-time code (a string of digits)."""

    mfa_ticket: str = Field(min_length=1, max_length=256)
    code: str = Field(min_length=1, max_length=32)


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
