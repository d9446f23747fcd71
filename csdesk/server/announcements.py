"""Announcements: what agents see, their acknowledgements, and publishing.

Operating guide §1.2: after sign-in, announcements pop up; mandatory ones need
an acknowledgement that the server records (who, which version, when — by the
server clock). Editing an announcement bumps its version, and an
acknowledgement only counts for the version it names, so a changed text must
be acknowledged again.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from csdesk.domain.schemas import AckResult
from csdesk.domain.schemas import Announcement as AnnouncementView
from csdesk.server.audit import audit
from csdesk.server.changes import record_change
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.events import publish
from csdesk.server.models import Announcement, AnnouncementAck
from csdesk.server.problems import ProblemError
from csdesk.server.views import announcement_view


def _latest_acks(session: Session, agent_id: str, ids: list[str]) -> dict[str, AnnouncementAck]:
    acks: dict[str, AnnouncementAck] = {}
    if not ids:
        return acks
    rows = session.scalars(
        select(AnnouncementAck).where(
            AnnouncementAck.agent_id == agent_id, AnnouncementAck.announcement_id.in_(ids)
        )
    )
    for ack in rows:
        best = acks.get(ack.announcement_id)
        if best is None or ack.version > best.version:
            acks[ack.announcement_id] = ack
    return acks


def _is_current(row: Announcement, now: datetime) -> bool:
    return row.published_at <= now and (row.expires_at is None or row.expires_at > now)


def current_announcements(
    session: Session, agent_id: str, now: datetime | None = None
) -> list[AnnouncementView]:
    """Published, unexpired announcements, newest first, each with ``agent_id``'s latest ack."""
    now = now or utcnow()
    rows = list(
        session.scalars(
            select(Announcement)
            .where(
                Announcement.published_at <= now,
                or_(Announcement.expires_at.is_(None), Announcement.expires_at > now),
            )
            .order_by(Announcement.published_at.desc(), Announcement.id.desc())
        )
    )
    acks = _latest_acks(session, agent_id, [row.id for row in rows])
    return [announcement_view(row, acks.get(row.id)) for row in rows]


def announcement_docs(
    session: Session, agent_id: str, ids: list[str]
) -> dict[str, AnnouncementView]:
    """The documents for ``ids`` as seen by ``agent_id`` (missing ids are left out), for sync."""
    if not ids:
        return {}
    rows = list(session.scalars(select(Announcement).where(Announcement.id.in_(ids))))
    acks = _latest_acks(session, agent_id, [row.id for row in rows])
    return {row.id: announcement_view(row, acks.get(row.id)) for row in rows}


def acknowledge(session: Session, agent_id: str, announcement_id: str, version: int) -> AckResult:
    """Record that ``agent_id`` acknowledged ``version`` of an announcement.

    Acknowledging a version already acknowledged returns the first record
    (its original time); nothing new is stored. Raises :class:`ProblemError`
    ``not-found`` (404) for an unknown, unpublished or expired announcement
    and ``version-conflict`` (409) when ``version`` is not the current one
    (the text changed since the agent read it).
    """
    now = utcnow()
    row = session.get(Announcement, announcement_id)
    if row is None or not _is_current(row, now):
        raise ProblemError("not-found", "No such announcement.")
    if version != row.version:
        raise ProblemError(
            "version-conflict",
            f"The announcement is at version {row.version}; "
            "read it again and acknowledge that version.",
        )
    existing = session.scalar(
        select(AnnouncementAck).where(
            AnnouncementAck.agent_id == agent_id,
            AnnouncementAck.announcement_id == announcement_id,
            AnnouncementAck.version == version,
        )
    )
    if existing is None:
        existing = AnnouncementAck(
            agent_id=agent_id, announcement_id=announcement_id, version=version, acknowledged_at=now
        )
        session.add(existing)
        record_change(session, "announcements", announcement_id, agent_id=agent_id)
        audit(session, agent_id=agent_id, type="ack", detail=f"{announcement_id} v{version}")
    return AckResult(
        announcement_id=announcement_id, version=version, acknowledged_at=existing.acknowledged_at
    )


def publish_announcement(
    ctx: ServerContext,
    *,
    title: str,
    body: str,
    mandatory: bool,
    announcement_id: str | None = None,
    published_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> AnnouncementView:
    """Publish a new announcement (version 1) and broadcast an ``announcement`` event.

    ``announcement_id`` defaults to a random ``ann-…`` id; times are aware
    UTC datetimes (``published_at`` defaults to now). Raises ``ValueError``
    when the id is taken.
    """
    now = utcnow()
    with ctx.db.write() as session:
        ident = announcement_id or f"ann-{secrets.token_hex(6)}"
        if session.get(Announcement, ident) is not None:
            raise ValueError(f"announcement {ident} already exists")
        row = Announcement(
            id=ident,
            title=title,
            body=body,
            mandatory=mandatory,
            version=1,
            published_at=published_at or now,
            expires_at=expires_at,
            updated_at=now,
        )
        session.add(row)
        return _announce(session, row)


def update_announcement(
    ctx: ServerContext,
    announcement_id: str,
    *,
    title: str | None = None,
    body: str | None = None,
    mandatory: bool | None = None,
) -> AnnouncementView:
    """Change an announcement's text or flag; bumps ``version`` so earlier acks no longer count.

    Broadcasts an ``announcement`` event. Raises ``KeyError`` for an unknown id.
    """
    with ctx.db.write() as session:
        row = session.get(Announcement, announcement_id)
        if row is None:
            raise KeyError(announcement_id)
        if title is not None:
            row.title = title
        if body is not None:
            row.body = body
        if mandatory is not None:
            row.mandatory = mandatory
        row.version += 1
        row.updated_at = utcnow()
        return _announce(session, row)


def withdraw_announcement(ctx: ServerContext, announcement_id: str) -> None:
    """End an announcement now: it leaves the list and sync reports it deleted.

    Its acknowledgements stay (audit). Raises ``KeyError`` for an unknown id.
    """
    now = utcnow()
    with ctx.db.write() as session:
        row = session.get(Announcement, announcement_id)
        if row is None:
            raise KeyError(announcement_id)
        row.expires_at = now
        row.updated_at = now
        record_change(session, "announcements", announcement_id, deleted=True)


def _announce(session: Session, row: Announcement) -> AnnouncementView:
    session.flush()
    view = announcement_view(row, None)
    record_change(session, "announcements", row.id)
    publish(session, agent_id=None, type="announcement", data=view.model_dump(mode="json"))
    return view
