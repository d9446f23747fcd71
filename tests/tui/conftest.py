"""TUI tests never touch the real OS keyring: each gets a fresh in-memory one.

The ``keyring_backend`` fixture (autouse) is that
:class:`tests.keyring_backends.MemoryKeyring`; a test may ask for it to look
inside, or swap in another backend with ``use_keyring``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.keyring_backends import MemoryKeyring, use_keyring


@pytest.fixture(autouse=True)
def keyring_backend() -> Iterator[MemoryKeyring]:
    """A fresh in-memory keyring for this test."""
    with use_keyring(MemoryKeyring()) as backend:
        yield backend  # type: ignore[misc]
