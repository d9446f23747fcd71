"""Shared constants and helpers of the local-store tests (imported by the test modules)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BACKEND = "http://127.0.0.1:8000"
AGENT = "A1001"
CHILD = Path(__file__).with_name("_store_child.py")


def spawn_child(mode: str, data_dir: Path, start: int = 0, employee_id: str = AGENT) -> subprocess.Popen[str]:
    """Start ``_store_child.py`` in ``mode`` with text pipes on stdin/stdout/stderr."""
    return subprocess.Popen(
        [sys.executable, str(CHILD), mode, str(data_dir), BACKEND, employee_id, str(start)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def mode_of(path: Path) -> int:
    """Permission bits of ``path`` (``0o600`` …)."""
    return path.stat().st_mode & 0o777
