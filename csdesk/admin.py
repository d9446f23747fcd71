"""``csdesk admin``: agent accounts, announcements and team quick phrases, straight on the backend's database.

Operating guide §1.1: an administrator issues each agent an account with a
temporary password; §1.2: announcements pop up after sign-in. These commands
open the reference backend's SQLite file themselves (no HTTP, no admin API),
so run them on the backend's host, as the user that owns the database. A
running backend sees the changes at once (SQLite in WAL mode); a new
announcement reaches the signed-in agents' event streams within about 2 s
(the backend polls for events written by other processes:
``csdesk.server.events.EventHub``).

Every act is written to the audit table as an ``admin`` event with the
operating-system user who ran it. Temporary passwords are printed once and
stored only as Argon2id hashes.

The group is registered in ``csdesk.commands`` (``cli.add_command(admin)``).
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from csdesk.cli_common import actor, db_option, display_width, open_database, pad
from csdesk.domain.text import clean_text

if TYPE_CHECKING:
    from csdesk.server.context import ServerContext

#: Longest announcement title the database holds (characters).
TITLE_MAX = 256

# Where the group leaves ``--db`` for its subcommands (``Context.meta`` is shared
# by the whole chain, also when ``admin`` runs under ``csdesk``).
_DB_KEY = "csdesk.admin.db_path"


def _open_context(db_path: Path) -> ServerContext:
    from csdesk.server.config import ServerSettings
    from csdesk.server.context import ServerContext

    return ServerContext.open(ServerSettings(db_path=db_path, seed_demo=False))


def _open(click_ctx: click.Context) -> AbstractContextManager[ServerContext]:
    """Open the database chosen with ``--db``; a clear error when it is missing or not one."""
    return open_database(click_ctx, _DB_KEY, _open_context, lambda ctx: ctx.close())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@db_option
@click.pass_context
def admin(click_ctx: click.Context, db_path: Path | None) -> None:
    """Administer agents and announcements of a csdesk backend.

    Works on the backend's database file directly (no network, no admin API):
    run it on the backend's host. Every change is recorded in the audit table
    with your user name.
    """
    click_ctx.meta[_DB_KEY] = db_path


@admin.group()
def agent() -> None:
    """Agent accounts: create, reset password or authenticator, unlock, list."""


@agent.command("add")
@click.argument("employee_id")
@click.option("--name", required=True, help="Full name as agents and supervisors see it.")
@click.option("--team", required=True, help="Team, e.g. 零售客服一组.")
@click.option("--phone", help="Mobile number for SMS codes (when the backend has them on).")
@click.pass_context
def agent_add(
    click_ctx: click.Context, employee_id: str, name: str, team: str, phone: str | None
) -> None:
    """Create agent EMPLOYEE_ID and print a one-time temporary password.

    The password meets the backend's password policy. The agent must change
    it at the first sign-in and then enrol an authenticator app. It is shown
    only now: hand it to the agent in person.
    """
    from csdesk.server.agent_admin import add_agent_report

    with _open(click_ctx) as ctx:
        try:
            added = add_agent_report(
                ctx, employee_id, name=name, team=team, phone=phone, actor=actor()
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {added.employee_id} ({name.strip()}, {team.strip()}).")
    click.echo(f"Temporary password (shown only now): {added.password}")
    click.echo("At the first sign-in the agent sets a new password and enrols an authenticator.")
    if added.cleared_lockout:
        what = "a lockout" if added.was_locked else "failed sign-ins"
        click.echo(
            f"Note: {what} recorded for {added.employee_id} before it existed "
            "(someone tried this ID) was cleared; the account starts unlocked."
        )


@agent.command("reset-password")
@click.argument("employee_id")
@click.pass_context
def agent_reset_password(click_ctx: click.Context, employee_id: str) -> None:
    """Give EMPLOYEE_ID a new temporary password and print it.

    The agent must change it at the next sign-in. Any lockout is lifted, and
    the agent's current sign-ins end (the agent goes Offline).
    """
    from csdesk.server.agent_admin import AgentNotFoundError, reset_password

    with _open(click_ctx) as ctx:
        try:
            password = reset_password(ctx, employee_id, actor=actor())
        except AgentNotFoundError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Temporary password for {employee_id.strip().upper()} (shown only now): {password}")
    click.echo("The agent must change it at the next sign-in.")


@agent.command("reset-mfa")
@click.argument("employee_id")
@click.pass_context
def agent_reset_mfa(click_ctx: click.Context, employee_id: str) -> None:
    """Forget EMPLOYEE_ID's authenticator (lost or new phone).

    The agent enrols a new authenticator app at the next sign-in; current
    sign-ins end (the agent goes Offline).
    """
    from csdesk.server.agent_admin import AgentNotFoundError, reset_mfa

    with _open(click_ctx) as ctx:
        try:
            had_one = reset_mfa(ctx, employee_id, actor=actor())
        except AgentNotFoundError as exc:
            raise click.ClickException(str(exc)) from exc
    ident = employee_id.strip().upper()
    if had_one:
        click.echo(f"Authenticator of {ident} removed; the agent enrols a new one at the next sign-in.")
    else:
        click.echo(f"{ident} had no authenticator yet; the agent enrols one at the next sign-in.")


@agent.command("unlock")
@click.argument("employee_id")
@click.pass_context
def agent_unlock(click_ctx: click.Context, employee_id: str) -> None:
    """Lift EMPLOYEE_ID's lockout (after too many wrong passwords) and reset the count.

    Works for any ID, also one no agent has: wrong passwords typed with an
    unknown ID lock it exactly like a real one (so the answers give nothing
    away), and that lock would carry over to an account created with the ID
    later. The output says whether the ID is a known agent.
    """
    from csdesk.server.agent_admin import unlock_agent_report

    with _open(click_ctx) as ctx:
        try:
            result = unlock_agent_report(ctx, employee_id, actor=actor())
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    if result.was_locked:
        line = f"{result.key} unlocked."
    elif result.had_failures:
        line = f"{result.key} was not locked; failures reset."
    else:
        line = f"{result.key} was not locked; no failures recorded."
    whose = "known agent" if result.known else "no agent has this ID"
    click.echo(f"{line} ({whose})")


def _local(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M %z")


@agent.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per agent (times in UTC).")
@click.pass_context
def agent_list(click_ctx: click.Context, as_json: bool) -> None:
    """List agents: ID, name, team, state, locked until, must change password, TOTP enrolled.

    "locked until" is in this machine's time zone; "must change" means the
    next sign-in starts with a password change (temporary or expired).
    """
    from csdesk.server.agent_admin import list_agents

    with _open(click_ctx) as ctx:
        agents = list_agents(ctx)
    if as_json:
        for row in agents:
            click.echo(
                json.dumps(
                    {
                        "employee_id": row.employee_id,
                        "name": row.name,
                        "team": row.team,
                        "state": row.state,
                        "locked_until": row.locked_until.isoformat() if row.locked_until else None,
                        "must_change_password": row.must_change_password,
                        "totp_enrolled": row.totp_enrolled,
                    },
                    ensure_ascii=False,
                )
            )
        return
    header = ["ID", "NAME", "TEAM", "STATE", "LOCKED UNTIL", "MUST CHANGE", "TOTP"]
    lines = [
        [
            row.employee_id,
            # Names stored before the control-character check could still
            # hold escape sequences: never print them raw to a terminal.
            clean_text(row.name, keep_newlines=False),
            clean_text(row.team, keep_newlines=False),
            row.state,
            _local(row.locked_until),
            "yes" if row.must_change_password else "no",
            "yes" if row.totp_enrolled else "no",
        ]
        for row in agents
    ]
    widths = [max(display_width(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    for cells in [header, *lines]:
        click.echo("  ".join(pad(cell, w) for cell, w in zip(cells, widths, strict=True)).rstrip())
    if not lines:
        click.echo("(no agents)")


def _parse_until(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 time, e.g. 2026-12-31T18:00 or 2026-12-31T10:00Z",
            param_hint="'--until'",
        ) from exc
    if moment.tzinfo is None:
        moment = moment.astimezone()  # this machine's time zone
    moment = moment.astimezone(UTC)
    if moment <= datetime.now(UTC):
        raise click.BadParameter("must be in the future", param_hint="'--until'")
    return moment


@admin.command("announce")
@click.option("--title", required=True, help=f"Title (1-{TITLE_MAX} characters).")
@click.option(
    "--body-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
    help="UTF-8 text file with the announcement body.",
)
@click.option(
    "--mandatory/--no-mandatory",
    required=True,
    default=None,
    help="Whether agents must acknowledge it before the desk opens.",
)
@click.option(
    "--until",
    metavar="ISO",
    help="When it stops showing, ISO 8601 (no offset = this machine's time zone). Default: never.",
)
@click.pass_context
def announce(
    click_ctx: click.Context,
    title: str,
    body_file: Path,
    mandatory: bool | None,
    until: str | None,
) -> None:
    """Publish an announcement to every agent: after sign-in, and live to those signed in."""
    from csdesk.server.announcements import publish_announcement
    from csdesk.server.audit import audit

    if mandatory is None:
        raise click.UsageError(
            "Missing option '--mandatory' / '--no-mandatory': "
            "say whether agents must acknowledge it before the desk opens."
        )

    title = title.strip()
    if not title:
        raise click.BadParameter("must not be blank", param_hint="'--title'")
    if len(title) > TITLE_MAX:
        raise click.BadParameter(f"must be at most {TITLE_MAX} characters", param_hint="'--title'")
    try:
        body = body_file.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{body_file} is not UTF-8 text") from exc
    except OSError as exc:
        raise click.ClickException(f"cannot read {body_file}: {exc.strerror}") from exc
    if not body:
        raise click.ClickException(f"{body_file} is empty")
    expires_at = _parse_until(until)
    with _open(click_ctx) as ctx:
        view = publish_announcement(
            ctx, title=title, body=body, mandatory=mandatory, expires_at=expires_at
        )
        with ctx.db.write() as session:
            audit(session, agent_id=None, type="admin", detail=f"announce {view.id} by {actor()}")
    kind = "mandatory" if mandatory else "not mandatory"
    shown = f"until {_local(expires_at)}" if expires_at else "with no end"
    click.echo(f"Published {view.id} ({kind}), {shown}.")


@admin.group()
def phrases() -> None:
    """Team quick phrases (issue #5, guide §3.4): what every agent's F6 list and /code offer."""


@phrases.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--prune", is_flag=True, help="Also remove the team phrases the file does not name.")
@click.pass_context
def phrases_load(click_ctx: click.Context, path: Path, prune: bool) -> None:
    """Make the team phrases what PATH says: a TOML file of [[phrase]] tables with
    id, code, title, body and category (the format of csdesk/server/data/phrases.toml).

    New ids are added, changed phrases get a new version, desks pull them at their
    next sync. The whole file is checked first (codes, lengths, unknown placeholders):
    a problem changes nothing.
    """
    from csdesk.server.audit import audit
    from csdesk.server.phrases import load_team_phrase_file

    with _open(click_ctx) as ctx:
        try:
            done = load_team_phrase_file(ctx, path, prune=prune)
        except UnicodeDecodeError as exc:
            raise click.ClickException(f"{path} is not UTF-8 text") from exc
        except (OSError, ValueError) as exc:
            raise click.ClickException(clean_text(str(exc), keep_newlines=False, max_chars=400)) from exc
        with ctx.db.write() as session:
            audit(session, agent_id=None, type="admin",
                  detail=f"phrases load {path.name}: +{len(done.added)} ~{len(done.changed)} "
                         f"-{len(done.removed)} by {actor()}")
    click.echo(f"Team phrases: {len(done.added)} added, {len(done.changed)} changed, "
               f"{len(done.unchanged)} unchanged, {len(done.removed)} removed.")


@phrases.command("list")
@click.pass_context
def phrases_list(click_ctx: click.Context) -> None:
    """List the team phrases: code, category, title, version."""
    from sqlalchemy import select

    from csdesk.server.models import TeamPhrase

    with _open(click_ctx) as ctx, ctx.db.read() as session:
        rows = list(session.scalars(select(TeamPhrase).order_by(TeamPhrase.category, TeamPhrase.code)))
        for row in rows:
            click.echo(f"/{pad(row.code, 10)} {pad(row.category, 14)} {row.title}  (v{row.version}, {row.id})")
        click.echo(f"{len(rows)} team phrases.")
