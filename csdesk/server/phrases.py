"""Quick phrases in the backend: team phrases, personal phrases, their sync (issue #5).

Operating guide §1.3 (personal quick phrases) and §3.4 (quick phrases and
templates). Two sync collections (:mod:`csdesk.server.changes`):

* ``team_phrases`` — :class:`~csdesk.server.models.TeamPhrase` rows, the
  same for every agent (change rows without an agent). Written by the demo
  seed (:func:`seed_team_phrases`, ``csdesk/server/data/phrases.toml``) and
  by ``csdesk admin phrases load FILE`` (:func:`load_team_phrase_file`).
* ``my_phrases`` — the agent's :class:`~csdesk.server.models.PersonalPhrase`
  rows (change rows naming the agent). Written through ``PUT`` / ``DELETE
  /me/phrases/{id}`` (:func:`save_personal_phrase`,
  :func:`delete_personal_phrase`), which desks send from their outbox with an
  ``Idempotency-Key``. Every write carries the version it was based on; any
  other stored version is a 409 ``version-conflict`` whose problem names the
  ``current_version``. A deleted phrase stays as a tombstone (reported
  ``deleted`` by sync) so a stale edit of it conflicts too.

Every write also publishes a ``phrase`` event to the agent (``{"id",
"version"}``): the agent's other desks pull ``my_phrases``. Functions taking a
``Session`` work inside the caller's transaction; none commits by itself.
Text is cleaned (:func:`csdesk.domain.phrases.PhraseFields.clean`: no
control characters or escape sequences) and checked
(:func:`csdesk.domain.phrases.check_phrase`) before it is stored.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain import phrases as ph
from csdesk.domain.ids import ID_MAX
from csdesk.domain.phrase_schemas import PhraseDeleted, PhraseDoc, PhraseWrite
from csdesk.domain.phrases import MY_PHRASES, TEAM_PHRASES, PhraseFields, check_phrase
from csdesk.server.changes import record_change
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.events import publish
from csdesk.server.models import PersonalPhrase, TeamPhrase
from csdesk.server.problems import ProblemError
from csdesk.server.seed_once import seed_once

#: The demo team phrases (``[[phrase]]`` tables, see :func:`load_team_phrases`).
DEMO_PHRASES_FILE: Final = Path(__file__).resolve().parent / "data" / "phrases.toml"

_SEEDED_KEY = "seeded_team_phrases_at"

__all__ = [
    "DEMO_PHRASES_FILE",
    "MY_PHRASES",
    "TEAM_PHRASES",
    "delete_personal_phrase",
    "TeamLoad",
    "list_personal_phrases",
    "load_team_phrase_file",
    "load_team_phrases",
    "personal_phrase_docs",
    "save_personal_phrase",
    "seed_team_phrases",
    "team_phrase_docs",
]


def _doc(row: TeamPhrase | PersonalPhrase, scope: ph.Scope) -> PhraseDoc:
    return PhraseDoc(
        id=row.id, code=row.code, title=row.title, body=row.body, category=row.category,
        scope=scope, version=row.version, updated_at=row.updated_at,
    )


# -- team phrases ---------------------------------------------------------------------


def load_team_phrases(path: Path = DEMO_PHRASES_FILE) -> list[tuple[str, PhraseFields]]:
    """Read and check a team-phrase file: ``[(id, fields), …]`` in file order.

    The file holds ``[[phrase]]`` tables with ``id``, ``code``, ``title``,
    ``body`` and optional ``category`` (strings). Raises ``OSError`` if it
    cannot be read and ``ValueError`` naming the phrase for a TOML error, a
    missing or non-string field, a bad id, a repeated id or code, or a
    problem of :func:`csdesk.domain.phrases.check_phrase` (unknown
    placeholders included).
    """
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
    tables = data.get("phrase", [])
    if not isinstance(tables, list):
        raise ValueError(f"{path.name}: 'phrase' must be an array of tables ([[phrase]])")
    result: list[tuple[str, PhraseFields]] = []
    ids: set[str] = set()
    codes: dict[str, str] = {}
    for number, table in enumerate(tables, start=1):
        where = f"{path.name}: phrase {number}"
        if not isinstance(table, dict):
            raise ValueError(f"{where}: not a table")
        values = {name: table.get(name, "" if name == "category" else None) for name in
                  ("id", "code", "title", "body", "category")}
        for name, value in values.items():
            if not isinstance(value, str):
                raise ValueError(f"{where}: '{name}' must be a string")
        ident = str(values["id"]).strip()
        if not ph.ID_PATTERN.match(ident):
            raise ValueError(f"{where}: bad id {ident!r}")
        if ident in ids:
            raise ValueError(f"{where}: id {ident!r} repeated")
        fields = PhraseFields.clean(
            code=str(values["code"]), title=str(values["title"]),
            body=str(values["body"]), category=str(values["category"]),
        )
        problems = check_phrase(fields, taken_codes=codes)
        if problems:
            raise ValueError(f"{where} ({ident}): " + "; ".join(p.english() for p in problems))
        ids.add(ident)
        codes[fields.code] = fields.title
        result.append((ident, fields))
    return result


def seed_team_phrases(ctx: ServerContext, path: Path = DEMO_PHRASES_FILE) -> int:
    """Insert the demo team phrases (version 1) once per database; return how many.

    Runs with the other demo data (``ServerSettings.seed_demo``). A ``meta``
    row remembers it, so a database seeded by an older csdesk gets them once
    and phrases removed later do not come back; ids or codes that already
    exist are left alone. Each new phrase gets a change row for every agent.
    Raises ``ValueError`` for a broken file (see :func:`load_team_phrases`).
    """
    def add(session: Session, phrases: list[tuple[str, PhraseFields]], now: datetime) -> int:
        ids = set(session.scalars(select(TeamPhrase.id)))
        codes = set(session.scalars(select(TeamPhrase.code)))
        added = 0
        for ident, fields in phrases:
            if ident in ids or fields.code in codes:
                continue
            session.add(TeamPhrase(
                id=ident, code=fields.code, title=fields.title, body=fields.body,
                category=fields.category, version=1, updated_at=now,
            ))
            record_change(session, TEAM_PHRASES, ident)
            added += 1
        return added

    return seed_once(ctx, _SEEDED_KEY, lambda: load_team_phrases(path), add)


@dataclass(frozen=True)
class TeamLoad:
    """What :func:`load_team_phrase_file` did: ids ``added``, ``changed`` (version + 1),
    ``unchanged`` and ``removed`` (with ``prune``), each in file / id order."""

    added: list[str]
    changed: list[str]
    unchanged: list[str]
    removed: list[str]


def load_team_phrase_file(ctx: ServerContext, path: Path, *, prune: bool = False) -> TeamLoad:
    """Make the team phrases what ``path`` says (``csdesk admin phrases load``).

    ``path`` is read and checked by :func:`load_team_phrases` (``ValueError``
    / ``OSError`` before anything changes). In one transaction: a new id is
    added (version 1), a phrase whose code, title, body or category differ
    is changed (version + 1), the rest is left alone; with ``prune`` the team
    phrases the file does not name are removed. Every add, change and removal
    gets a change row for every agent, so desks pull it. Raises
    ``ValueError`` when a code of the file belongs to a team phrase the file
    does not name and ``prune`` is off.
    """
    phrases = load_team_phrases(path)
    wanted = {ident for ident, _fields in phrases}
    now = utcnow()
    with ctx.db.write() as session:
        rows = {row.id: row for row in session.scalars(select(TeamPhrase))}
        kept_codes = {row.code: row.id for row in rows.values() if row.id not in wanted}
        clash = [(f.code, kept_codes[f.code]) for _i, f in phrases if f.code in kept_codes]
        if clash and not prune:
            code, owner = clash[0]
            raise ValueError(f"code {code!r} belongs to team phrase {owner!r}, which the file does not name "
                             "(remove it with --prune, or give the file's phrase another code)")
        removed: list[str] = []
        if prune:
            for ident in sorted(set(rows) - wanted):
                session.delete(rows.pop(ident))
                record_change(session, TEAM_PHRASES, ident, deleted=True)
                removed.append(ident)
        changing = [(ident, f) for ident, f in phrases if ident in rows and rows[ident].code != f.code]
        for number, (ident, _fields) in enumerate(changing):
            rows[ident].code = f"~{number}"  # codes are unique: free them before they move
        session.flush()
        added: list[str] = []
        changed: list[str] = []
        unchanged: list[str] = []
        for ident, fields in phrases:
            row = rows.get(ident)
            if row is None:
                session.add(TeamPhrase(id=ident, code=fields.code, title=fields.title, body=fields.body,
                                       category=fields.category, version=1, updated_at=now))
                added.append(ident)
            elif (row.code, row.title, row.body, row.category) != (fields.code, fields.title, fields.body,
                                                                     fields.category):
                row.code, row.title, row.body, row.category = fields.code, fields.title, fields.body, fields.category
                row.version += 1
                row.updated_at = now
                changed.append(ident)
            else:
                unchanged.append(ident)
                continue
            record_change(session, TEAM_PHRASES, ident)
    return TeamLoad(added, changed, unchanged, removed)


def team_phrase_docs(session: Session, agent_id: str, ids: list[str]) -> dict[str, PhraseDoc]:
    """The ``team_phrases`` sync documents for ``ids`` (any agent; a missing row is left
    out, so :func:`csdesk.server.sync.sync_page` reports it deleted)."""
    if not ids:
        return {}
    rows = session.scalars(select(TeamPhrase).where(TeamPhrase.id.in_(ids)))
    return {row.id: _doc(row, "team") for row in rows}


# -- personal phrases -----------------------------------------------------------------


def personal_phrase_docs(session: Session, agent_id: str, ids: list[str]) -> dict[str, PhraseDoc]:
    """The ``my_phrases`` sync documents for ``ids``: ``agent_id``'s live phrases only
    (a tombstone is left out and so reported deleted)."""
    if not ids:
        return {}
    rows = session.scalars(
        select(PersonalPhrase).where(
            PersonalPhrase.agent_id == agent_id,
            PersonalPhrase.id.in_(ids),
            PersonalPhrase.deleted.is_(False),
        )
    )
    return {row.id: _doc(row, "personal") for row in rows}


def list_personal_phrases(session: Session, agent_id: str) -> list[PhraseDoc]:
    """``agent_id``'s live personal phrases, by code."""
    rows = session.scalars(
        select(PersonalPhrase)
        .where(PersonalPhrase.agent_id == agent_id, PersonalPhrase.deleted.is_(False))
        .order_by(PersonalPhrase.code)
    )
    return [_doc(row, "personal") for row in rows]


