"""Dates as customers say them, and UK working days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from actions.dates import (
    add_working_days,
    format_day,
    is_bank_holiday,
    is_working_day,
    parse_sent_date,
    working_days_between,
)

WEDNESDAY = date(2025, 3, 12)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("yesterday", date(2025, 3, 11)),
        ("the day before yesterday", date(2025, 3, 10)),
        ("last Friday", date(2025, 3, 7)),
        ("on monday", date(2025, 3, 10)),
        ("wednesday", date(2025, 3, 5)),  # today's weekday said plainly means last week's
        ("3 days ago", date(2025, 3, 9)),
        ("a couple of days ago", date(2025, 3, 10)),
        ("two weeks ago", date(2025, 2, 26)),
        ("last week", date(2025, 3, 5)),
        ("this morning", WEDNESDAY),
        ("3rd of March", date(2025, 3, 3)),
        ("March 1st", date(2025, 3, 1)),
        ("1 Dec", date(2024, 12, 1)),  # a month well ahead means last year
        ("21 March", date(2025, 3, 21)),  # days ahead stays in the future for the caller to refuse
        ("12/03", WEDNESDAY),
        ("12/03/2024", date(2024, 3, 12)),
        ("2025-03-01", date(2025, 3, 1)),
        ("sent 10.50 euros yesterday", date(2025, 3, 11)),  # money is not a dotted date
        ("no idea", None),
        ("31/02", None),
        ("", None),
        (None, None),
    ],
)
def test_sent_dates(text, expected):
    assert parse_sent_date(text, WEDNESDAY) == expected


def test_working_days_skip_weekends_and_bank_holidays():
    assert add_working_days(date(2025, 3, 14), 1) == date(2025, 3, 17)  # Friday -> Monday
    assert add_working_days(date(2025, 4, 17), 1) == date(2025, 4, 22)  # over Easter
    assert working_days_between(date(2025, 3, 7), WEDNESDAY) == 3
    assert working_days_between(WEDNESDAY, WEDNESDAY) == 0


def test_dates_are_written_short():
    assert format_day(WEDNESDAY) == "Wed 12 Mar"


# The hand-kept list actions/dates.py had before it used the `holidays` package (gov.uk, 2024-2027).
GOV_UK_2024_2027 = (
    "2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26", "2024-12-25",
    "2024-12-26", "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25",
    "2025-12-25", "2025-12-26", "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25",
    "2026-08-31", "2026-12-25", "2026-12-28", "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03",
    "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28",
)


def test_the_bank_holidays_are_gov_uks_and_no_other_weekday_is_one():
    listed = {date.fromisoformat(d) for d in GOV_UK_2024_2027}
    day = date(2024, 1, 1)
    while day.year < 2028:
        assert is_bank_holiday(day) == (day in listed) or day.weekday() >= 5, day
        assert is_working_day(day) == (day.weekday() < 5 and day not in listed), day
        day += timedelta(days=1)


def test_bank_holidays_go_on_past_the_years_anyone_typed_in():
    assert is_bank_holiday(date(2031, 4, 14))  # Easter Monday (Easter Sunday 2031-04-13)
    assert is_bank_holiday(date(2032, 12, 27)) and is_bank_holiday(date(2032, 12, 28))  # Christmas on a Saturday
    assert not is_bank_holiday(date(2031, 4, 15))
    assert add_working_days(date(2031, 4, 10), 1) == date(2031, 4, 15)  # Thursday, over Easter, to Tuesday
