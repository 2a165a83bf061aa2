# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How an input is checked against a rule, and how a broken one is worded; the rules themselves are declared
in constraints.py (the SSM API's constraints) and tag_rules.py (tags).

Every check raises SSMValidationError naming the parameter, the value and the rule, before any request.
"""

import os
import posixpath
import re
import tempfile
from collections import namedtuple

from .errors import SSMValidationError

# name: what a person calls the value; hint: what a valid value looks like, in words; min_len/max_len:
# inclusive bounds and pattern: a Python regular expression, each None (the default) when the rule has none.
Constraint = namedtuple("Constraint", ["name", "hint", "min_len", "max_len", "pattern"], defaults=(None, None, None))


def in_bounds(value, bounds):
    """True for a number (not a bool, not NaN) within inclusive (low, high) bounds."""
    low, high = bounds
    return not isinstance(value, bool) and isinstance(value, (int, float)) and low <= value <= high


def path_problem(value, absolute):
    """Why a POSIX path breaks its rule, or None: 'empty'; with ``absolute`` 'relative'; else 'absolute' or
    'climbs' (a '..' part, which would leave the directory the path is relative to)."""
    if not isinstance(value, str) or not value:
        return "empty"
    if absolute:
        return None if posixpath.isabs(value) else "relative"
    if posixpath.isabs(value):
        return "absolute"
    return "climbs" if ".." in value.split("/") else None


def file_target_problem(path):
    """Why a file cannot be written at ``path`` on this machine, or None: ('folder', path) when the path is a
    folder; ('missing', parent) or ('not_a_folder', parent) when its parent folder is not there as one;
    ('not_writable', reason) when no file can be created in the parent folder.

    Writable is found out by creating (and removing) a file in the parent folder, the way the file is then
    written (Ansible's copy writes a temporary file beside the target and renames it over the target):
    permission bits do not say it for root, nor for /proc, a read-only mount or an ACL.
    """
    if os.path.isdir(path):
        return ("folder", path)
    parent = os.path.dirname(path.rstrip("/")) or "/"
    if not os.path.exists(parent):
        return ("missing", parent)
    if not os.path.isdir(parent):
        return ("not_a_folder", parent)
    try:
        handle, probe = tempfile.mkstemp(prefix=".hybridops-ssm-probe-", dir=parent)
    except OSError as error:
        return ("not_writable", error.strerror or str(error))
    os.close(handle)
    os.unlink(probe)
    return None


_COMPILED = {}


def _end_anchored(pattern):
    """``pattern`` with each end anchor ``$`` made ``\\Z``.

    Python's $ also matches before a trailing newline ("mi-...\\n" would pass); the service models' patterns
    (Smithy's pattern trait: ECMA-262 regular expressions) end only at the end of the value. A $ inside a
    character class ([$]LATEST, the document version's; [^$]) is a dollar sign, and an escaped one too.
    """
    out, in_class, index = [], False, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            # a ] first in the class (or after ^) is a member, not its end
            if char == "]" and pattern[index - 1] != "[" and pattern[index - 2 : index] != "[^":
                in_class = False
        elif char == "[":
            in_class = True
        elif char == "$":
            char = "\\Z"
        out.append(char)
        index += 1
    return "".join(out)


def _matches(pattern, value):
    compiled = _COMPILED.get(pattern)
    if compiled is None:
        compiled = _COMPILED[pattern] = re.compile(_end_anchored(pattern))
    return compiled.search(value) is not None


def _describe(value):
    if isinstance(value, str):
        return repr(value)
    # The built-in type a person wrote (ansible-core 2.19 hands plugins tagged subclasses such as _AnsibleTaggedInt).
    kind = next((t for t in type(value).__mro__ if t.__module__ == "builtins" and t is not object), type(value))
    return f"{value!r} ({kind.__name__})"


def string_problem(constraint, value):
    """Return why ``value`` breaks ``constraint`` (a sentence), or None when it holds."""
    if not isinstance(value, str):
        return f"must be a string ({constraint.hint})"
    if constraint.min_len is not None and constraint.min_len == constraint.max_len and len(value) != constraint.min_len:
        return f"must be exactly {constraint.min_len} characters long, not {len(value)} ({constraint.hint})"
    if constraint.min_len is not None and len(value) < constraint.min_len:
        return f"must be at least {constraint.min_len} characters long, not {len(value)} ({constraint.hint})"
    if constraint.max_len is not None and len(value) > constraint.max_len:
        return f"must be at most {constraint.max_len} characters long, not {len(value)} ({constraint.hint})"
    if constraint.pattern is not None and not _matches(constraint.pattern, value):
        return f"must match {constraint.pattern} ({constraint.hint})"
    return None


def check_string(parameter, value, constraint):
    """Raise SSMValidationError naming ``parameter``, ``value`` and the constraint it breaks."""
    problem = string_problem(constraint, value)
    if problem:
        raise SSMValidationError(f"{parameter}: {_describe(value)} is not a valid {constraint.name}: it {problem}.", parameter=parameter, value=value)
    return value


# How many items of one class an input error names before it counts the rest. More than a result message's
# IDs (outcomes.IDS_SHOWN): the user fixes each named item by hand before the next run, and the message is all
# there is, where a result's message sums up per-item outcomes that hold every ID.
INPUT_ITEMS_SHOWN = 10

_EC2_ADVICE = (
    "SSM cannot deregister; only hybrid managed nodes (mi-..., eks_c:...) are handled here."
    " EC2 instances leave SSM when they are terminated or lose their instance profile"
)


def _listing(values):
    shown = ", ".join(_describe(v) for v in values[:INPUT_ITEMS_SHOWN])
    return shown + (f" and {len(values) - INPUT_ITEMS_SHOWN} more" if len(values) > INPUT_ITEMS_SHOWN else "")


def normalize_list(values):
    """A list option as given, with comma-separated strings split and every item stripped of surrounding spaces.

    Ansible splits "mi-a, mi-b" on the comma only, which leaves " mi-b"; IDs never hold spaces.
    """
    if isinstance(values, str):
        values = [part for part in values.split(",") if part.strip()]
    if not isinstance(values, (list, tuple)):
        return values
    return [v.strip() if isinstance(v, str) else v for v in values]


def check_list(parameter, values, constraint, min_items=0, max_items=None, refuse_ec2=False):
    """Check a list option: item count, EC2 IDs (with ``refuse_ec2``), bad items and duplicates, all at once.

    Returns the list with its items stripped of surrounding spaces. Every
    broken item is named in one message, grouped by what is wrong with it
    (the first INPUT_ITEMS_SHOWN of each class, then a count), so a user fixes a bad
    list in one run rather than one class of mistake per run.
    """
    if values is None:
        values = []
    values = normalize_list(values)
    if not isinstance(values, (list, tuple)):
        raise SSMValidationError(f"{parameter}: {_describe(values)} must be a list.", parameter=parameter, value=values)
    if len(values) < min_items:
        raise SSMValidationError(
            f"{parameter}: the list is empty; give at least {min_items} {constraint.name}{'s' if min_items > 1 else ''}.",
            parameter=parameter,
            value=list(values),
        )
    classes = []
    if max_items is not None and len(values) > max_items:
        classes.append(f"{len(values)} items given, at most {max_items} are allowed in one call")
    ec2, invalid, duplicates, seen = [], {}, [], set()
    for value in values:
        if refuse_ec2 and is_ec2_instance_id(value):
            ec2.append(value)
            continue
        problem = string_problem(constraint, value)
        if problem:
            invalid.setdefault(problem, []).append(value)
            continue
        if value in seen and value not in duplicates:
            duplicates.append(value)
        seen.add(value)
    if ec2:
        classes.append(f"{_listing(ec2)} {'is an EC2 instance' if len(ec2) == 1 else f'({len(ec2)}) are EC2 instances'}, which {_EC2_ADVICE}")
    for problem, bad in invalid.items():
        classes.append(f"{len(bad)} invalid {constraint.name}{'s' if len(bad) > 1 else ''}: {_listing(bad)} {'each ' if len(bad) > 1 else ''}{problem}")
    if duplicates:
        classes.append(f"each {constraint.name} may appear once; duplicated: {_listing(duplicates)}")
    if classes:
        raise SSMValidationError(f"{parameter}: " + "; ".join(classes) + ".", parameter=parameter, value=list(values))
    return list(values)


def check_range(parameter, value, bounds):
    """Check an integer option against inclusive (low, high) bounds."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SSMValidationError(f"{parameter}: {_describe(value)} must be an integer from {low} to {high}.", parameter=parameter, value=value)
    return value


def check_choice(parameter, value, choices, max_items=None):
    """Check a value (or a list of values, when ``max_items`` allows more than one) against ``choices``."""
    values = value if isinstance(value, (list, tuple)) else [value]
    if isinstance(value, (list, tuple)):
        if not values:
            raise SSMValidationError(f"{parameter}: the list is empty; give one of {', '.join(choices)}.", parameter=parameter, value=list(values))
        if max_items is not None and len(values) > max_items:
            raise SSMValidationError(
                f"{parameter}: {list(values)!r} gives {len(values)} values, but SSM's filter takes at most {max_items} ({', '.join(choices)}).",
                parameter=parameter,
                value=list(values),
            )
    bad = [v for v in values if v not in choices]
    if bad:
        raise SSMValidationError(f"{parameter}: {', '.join(_describe(v) for v in bad)} is not one of {', '.join(choices)}.", parameter=parameter, value=value)
    return value


def check_boolean(parameter, value):
    """A boolean given in YAML (true/false, yes/no, on/off, 1/0); None when not given.

    Ansible's configuration reads any other string as false without a word: refuse it instead.
    """
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1", "y", "t"):
        return True
    if text in ("false", "no", "off", "0", "n", "f"):
        return False
    raise SSMValidationError(f"{parameter}: {_describe(value)} is not a boolean: give true or false.", parameter=parameter, value=value)


def check_number(parameter, value, bounds, unit):
    """Check a number option (int or float, not bool, not NaN) against inclusive (low, high) bounds."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise SSMValidationError(f"{parameter}: {_describe(value)} must be a number of {unit} from {low:g} to {high:g}.", parameter=parameter, value=value)
    return value


def is_ec2_instance_id(value):
    """True for an EC2 instance ID (i-...), which SSM cannot deregister."""
    return isinstance(value, str) and value.startswith("i-")
