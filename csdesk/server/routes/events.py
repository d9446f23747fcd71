"""``/events``: the agent's Server-Sent Events stream (sse-starlette)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from csdesk.server.auth import token_usable
from csdesk.server.context import ServerContext
from csdesk.server.deps import Auth, Ctx, problems
from csdesk.server.events import encode, events_after, last_event_id, parse_last_event_id, stream

router = APIRouter(tags=["events"])


def _load(ctx: ServerContext, agent_id: str, after: int) -> list[dict[str, str]]:
    with ctx.db.read() as session:
        return [encode(row) for row in events_after(session, agent_id, after)]


def _newest(ctx: ServerContext) -> int:
    with ctx.db.read() as session:
        return last_event_id(session)


def _ping() -> ServerSentEvent:
    return ServerSentEvent(comment="ping")


@router.get(
    "/events",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "SSE stream"},
        **problems(401),
    },
)
async def events(
    ctx: Ctx,
    auth: Auth,
    last_event_id_header: Annotated[
        str | None, Header(alias="Last-Event-ID", description="Resume after this event id")
    ] = None,
) -> EventSourceResponse:
    """Events for this agent and broadcasts: ``state``, ``announcement``, ``settings``.

    With ``Last-Event-ID`` every stored event with a greater id is replayed
    first; without it the stream starts at the newest event. A ``: ping``
    comment comes every ``heartbeat`` seconds (15 by default). The stream
    ends when the access token is revoked or expires.
    """
    waiter = ctx.hub.subscribe()
    after = parse_last_event_id(last_event_id_header)
    if after is None:
        after = await run_in_threadpool(_newest, ctx)

    async def load(agent_id: str, cursor: int) -> list[dict[str, str]]:
        return await run_in_threadpool(_load, ctx, agent_id, cursor)

    async def still_valid() -> bool:
        return await run_in_threadpool(token_usable, ctx, auth.token_id)

    body = stream(
        hub=ctx.hub,
        waiter=waiter,
        agent_id=auth.agent_id,
        after=after,
        load=load,
        still_valid=still_valid,
        heartbeat=ctx.settings.heartbeat,
        expires_at=auth.expires_at,
    )
    return EventSourceResponse(body, ping=ctx.settings.heartbeat, ping_message_factory=_ping)
