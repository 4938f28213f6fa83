"""When advisers are expected: the desk's weekly opening hours, closed on bank holidays.

The widget must never promise a wait when nobody is online; what it can say truthfully is when people are
next expected. The hours are a setting (OPENING_HOURS, e.g. "Mon-Fri 08:00-20:00; Sat 09:00-17:00") in the
desk's time zone (OPENING_TIMEZONE); bank holidays come from the maintained `holidays` package
(OPENING_HOLIDAYS: a country code with an optional subdivision, "GB-ENG"; empty: none).
Pure: the clock is passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*([A-Za-z]{3})(?:\s*-\s*([A-Za-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
LOOKAHEAD_DAYS = 21  # a desk closed for three weeks has no "next opening" worth promising


class OpeningHoursError(ValueError):
    """The opening-hours setting cannot be read; the message says which part and what was expected."""


@dataclass(frozen=True)
class OpeningHours:
    """Per weekday (0 = Monday) the open minutes [start, end) of the local day; absent days are closed."""

    week: dict[int, tuple[int, int]]
    zone: ZoneInfo
    closed_on: holidays.HolidayBase | None = None

    def is_open(self, now_ms: int) -> bool:
        local = self._local(now_ms)
        span = self._span(local.date())
        minute = local.hour * 60 + local.minute
        return span is not None and span[0] <= minute < span[1]

    def next_opening_ms(self, now_ms: int) -> int | None:
        """When the desk next opens after `now_ms` (None when open now, or nothing within three weeks)."""
        if self.is_open(now_ms):
            return None
        local = self._local(now_ms)
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            span = self._span(day)
            if span is None:
                continue
            start = datetime(day.year, day.month, day.day, span[0] // 60, span[0] % 60, tzinfo=self.zone)
            if start > local:
                return int(start.timestamp() * 1000)
        return None

    def _span(self, day: date) -> tuple[int, int] | None:
        if self.closed_on is not None and day in self.closed_on:
            return None
        return self.week.get(day.weekday())

    def _local(self, now_ms: int) -> datetime:
        return datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc).astimezone(self.zone)


def parse(spec: str, zone: str = "Europe/London", holiday_region: str = "GB-ENG") -> OpeningHours:
    """OPENING_HOURS text ("Mon-Fri 08:00-20:00; Sat 09:00-17:00") → OpeningHours; empty text: never open."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise OpeningHoursError(f"unknown time zone {zone!r} (expected e.g. Europe/London)") from None
    week: dict[int, tuple[int, int]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        m = _RANGE.match(part)
        if not m:
            raise OpeningHoursError(f"cannot read {part!r} (expected e.g. 'Mon-Fri 08:00-20:00')")
        first, last = m.group(1).lower(), (m.group(2) or m.group(1)).lower()
        if first not in DAYS or last not in DAYS:
            raise OpeningHoursError(f"unknown day in {part!r} (expected Mon, Tue, … Sun)")
        start = int(m.group(3)) * 60 + int(m.group(4))
        end = int(m.group(5)) * 60 + int(m.group(6))
        if not 0 <= start < end <= 24 * 60:
            raise OpeningHoursError(f"{part!r}: the opening time must come before the closing time")
        for day in range(DAYS.index(first), DAYS.index(last) + 1):
            week[day] = (start, end)
    return OpeningHours(week, tz, _holidays(holiday_region))


def _holidays(region: str) -> holidays.HolidayBase | None:
    if not region.strip():
        return None
    country, _, subdiv = region.strip().partition("-")
    try:
        return holidays.country_holidays(country.upper(), subdiv=subdiv.upper() or None)
    except (NotImplementedError, KeyError):
        raise OpeningHoursError(f"unknown holiday region {region!r} (expected e.g. GB-ENG)") from None


def describe_opening(opens_at_ms: int, now_ms: int, zone: ZoneInfo) -> str:
    """"at 08:00", "tomorrow at 08:00", "on Monday at 08:00": when, in the desk's time zone."""
    when = datetime.fromtimestamp(opens_at_ms / 1000, tz=timezone.utc).astimezone(zone)
    today = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc).astimezone(zone).date()
    clock = when.strftime("%H:%M")
    days = (when.date() - today).days
    if days == 0:
        return f"at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if days < 7:
        return f"on {when.strftime('%A')} at {clock}"
    return f"on {when.strftime('%A')} {when.day} {when.strftime('%B')} at {clock}"
