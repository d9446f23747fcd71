"""Times as they travel in synced documents: ISO 8601 strings, always read as UTC-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_utc(value: Any) -> datetime | None:
    """An aware datetime from ``value``, else None (never raises).

    ``value`` may be a datetime (a naive one is taken as UTC) or an ISO 8601
    string (``Z`` accepted for UTC; surrounding white space ignored; naive
    taken as UTC). Anything else, a blank string or one that does not parse
    gives None.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
