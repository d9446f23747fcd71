"""Fixtures for the local-store tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _store_helpers import AGENT, BACKEND

from csdesk.store import LocalStore


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """csdesk's data folder for one test (not created yet)."""
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[LocalStore]:
    """An open store for agent A1001 on the local backend, closed after the test."""
    s = LocalStore.open(data_dir, BACKEND, AGENT)
    try:
        yield s
    finally:
        s.close()
