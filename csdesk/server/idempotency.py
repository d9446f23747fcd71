"""``Idempotency-Key`` handling for mutations (``docs/protocol.md``, "Idempotency").

The server keeps (agent, key) → (fingerprint, status, body) for
``idempotency_ttl`` seconds. The fingerprint is SHA-256 over the method, the
path and the canonical JSON of the validated body. A repeat with the same
fingerprint gets the stored status and body and applies nothing; a repeat
with another fingerprint is refused with ``idempotency-key-reused`` (422).
Only successful answers are stored: a refused request applied nothing, so
sending it again is safe and gets a fresh verdict.

Race safety: the lookup, the mutation and the insert of the key run in one
write transaction. On SQLite that transaction starts with ``BEGIN
IMMEDIATE``, so a second request with the same key waits and then finds the
stored answer. On a database with concurrent writers the unique constraint on
(agent, key) rejects the loser, which retries once and finds the answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.models import IdempotencyKey
from csdesk.server.problems import ProblemError

#: What an ``Idempotency-Key`` may look like: 1-255 visible ASCII characters.
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class Outcome:
    """A mutation's answer: HTTP status, JSON body, and whether it was replayed from storage."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def check_key(raw: str | None) -> str | None:
    """Validate the header value; ``None`` passes. Raises ``validation-error`` (422) otherwise."""
    if raw is None:
        return None
    if not KEY_PATTERN.match(raw):
        raise ProblemError(
            "validation-error",
            "Idempotency-Key must be 1-255 visible ASCII characters.",
            errors=[
                {"field": "header.Idempotency-Key", "message": "1-255 visible ASCII characters"}
            ],
        )
    return raw


def fingerprint(method: str, path: str, body: Any) -> str:
    """SHA-256 hex of ``METHOD\\npath\\n`` + canonical JSON of ``body`` (sorted keys, no spaces)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method.upper()}\n{path}\n{canonical}".encode()).hexdigest()


def run_idempotent(
    ctx: ServerContext,
    *,
    agent_id: str,
    key: str | None,
    method: str,
    path: str,
    body: Any,
    apply: Callable[[Session], Outcome],
) -> Outcome:
    """Run ``apply(session)`` in a write transaction at most once per (agent, key).

    Without a key, ``apply`` simply runs. With one: a stored answer for the
    same request is returned (``replayed=True``); a stored answer for a
    different request raises :class:`ProblemError` ``idempotency-key-reused``;
    otherwise ``apply`` runs and its outcome is stored in the same
    transaction when its status is 2xx. Errors raised by ``apply`` roll the
    transaction back and store nothing.
    """
    request_print = fingerprint(method, path, body)
    for attempt in range(2):
        try:
            with ctx.db.write() as session:
                if key is not None:
                    stored = _lookup(session, ctx, agent_id, key, request_print)
                    if stored is not None:
                        return stored
                outcome = apply(session)
                if key is not None and 200 <= outcome.status_code < 300:
                    _remember(session, ctx, agent_id, key, method, path, request_print, outcome)
                return outcome
        except IntegrityError:
            if key is None or attempt:
                raise
    raise AssertionError("unreachable")


def _lookup(
    session: Session, ctx: ServerContext, agent_id: str, key: str, request_print: str
) -> Outcome | None:
    row = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.agent_id == agent_id, IdempotencyKey.key == key)
    )
    if row is None:
        return None
    if row.created_at <= utcnow() - timedelta(seconds=ctx.settings.idempotency_ttl):
        session.delete(row)
        session.flush()
        return None
    if row.fingerprint != request_print:
        raise ProblemError(
            "idempotency-key-reused",
            "This Idempotency-Key was used for a different request.",
        )
    return Outcome(status_code=row.status_code, body=dict(row.body), replayed=True)


def _remember(
    session: Session,
    ctx: ServerContext,
    agent_id: str,
    key: str,
    method: str,
    path: str,
    request_print: str,
    outcome: Outcome,
) -> None:
    now = utcnow()
    session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.agent_id == agent_id,
            IdempotencyKey.created_at <= now - timedelta(seconds=ctx.settings.idempotency_ttl),
        )
    )
    session.add(
        IdempotencyKey(
            agent_id=agent_id,
            key=key,
            method=method.upper(),
            path=path,
            fingerprint=request_print,
            status_code=outcome.status_code,
            body=outcome.body,
            created_at=now,
        )
    )
    session.flush()
