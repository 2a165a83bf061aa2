# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tag keys and values (shapes TagKey / TagValue) and the checks of tags and tag filters."""

import unicodedata

from .checks import Constraint
from .checks import _describe
from .checks import _listing
from .errors import SSMValidationError

# Tag keys and values (shapes TagKey / TagValue). The model's pattern uses
# \p{L}\p{Z}\p{N}, which Python's re lacks: see _TAG_EXTRA_CHARACTERS.
TAG_KEY = Constraint(name="tag key", min_len=1, max_len=128, hint="1-128 letters, digits, spaces and _.:/=+-@")
TAG_VALUE = Constraint(name="tag value", min_len=0, max_len=256, hint="0-256 letters, digits, spaces and _.:/=+-@")
_TAG_EXTRA_CHARACTERS = frozenset("_.:/=+-@")
# aws: is reserved by AWS for its own tags.
_TAG_RESERVED_PREFIX = "aws:"

# A tag:KEY filter of DescribeInstanceInformation takes at most 5 values (API reference, InstanceInformationStringFilter).
TAG_FILTER_VALUES_MAX = 5


def tag_text_problem(text, constraint):
    """What is wrong with a tag key or value (``constraint`` TAG_KEY or TAG_VALUE) as (kind, sentence), or None.

    kind is 'type', 'length' or 'character', for callers that word the problem their own way.
    """
    if not isinstance(text, str):
        return "type", f"must be a string ({constraint.hint})"
    if constraint.min_len and len(text) < constraint.min_len:
        return "length", f"must be at least {constraint.min_len} character(s) long ({constraint.hint})"
    if len(text) > constraint.max_len:
        return "length", f"must be at most {constraint.max_len} characters long, not {len(text)} ({constraint.hint})"
    for char in text:
        if unicodedata.category(char)[0] not in "LZN" and char not in _TAG_EXTRA_CHARACTERS:
            return "character", f"contains {char!r}, which tags do not allow ({constraint.hint})"
    return None


def tag_key_reserved(key):
    """True for a key with the prefix AWS reserves for its own tags."""
    return isinstance(key, str) and key.lower().startswith(_TAG_RESERVED_PREFIX)


def check_tags(parameter, tags, max_items=None):
    """Check a tags dict: count, key and value lengths and characters, reserved prefix."""
    if tags is None:
        return None
    if not isinstance(tags, dict):
        raise SSMValidationError(f"{parameter}: {_describe(tags)} must be a dictionary of tag keys to values.", parameter=parameter, value=tags)
    if max_items is not None and len(tags) > max_items:
        raise SSMValidationError(
            f"{parameter}: {len(tags)} tags given ({_listing(list(tags))}), a node can carry at most {max_items}.",
            parameter=parameter,
            value=tags,
        )
    problems = _tag_problems(tags.items())
    if problems:
        raise SSMValidationError(f"{parameter}: " + "; ".join(problems) + ".", parameter=parameter, value=tags)
    return tags


def _tag_problems(pairs):
    """What is wrong with each (key, value) pair, in order, each problem once."""
    problems = []
    for key, value in pairs:
        key_problem = tag_text_problem(key, TAG_KEY)
        if key_problem:
            problems.append(f"key {key!r} {key_problem[1]}")
        elif tag_key_reserved(key):
            problems.append(f"key {key!r} uses the prefix 'aws:', which AWS reserves")
        value_problem = tag_text_problem(value, TAG_VALUE)
        if value_problem:
            problems.append(f"value {value!r} of key {key!r} {value_problem[1]}")
    return list(dict.fromkeys(problems))


def check_tag_keys(parameter, keys):
    """Check the keys of a ``tag-key`` filter: a list of 1 to TAG_FILTER_VALUES_MAX tag keys."""
    if keys is None:
        return None
    if not isinstance(keys, (list, tuple)) or not 1 <= len(keys) <= TAG_FILTER_VALUES_MAX:
        raise SSMValidationError(
            f"{parameter}: {_describe(keys)} must be a list of 1 to {TAG_FILTER_VALUES_MAX} tag keys (SSM's limit per tag filter).",
            parameter=parameter,
            value=keys,
        )
    problems = [f"key {key!r} {problem[1]}" for key in keys for problem in [tag_text_problem(key, TAG_KEY)] if problem]
    if problems:
        raise SSMValidationError(f"{parameter}: " + "; ".join(problems) + ".", parameter=parameter, value=keys)
    return list(keys)


def check_tag_filters(parameter, tags):
    """Check tag filters: a dict of tag key to one value, or to a list of 1 to TAG_FILTER_VALUES_MAX values (any matches)."""
    if tags is None:
        return None
    if not isinstance(tags, dict):
        raise SSMValidationError(f"{parameter}: {_describe(tags)} must be a dictionary of tag keys to values.", parameter=parameter, value=tags)
    pairs = []
    for key, value in tags.items():
        if isinstance(value, (list, tuple)):
            if not 1 <= len(value) <= TAG_FILTER_VALUES_MAX:
                raise SSMValidationError(
                    f"{parameter}: key {key!r} is given {len(value)} values; a tag filter takes 1 to {TAG_FILTER_VALUES_MAX} values.",
                    parameter=parameter,
                    value=tags,
                )
            pairs.extend((key, item) for item in value)
        else:
            pairs.append((key, value))
    problems = _tag_problems(pairs)
    if problems:
        raise SSMValidationError(f"{parameter}: " + "; ".join(problems) + ".", parameter=parameter, value=tags)
    return tags
