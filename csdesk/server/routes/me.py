"""``/me``: the signed-in agent's profile, state, password and settings."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from csdesk.domain.agent_state import AgentState
from csdesk.domain.desk_settings import limit_idle_minutes
from csdesk.domain.schemas import (
    AgentProfile,
    AgentSettings,
    AgentStateView,
    MyPasswordChange,
    SettingsUpdate,
    StateChangeRequest,
)
from csdesk.server.agent_settings import get_settings, save_settings
from csdesk.server.agents import change_state_by_hand
from csdesk.server.auth import change_my_password
from csdesk.server.db import utcnow
from csdesk.server.deps import Auth, Ctx, IdempotencyKeyHeader, idempotent_answer, problems
from csdesk.server.idempotency import Outcome
from csdesk.server.models import Agent
from csdesk.server.presence import release_contacts, resume_from_offline
from csdesk.server.problems import ProblemError
from csdesk.server.views import profile, state_view

router = APIRouter(prefix="/me", tags=["me"])


def _agent(session: Session, agent_id: str) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise ProblemError("unauthorized", "The agent no longer exists.")
    return agent


@router.get("", response_model=AgentProfile, responses=problems(401))
def me(ctx: Ctx, auth: Auth) -> AgentProfile:
    """The agent's identity and current state, with the server clock."""
    with ctx.db.read() as session:
        return profile(_agent(session, auth.agent_id), utcnow())


@router.put("/state", response_model=AgentStateView, responses=problems(401, 409, 422))
def put_state(body: StateChangeRequest, ctx: Ctx, auth: Auth) -> AgentStateView:
    """Ready, Not Ready (with a reason) or Offline, by the rules of ``agent_state.can_move``.

    409 ``illegal-transition`` (Offline while On Contact included: end the
    contact or sign out); 422 ``validation-error`` for a missing or
    misplaced reason. Offline releases the agent's contacts like a sign-out
    (``csdesk.server.presence``): a ringing offer goes back to the queue
    head, a contact in wrap-up stays the agent's — and asking for Ready or
    Not Ready from Offline while it awaits wrap-up puts the agent back in
    ACW (the answer says ``acw``; the ACW timer restarts).
    """
    with ctx.db.write() as session:
        agent = _agent(session, auth.agent_id)
        now = utcnow()
        if body.state is not AgentState.OFFLINE and resume_from_offline(session, ctx.settings, agent, now):
            view = state_view(agent)  # a wrap-up is due first: back in ACW
        else:
            view = change_state_by_hand(session, agent, body.state, body.reason)
            if body.state is AgentState.OFFLINE:
                release_contacts(session, agent, now)
    ctx.routing_wake.set()  # a Ready agent may take a waiting contact now (issue #4)
    return view


@router.put(
    "/password", status_code=204, response_class=Response, responses=problems(401, 422, 423)
)
def put_password(body: MyPasswordChange, ctx: Ctx, auth: Auth) -> Response:
    """Change the password (operating guide §1.3): current one, then a new one (204).

    401 ``invalid-credentials`` for a wrong current password (counts toward
    the lockout; 423 ``account-locked`` ends this sign-in); 422
    ``password-policy`` with the broken rules. The agent's other sign-ins
    are revoked.
    """
    change_my_password(ctx, auth, body.current_password, body.new_password)
    return Response(status_code=204)


@router.get("/settings", response_model=AgentSettings, responses=problems(401))
def read_settings(ctx: Ctx, auth: Auth) -> AgentSettings:
    """The agent's settings document and its version (0 when never saved)."""
    with ctx.db.read() as session:
        return get_settings(session, auth.agent_id)


@router.put("/settings", response_model=AgentSettings, responses=problems(401, 409, 422))
def write_settings(
    body: SettingsUpdate, request: Request, ctx: Ctx, auth: Auth, key: IdempotencyKeyHeader
) -> JSONResponse:
    """Save settings edited from ``base_version``; 409 ``version-conflict`` when stale.

    An ``idle_lock_minutes`` above the bank's maximum
    (``ServerSettings.max_idle_lock_minutes``, ``GET /auth/desk-policy``) is
    stored as the maximum (below 1: as 1); the answer and the ``settings``
    event carry what was stored. With ``Idempotency-Key`` a repeat returns
    the first answer and saves nothing.
    """
    data = limit_idle_minutes(body.data, ctx.settings.max_idle_lock_minutes)

    def apply(session: Session) -> Outcome:
        saved = save_settings(session, auth.agent_id, data, body.base_version)
        return Outcome(200, saved.model_dump(mode="json"))

    return idempotent_answer(request, ctx, auth, key, body.model_dump(mode="json"), apply)
