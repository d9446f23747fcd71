"""SLA clocks for work orders and complaints (issue #6). Pure: no I/O, stdlib + zoneinfo only.

Sources
-------
- Operating guide §2.4 (work orders: type and priority decide the
  first-response and resolution targets) and §3.2 (complaints: graded
  general / serious / major, handled within the regulator's time limits).
- Issue #6 "Work orders and complaints": a policy per type and priority,
  counted in business hours or calendar hours; pending customer pauses the
  resolution clock; list and detail show time left, *at risk* (under 25 %
  left) and *breached*.
- The regulator's complaint rule (《银行保险机构消费投诉处理管理办法》, the
  banking and insurance regulator's measures on consumer complaints): a
  decision within 15 days of receipt; a complex complaint may be extended to
  30 days; a further extension, approved by a superior (here: a supervisor),
  brings the total to at most 60 days. Counted in calendar days.

Units
-----
Every duration in this module is in **seconds** (float). Every datetime
argument must be timezone-aware (a naive one raises ``ValueError``); every
datetime returned is aware and in UTC. Internally instants are handled as
integer microseconds since the Unix epoch, so business-time arithmetic is
exact to the microsecond (``add_business_seconds`` and ``business_seconds``
round-trip exactly).

Business time
-------------
:class:`BusinessCalendar` describes when the desk is open: an opening and a
closing wall-clock time in an IANA zone, the open weekdays, closed holidays
and worked weekend days (China's make-up working days, 调休). Wall-clock
times are resolved through :mod:`zoneinfo`, so a day whose opening hours
contain a DST change is one hour shorter or longer, exactly.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from csdesk.domain import work_orders as wo

__all__ = [
    "AT_RISK_FRACTION",
    "BUSINESS_DAY_SECONDS",
    "COMPLAINT_DECISION_DAYS",
    "COMPLAINT_EXTENDED_DAYS",
    "COMPLAINT_FIRST_RESPONSE",
    "COMPLAINT_GRADES",
    "COMPLAINT_MAX_DAYS",
    "COMPLAINT_POLICY",
    "DEFAULT_POLICIES",
    "MAX_CLOSED_DAYS",
    "PRIORITIES",
    "WORK_ORDER_TYPES",
    "Basis",
    "BusinessCalendar",
    "ClockState",
    "ExtensionRefused",
    "Pause",
    "SlaClock",
    "SlaPolicy",
    "check_extension",
    "clock",
    "complaint_deadline",
    "complaint_target_seconds",
    "policy_for",
]

Basis = Literal["business", "calendar"]
"""How a target is counted: ``"business"`` (open hours of a calendar) or ``"calendar"`` (wall time)."""

Pause = tuple[datetime, datetime | None]
"""A pause of a clock: ``(start, end)``, aware datetimes; ``end`` None = still paused."""

ClockState = Literal["running", "paused", "at_risk", "breached", "met", "met_late"]
"""State of an :class:`SlaClock` (see :func:`clock` for the rules)."""

AT_RISK_FRACTION: Final = 0.25
"""A running clock with less than this fraction of its target left is ``"at_risk"`` (issue #6)."""

MAX_CLOSED_DAYS: Final = 3660
"""``add_business_seconds`` gives up (``ValueError``) after this many days without open time."""

BUSINESS_DAY_SECONDS: Final = 9 * 3600
"""One business day of the default calendar (09:00-18:00), in seconds."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_US: Final = timedelta(microseconds=1)
_DAY: Final = timedelta(days=1)
_WEEK: Final = timedelta(days=7)
_YEAR_BLOCK: Final = timedelta(days=364)  # 52 whole weeks


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _us(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact)."""
    return (value - _EPOCH) // _US


def _from_us(us: int) -> datetime:
    """The aware UTC datetime ``us`` microseconds after the Unix epoch."""
    return _EPOCH + timedelta(microseconds=us)


@lru_cache(maxsize=64)
def _zone(key: str) -> ZoneInfo:
    return ZoneInfo(key)


@lru_cache(maxsize=512)
def _irregular_days(tz: str, opens: time, closes: time, year: int) -> tuple[tuple[date, int], ...]:
    """Days of ``year`` whose open window is not its nominal length, as ``(day, correction_us)``.

    A window's real length is ``nominal + utcoffset(opens) - utcoffset(closes)``;
    it differs only on days whose opening hours contain a UTC-offset change
    (a DST switch during opening hours). Cached per zone, hours and year, so a
    year is scanned once (about 0.3 ms); sorted by day.
    """
    zone = _zone(tz)
    nominal = _nominal_us(opens, closes)
    found: list[tuple[date, int]] = []
    day = date(year, 1, 1)
    combine = datetime.combine
    while day.year == year:
        off_open = zone.utcoffset(combine(day, opens))
        off_close = zone.utcoffset(combine(day, closes))
        if off_open != off_close:
            actual = max(0, nominal + (off_open - off_close) // _US)
            found.append((day, actual - nominal))
        day += _DAY
    return tuple(found)


def _nominal_us(opens: time, closes: time) -> int:
    base = date(2000, 1, 1)
    return (datetime.combine(base, closes) - datetime.combine(base, opens)) // _US


@dataclass(frozen=True)
class BusinessCalendar:
    """When the desk is open, in a time zone; counts and adds open seconds.

    Fields:

    - ``tz``: IANA zone name the hours and days are read in (default ``Asia/Shanghai``).
    - ``opens`` / ``closes``: naive wall-clock times, ``opens < closes``
      (a window cannot cross midnight; ``closes`` is exclusive).
    - ``weekdays``: open weekdays, Monday = 0 … Sunday = 6.
    - ``holidays``: dates (local) that are closed even on an open weekday.
    - ``workdays``: dates (local) that are open even on a closed weekday
      (make-up working days, 调休). A date may not be in both sets.

    A day is open when it is not a holiday and is either an open weekday or a
    workday; on an open day the desk is open from ``opens`` (inclusive) to
    ``closes`` (exclusive), local time.

    Raises ``ValueError`` (at construction) for an unknown zone, ``opens >=
    closes``, aware ``opens``/``closes``, a weekday outside 0..6, or a date
    both a holiday and a workday. Iterables given for the three sets are
    turned into frozensets.
    """

    tz: str = "Asia/Shanghai"
    opens: time = time(9)
    closes: time = time(18)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    # Derived lookup data (not part of equality or hashing).
    _tzinfo: ZoneInfo = field(init=False, repr=False, compare=False)
    _nominal: int = field(init=False, repr=False, compare=False)
    _closed_weekdays_holidays: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _extra_workdays: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__
        if not isinstance(self.tz, str) or not self.tz:
            raise ValueError(f"tz must be an IANA zone name, got {self.tz!r}")
        try:
            zone = _zone(self.tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc
        for name in ("opens", "closes"):
            value = getattr(self, name)
            if not isinstance(value, time):
                raise ValueError(f"{name} must be a datetime.time, got {value!r}")
            if value.tzinfo is not None:
                raise ValueError(f"{name} must be a naive wall-clock time, got {value!r}")
        if self.opens >= self.closes:
            raise ValueError(f"opens ({self.opens}) must be before closes ({self.closes})")
        weekdays = frozenset(self.weekdays)
        if any(not isinstance(w, int) or not 0 <= w <= 6 for w in weekdays):
            raise ValueError(f"weekdays must be integers 0..6 (Monday = 0), got {sorted(weekdays)!r}")
        holidays = frozenset(self.holidays)
        workdays = frozenset(self.workdays)
        for name, days in (("holidays", holidays), ("workdays", workdays)):
            if any(not isinstance(d, date) or isinstance(d, datetime) for d in days):
                raise ValueError(f"{name} must hold datetime.date values")
        both = holidays & workdays
        if both:
            raise ValueError(f"dates both holiday and workday: {sorted(both)!r}")
        setattr_(self, "weekdays", weekdays)
        setattr_(self, "holidays", holidays)
        setattr_(self, "workdays", workdays)
        setattr_(self, "_tzinfo", zone)
        setattr_(self, "_nominal", _nominal_us(self.opens, self.closes))
        setattr_(
            self, "_closed_weekdays_holidays", tuple(sorted(d for d in holidays if d.weekday() in weekdays))
        )
        setattr_(self, "_extra_workdays", tuple(sorted(d for d in workdays if d.weekday() not in weekdays)))

    # -- days ---------------------------------------------------------------

    def is_open_day(self, d: date) -> bool:
        """True when local date ``d`` has opening hours (see the class docstring)."""
        if d in self.holidays:
            return False
        return d.weekday() in self.weekdays or d in self.workdays

    def _window(self, d: date) -> tuple[int, int]:
        """Open window of local date ``d`` as (open, close) epoch microseconds (open day or not)."""
        zone = self._tzinfo
        return (
            _us(datetime.combine(d, self.opens, tzinfo=zone)),
            _us(datetime.combine(d, self.closes, tzinfo=zone)),
        )

    def _local_date(self, value: datetime) -> date:
        return value.astimezone(self._tzinfo).date()

    def _count_open_days(self, first: date, stop: date) -> int:
        """Number of open days in ``[first, stop)``, O(log holidays)."""
        n = (stop - first).days
        if n <= 0:
            return 0
        full, rem = divmod(n, 7)
        count = full * len(self.weekdays)
        wd = first.weekday()
        for i in range(rem):
            if (wd + i) % 7 in self.weekdays:
                count += 1
        hol = self._closed_weekdays_holidays
        count -= bisect_left(hol, stop) - bisect_left(hol, first)
        extra = self._extra_workdays
        count += bisect_left(extra, stop) - bisect_left(extra, first)
        return count

    def _open_us_days(self, first: date, stop: date) -> int:
        """Open microseconds of the whole days ``[first, stop)``.

        Open days times the nominal window, corrected for the few days whose
        window contains a UTC-offset change. O(years + log holidays).
        """
        if stop <= first:
            return 0
        total = self._count_open_days(first, stop) * self._nominal
        for year in range(first.year, (stop - _DAY).year + 1):
            for day, correction in _irregular_days(self.tz, self.opens, self.closes, year):
                if first <= day < stop and self.is_open_day(day):
                    total += correction
        return total

    def _overlap_us(self, d: date, start_us: int, end_us: int) -> int:
        if not self.is_open_day(d):
            return 0
        opened, closed = self._window(d)
        return max(0, min(closed, end_us) - max(opened, start_us))

    # -- public arithmetic ---------------------------------------------------

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Open seconds between two aware instants: ``float`` seconds, ``>= 0``.

        Counts the part of ``[start, end)`` that falls inside opening hours of
        open days (local time of ``tz``). Returns ``0.0`` when ``end <= start``.
        Cost is O(years spanned + log holidays) thanks to whole-day counting
        (a year-long span takes microseconds once the year's DST scan is
        cached). Raises ``ValueError`` if either datetime is naive.
        """
        _require_aware(start, "start")
        _require_aware(end, "end")
        start_us, end_us = _us(start), _us(end)
        if end_us <= start_us:
            return 0.0
        first, last = self._local_date(start), self._local_date(end)
        if first == last:
            return self._overlap_us(first, start_us, end_us) / 1e6
        total = (
            self._overlap_us(first, start_us, end_us)
            + self._open_us_days(first + _DAY, last)
            + self._overlap_us(last, start_us, end_us)
        )
        return total / 1e6

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """The aware UTC instant at which ``seconds`` open seconds after ``start`` have passed.

        If ``start`` is outside opening hours, counting begins at the next
        opening. When the amount ends exactly at a closing time, that closing
        instant is returned (not the next opening). ``seconds <= 0`` returns
        ``start`` (converted to UTC). The amount is rounded to the microsecond;
        ``business_seconds(start, result) == seconds`` for ``start`` inside
        hours (up to that rounding).

        Skips whole 52-week blocks and whole weeks before walking days, so
        the cost is O(years + 7 + 7). Raises ``ValueError`` for a naive
        ``start``, a non-finite ``seconds``, or when no open time is found
        for more than :data:`MAX_CLOSED_DAYS` days (e.g. no open weekday).
        """
        _require_aware(start, "start")
        if not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
            raise ValueError(f"seconds must be a finite number, got {seconds!r}")
        remaining = round(seconds * 1_000_000)
        if remaining <= 0:
            return start.astimezone(UTC)
        start_us = _us(start)
        day = self._local_date(start)
        closed_days = 0
        try:
            # The first (partial) day.
            if self.is_open_day(day):
                opened, closed = self._window(day)
                begin = max(opened, start_us)
                available = max(0, closed - begin)
                if remaining <= available:
                    return _from_us(begin + remaining)
                remaining -= available
            day += _DAY
            # Whole 52-week blocks, then whole weeks, while the amount outlasts them.
            for step in (_YEAR_BLOCK, _WEEK):
                while True:
                    block = self._open_us_days(day, day + step)
                    if block >= remaining:
                        break
                    closed_days = closed_days + step.days if block == 0 else 0
                    if closed_days > MAX_CLOSED_DAYS:
                        raise ValueError(
                            f"no open time within {MAX_CLOSED_DAYS} days after {start.isoformat()}"
                        )
                    remaining -= block
                    day += step
            # At most a week of single days is left.
            while True:
                if self.is_open_day(day):
                    opened, closed = self._window(day)
                    length = max(0, closed - opened)
                    if remaining <= length:
                        return _from_us(opened + remaining)
                    remaining -= length
                day += _DAY
        except OverflowError as exc:
            raise ValueError(
                f"no open time found before the end of the calendar after {start.isoformat()}"
            ) from exc


# -- clocks -------------------------------------------------------------------


@dataclass(frozen=True)
class SlaClock:
    """The state of one SLA clock at a moment (result of :func:`clock`).

    - ``target_seconds``: the target, seconds on the clock's basis.
    - ``used_seconds``: seconds counted so far (basis time, pauses excluded), ``>= 0``.
    - ``left_seconds``: ``target - used``; negative when breached / met late.
    - ``due_at``: aware UTC deadline. Not breached: the instant the target is
      used up if the clock runs on from now (or from ``stopped_at``) without
      further pauses — while paused, as if the pause ended *now*. Breached or
      met late: the instant the target was actually used up (in the past).
      Always set by :func:`clock`.
    - ``state``: see :data:`ClockState` and :func:`clock`.
    - ``fraction_left``: ``left / target``; 1.0 at start, negative when breached.
    """

    target_seconds: float
    used_seconds: float
    left_seconds: float
    due_at: datetime | None
    state: ClockState
    fraction_left: float


def _merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for begin, end in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((begin, end))
    return merged


def clock(
    *,
    basis: Basis,
    calendar: BusinessCalendar,
    started_at: datetime,
    target_seconds: float,
    now: datetime,
    pauses: Sequence[Pause] = (),
    stopped_at: datetime | None = None,
) -> SlaClock:
    """Evaluate an SLA clock at ``now`` (injected; the function never reads the system clock).

    ``basis`` ``"calendar"`` counts wall seconds; ``"business"`` counts open
    seconds of ``calendar`` (which is ignored for calendar basis).
    ``target_seconds`` is the target in seconds on that basis (must be > 0).

    Used time is counted from ``started_at`` to ``stopped_at`` (if the clock
    was stopped, e.g. first response given / resolved) or else ``now``, minus
    the ``pauses``. Pauses are ``(start, end)`` pairs, ``end`` None = still
    paused (runs to the counting end); they are clipped to the counted span
    and may overlap each other (overlaps are counted once).

    State, first rule that applies:

    1. stopped: ``"met"`` if used <= target, else ``"met_late"``;
    2. ``now`` inside a pause (start <= now, end None or after now): ``"paused"``
       (even if already over target — ``left_seconds`` tells);
    3. left < 0: ``"breached"``;
    4. left < :data:`AT_RISK_FRACTION` x target: ``"at_risk"``;
    5. otherwise ``"running"``.

    ``due_at``: see :class:`SlaClock` (while paused: as if the pause ended now;
    breached: where the target was crossed, found by walking the unpaused
    segments). A ``now``/``stopped_at`` before ``started_at`` counts nothing.

    Raises ``ValueError`` for a naive datetime, an unknown basis, a target
    that is not a finite number > 0, or a pause ending before it starts.
    """
    if basis not in ("business", "calendar"):
        raise ValueError(f"basis must be 'business' or 'calendar', got {basis!r}")
    if (
        not isinstance(target_seconds, (int, float))
        or not math.isfinite(target_seconds)
        or target_seconds <= 0
    ):
        raise ValueError(f"target_seconds must be a finite number > 0, got {target_seconds!r}")
    _require_aware(started_at, "started_at")
    _require_aware(now, "now")
    if stopped_at is not None:
        _require_aware(stopped_at, "stopped_at")
        stopped_at = stopped_at.astimezone(UTC)
    # All arithmetic in UTC: aware datetimes sharing a tzinfo subtract and
    # compare by wall time, which is wrong across a DST change.
    started_at = started_at.astimezone(UTC)
    now = now.astimezone(UTC)
    stopped = stopped_at is not None
    end = stopped_at if stopped_at is not None else now
    span_end = max(end, started_at)

    paused_now = False
    clipped: list[tuple[datetime, datetime]] = []
    for pause in pauses:
        try:
            pause_start, pause_end = pause
        except (TypeError, ValueError) as exc:
            raise ValueError(f"a pause must be a (start, end) pair, got {pause!r}") from exc
        _require_aware(pause_start, "pause start")
        pause_start = pause_start.astimezone(UTC)
        if pause_end is not None:
            _require_aware(pause_end, "pause end")
            pause_end = pause_end.astimezone(UTC)
            if pause_end < pause_start:
                raise ValueError(
                    f"pause ends ({pause_end.isoformat()}) before it starts ({pause_start.isoformat()})"
                )
        if pause_start <= now and (pause_end is None or pause_end > now):
            paused_now = True
        begin = max(pause_start, started_at)
        finish = span_end if pause_end is None else min(pause_end, span_end)
        if finish > begin:
            clipped.append((begin, finish))

    segments: list[tuple[datetime, datetime]] = []
    cursor = started_at
    for begin, finish in _merge(clipped):
        if begin > cursor:
            segments.append((cursor, begin))
        cursor = max(cursor, finish)
    if span_end > cursor:
        segments.append((cursor, span_end))

    def measure(a: datetime, b: datetime) -> float:
        if basis == "business":
            return calendar.business_seconds(a, b)
        return max(0.0, (b - a).total_seconds())

    def advance(a: datetime, seconds: float) -> datetime:
        if basis == "business":
            return calendar.add_business_seconds(a, seconds)
        return a + timedelta(seconds=seconds)

    lengths = [measure(a, b) for a, b in segments]
    used = sum(lengths)
    target = float(target_seconds)
    left = target - used

    if stopped:
        state: ClockState = "met" if used <= target else "met_late"
    elif paused_now:
        state = "paused"
    elif left < 0:
        state = "breached"
    elif left < AT_RISK_FRACTION * target:
        state = "at_risk"
    else:
        state = "running"

    if left < 0:
        due_at = segments[-1][1]  # fallback against float drift
        remaining = target
        for (a, b), length in zip(segments, lengths, strict=True):
            if remaining <= length:
                due_at = min(advance(a, remaining), b)
                break
            remaining -= length
    else:
        due_at = advance(span_end, left)

    return SlaClock(
        target_seconds=target,
        used_seconds=used,
        left_seconds=left,
        due_at=due_at,
        state=state,
        fraction_left=left / target,
    )


# -- policies -----------------------------------------------------------------


@dataclass(frozen=True)
class SlaPolicy:
    """Targets of one kind of work: ``first_response_seconds`` and ``resolution_seconds``,
    both in seconds on ``basis`` (``"business"`` = open hours of the desk's
    :class:`BusinessCalendar`, ``"calendar"`` = wall time)."""

    first_response_seconds: float
    resolution_seconds: float
    basis: Basis


WORK_ORDER_TYPES: Final = ("callback", "follow_up", "technical_fault", "business_exception", "suggestion")
"""Work-order types with a row in :data:`DEFAULT_POLICIES` (complaints use :data:`COMPLAINT_POLICY`)."""

PRIORITIES: Final = wo.PRIORITIES
"""Work-order priorities, most urgent first (:data:`csdesk.domain.work_orders.PRIORITIES`)."""

_H: Final = 3600
_BD: Final = BUSINESS_DAY_SECONDS

# Business-hours work (first response / resolution), default 9 h business day:
#   P1 1 h / 8 h; P2 4 h / 2 days; P3 1 day / 5 days; P4 2 days / 10 days.
_STANDARD: Final = {
    "P1": SlaPolicy(1 * _H, 8 * _H, "business"),
    "P2": SlaPolicy(4 * _H, 2 * _BD, "business"),
    "P3": SlaPolicy(1 * _BD, 5 * _BD, "business"),
    "P4": SlaPolicy(2 * _BD, 10 * _BD, "business"),
}
# Suggestions go to product owners: same first response, longer resolution.
_SUGGESTION: Final = {
    "P1": SlaPolicy(1 * _H, 2 * _BD, "business"),
    "P2": SlaPolicy(4 * _H, 5 * _BD, "business"),
    "P3": SlaPolicy(1 * _BD, 10 * _BD, "business"),
    "P4": SlaPolicy(2 * _BD, 20 * _BD, "business"),
}
# Callbacks are promised to the customer in wall time (calendar hours).
_CALLBACK: Final = {
    "P1": SlaPolicy(30 * 60, 4 * _H, "calendar"),
    "P2": SlaPolicy(2 * _H, 24 * _H, "calendar"),
    "P3": SlaPolicy(4 * _H, 48 * _H, "calendar"),
    "P4": SlaPolicy(24 * _H, 72 * _H, "calendar"),
}

DEFAULT_POLICIES: Final[dict[tuple[str, str], SlaPolicy]] = {
    (kind, priority): table[priority]
    for kind, table in (
        ("callback", _CALLBACK),
        ("follow_up", _STANDARD),
        ("technical_fault", _STANDARD),
        ("business_exception", _STANDARD),
        ("suggestion", _SUGGESTION),
    )
    for priority in PRIORITIES
}
"""Default targets keyed by ``(work-order type, priority)``; see the module source for the values."""

# -- complaints (regulator rule, calendar days) --------------------------------

COMPLAINT_DECISION_DAYS: Final = 15
"""Decision due within this many calendar days of receipt."""
COMPLAINT_EXTENDED_DAYS: Final = 30
"""Total limit (days from receipt) for a complex complaint."""
COMPLAINT_MAX_DAYS: Final = 60
"""Total limit (days from receipt) with a supervisor-approved further extension; never more."""

COMPLAINT_GRADES: Final = wo.GRADES
"""Complaint grades (operating guide §3.2; :data:`csdesk.domain.work_orders.GRADES`)."""

COMPLAINT_FIRST_RESPONSE: Final[dict[str, float]] = {
    "general": 24 * _H,
    "serious": 4 * _H,
    "major": 1 * _H,
}
"""First-response target per complaint grade, calendar seconds."""

COMPLAINT_POLICY: Final[dict[str, SlaPolicy]] = {
    grade: SlaPolicy(COMPLAINT_FIRST_RESPONSE[grade], COMPLAINT_DECISION_DAYS * 86400, "calendar")
    for grade in COMPLAINT_GRADES
}
"""Complaint policy per grade: first response per grade, decision in 15 calendar days
(before any extension; see :func:`complaint_target_seconds`)."""


def policy_for(
    type: str,
    priority: str | None,
    grade: str | None,
    table: Mapping[tuple[str, str], SlaPolicy] = DEFAULT_POLICIES,
) -> SlaPolicy:
    """The policy for a work order: ``table[(type, priority)]``, or for ``type ==
    "complaint"`` :data:`COMPLAINT_POLICY` by ``grade`` (``priority`` ignored).

    Raises ``KeyError`` for an unknown (type, priority) pair or complaint grade
    (including a missing priority/grade).
    """
    if type == "complaint":
        if grade not in COMPLAINT_POLICY:
            raise KeyError(f"no complaint policy for grade {grade!r}")
        return COMPLAINT_POLICY[grade]
    if priority is None or (type, priority) not in table:
        raise KeyError(f"no SLA policy for type {type!r} and priority {priority!r}")
    return table[(type, priority)]


def complaint_target_seconds(extension_days_total: int = 0) -> float:
    """Resolution target of a complaint in calendar seconds: ``(15 + extension) * 86400``.

    ``extension_days_total`` is the number of days added to the 15-day limit
    (0, up to 15 for a complex case, up to 45 in all). Raises ``ValueError``
    if it is negative or would take the limit past 60 days.
    """
    return (COMPLAINT_DECISION_DAYS + _check_extension_days(extension_days_total)) * 86400.0


def _check_extension_days(extension_days_total: int) -> int:
    if isinstance(extension_days_total, bool) or not isinstance(extension_days_total, int):
        raise ValueError(f"extension_days_total must be an int, got {extension_days_total!r}")
    if extension_days_total < 0 or COMPLAINT_DECISION_DAYS + extension_days_total > COMPLAINT_MAX_DAYS:
        raise ValueError(
            f"extension_days_total must be 0..{COMPLAINT_MAX_DAYS - COMPLAINT_DECISION_DAYS}, "
            f"got {extension_days_total}"
        )
    return extension_days_total


def complaint_deadline(received_at: datetime, extension_days_total: int) -> datetime:
    """Decision deadline of a complaint: aware UTC ``received_at + (15 + extension_days_total) days``.

    Days are 24-hour calendar days counted from the instant of receipt
    (``extension_days_total`` = days added on top of the 15: 0 -> 15 days,
    15 -> 30, 45 -> 60). Raises ``ValueError`` for a naive ``received_at`` or
    an extension that is negative or past the 60-day maximum.
    """
    _require_aware(received_at, "received_at")
    days = COMPLAINT_DECISION_DAYS + _check_extension_days(extension_days_total)
    return received_at.astimezone(UTC) + timedelta(days=days)


class ExtensionRefused(ValueError):
    """A complaint extension that the rules do not allow.

    ``code`` is one of ``"not-longer"``, ``"not-complex"``, ``"over-max"``,
    ``"needs-supervisor"``; ``detail`` is an English explanation (also the
    exception message).
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def check_extension(
    current_total_days: int,
    requested_total_days: int,
    *,
    complex_case: bool,
    supervisor_id: str | None,
) -> None:
    """Check a request to extend a complaint's time limit; return None if allowed.

    Both totals are the time limit in calendar days counted from receipt
    (15 initially, 30 for a complex case, at most 60) — not the extension
    days that :func:`complaint_deadline` takes (those are ``total - 15``).

    Checks in order, raising :class:`ExtensionRefused` with:

    - ``"not-longer"``: ``requested_total_days <= current_total_days``;
    - ``"over-max"``: requested beyond :data:`COMPLAINT_MAX_DAYS` (60);
    - ``"not-complex"``: requested up to 30 days but ``complex_case`` is false;
    - ``"needs-supervisor"``: requested beyond 30 days without a (non-blank)
      ``supervisor_id`` (the regulator's further extension needs a superior's
      approval; a complex case alone is not enough).
    """
    if requested_total_days <= current_total_days:
        raise ExtensionRefused(
            "not-longer",
            f"requested limit {requested_total_days} days is not longer "
            f"than the current {current_total_days} days",
        )
    if requested_total_days > COMPLAINT_MAX_DAYS:
        raise ExtensionRefused(
            "over-max",
            f"requested limit {requested_total_days} days exceeds the maximum of {COMPLAINT_MAX_DAYS} days",
        )
    if requested_total_days <= COMPLAINT_EXTENDED_DAYS:
        if not complex_case:
            raise ExtensionRefused(
                "not-complex",
                f"extending to {requested_total_days} days is allowed only for a complex complaint",
            )
        return
    if supervisor_id is None or not str(supervisor_id).strip():
        raise ExtensionRefused(
            "needs-supervisor",
            f"extending beyond {COMPLAINT_EXTENDED_DAYS} days needs a supervisor's approval",
        )
