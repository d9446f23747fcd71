"""Where csdesk keeps its configuration and data, and the TOML config file.

Folders come from platformdirs (XDG on Linux); ``CSDESK_CONFIG_DIR`` and
``CSDESK_DATA_DIR`` override them (used by tests and multi-user hosts).
The config file is ``config.toml`` in the config folder::

    server = "https://csdesk.bank.example"   # backend base URL
    language = "zh-CN"                        # optional: zh-CN or en

The file says what its owner wrote there, nothing else: csdesk reads it and
never writes an agent's choice into it. A language picked by an agent
belongs to that agent (their settings, synced with the backend); written
here it would become the language of every later agent on this terminal.
The language of a run: the agent's own setting, else ``--lang``, else this
file's ``language``, else ``LANG``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

APP_NAME = "csdesk"


class ConfigError(Exception):
    """The config file exists but cannot be used; the message names the file."""


def config_dir() -> Path:
    """Return the folder of ``config.toml`` (not created)."""
    env = os.environ.get("CSDESK_CONFIG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_config_path

    return user_config_path(APP_NAME)


def data_dir() -> Path:
    """Return the folder of local stores, the demo database and logs (not created)."""
    env = os.environ.get("CSDESK_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path(APP_NAME)


def config_path() -> Path:
    """Return the path of the config file."""
    return config_dir() / "config.toml"


@dataclass(frozen=True)
class Config:
    """What the config file says. ``server`` is a normalised base URL or None;
    ``language`` is the terminal's default for agents without their own."""

    server: str | None = None
    language: str | None = None


def normalize_server_url(raw: str) -> str:
    """Return ``raw`` as ``scheme://host[:port][/path]`` without a trailing slash.

    Raises ``ValueError`` unless the scheme is http or https and a host is given.
    """
    value = raw.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {raw!r}")
    return value.rstrip("/")


def load_config(path: Path | None = None) -> Config:
    """Read the config file; a missing file gives an empty ``Config``.

    Raises ``ConfigError`` (naming the file) for invalid TOML or values.
    """
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    server = doc.get("server")
    language = doc.get("language")
    if server is not None:
        if not isinstance(server, str):
            raise ConfigError(f"{path}: 'server' must be a string")
        try:
            server = normalize_server_url(server)
        except ValueError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    if language is not None and language not in ("zh-CN", "en"):
        raise ConfigError(f"{path}: 'language' must be \"zh-CN\" or \"en\", not {language!r}")
    return Config(server=server, language=language)


def save_config(config: Config, path: Path | None = None) -> Path:
    """Write ``config`` atomically as TOML (folder 0700, file 0600); return the path.

    For tools that set up a terminal (an installer, an administrator): the
    desk itself never calls it, so what an agent picks stays theirs.
    """
    import tomli_w

    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    doc = {k: v for k, v in (("server", config.server), ("language", config.language)) if v}
    tmp = path.with_suffix(".toml.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(tomli_w.dumps(doc).encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path
