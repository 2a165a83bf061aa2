# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Points in time (timeparse.py): absolute and relative, named by the option when bad."""

import datetime

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.timeparse import parse_duration
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.timeparse import parse_point_in_time

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("30d", NOW - datetime.timedelta(days=30)),
        ("12h", NOW - datetime.timedelta(hours=12)),
        ("90m", NOW - datetime.timedelta(minutes=90)),
        ("45s", NOW - datetime.timedelta(seconds=45)),
        ("2w", NOW - datetime.timedelta(weeks=2)),
        ("1.5d", NOW - datetime.timedelta(hours=36)),
        ("2026-10-01", datetime.datetime(2026, 10, 1, tzinfo=datetime.timezone.utc)),
        ("2026-10-01T12:00:00Z", datetime.datetime(2026, 10, 1, 12, tzinfo=datetime.timezone.utc)),
        ("2026-10-01T14:00:00+02:00", datetime.datetime(2026, 10, 1, 12, tzinfo=datetime.timezone.utc)),
    ],
)
def test_points_in_time(value, expected):
    assert parse_point_in_time("last_ping_before", value, now=NOW) == expected


@pytest.mark.parametrize("value", ["30 days", "d30", "yesterday", "2026-13-01", "-5d"])
def test_bad_points_in_time_name_the_option(value):
    with pytest.raises(SSMValidationError, match=f"last_ping_before: '{value}' is neither an age"):
        parse_point_in_time("last_ping_before", value, now=NOW)


# --- durations (idempotency_window) -------------------------------------------------------------------------------
BOUNDS = (1, 30 * 86400)


@pytest.mark.parametrize(
    "value, seconds",
    [("1d", 86400), ("12h", 43200), ("90m", 5400), ("45s", 45), ("2w", 1209600), ("1.5h", 5400), ("3600", 3600), (3600, 3600), (" 30d ", 2592000), ("1", 1)],
)
def test_durations(value, seconds):
    assert parse_duration("idempotency_window", value, BOUNDS) == seconds


@pytest.mark.parametrize("value", ["31d", "0", "0s", "2592001", "-1d", "1 day", "d1", "", "1.5", "5y"])
def test_bad_durations_name_the_option_the_value_and_the_bounds(value):
    with pytest.raises(SSMValidationError) as raised:
        parse_duration("idempotency_window", value, BOUNDS)
    message = raised.value.message
    assert message.startswith(f"idempotency_window: {str(value).strip()!r} must be a duration from 1 seconds to 30 days"), message
    assert raised.value.parameter == "idempotency_window" and raised.value.value == value
