"""Dates as customers say them, and UK working days."""

from __future__ import annotations

from datetime import date

import pytest

from actions.dates import add_working_days, format_day, parse_sent_date, working_days_between

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
