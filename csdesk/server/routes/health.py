"""``/health``: liveness, version and server clock (no auth)."""

from __future__ import annotations

from fastapi import APIRouter

import csdesk
from csdesk.domain.schemas import Health
from csdesk.server.db import utcnow

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
async def health() -> Health:
    """``{"status": "ok", "version", "time"}``; clients compare ``time`` with their clock."""
    return Health(status="ok", version=csdesk.__version__, time=utcnow())
