"""Dates the way a UK bank counts them: "last Friday" to a date, and working days between dates.

Customers say when they sent money in words ("yesterday", "on Monday", "12th March"); transfer
deadlines are in working days (no weekends, no England & Wales bank holidays). Both live here so a
flow never does its own calendar arithmetic. ``today`` is always passed in, which keeps this pure.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from actions.amounts import NUMBER_WORDS

# England & Wales bank holidays (gov.uk/bank-holidays) for any year, from the maintained `holidays`
# package: its substitute days ("Boxing Day (observed)") and one-off ones (a coronation) included.
_ENGLAND = holidays.country_holidays("GB", subdiv="ENG")


def is_bank_holiday(day: date) -> bool:
    return day in _ENGLAND  # the package fills in each year on its first lookup


try:
    UK_TIME = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # a system without tzdata: UTC is within an hour of UK time
    UK_TIME = None  # type: ignore[assignment]


def uk_now() -> datetime:
    """The current time in the UK, where the bank's working days and weekend fees are counted."""
    return datetime.now(UK_TIME or timezone.utc)


_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = {
    name: i + 1
    for i, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_MONTHS.update({name[:3]: num for name, num in list(_MONTHS.items())})
_MONTHS["sept"] = 9
# One to twelve come from amounts.py's number words, so the two parsers can never disagree.
_SMALL = {
    "a": 1,
    "an": 1,
    **{word: n for word, n in NUMBER_WORDS.items() if 1 <= n <= 12},
    "couple of": 2,
    "a couple of": 2,
    "few": 3,
    "a few": 3,
}

_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\.?(?:,?\s+(\d{{4}}))?\b")
_MONTH_DAY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
# Day-first numeric dates: "12/03", "12/03/2025", "12.03.2025" (a dot needs the year: "10.50" is money).
_NUMERIC = re.compile(r"\b(\d{1,2})(?:/(\d{1,2})(?:/(\d{2}|\d{4}))?|\.(\d{1,2})\.(\d{4}))\b")
_AGO = re.compile(
    r"\b(\d+|a couple of|couple of|a few|few|an|a|one|two|three|four|five|six|seven|eight|nine|ten"
    r"|eleven|twelve)\s+(day|days|week|weeks|month|months)\s+ago\b"
)
_WEEKDAY = re.compile(r"\b(last|this past|past|on|this)?\s*(" + "|".join(_WEEKDAYS) + r")\b")
_TODAY = re.compile(
    r"\b(today|this morning|this afternoon|this evening|tonight|an hour ago"
    r"|a few hours ago|\d+ hours? ago|just now|earlier today|a few minutes ago|\d+ minutes ago)\b"
)


def _year_for(day: int, month: int, year: int | None, today: date) -> date | None:
    try:
        candidate = date(year or today.year, month, day)
    except ValueError:
        return None
    # "12 December" said in March means last December; "21 March" said on 12 March is a mistake
    # worth pointing out (the caller refuses future dates), not a date a year ago.
    if year is None and (candidate - today).days > 31:
        candidate = _last_year(candidate)
    return candidate


def _last_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def parse_sent_date(text: object, today: date) -> date | None:
    """The calendar date a customer means by "yesterday", "last Friday", "3 days ago", "12/03".

    Returns None when the text names no date. A date after ``today`` is returned as it is, so the
    caller can tell the customer it is in the future instead of guessing.
    """
    if not isinstance(text, str):
        return None
    lower = text.lower()
    for found in (_calendar_date(lower, today), _relative_date(lower, today)):
        if found is not None:
            return found
    return None


def _calendar_date(lower: str, today: date) -> date | None:
    if match := _ISO.search(lower):
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    if match := _DAY_MONTH.search(lower):
        return _year_for(int(match[1]), _MONTHS[match[2]], int(match[3]) if match[3] else None, today)
    if match := _MONTH_DAY.search(lower):
        return _year_for(int(match[2]), _MONTHS[match[1]], int(match[3]) if match[3] else None, today)
    if match := _NUMERIC.search(lower):
        month = match[2] or match[4]
        year_text = match[3] or match[5]
        year = int(year_text) if year_text else None
        if year is not None and year < 100:
            year += 2000
        return _year_for(int(match[1]), int(month), year, today)
    return None


def _relative_date(lower: str, today: date) -> date | None:
    if "day before yesterday" in lower:
        return today - timedelta(days=2)
    if re.search(r"\b(yesterday|last night)\b", lower):
        return today - timedelta(days=1)
    if match := _AGO.search(lower):
        count = int(match[1]) if match[1].isdigit() else _SMALL[match[1]]
        unit = match[2].rstrip("s")
        days = {"day": 1, "week": 7, "month": 30}[unit] * count
        return today - timedelta(days=days)
    if re.search(r"\blast week\b", lower):
        return today - timedelta(days=7)
    if re.search(r"\blast month\b", lower):
        return today - timedelta(days=30)
    if match := _WEEKDAY.search(lower):
        back = (today.weekday() - _WEEKDAYS.index(match[2])) % 7 or 7
        return today - timedelta(days=back)
    if _TODAY.search(lower):
        return today
    return None


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    """The working day ``count`` working days after ``day``."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end is not after start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def format_day(day: date) -> str:
    """ "Tue 11 Mar", the way the bot writes dates to customers."""
    return f"{day:%a} {day.day} {day:%b}"
