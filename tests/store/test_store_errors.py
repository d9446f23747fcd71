"""Store errors: one family, messages that name the folder or file, picklable."""

from __future__ import annotations

import pickle
from pathlib import Path

from csdesk.store.errors import StoreCorruptError, StoreError, StoreLockedError


def test_locked_error_names_the_folder() -> None:
    err = StoreLockedError(Path("/data/stores/h_80-abc/A1001"))
    assert isinstance(err, StoreError)
    assert err.folder == Path("/data/stores/h_80-abc/A1001")
    assert "another csdesk is already open for this agent on this machine" in str(err)
    assert "/data/stores/h_80-abc/A1001" in str(err)


def test_corrupt_error_names_the_file_and_reason() -> None:
    err = StoreCorruptError("/data/x/outbox.json", "invalid JSON: Expecting value")
    assert isinstance(err, StoreError)
    assert err.path == Path("/data/x/outbox.json")
    assert err.reason == "invalid JSON: Expecting value"
    assert "/data/x/outbox.json" in str(err) and "invalid JSON" in str(err)
    assert "untouched" in str(err)


def test_errors_survive_pickling() -> None:
    for err in (StoreLockedError(Path("/f")), StoreCorruptError(Path("/f/a.json"), "bad")):
        copy = pickle.loads(pickle.dumps(err))
        assert type(copy) is type(err) and str(copy) == str(err)
