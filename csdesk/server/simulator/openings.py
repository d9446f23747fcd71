"""Real customer messages as the simulated customers' first words.

Reads a ``text,category`` CSV such as Banking77's ``train.csv`` (the file
given to ``csdesk demo --customers FILE.csv``). Quoted fields may span
lines (standard CSV). A first row naming ``text`` and ``category`` is a
header and skipped (it may name more columns, in any order); any other row
without as many fields as the header (two without one), or with an empty
text or category, is malformed: skipped and counted in :attr:`Openings.skipped`.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Longest opening kept, characters (longer texts are cut at a word boundary).
MAX_OPENING_CHARS = 500


@dataclass(frozen=True)
class Opening:
    """One customer message: its ``text`` and its ``category`` (intent)."""

    text: str
    category: str


@dataclass
class Openings:
    """Openings grouped by category.

    ``by_category`` category → texts in file order; ``rows`` the rows kept;
    ``skipped`` malformed rows skipped (header not counted).
    """

    by_category: dict[str, list[str]] = field(default_factory=dict)
    rows: int = 0
    skipped: int = 0

    @property
    def categories(self) -> list[str]:
        """The categories present, sorted."""
        return sorted(self.by_category)

    def __iter__(self) -> Iterator[Opening]:
        for category, texts in self.by_category.items():
            for text in texts:
                yield Opening(text, category)

    def pick(self, rng: random.Random) -> Opening:
        """One opening drawn uniformly over all rows (so categories keep the
        file's frequencies). Raises ValueError when there are none."""
        if self.rows == 0:
            raise ValueError("no openings")
        index = rng.randrange(self.rows)
        for category, texts in self.by_category.items():
            if index < len(texts):
                return Opening(texts[index], category)
            index -= len(texts)
        raise AssertionError("unreachable")  # pragma: no cover

    def pick_in(self, category: str, rng: random.Random) -> Opening | None:
        """One opening of ``category`` (uniform), or None when it has none."""
        texts = self.by_category.get(category)
        return Opening(rng.choice(texts), category) if texts else None


def _clean(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > MAX_OPENING_CHARS:
        text = text[:MAX_OPENING_CHARS].rsplit(" ", 1)[0]
    return text


def _columns(row: list[str]) -> tuple[int, int] | None:
    """``(text index, category index)`` when ``row`` is a header naming both columns."""
    names = [cell.strip().lower() for cell in row]
    if "text" in names and "category" in names:
        return names.index("text"), names.index("category")
    return None


def load_openings(path: Path | str, *, require_header: bool = False) -> Openings:
    """Read a ``text,category`` CSV at ``path`` (UTF-8, optional BOM).

    A first row naming the columns ``text`` and ``category`` (any case, any
    order, other columns allowed: every row then has that many fields) is a
    header; without one, rows are ``text,category`` pairs — unless
    ``require_header`` (``csdesk demo --customers``), which refuses a file
    whose first row does not name both. Returns :class:`Openings`; malformed
    rows are skipped and counted. Raises OSError when the file cannot be
    read, ValueError when it is empty, not UTF-8 text or not CSV, lacks a
    required header, or holds no valid row at all.
    """
    path = Path(path)
    result = Openings()
    text_at, category_at, width = 0, 1, 2
    number = -1
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for number, row in enumerate(csv.reader(handle)):
                if number == 0:
                    columns = _columns(row)
                    if columns is not None:
                        (text_at, category_at), width = columns, len(row)
                        continue
                    if require_header:
                        raise ValueError(
                            f"{path.name}: the first row must name the columns text and category "
                            f"(found {', '.join(repr(c) for c in row[:5]) or 'an empty row'})"
                        )
                if len(row) != width:
                    result.skipped += 1
                    continue
                text, category = _clean(row[text_at]), row[category_at].strip()
                if not text or not category:
                    result.skipped += 1
                    continue
                result.by_category.setdefault(category, []).append(text)
                result.rows += 1
    except UnicodeDecodeError:
        raise ValueError(f"{path.name}: not UTF-8 text") from None
    except csv.Error as exc:
        raise ValueError(f"{path.name}: bad CSV ({exc})") from None
    if number < 0:
        raise ValueError(f"{path.name}: the file is empty")
    if result.rows == 0:
        raise ValueError(f"{path.name}: no text,category rows ({result.skipped} malformed)")
    return result