def _check_id(phrase_id: str) -> None:
    if not ph.ID_PATTERN.match(phrase_id):
        raise ProblemError(
            "validation-error",
            "The phrase id is not valid.",
            errors=[{"field": "path.phrase_id",
                     "message": f"1-{ID_MAX} letters, digits, '.', '_' or '-', starting with a letter or digit"}],
        )


def _check_version(row: PersonalPhrase | None, base_version: int) -> int:
    """The stored version (0: none); raises ``version-conflict`` (409) unless it is ``base_version``."""
    current = row.version if row is not None else 0
    if base_version != current:
        raise ProblemError(
            "version-conflict",
            f"The phrase is at version {current}, not {base_version}; reload and apply the change again.",
            extensions={"current_version": current},
        )
    return current


def _taken_codes(session: Session, agent_id: str, phrase_id: str) -> dict[str, str]:
    rows = session.execute(
        select(PersonalPhrase.code, PersonalPhrase.title).where(
            PersonalPhrase.agent_id == agent_id,
            PersonalPhrase.id != phrase_id,
            PersonalPhrase.deleted.is_(False),
        )
    )
    return {code: title for code, title in rows}


def _announce(session: Session, agent_id: str, row: PersonalPhrase) -> None:
    record_change(session, MY_PHRASES, row.id, agent_id=agent_id, deleted=row.deleted)
    publish(session, agent_id=agent_id, type="phrase", data={"id": row.id, "version": row.version})


