"""SLA clocks, business calendars, policies and complaint time limits (csdesk.domain.sla).

Pure: every test injects the clock by passing ``now``; nothing sleeps.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from csdesk.domain.sla import (
    AT_RISK_FRACTION,
    BUSINESS_DAY_SECONDS,
    COMPLAINT_DECISION_DAYS,
    COMPLAINT_EXTENDED_DAYS,
    COMPLAINT_FIRST_RESPONSE,
    COMPLAINT_MAX_DAYS,
    COMPLAINT_POLICY,
    DEFAULT_POLICIES,
    PRIORITIES,
    WORK_ORDER_TYPES,
    BusinessCalendar,
    ExtensionRefused,
    SlaPolicy,
    check_extension,
    clock,
    complaint_deadline,
    complaint_target_seconds,
    policy_for,
)

SH = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
H = 3600.0

# China 2025: Spring Festival Jan 28 - Feb 4 off, Sun Jan 26 and Sat Feb 8 worked;
# National Day Oct 1 - 8 off, Sun Sep 28 and Sat Oct 11 worked.
CN_2025 = BusinessCalendar(
    holidays=frozenset(date(2025, 1, 28) + timedelta(days=i) for i in range(8))
    | frozenset(date(2025, 10, 1) + timedelta(days=i) for i in range(8)),
    workdays=frozenset({date(2025, 1, 26), date(2025, 2, 8), date(2025, 9, 28), date(2025, 10, 11)}),
)
PLAIN = BusinessCalendar()


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def ref_business_seconds(cal: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Slow, obviously correct reference: one day at a time."""
    zone = ZoneInfo(cal.tz)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0.0
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    total = timedelta()
    while day <= last:
        if cal.is_open_day(day):
            opened = datetime.combine(day, cal.opens, tzinfo=zone).astimezone(UTC)
            closed = datetime.combine(day, cal.closes, tzinfo=zone).astimezone(UTC)
            overlap = min(closed, end) - max(opened, start)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total / timedelta(microseconds=1) / 1e6


# -- BusinessCalendar: construction and days ------------------------------------


