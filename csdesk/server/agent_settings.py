"""An agent's personal settings document (layout, notifications, key bindings…).

Optimistic concurrency: every save names the version it was edited from
(``base_version``); a save based on anything but the stored version is
refused with ``version-conflict`` (409) rather than silently overwriting.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from csdesk.domain.schemas import AgentSettings
from csdesk.server.changes import record_change
from csdesk.server.db import utcnow
from csdesk.server.events import publish
from csdesk.server.models import AgentSettingsRow
from csdesk.server.problems import ProblemError
from csdesk.server.views import settings_view

#: Largest settings document accepted, in bytes of compact UTF-8 JSON.
MAX_SETTINGS_BYTES = 64 * 1024

#: The id of the one document of the ``settings`` sync collection.
SETTINGS_ITEM_ID = "settings"


def get_settings(session: Session, agent_id: str) -> AgentSettings:
    """The agent's settings (version 0, empty, when never saved)."""
    return settings_view(session.get(AgentSettingsRow, agent_id))


def save_settings(
    session: Session, agent_id: str, data: dict[str, Any], base_version: int
) -> AgentSettings:
    """Replace the settings document; the version goes up by one.

    Publishes a ``settings`` event to the agent and records a sync change.
    Raises :class:`ProblemError` ``version-conflict`` (409) when
    ``base_version`` is not the stored version, and ``validation-error``
    (422) when the document exceeds :data:`MAX_SETTINGS_BYTES`.
    """
    size = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > MAX_SETTINGS_BYTES:
        raise ProblemError(
            "validation-error",
            "Settings are too large.",
            errors=[
                {"field": "body.data", "message": f"at most {MAX_SETTINGS_BYTES} bytes of JSON"}
            ],
        )
    row = session.get(AgentSettingsRow, agent_id)
    current = row.version if row else 0
    if base_version != current:
        raise ProblemError(
            "version-conflict",
            f"Settings are at version {current}, not {base_version}; "
            "reload and apply the change again.",
        )
    now = utcnow()
    if row is None:
        row = AgentSettingsRow(agent_id=agent_id, data=data, version=1, updated_at=now)
        session.add(row)
    else:
        row.data = data
        row.version = current + 1
        row.updated_at = now
    view = settings_view(row)
    record_change(session, "settings", SETTINGS_ITEM_ID, agent_id=agent_id)
    publish(session, agent_id=agent_id, type="settings", data=view.model_dump(mode="json"))
    return view
