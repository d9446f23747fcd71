"""Read the demo knowledge base (``csdesk/server/data/knowledge/*.toml``) as synced article dicts.

For tests and benchmarks of the index: the real client gets its articles
through sync. The files are read as data (``tomllib``); nothing from
``csdesk.server`` is imported.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

#: Where the demo articles live in the source tree.
DEMO_KNOWLEDGE_DIR = Path(__file__).resolve().parents[1] / "server" / "data" / "knowledge"

#: ``updated_at`` given to demo articles that carry none (ISO 8601, UTC).
DEMO_UPDATED_AT = "2025-01-01T00:00:00+00:00"


def load_articles(folder: Path | str | None = None) -> list[dict[str, Any]]:
    """All ``[[article]]`` tables of ``folder/*.toml`` (default ``DEMO_KNOWLEDGE_DIR``), in file order.

    Each is returned with exactly the synced keys: ``id, title, title_en,
    body, category, tags, questions, intents, summary, version (int, default
    1), updated_at (ISO str), status (default "published")``. Raises
    ``FileNotFoundError`` if the folder does not exist, ``tomllib.TOMLDecodeError``
    for a malformed file and ``ValueError`` for an article without an id.
    """
    root = Path(folder) if folder is not None else DEMO_KNOWLEDGE_DIR
    if not root.is_dir():
        raise FileNotFoundError(f"no knowledge folder at {root}")
    articles: list[dict[str, Any]] = []
    for path in sorted(root.glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        for raw in data.get("article", []):
            if not raw.get("id"):
                raise ValueError(f"{path.name}: an article has no id")
            articles.append({
                "id": str(raw["id"]),
                "title": str(raw.get("title", "")),
                "title_en": str(raw.get("title_en", "")),
                "body": str(raw.get("body", "")),
                "category": [str(c) for c in raw.get("category", [])],
                "tags": [str(t) for t in raw.get("tags", [])],
                "questions": [str(q) for q in raw.get("questions", [])],
                "intents": [str(i) for i in raw.get("intents", [])],
                "summary": str(raw.get("summary", "")),
                "version": int(raw.get("version", 1)),
                "updated_at": str(raw.get("updated_at", DEMO_UPDATED_AT)),
                "status": str(raw.get("status", "published")),
            })
    return articles
