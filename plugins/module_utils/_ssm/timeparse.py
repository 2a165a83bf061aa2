# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Points in time given as an absolute timestamp or a relative age such as ``30d``."""

import datetime
import re

from .errors import SSMValidationError

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_point_in_time(parameter, value, now=None):
    """An aware UTC datetime for ``value``: an age ('30d', '12h', '90m', '45s', '2w') counts back from now.

    Absolute values are ISO 8601 ('2026-10-01', '2026-10-01T12:00:00Z',
    '2026-10-01T12:00:00+02:00'); one without a zone is taken as UTC.
    """
    if value is None:
        return None
    now = now or datetime.datetime.now(datetime.timezone.utc)
    text = str(value)
    match = _AGE.match(text)
    if match:
        return now - datetime.timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SSMValidationError(
            f"{parameter}: {text!r} is neither an age such as '30d', '12h', '90m', '45s', '2w' nor an ISO 8601 time such as '2026-10-01T12:00:00Z'.",
            parameter=parameter,
            value=value,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def as_utc(moment):
    """botocore returns aware datetimes; make sure naive ones compare as UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def parse_duration(parameter, value, bounds):
    """Seconds for a duration given as an age ('1d', '12h', '90m', '45s', '2w') or a number of seconds, within (low, high)."""
    text = str(value).strip()
    match = _AGE.match(text)
    if match:
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    elif re.match(r"^\d+$", text):
        seconds = float(text)
    else:
        seconds = None
    low, high = bounds
    if seconds is None or not low <= seconds <= high:
        raise SSMValidationError(
            f"{parameter}: {text!r} must be a duration from {low} seconds to {high // 86400} days, such as '1d', '12h', '90m' or a number of seconds.",
            parameter=parameter,
            value=value,
        )
    return seconds
