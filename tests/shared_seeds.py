"""Where the seed document lives (``../shared/seeds/`` beside the project; DESIGN §10).

The operations guide (Chinese plain text, numbered headings, website
boilerplate around it) is real input for ``csdesk kb import``. Tests read it
from there and never copy it into the project. Found through
``CSDESK_SHARED_SEEDS``, then ``seeds/`` beside the shared data folder
(:func:`tests.shared_data.shared_data_dir`), then ``shared/seeds`` in the
folders above the clone, then ``/work/shared/seeds``.
"""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]


def seeds_dir() -> Path:
    """The folder holding ``000_*.txt``; raises ``FileNotFoundError`` naming the places tried."""
    candidates: list[Path] = []
    if os.environ.get("CSDESK_SHARED_SEEDS"):
        candidates.append(Path(os.environ["CSDESK_SHARED_SEEDS"]))
    if os.environ.get("CSDESK_SHARED_DATA"):
        candidates.append(Path(os.environ["CSDESK_SHARED_DATA"]).parent / "seeds")
    candidates += [parent / "shared" / "seeds" for parent in _ROOT.parents]
    candidates.append(Path("/work/shared/seeds"))
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("000_*.txt")):
            return folder
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"seed document (000_*.txt) not found; set CSDESK_SHARED_SEEDS. Tried: {tried}")


def operations_guide() -> Path:
    """The contact-centre operations guide (plain text, UTF-8): ``seeds/000_*.txt``."""
    return min(seeds_dir().glob("000_*.txt"))
