"""Departments, routing rules and business calendar of work orders (issue #6, guide §3.2).

Read from a TOML file (default: ``csdesk/server/data/work_orders.toml``):
``reopen_days``, ``escalation_queue``, ``[calendar]`` (``tz``, ``opens``,
``closes`` as ``HH:MM``, ``weekdays`` with Monday = 0, ``holidays`` and
``workdays`` as ISO dates), ``[[queues]]`` (``id``, ``name``, ``name_en``,
``team``: the agents' team that works the queue) and ``[[rules]]``
(``type``, ``category``, ``queue``; ``*`` matches anything; first match wins).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from csdesk.domain import work_orders as wo
from csdesk.domain.sla import BusinessCalendar
from csdesk.domain.work_order_views import calendar_from_doc

#: The packaged demo file.
DEFAULT_FILE = Path(__file__).parent / "data" / "work_orders.toml"


@dataclass(frozen=True)
class Queue:
    """A department queue: ``id``, its names (Chinese, English) and the ``team`` working it."""

    id: str
    name: str
    name_en: str
    team: str


@dataclass(frozen=True)
class WorkOrderConfig:
    """The loaded configuration (see the module docstring)."""

    queues: dict[str, Queue]
    rules: tuple[tuple[str, str, str], ...]
    escalation_queue: str
    calendar: BusinessCalendar
    reopen_days: int

    def route(self, order_type: str, category: str) -> str:
        """The queue id for an order of ``order_type`` in ``category`` (first matching rule).

        Raises ``LookupError`` when no rule matches (a file without a
        ``*``/``*`` rule at the end)."""
        for rule_type, rule_category, queue in self.rules:
            if rule_type in ("*", order_type) and rule_category in ("*", category):
                return queue
        raise LookupError(f"no routing rule for {order_type}/{category}")

    def calendar_doc(self) -> dict[str, Any]:
        """The calendar as the catalogue sends it (ISO strings; weekdays Monday = 0)."""
        cal = self.calendar
        return {
            "tz": cal.tz,
            "opens": cal.opens.strftime("%H:%M"),
            "closes": cal.closes.strftime("%H:%M"),
            "weekdays": sorted(cal.weekdays),
            "holidays": sorted(d.isoformat() for d in cal.holidays),
            "workdays": sorted(d.isoformat() for d in cal.workdays),
        }


def parse_config(data: dict[str, Any]) -> WorkOrderConfig:
    """Check and build a :class:`WorkOrderConfig` from parsed TOML.

    Raises ``ValueError`` naming the problem: no queues, a duplicate queue,
    a rule naming an unknown queue or type, an unknown escalation queue, a
    bad calendar or reopen window.
    """
    queues: dict[str, Queue] = {}
    for item in data.get("queues", ()):
        queue = Queue(str(item["id"]), str(item["name"]), str(item.get("name_en", item["name"])), str(item["team"]))
        if queue.id in queues:
            raise ValueError(f"queue {queue.id!r} is listed twice")
        queues[queue.id] = queue
    if not queues:
        raise ValueError("no [[queues]]")
    rules = []
    for item in data.get("rules", ()):
        rule = (str(item.get("type", "*")), str(item.get("category", "*")), str(item["queue"]))
        if rule[0] != "*" and rule[0] not in wo.TYPES:
            raise ValueError(f"rule for unknown type {rule[0]!r}")
        if rule[2] not in queues:
            raise ValueError(f"rule to unknown queue {rule[2]!r}")
        rules.append(rule)
    escalation = str(data.get("escalation_queue", ""))
    if escalation not in queues:
        raise ValueError(f"escalation_queue {escalation!r} is not a queue")
    reopen_days = int(data.get("reopen_days", wo.REOPEN_DAYS))
    if not 0 <= reopen_days <= 3650:
        raise ValueError("reopen_days must be 0–3650")
    config = WorkOrderConfig(queues, tuple(rules), escalation, calendar_from_doc(data.get("calendar", {})), reopen_days)
    for order_type in wo.TYPES:
        try:
            config.route(order_type, "")  # every type must reach a queue
        except LookupError as exc:
            raise ValueError(str(exc)) from exc
    return config


@lru_cache(maxsize=8)
def load_config(path: Path = DEFAULT_FILE) -> WorkOrderConfig:
    """The configuration in ``path`` (cached per path). Raises ``OSError`` if
    unreadable, ``tomllib.TOMLDecodeError`` or ``ValueError`` if malformed."""
    with path.open("rb") as handle:
        return parse_config(tomllib.load(handle))
