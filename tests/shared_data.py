"""Where the real shared data lives (``../shared/data`` beside the project).

Tests read it from there and never copy it (DESIGN §10). A clone made
elsewhere (CI clones into a temporary folder) finds it through
``CSDESK_SHARED_DATA``, then the folders above the clone, then the
workspace's ``/work/shared/data``. If none holds it, the test fails with a
message saying where it looked: the data is part of the test, not optional.
"""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The folder holding ``banking77/`` etc.; raises ``FileNotFoundError`` naming the places tried."""
    candidates: list[Path] = []
    if os.environ.get("CSDESK_SHARED_DATA"):
        candidates.append(Path(os.environ["CSDESK_SHARED_DATA"]))
    candidates += [parent / "shared" / "data" for parent in _ROOT.parents]
    candidates.append(Path("/work/shared/data"))
    for folder in candidates:
        if (folder / "banking77" / "train.csv").is_file():
            return folder
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"shared data (banking77/train.csv) not found; set CSDESK_SHARED_DATA. Tried: {tried}")


#: The Banking77 folder: ``train.csv`` (text,category) and ``categories.json``.
BANKING77 = shared_data_dir() / "banking77"