def save_personal_phrase(
    session: Session, agent_id: str, phrase_id: str, write: PhraseWrite
) -> PhraseDoc:
    """Create (``base_version`` 0) or replace ``agent_id``'s phrase ``phrase_id``.

    Raises :class:`ProblemError`: ``validation-error`` (422) for a bad id,
    for the problems of :func:`~csdesk.domain.phrases.check_phrase` (field
    errors ``body.code`` …; a code another of the agent's live phrases has
    is one) and for a new phrase beyond :data:`~csdesk.domain.phrases.PERSONAL_MAX`;
    ``version-conflict`` (409, ``current_version`` in the problem) when the
    stored version (0 when there is none; a tombstone keeps its own) is not
    ``write.base_version``. The version is checked first. Returns the stored
    phrase (version + 1, or 1 when new).
    """
    _check_id(phrase_id)
    row = session.get(PersonalPhrase, (agent_id, phrase_id))
    current = _check_version(row, write.base_version)
    fields = PhraseFields.clean(code=write.code, title=write.title, body=write.body, category=write.category)
    problems = check_phrase(fields, taken_codes=_taken_codes(session, agent_id, phrase_id))
    if (row is None or row.deleted) and not problems:
        live = session.scalar(
            select(func.count()).select_from(PersonalPhrase).where(
                PersonalPhrase.agent_id == agent_id, PersonalPhrase.deleted.is_(False)
            )
        ) or 0
        if live >= ph.PERSONAL_MAX:
            problems.append(ph.PhraseProblem("code", "too-many"))
    if problems:
        raise ProblemError(
            "validation-error",
            "The phrase cannot be saved: " + "; ".join(p.english() for p in problems) + ".",
            errors=[{"field": f"body.{p.field}", "message": p.english()} for p in problems],
        )
    now = utcnow()
    if row is None:
        row = PersonalPhrase(agent_id=agent_id, id=phrase_id, version=1, deleted=False, updated_at=now,
                             code=fields.code, title=fields.title, body=fields.body, category=fields.category)
        session.add(row)
    else:
        row.code, row.title, row.body, row.category = fields.code, fields.title, fields.body, fields.category
        row.version = current + 1
        row.deleted = False
        row.updated_at = now
    session.flush()
    _announce(session, agent_id, row)
    return _doc(row, "personal")


def delete_personal_phrase(
    session: Session, agent_id: str, phrase_id: str, base_version: int
) -> PhraseDeleted:
    """Delete ``agent_id``'s phrase ``phrase_id``, decided on ``base_version``.

    A live phrase becomes a tombstone at version + 1. A phrase that is
    already gone (never stored: version 0; or a tombstone) is answered as
    deleted at its version and nothing changes. Raises :class:`ProblemError`
    ``validation-error`` (422) for a bad id and ``version-conflict`` (409,
    ``current_version``) when ``base_version`` is not the stored version.
    """
    _check_id(phrase_id)
    row = session.get(PersonalPhrase, (agent_id, phrase_id))
    current = _check_version(row, base_version)
    if row is None or row.deleted:
        return PhraseDeleted(id=phrase_id, version=current)
    row.deleted = True
    row.version = current + 1
    row.updated_at = utcnow()
    session.flush()
    _announce(session, agent_id, row)
    return PhraseDeleted(id=phrase_id, version=row.version)

