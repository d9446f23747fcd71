"""Database rows → wire models of :mod:`csdesk.domain.schemas`."""

from __future__ import annotations

from datetime import datetime

from csdesk.domain.agent_state import AgentState, NotReadyReason
from csdesk.domain.password_policy import PasswordPolicy
from csdesk.domain.schemas import (
    AgentProfile,
    AgentSettings,
    AgentStateView,
    Announcement,
    PasswordPolicyView,
    PasswordRuleView,
)
from csdesk.server.models import Agent, AgentSettingsRow, AnnouncementAck
from csdesk.server.models import Announcement as AnnouncementRow


def state_view(agent: Agent) -> AgentStateView:
    """The agent's current state as sent on the wire."""
    return AgentStateView(
        state=AgentState(agent.state),
        reason=NotReadyReason(agent.state_reason) if agent.state_reason else None,
        since=agent.state_since,
    )


def profile(agent: Agent, now: datetime) -> AgentProfile:
    """``GET /me``: identity, state and the server clock ``now``."""
    return AgentProfile(
        employee_id=agent.employee_id,
        name=agent.name,
        team=agent.team,
        state=state_view(agent),
        server_time=now,
    )


def announcement_view(row: AnnouncementRow, ack: AnnouncementAck | None) -> Announcement:
    """An announcement with this agent's latest acknowledgement (``ack``), if any."""
    return Announcement(
        id=row.id,
        title=row.title,
        body=row.body,
        mandatory=row.mandatory,
        version=row.version,
        published_at=row.published_at,
        expires_at=row.expires_at,
        acknowledged_at=ack.acknowledged_at if ack else None,
        acknowledged_version=ack.version if ack else None,
    )


def settings_view(row: AgentSettingsRow | None) -> AgentSettings:
    """The agent's settings; version 0 and empty data when never saved."""
    if row is None:
        return AgentSettings(data={}, version=0, updated_at=None)
    return AgentSettings(data=dict(row.data), version=row.version, updated_at=row.updated_at)


def policy_view(policy: PasswordPolicy) -> PasswordPolicyView:
    """``GET /auth/password-policy``: the policy's numbers and its rules in checklist order."""
    rules = []
    for rule in policy.rule_ids():
        line = policy.describe(rule)
        rules.append(
            PasswordRuleView(
                rule=rule,
                message_key=line.message_key,
                params=dict(line.params),
                message=line.message,
            )
        )
    return PasswordPolicyView(
        min_length=policy.min_length,
        require_upper=policy.require_upper,
        require_lower=policy.require_lower,
        require_digit=policy.require_digit,
        require_symbol=policy.require_symbol,
        forbid_employee_id=policy.forbid_employee_id,
        history=policy.history,
        max_age_days=policy.max_age_days,
        warn_days=policy.warn_days,
        rules=rules,
    )