def test_calendar_defaults_and_open_days() -> None:
    cal = BusinessCalendar()
    assert (cal.tz, cal.opens, cal.closes) == ("Asia/Shanghai", time(9), time(18))
    assert cal.is_open_day(date(2025, 1, 6))  # Monday
    assert not cal.is_open_day(date(2025, 1, 4))  # Saturday
    assert not CN_2025.is_open_day(date(2025, 1, 29))  # Spring Festival, a Wednesday
    assert CN_2025.is_open_day(date(2025, 1, 26))  # make-up Sunday
    assert CN_2025.is_open_day(date(2025, 2, 8))  # make-up Saturday
    assert BusinessCalendar() == BusinessCalendar()
    assert hash(BusinessCalendar()) == hash(BusinessCalendar())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"opens": time(18), "closes": time(9)},
        {"opens": time(9), "closes": time(9)},
        {"tz": "Mars/Olympus_Mons"},
        {"tz": ""},
        {"weekdays": frozenset({7})},
        {"holidays": frozenset({date(2025, 2, 8)}), "workdays": frozenset({date(2025, 2, 8)})},
        {"opens": time(9, tzinfo=UTC)},
    ],
)
def test_calendar_validation(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(**kwargs)


# -- business_seconds ---------------------------------------------------------------


def test_business_seconds_within_one_day() -> None:
    assert PLAIN.business_seconds(sh(2025, 1, 6, 10), sh(2025, 1, 6, 12, 30)) == 2.5 * H
    assert PLAIN.business_seconds(sh(2025, 1, 6, 7), sh(2025, 1, 6, 20)) == 9 * H
    assert PLAIN.business_seconds(sh(2025, 1, 6, 12), sh(2025, 1, 6, 12)) == 0
    assert PLAIN.business_seconds(sh(2025, 1, 6, 12), sh(2025, 1, 6, 11)) == 0  # end before start


def test_business_seconds_across_night_and_weekend() -> None:
    # Monday 17:00 -> Tuesday 10:00: one hour each side of the night.
    assert PLAIN.business_seconds(sh(2025, 1, 6, 17), sh(2025, 1, 7, 10)) == 2 * H
    # Friday 17:00 -> Monday 10:00: the weekend counts nothing.
    assert PLAIN.business_seconds(sh(2025, 1, 10, 17), sh(2025, 1, 13, 10)) == 2 * H
    # A whole week from Monday 09:00.
    assert PLAIN.business_seconds(sh(2025, 1, 6, 9), sh(2025, 1, 13, 9)) == 45 * H


def test_business_seconds_start_outside_hours() -> None:
    # Before opening, after closing, on a Saturday: counting starts at the next opening.
    assert PLAIN.business_seconds(sh(2025, 1, 6, 6), sh(2025, 1, 6, 10)) == 1 * H
    assert PLAIN.business_seconds(sh(2025, 1, 6, 20), sh(2025, 1, 7, 10)) == 1 * H
    assert PLAIN.business_seconds(sh(2025, 1, 11, 12), sh(2025, 1, 13, 9, 30)) == 0.5 * H
    # Both ends outside hours on the same night.
    assert PLAIN.business_seconds(sh(2025, 1, 6, 19), sh(2025, 1, 7, 8)) == 0


def test_business_seconds_holidays_and_make_up_workdays() -> None:
    # Mon Jan 27 09:00 -> Mon Feb 10 09:00 (2025): Jan 27 open, Jan 28 - Feb 4 off,
    # Feb 5, 6, 7 open, Sat Feb 8 worked: 1 + 3 + 1 = 5 days.
    assert CN_2025.business_seconds(sh(2025, 1, 27, 9), sh(2025, 2, 10, 9)) == 5 * 9 * H
    # The make-up Sunday Jan 26 counts.
    assert CN_2025.business_seconds(sh(2025, 1, 25, 0), sh(2025, 1, 27, 0)) == 9 * H
    # The plain calendar counts the holidays instead.
    assert PLAIN.business_seconds(sh(2025, 1, 27, 9), sh(2025, 2, 10, 9)) == 10 * 9 * H


def test_business_seconds_zone_of_the_arguments_does_not_matter() -> None:
    a = sh(2025, 1, 6, 17)
    b = sh(2025, 1, 7, 10)
    assert PLAIN.business_seconds(a.astimezone(UTC), b.astimezone(LONDON)) == 2 * H


def test_business_seconds_year_long_span_matches_reference() -> None:
    start, end = sh(2025, 1, 1, 11, 17), sh(2026, 1, 3, 15, 2)
    got = CN_2025.business_seconds(start, end)
    assert got == ref_business_seconds(CN_2025, start, end)
    # 2025 has 261 weekdays; the calendar removes 12 holiday weekdays, adds 4 make-up days.
    assert CN_2025.business_seconds(sh(2025, 1, 1), sh(2026, 1, 1)) == (261 - 12 + 4) * 9 * H


def test_business_seconds_century_counts_weekdays() -> None:
    start, end = date(2000, 1, 1), date(2100, 1, 1)
    weekdays = sum(1 for i in range((end - start).days) if (start + timedelta(days=i)).weekday() < 5)
    got = PLAIN.business_seconds(datetime.combine(start, time(), SH), datetime.combine(end, time(), SH))
    assert got == weekdays * 9 * H


def test_business_seconds_random_spans_match_reference() -> None:
    rng = random.Random(20250106)
    base = sh(2024, 12, 1)
    for _ in range(300):
        start = base + timedelta(seconds=rng.randrange(0, 400 * 86400))
        end = start + timedelta(seconds=rng.randrange(0, 40 * 86400), microseconds=rng.randrange(10**6))
        assert CN_2025.business_seconds(start, end) == ref_business_seconds(CN_2025, start, end)


def test_naive_datetimes_refused() -> None:
    naive = datetime(2025, 1, 6, 10)
    with pytest.raises(ValueError, match="aware"):
        PLAIN.business_seconds(naive, sh(2025, 1, 7))
    with pytest.raises(ValueError, match="aware"):
        PLAIN.business_seconds(sh(2025, 1, 6), naive)
    with pytest.raises(ValueError, match="aware"):
        PLAIN.add_business_seconds(naive, 60)
    with pytest.raises(ValueError):
        clock(basis="calendar", calendar=PLAIN, started_at=naive, target_seconds=60, now=sh(2025, 1, 6))
    with pytest.raises(ValueError):
        clock(basis="calendar", calendar=PLAIN, started_at=sh(2025, 1, 6), target_seconds=60, now=naive)
    with pytest.raises(ValueError):
        clock(
            basis="calendar",
            calendar=PLAIN,
            started_at=sh(2025, 1, 6),
            target_seconds=60,
            now=sh(2025, 1, 7),
            pauses=[(naive, None)],
        )
    with pytest.raises(ValueError):
        complaint_deadline(naive, 0)


# -- DST -----------------------------------------------------------------------------

# Open every day 00:30-03:00 London time: the window holds the DST changes
# (2025-03-30 01:00 GMT -> 02:00 BST; 2025-10-26 02:00 BST -> 01:00 GMT).
NIGHT_LONDON = BusinessCalendar(
    tz="Europe/London", opens=time(0, 30), closes=time(3), weekdays=frozenset(range(7))
)
DAY_LONDON = BusinessCalendar(tz="Europe/London")


def test_dst_change_inside_opening_hours() -> None:
    def day_seconds(d: date) -> float:
        start = datetime.combine(d, time(), LONDON)
        return NIGHT_LONDON.business_seconds(start, start + timedelta(hours=20))

    assert day_seconds(date(2025, 3, 29)) == 2.5 * H
    assert day_seconds(date(2025, 3, 30)) == 1.5 * H  # an hour skipped
    assert day_seconds(date(2025, 10, 26)) == 3.5 * H  # an hour repeated
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    assert NIGHT_LONDON.business_seconds(start, end) == 365 * 2.5 * H
    assert NIGHT_LONDON.business_seconds(start, end) == ref_business_seconds(NIGHT_LONDON, start, end)


def test_dst_change_outside_opening_hours_keeps_days_whole() -> None:
    # Friday 28 March 17:00 GMT -> Monday 31 March 10:00 BST: 1 h + 1 h.
    friday = datetime(2025, 3, 28, 17, tzinfo=LONDON)
    monday = datetime(2025, 3, 31, 10, tzinfo=LONDON)
    assert DAY_LONDON.business_seconds(friday, monday) == 2 * H
    # Two hours of business time from Friday 17:00 end Monday 10:00 London, 09:00 UTC.
    due = DAY_LONDON.add_business_seconds(friday, 2 * H)
    assert due == datetime(2025, 3, 31, 9, tzinfo=UTC)
    assert due.tzinfo is UTC
    assert due.astimezone(LONDON).hour == 10


def test_dst_round_trip() -> None:
    rng = random.Random(7)
    for _ in range(200):
        start = datetime(2025, 3, 20, tzinfo=UTC) + timedelta(seconds=rng.randrange(0, 230 * 86400))
        amount = rng.randrange(1, 30 * 3600 * 10**6) / 1e6
        end = NIGHT_LONDON.add_business_seconds(start, amount)
        assert NIGHT_LONDON.business_seconds(start, end) == amount


# -- add_business_seconds --------------------------------------------------------------


def test_add_business_seconds_examples() -> None:
    # Inside hours, same day.
    assert PLAIN.add_business_seconds(sh(2025, 1, 6, 10), 2 * H) == sh(2025, 1, 6, 12)
    # Ends exactly at closing: the closing instant, not the next opening.
    assert PLAIN.add_business_seconds(sh(2025, 1, 6, 9), 9 * H) == sh(2025, 1, 6, 18)
    # Across the night and the weekend.
    assert PLAIN.add_business_seconds(sh(2025, 1, 10, 17), 2 * H) == sh(2025, 1, 13, 10)
    # Starting outside hours: counting begins at the next opening.
    assert PLAIN.add_business_seconds(sh(2025, 1, 11, 3), 1 * H) == sh(2025, 1, 13, 10)
    assert PLAIN.add_business_seconds(sh(2025, 1, 6, 20), 0.5 * H) == sh(2025, 1, 7, 9, 30)
    # Five business days from Monday 09:00 end Friday 18:00.
    assert PLAIN.add_business_seconds(sh(2025, 1, 6, 9), 5 * 9 * H) == sh(2025, 1, 10, 18)
    # Around the Spring Festival: from Mon Jan 27 10:00, two business days end Thu Feb 6 10:00.
    assert CN_2025.add_business_seconds(sh(2025, 1, 27, 10), 2 * 9 * H) == sh(2025, 2, 6, 10)


def test_add_business_seconds_zero_or_negative_returns_start_in_utc() -> None:
    start = sh(2025, 1, 11, 3)  # a Saturday night: no move to the opening
    for amount in (0, -5, 0.0):
        result = PLAIN.add_business_seconds(start, amount)
        assert result == start
        assert result.tzinfo is UTC


def test_add_business_seconds_refuses_non_finite() -> None:
    for amount in (float("nan"), float("inf")):
        with pytest.raises(ValueError):
            PLAIN.add_business_seconds(sh(2025, 1, 6), amount)


def test_add_business_seconds_long_amounts() -> None:
    start = sh(2025, 1, 6, 9)
    # 60 business days = 12 weeks.
    assert PLAIN.add_business_seconds(start, 60 * 9 * H) == sh(2025, 3, 28, 18)
    # Ten years of business time, checked by counting back.
    amount = 2610 * 9 * H + 1234.5
    end = CN_2025.add_business_seconds(start, amount)
    assert CN_2025.business_seconds(start, end) == amount


def test_add_business_seconds_round_trip_property() -> None:
    rng = random.Random(42)
    base = sh(2024, 12, 20)
    one_us = timedelta(microseconds=1)
    for _ in range(500):
        start = base + timedelta(seconds=rng.randrange(0, 420 * 86400), microseconds=rng.randrange(10**6))
        amount = rng.randrange(1, 120 * 3600 * 10**6) / 1e6
        end = CN_2025.add_business_seconds(start, amount)
        assert end.tzinfo is UTC
        assert end > start
        assert CN_2025.business_seconds(start, end) == amount
        # Earliest such instant: a microsecond earlier is not enough.
        assert CN_2025.business_seconds(start, end - one_us) < amount
        # And it lies on an open day's hours (closing instant included).
        local = end.astimezone(SH)
        assert CN_2025.is_open_day(local.date())
        assert time(9) < local.time() <= time(18)


def test_add_business_seconds_guard_without_open_days() -> None:
    closed = BusinessCalendar(weekdays=frozenset())
    with pytest.raises(ValueError, match="no open time"):
        closed.add_business_seconds(sh(2025, 1, 6), 1)
    assert closed.business_seconds(sh(2025, 1, 1), sh(2035, 1, 1)) == 0
    # A lone make-up workday four years out is still found.
    lonely = BusinessCalendar(weekdays=frozenset(), workdays=frozenset({date(2029, 6, 2)}))
    assert lonely.add_business_seconds(sh(2025, 1, 6), H) == sh(2029, 6, 2, 10)
    # Every Monday a holiday for twelve years: refused rather than looping on.
    mondays = frozenset(date(2025, 1, 6) + timedelta(weeks=i) for i in range(12 * 53))
    never = BusinessCalendar(weekdays=frozenset({0}), holidays=mondays)
    with pytest.raises(ValueError, match="no open time"):
        never.add_business_seconds(sh(2025, 1, 6), 1)


# -- clock -------------------------------------------------------------------------------

T0 = datetime(2025, 3, 3, 8, tzinfo=UTC)


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def cal_clock(now_h: float, target_h: float = 100, **kw: object):
    return clock(
        basis="calendar", calendar=PLAIN, started_at=T0, target_seconds=target_h * H, now=hours(now_h), **kw
    )


def test_clock_running() -> None:
    c = cal_clock(10)
    assert c.state == "running"
    assert (c.target_seconds, c.used_seconds, c.left_seconds) == (100 * H, 10 * H, 90 * H)
    assert c.fraction_left == pytest.approx(0.9)
    assert c.due_at == hours(100)
    assert c.due_at.tzinfo is UTC


def test_clock_at_risk_boundary() -> None:
    assert AT_RISK_FRACTION == 0.25
    exactly_quarter = cal_clock(75)
    assert exactly_quarter.state == "running"
    assert exactly_quarter.fraction_left == 0.25
    just_under = clock(
        basis="calendar",
        calendar=PLAIN,
        started_at=T0,
        target_seconds=100 * H,
        now=hours(75) + timedelta(seconds=1),
    )
    assert just_under.state == "at_risk"
    assert just_under.fraction_left < 0.25
    assert just_under.due_at == hours(100)
    assert cal_clock(100).state == "at_risk"  # exactly used up: not yet breached
    assert cal_clock(100).left_seconds == 0


def test_clock_breached_due_at_is_crossing() -> None:
    c = cal_clock(101)
    assert c.state == "breached"
    assert c.left_seconds == -H
    assert c.fraction_left == pytest.approx(-0.01)
    assert c.due_at == hours(100)
    # With a 5 h pause before the crossing, the crossing moves 5 h later.
    paused = cal_clock(120, pauses=[(hours(20), hours(25))])
    assert paused.state == "breached"
    assert paused.left_seconds == -15 * H
    assert paused.due_at == hours(105)


def test_clock_paused() -> None:
    c = cal_clock(50, pauses=[(hours(30), None)])
    assert c.state == "paused"
    assert c.used_seconds == 30 * H
    assert c.left_seconds == 70 * H
    # Documented choice: due as if the pause ended now.
    assert c.due_at == hours(50 + 70)
    # A pause with a known end still in the future also pauses.
    assert cal_clock(50, pauses=[(hours(30), hours(60))]).state == "paused"
    # An ended pause does not.
    ended = cal_clock(50, pauses=[(hours(30), hours(40))])
    assert ended.state == "running"
    assert ended.used_seconds == 40 * H
    assert ended.due_at == hours(110)
    # Paused beats breached; left tells the overrun and due_at the crossing.
    late = cal_clock(150, pauses=[(hours(120), None)])
    assert late.state == "paused"
    assert late.left_seconds == -20 * H
    assert late.due_at == hours(100)


def test_clock_met_and_met_late() -> None:
    met = cal_clock(500, stopped_at=hours(60))
    assert met.state == "met"
    assert met.used_seconds == 60 * H
    assert met.due_at == hours(100)
    exactly = cal_clock(500, stopped_at=hours(100))
    assert exactly.state == "met"
    late = cal_clock(500, stopped_at=hours(130))
    assert late.state == "met_late"
    assert late.left_seconds == -30 * H
    assert late.due_at == hours(100)
    # Stopped while paused: met, not paused.
    assert cal_clock(500, stopped_at=hours(60), pauses=[(hours(50), None)]).state == "met"


def test_clock_pauses_overlap_and_clip() -> None:
    overlapping = cal_clock(
        50, pauses=[(hours(10), hours(20)), (hours(15), hours(30)), (hours(25), hours(26))]
    )
    assert overlapping.used_seconds == 30 * H
    # Given out of order, same result.
    shuffled = cal_clock(50, pauses=[(hours(25), hours(26)), (hours(15), hours(30)), (hours(10), hours(20))])
    assert shuffled == overlapping
    # A pause starting before the clock only counts from the start.
    before = cal_clock(50, pauses=[(hours(-10), hours(2))])
    assert before.used_seconds == 48 * H
    # Wholly before the start: ignored.
    assert cal_clock(50, pauses=[(hours(-10), hours(-2))]).used_seconds == 50 * H
    # A pause past the stop only counts up to the stop; one wholly after is ignored.
    stopped = cal_clock(500, stopped_at=hours(50), pauses=[(hours(40), hours(60)), (hours(70), None)])
    assert stopped.used_seconds == 40 * H
    assert stopped.state == "met"
    # An open pause and a closed one overlapping it.
    both = cal_clock(50, pauses=[(hours(20), None), (hours(10), hours(30))])
    assert both.used_seconds == 10 * H
    assert both.state == "paused"


def test_clock_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        cal_clock(10, pauses=[(hours(5), hours(4))])
    with pytest.raises(ValueError):
        cal_clock(10, target_h=0)
    with pytest.raises(ValueError):
        cal_clock(10, target_h=-1)
    with pytest.raises(ValueError):
        clock(basis="weekly", calendar=PLAIN, started_at=T0, target_seconds=60, now=T0)  # type: ignore[arg-type]


def test_clock_before_start() -> None:
    c = cal_clock(-5)
    assert c.used_seconds == 0
    assert c.state == "running"
    assert c.due_at == hours(100)


def test_clock_business_basis() -> None:
    start = sh(2025, 1, 6, 9)  # Monday 09:00 Shanghai

    def biz(now: datetime, **kw: object):
        return clock(basis="business", calendar=PLAIN, started_at=start, target_seconds=8 * H, now=now, **kw)

    running = biz(sh(2025, 1, 6, 11))
    assert (running.state, running.used_seconds, running.due_at) == ("running", 2 * H, sh(2025, 1, 6, 17))
    at_risk = biz(sh(2025, 1, 6, 16))
    assert (at_risk.state, at_risk.left_seconds) == ("at_risk", H)
    # Monday 17:00 uses the target up exactly: at risk, not yet breached.
    edge = biz(sh(2025, 1, 6, 17))
    assert (edge.state, edge.left_seconds, edge.due_at) == ("at_risk", 0, sh(2025, 1, 6, 17))
    # The night does not count: Monday 20:00 and Tuesday 08:00 both show the 9 h of Monday.
    assert biz(sh(2025, 1, 6, 20)).used_seconds == 9 * H
    assert biz(sh(2025, 1, 7, 8)).used_seconds == 9 * H
    breached = biz(sh(2025, 1, 7, 10))
    assert (breached.state, breached.left_seconds, breached.due_at) == (
        "breached",
        -2 * H,
        sh(2025, 1, 6, 17),
    )
    # A pause from Monday noon to Friday 16:00; the projection crosses the weekend.
    paused = biz(sh(2025, 1, 10, 17), pauses=[(sh(2025, 1, 6, 12), sh(2025, 1, 10, 16))])
    assert paused.used_seconds == 4 * H  # 09-12 Monday, 16-17 Friday
    assert paused.state == "running"
    assert paused.due_at == sh(2025, 1, 13, 12)  # 1 h Friday, 3 h Monday
    # Breach crossing skips the pause too.
    late = biz(sh(2025, 1, 14, 18), pauses=[(sh(2025, 1, 6, 12), sh(2025, 1, 10, 16))])
    assert late.state == "breached"
    assert late.due_at == sh(2025, 1, 13, 12)
    # The calendar basis ignores the calendar: the night counts.
    night = clock(
        basis="calendar", calendar=PLAIN, started_at=start, target_seconds=8 * H, now=sh(2025, 1, 6, 20)
    )
    assert night.state == "breached"
    assert night.due_at == sh(2025, 1, 6, 17)


def test_clock_calendar_basis_across_dst_counts_real_seconds() -> None:
    start = datetime(2025, 3, 29, 12, tzinfo=LONDON)  # GMT
    now = datetime(2025, 3, 30, 12, tzinfo=LONDON)  # BST: 23 real hours later
    c = clock(basis="calendar", calendar=DAY_LONDON, started_at=start, target_seconds=48 * H, now=now)
    assert c.used_seconds == 23 * H
    assert c.due_at == start.astimezone(UTC) + timedelta(hours=48)


def test_clock_with_a_policy() -> None:
    policy = policy_for("technical_fault", "P1", None)
    c = clock(
        basis=policy.basis,
        calendar=CN_2025,
        started_at=sh(2025, 1, 27, 14),
        target_seconds=policy.resolution_seconds,
        now=sh(2025, 1, 27, 17),
    )
    # 8 business hours from Monday 14:00 before the Spring Festival: 4 h Monday, 4 h on Feb 5.
    assert c.state == "running"
    assert c.due_at == sh(2025, 2, 5, 13)


# -- policies -----------------------------------------------------------------------------


def test_default_policies_cover_every_type_and_priority() -> None:
    assert set(DEFAULT_POLICIES) == {(t, p) for t in WORK_ORDER_TYPES for p in PRIORITIES}
    for (kind, _priority), policy in DEFAULT_POLICIES.items():
        assert 0 < policy.first_response_seconds <= policy.resolution_seconds
        assert policy.basis == ("calendar" if kind == "callback" else "business")
    for kind in WORK_ORDER_TYPES:
        targets = [DEFAULT_POLICIES[(kind, p)] for p in PRIORITIES]
        assert targets == sorted(targets, key=lambda p: (p.first_response_seconds, p.resolution_seconds))


def test_policy_for_lookups() -> None:
    assert policy_for("callback", "P1", None) == SlaPolicy(30 * 60, 4 * H, "calendar")
    assert policy_for("follow_up", "P1", None) == SlaPolicy(H, 8 * H, "business")
    assert policy_for("technical_fault", "P2", None) == SlaPolicy(4 * H, 2 * BUSINESS_DAY_SECONDS, "business")
    assert policy_for("business_exception", "P3", None) == SlaPolicy(9 * H, 45 * H, "business")
    assert policy_for("follow_up", "P4", "general") == SlaPolicy(18 * H, 90 * H, "business")  # grade ignored
    major = policy_for("complaint", None, "major")
    assert major == COMPLAINT_POLICY["major"]
    assert (major.first_response_seconds, major.resolution_seconds, major.basis) == (
        H,
        15 * 86400,
        "calendar",
    )
    assert policy_for("complaint", "P1", "general").first_response_seconds == 24 * H  # priority ignored
    assert (
        policy_for("complaint", None, "serious").first_response_seconds == COMPLAINT_FIRST_RESPONSE["serious"]
    )
    custom = {("callback", "P1"): SlaPolicy(60, 120, "calendar")}
    assert policy_for("callback", "P1", None, custom) == SlaPolicy(60, 120, "calendar")
    with pytest.raises(KeyError):
        policy_for("follow_up", "P1", None, custom)


@pytest.mark.parametrize(
    ("kind", "priority", "grade"),
    [
        ("callback", "P5", None),
        ("callback", None, None),
        ("unknown", "P1", None),
        ("complaint", "P1", None),
        ("complaint", None, "minor"),
    ],
)
def test_policy_for_unknown_raises_key_error(kind: str, priority: str | None, grade: str | None) -> None:
    with pytest.raises(KeyError):
        policy_for(kind, priority, grade)


# -- complaints -----------------------------------------------------------------------------


def test_complaint_deadline_15_30_60() -> None:
    received = sh(2025, 3, 1, 10)
    assert (COMPLAINT_DECISION_DAYS, COMPLAINT_EXTENDED_DAYS, COMPLAINT_MAX_DAYS) == (15, 30, 60)
    assert complaint_deadline(received, 0) == sh(2025, 3, 16, 10)
    assert complaint_deadline(received, 15) == sh(2025, 3, 31, 10)
    assert complaint_deadline(received, 45) == sh(2025, 4, 30, 10)
    assert complaint_deadline(received, 0).tzinfo is UTC
    for bad in (-1, 46):
        with pytest.raises(ValueError):
            complaint_deadline(received, bad)
    # Calendar days are 24 h even across a DST change.
    london = datetime(2025, 3, 20, 12, tzinfo=LONDON)
    assert complaint_deadline(london, 0) - london == timedelta(days=15)
    assert complaint_target_seconds() == 15 * 86400
    assert complaint_target_seconds(15) == 30 * 86400
    assert complaint_target_seconds(45) == 60 * 86400
    with pytest.raises(ValueError):
        complaint_target_seconds(46)


def test_check_extension_allowed() -> None:
    assert check_extension(15, 30, complex_case=True, supervisor_id=None) is None
    assert check_extension(15, 20, complex_case=True, supervisor_id=None) is None
    assert check_extension(30, 60, complex_case=True, supervisor_id="E1001") is None
    assert check_extension(15, 45, complex_case=False, supervisor_id="E1001") is None


@pytest.mark.parametrize(
    ("current", "requested", "complex_case", "supervisor", "code"),
    [
        (30, 30, True, "E1001", "not-longer"),
        (30, 20, True, "E1001", "not-longer"),
        (15, 30, False, None, "not-complex"),
        (15, 30, False, "E1001", "not-complex"),
        (30, 61, True, "E1001", "over-max"),
        (15, 90, True, None, "over-max"),
        (30, 60, True, None, "needs-supervisor"),
        (30, 45, True, "  ", "needs-supervisor"),
        (15, 31, False, None, "needs-supervisor"),
    ],
)
def test_check_extension_refused(
    current: int, requested: int, complex_case: bool, supervisor: str | None, code: str
) -> None:
    with pytest.raises(ExtensionRefused) as info:
        check_extension(current, requested, complex_case=complex_case, supervisor_id=supervisor)
    assert info.value.code == code
    assert isinstance(info.value, ValueError)
    assert info.value.detail == str(info.value)
