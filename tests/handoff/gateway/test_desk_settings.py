"""The desk refuses to start with opening hours it cannot read, naming the settings to fix."""
from __future__ import annotations

import pytest

from handoff.gateway.desk import Desk
from handoff.settings import Settings, SettingsError


@pytest.mark.parametrize("change", [{"opening_hours": "Mon-Fri 8-20"}, {"opening_timezone": "Mars/Olympus"},
                                    {"opening_holidays": "XX-YY"}])
def test_a_bad_opening_hours_setting_stops_the_desk_at_start_up_naming_it(change: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="OPENING_HOURS"):
        Desk(Settings(**change), None, None, None, None)  # type: ignore[arg-type]
