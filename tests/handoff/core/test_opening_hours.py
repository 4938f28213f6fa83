"""Opening hours: when advisers are next expected, in the desk's time zone, closed on bank holidays."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handoff.core.opening_hours import OpeningHoursError, describe_opening, parse

LONDON = ZoneInfo("Europe/London")


def ms(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=LONDON).timestamp() * 1000)


HOURS = parse("Mon-Fri 08:00-20:00; Sat 09:00-17:00")


def test_open_inside_the_hours_and_closed_outside() -> None:
    assert HOURS.is_open(ms(2026, 12, 7, 9, 0))  # a Monday
    assert not HOURS.is_open(ms(2026, 12, 7, 20, 0))  # closing time is not open
    assert HOURS.next_opening_ms(ms(2026, 12, 7, 9, 0)) is None


def test_next_opening_after_hours_is_the_next_morning_or_monday() -> None:
    assert HOURS.next_opening_ms(ms(2026, 12, 7, 1, 15)) == ms(2026, 12, 7, 8, 0)
    assert HOURS.next_opening_ms(ms(2026, 12, 7, 21, 0)) == ms(2026, 12, 8, 8, 0)
    assert HOURS.next_opening_ms(ms(2026, 12, 12, 18, 0)) == ms(2026, 12, 14, 8, 0)  # Saturday evening → Monday


def test_bank_holidays_are_closed() -> None:
    # Christmas Day and Boxing Day 2026 (Fri, Sat; Boxing Day substitute on Mon 28th) in England.
    assert not HOURS.is_open(ms(2026, 12, 25, 10, 0))
    assert HOURS.next_opening_ms(ms(2026, 12, 24, 21, 0)) == ms(2026, 12, 29, 8, 0)


def test_the_wording_says_when() -> None:
    now = ms(2026, 12, 7, 1, 15)
    assert describe_opening(ms(2026, 12, 7, 8, 0), now, LONDON) == "at 08:00"
    assert describe_opening(ms(2026, 12, 8, 8, 0), now, LONDON) == "tomorrow at 08:00"
    assert describe_opening(ms(2026, 12, 11, 8, 0), now, LONDON) == "on Friday at 08:00"


@pytest.mark.parametrize("spec", ["Mon-Fri 8-20", "Xyz 08:00-20:00", "Mon 20:00-08:00"])
def test_a_bad_setting_is_refused_with_what_was_expected(spec: str) -> None:
    with pytest.raises(OpeningHoursError, match="expected|before"):
        parse(spec)
