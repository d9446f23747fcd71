"""Ids of synced items that people or files choose (knowledge articles, phrases).

One rule for all of them, because the change log keeps every item id in a
column of :data:`ID_MAX` characters.
"""

from __future__ import annotations

import re
from typing import Final

#: Longest item id, characters (the change log's item id column).
ID_MAX: Final = 64

#: What an item id looks like: 1 to :data:`ID_MAX` ASCII letters, digits,
#: ``.``, ``_`` or ``-``, starting with a letter or digit.
ID_PATTERN: Final = re.compile(rf"\A[A-Za-z0-9][A-Za-z0-9._-]{{0,{ID_MAX - 1}}}\Z")
