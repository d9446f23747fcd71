"""The click commands: ``csdesk``, ``csdesk demo``, ``csdesk server`` (and ``csdesk admin``, ``csdesk kb``).

The TUI, the backend client and the backend itself are imported inside the
command that needs them. The plain ``csdesk [--server URL] [--lang L]`` start
usually does not come here at all: ``csdesk.cli.main`` opens the desk without
importing click (see there), and falls back to these commands for everything
else, including every error message.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from csdesk import __version__
from csdesk.cli import run_tui
from csdesk.config import ConfigError, config_path, data_dir, load_config, normalize_server_url
from csdesk.server.config import CHANNEL_MIXES

if TYPE_CHECKING:
    from csdesk.server.runner import SimulatorOptions

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




def _customers_csv(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    """``--customers``: read the CSV now, so a bad file stops the command before anything starts.

    Returns the absolute path. A missing, unreadable, binary, empty or
    header-less file (the first row must name ``text`` and ``category``)
    is a ``BadParameter`` (exit code 2, one line, no traceback).
    """
    if value is None:
        return None
    from csdesk.server.simulator.openings import load_openings

    try:
        openings = load_openings(value, require_header=True)
    except OSError as exc:
        raise click.BadParameter(f"cannot read {value}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise click.BadParameter(
            f"{exc}. Expected a CSV of customer messages whose first row is text,category "
            "(like Banking77's train.csv)."
        ) from exc
    if openings.skipped:
        click.echo(f"{value.name}: {openings.rows} messages, {openings.skipped} malformed rows skipped", err=True)
    return value.resolve()


def _simulator_options(
    simulate: bool | None, customers: Path | None, arrival_seconds: float | None, channels: str, *, default: bool
) -> SimulatorOptions | None:
    """The simulator the options ask for (None: off); ``default`` applies when neither
    ``--simulate`` nor ``--no-simulate`` was given. Options that need the simulator
    together with ``--no-simulate`` are a usage error (exit code 2)."""
    from csdesk.server.runner import SimulatorOptions

    wanted = [name for name, given in (("--customers", customers is not None),
                                       ("--arrival-seconds", arrival_seconds is not None)) if given]
    if simulate is False:
        if wanted:
            raise click.UsageError(f"{' and '.join(wanted)} need the simulator; drop --no-simulate")
        return None
    if simulate is None and not default and not wanted:
        return None
    return SimulatorOptions(
        customers=customers,
        arrival_seconds=arrival_seconds if arrival_seconds is not None else SimulatorOptions.arrival_seconds,
        channels=CHANNEL_MIXES[channels],
    )


def simulator_options(func: Callable[..., None]) -> Callable[..., None]:
    """The training-simulator options shared by ``csdesk demo`` and ``csdesk server``."""
    for option in reversed((
        click.option(
            "--customers",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            callback=_customers_csv,
            metavar="FILE.csv",
            help="Real customer messages as first words: a CSV whose first row is text,category "
            "(e.g. Banking77's train.csv); a scenario is picked by category. Implies --simulate.",
        ),
        click.option(
            "--arrival-seconds",
            type=click.FloatRange(min=0.1, max=86400),
            metavar="SECONDS",
            help="Mean time between two simulated customers (Poisson arrivals). [default: 30]",
        ),
        click.option(
            "--channels",
            type=click.Choice(tuple(CHANNEL_MIXES)),
            default="both",
            show_default=True,
            help="Channels simulated customers arrive on.",
        ),
    )):
        func = option(func)
    return func


@cli.command()
@click.option("--reset", is_flag=True, help="Delete the demo database and start over.")
@click.option("--lang", type=click.Choice(LANGUAGES), help="UI language for this run.")
@click.option(
    "--simulate/--no-simulate",
    default=None,
    help="Simulated customers arrive for training (on unless --no-simulate).",
)
@simulator_options
def demo(
    reset: bool, lang: str | None, simulate: bool | None, customers: Path | None,
    arrival_seconds: float | None, channels: str,
) -> None:
    """Start the built-in reference backend with demo data, then open the desk.

    The backend listens on 127.0.0.1 on a free port and stops when the desk
    quits. Its database and log are in the data folder (see README).
    Simulated customers arrive (a customer every 30 s on average) with the
    scenarios' own first words, or with real messages from --customers.
    """
    from csdesk.demo import DemoBackend, DemoError

    options = _simulator_options(simulate, customers, arrival_seconds, channels, default=True)
    try:
        config = load_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        with DemoBackend(data_dir(), reset=reset, simulator=options) as backend:
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
@click.option(
    "--simulate/--no-simulate",
    default=None,
    help="Run the training simulator: simulated customers arrive in the queues (off unless asked).",
)
@simulator_options
def server(
    host: str, port: int, db_path: Path | None, reset: bool, sms: bool, demo_data: bool,
    simulate: bool | None, customers: Path | None, arrival_seconds: float | None, channels: str,
) -> None:
    """Run the reference backend alone (uvicorn, SQLite in WAL mode)."""
    from csdesk.server.runner import serve

    options = _simulator_options(simulate, customers, arrival_seconds, channels, default=False)
    watch_parent_from_env()

    serve(
        host, port, db_path or data_dir() / "server.db", reset=reset, seed_demo=demo_data, sms_enabled=sms,
        simulator=options,
    )


def _register_admin() -> None:
    from csdesk.admin import admin
    from csdesk.kb_cli import kb

    cli.add_command(admin)
    cli.add_command(kb)  # issue #5: the knowledge base


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
