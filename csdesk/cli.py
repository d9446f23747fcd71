"""Console entry point of ``csdesk`` (and ``python -m csdesk``).

The common start, ``csdesk`` or ``csdesk --server URL [--lang zh-CN|en]``,
opens the desk straight away without importing click: click alone costs
about 60 ms, a tenth of the whole start (issue #2 start-up target, see
``benchmarks/startup.py``). Anything else — a subcommand, ``--help``,
``--version``, an option this fast path does not know, a bad value, a broken
config file, no backend configured — goes to the click commands in
``csdesk.commands``, which parse it again and give every message. So the fast
path never has its own errors: it either opens the desk or steps aside.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

#: Options the fast path understands, each taking one value.
_FAST_OPTIONS = ("--server", "--lang")
_LANGUAGES = ("zh-CN", "en")


def plain_desk_args(args: Sequence[str]) -> dict[str, str] | None:
    """Parse ``args`` if they only say which backend and language to use.

    Accepts ``--server URL``, ``--server=URL``, ``--lang L``, ``--lang=L``
    (each at most once). Returns ``{"server": …, "lang": …}`` with the keys
    given, or None when the args need the full command line parser.
    """
    found: dict[str, str] = {}
    items = list(args)
    i = 0
    while i < len(items):
        token = items[i]
        name, eq, value = token.partition("=")
        if name not in _FAST_OPTIONS or name[2:] in found:
            return None
        if not eq:
            if i + 1 >= len(items) or items[i + 1].startswith("-"):
                return None
            value = items[i + 1]
            i += 1
        found[name[2:]] = value
        i += 1
    if "lang" in found and found["lang"] not in _LANGUAGES:
        return None
    return found


def run_tui(url: str, *, language: str | None = None) -> int:
    """Run the desk against ``url``; return the process exit code."""
    from csdesk.app import CsdeskApp
    from csdesk.config import data_dir

    app = CsdeskApp(url, data_dir(), language=language)
    app.run()
    return app.return_code or 0


def _fast_start(args: Sequence[str]) -> int | None:
    """Open the desk if ``args`` are plain and the config is fine; else None."""
    from csdesk.config import ConfigError, load_config, normalize_server_url

    parsed = plain_desk_args(args)
    if parsed is None:
        return None
    try:
        config = load_config()
        url = normalize_server_url(parsed["server"]) if "server" in parsed else config.server
    except (ConfigError, ValueError):
        return None
    if not url:
        return None
    return run_tui(url, language=parsed.get("lang") or config.language)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: the fast start when it applies, else the click commands."""
    args = sys.argv[1:] if argv is None else list(argv)
    code = _fast_start(args)
    if code is not None:
        sys.exit(code)
    from csdesk.commands import cli

    cli.main(args=args, prog_name="csdesk")
