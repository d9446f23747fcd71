"""The click commands: ``csdesk``, ``csdesk demo``, ``csdesk server``.

The TUI, the backend client and the backend itself are imported inside the
command that needs them. The plain ``csdesk [--server URL] [--lang L]`` start
usually does not come here at all: ``csdesk.cli.main`` opens the desk without
importing click (see there), and falls back to these commands for everything
else, including every error message.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from csdesk import __version__
from csdesk.cli import run_tui
from csdesk.config import ConfigError, config_path, data_dir, load_config, normalize_server_url

LANGUAGES = ("zh-CN", "en")


def _server_option(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_server_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--server'") from exc


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--server",
    metavar="URL",
    help="Backend base URL, e.g. https://csdesk.bank.example (overrides the config file).",
)
@click.option("--lang", type=click.Choice(LANGUAGES), help="UI language for this run.")
@click.version_option(__version__, prog_name="csdesk")
@click.pass_context
def cli(ctx: click.Context, server: str | None, lang: str | None) -> None:
    """csdesk: the agent desktop for bank contact centres.

    With no command, opens the desk against the backend given by --server or by
    `server = "URL"` in the config file.
    """
    if ctx.invoked_subcommand is not None:
        return
    try:
        config = load_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    url = _server_option(server) or config.server
    if not url:
        raise click.ClickException(
            "no backend configured.\n"
            f'  Put  server = "https://your-backend"  in {config_path()}\n'
            "  or run  csdesk --server URL\n"
            "  or try the built-in demo backend:  csdesk demo"
        )
    sys.exit(run_tui(url, language=lang or config.language))




@cli.command()
@click.option("--reset", is_flag=True, help="Delete the demo database and start over.")
@click.option("--lang", type=click.Choice(LANGUAGES), help="UI language for this run.")
def demo(reset: bool, lang: str | None) -> None:
    """Start the built-in reference backend with demo data, then open the desk.

    The backend listens on 127.0.0.1 on a free port and stops when the desk
    quits. Its database and log are in the data folder (see README).
    """
    from csdesk.demo import DemoBackend, DemoError

    try:
        config = load_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        with DemoBackend(data_dir(), reset=reset) as backend:
            code = run_tui(backend.url, language=lang or config.language)
    except DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    sys.exit(code)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port (0 = any free port).")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite database file (default: server.db in the data folder).",
)
@click.option("--reset", is_flag=True, help="Delete the database first and seed demo data again.")
@click.option(
    "--sms/--no-sms",
    default=False,
    help="Offer SMS sign-in codes; this reference sender writes them to sms.log beside the database.",
)
@click.option(
    "--demo-data/--no-demo-data",
    default=True,
    show_default=True,
    help="Seed the demo agents and announcements into a new database (turn off for a bank's own).",
)
def server(host: str, port: int, db_path: Path | None, reset: bool, sms: bool, demo_data: bool) -> None:
    """Run the reference backend alone (uvicorn, SQLite in WAL mode)."""
    from csdesk.server.runner import serve

    watch_parent_from_env()

    serve(host, port, db_path or data_dir() / "server.db", reset=reset, seed_demo=demo_data, sms_enabled=sms)


def _register_admin() -> None:
    from csdesk.admin import admin

    cli.add_command(admin)


_register_admin()


def watch_parent_from_env() -> None:
    """Stop this process when the process named in ``CSDESK_PARENT_PID`` is gone.

    ``csdesk demo`` sets it for its backend child, so that a desk killed by a
    closed terminal or SSH hang-up (SIGHUP, SIGKILL) does not leave an orphan
    backend holding the demo database. Checks once a second.
    """
    import os
    import signal
    import threading
    import time

    raw = os.environ.pop("CSDESK_PARENT_PID", "")
    if not raw.isdigit():
        return
    parent = int(raw)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
