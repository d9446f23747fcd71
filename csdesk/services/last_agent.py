"""Which agent last signed in on this machine, per backend (not a secret).

Used to offer "Resume your shift as A1001?" at start when the keyring still
holds that agent's refresh token. The file is ``<data dir>/last_agent.json``::

    {"http://127.0.0.1:8000": "A1001", "https://csdesk.bank.example": "A1002"}

written atomically (0600, folder 0700). All functions here block (file I/O):
call them from a worker thread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from csdesk.domain.identity import normalize_employee_id

FILE_NAME: Final = "last_agent.json"
#: Most backends remembered (oldest dropped first).
MAX_BACKENDS: Final = 32


def last_agent_path(data_dir: Path) -> Path:
    """The file's path under ``data_dir``."""
    return data_dir / FILE_NAME


def _read_all(data_dir: Path) -> dict[str, str]:
    try:
        doc = json.loads(last_agent_path(data_dir).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    if not isinstance(doc, dict):
        return {}
    return {k: v for k, v in doc.items() if isinstance(k, str) and isinstance(v, str)}


def read_last_agent(data_dir: Path, backend_url: str) -> str | None:
    """The employee ID last signed in to ``backend_url`` here, or None.

    A missing, unreadable or malformed file, or a malformed ID, gives None.
    """
    value = _read_all(data_dir).get(backend_url.rstrip("/"))
    if value is None:
        return None
    try:
        return normalize_employee_id(value)
    except ValueError:
        return None


def write_last_agent(data_dir: Path, backend_url: str, employee_id: str) -> None:
    """Remember ``employee_id`` for ``backend_url``. Raises ``OSError``."""
    from csdesk.store.atomic import atomic_write_bytes

    entries = _read_all(data_dir)
    url = backend_url.rstrip("/")
    entries.pop(url, None)
    entries[url] = employee_id
    while len(entries) > MAX_BACKENDS:
        entries.pop(next(iter(entries)))
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    payload = json.dumps(entries, ensure_ascii=False, indent=1).encode("utf-8")
    atomic_write_bytes(last_agent_path(data_dir), payload)
