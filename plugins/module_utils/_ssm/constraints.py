# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The SSM API's own input constraints, checked before any request is sent.

Why the constraints are written out here rather than read from botocore's
loaded service model at run time:

* botocore checks only ``min`` client-side; ``max``, ``pattern`` and list
  counts are enforced by the service, after a round trip, with a message
  that names the wire field (``instanceId``) instead of the module option.
* The model is a run-time dependency whose content varies with the botocore
  release installed on the node that runs the module; a constraint written
  here is the same wherever the module runs.
* Loading the model costs time at module start for every task.

The values are copied from the botocore SSM model (2014-11-06) and the API
reference; ``tests/unit/plugins/module_utils/test_constraints.py`` compares
each one with the installed botocore model, so a drift is caught by a test,
not by a user.

This is the one place to add a new constraint: declare it as a ``Constraint``
and validate with ``check_string`` / ``check_list``. The roles' and playbooks'
variables are checked by these same rules (plugin_utils/role_inputs.py says
which rule checks which variable, in the roles' own words).
"""

import posixpath
import re
import unicodedata
from collections import namedtuple

from .errors import SSMValidationError

# name: what a person calls the value; min_len/max_len: inclusive bounds
# (None = unbounded); pattern: a Python regular expression; hint: what a valid
# value looks like, in words.
Constraint = namedtuple("Constraint", ["name", "min_len", "max_len", "pattern", "hint"])

# DeregisterManagedInstance / UpdateManagedInstanceRole InstanceId (shape ManagedInstanceId).
MANAGED_INSTANCE_ID = Constraint(
    name="hybrid managed node ID",
    min_len=20,
    max_len=124,
    pattern=r"(^mi-[0-9a-f]{17}$)|(^eks_c:[0-9A-Za-z][A-Za-z0-9\-_]{0,99}_\w{17}$)",
    hint="'mi-' followed by 17 lower-case hex digits, or an 'eks_c:' EKS Connector agent ID",
)

# CancelCommand InstanceIds members, ListCommands / ListCommandInvocations /
# GetCommandInvocation InstanceId (shape InstanceId).
COMMAND_INSTANCE_ID = Constraint(
    name="managed node ID",
    min_len=None,
    max_len=None,
    pattern=r"(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)",
    hint="'mi-' followed by 17 characters, or an EC2 ID 'i-' followed by 8 or 17 characters",
)

# Any node ID a listing may name (DescribeInstanceInformation filter values
# have no pattern of their own; this catches typos before the call).
ANY_INSTANCE_ID = Constraint(
    name="managed node ID",
    min_len=None,
    max_len=124,
    pattern=MANAGED_INSTANCE_ID.pattern + "|" + COMMAND_INSTANCE_ID.pattern,
    hint="'mi-' followed by 17 hex digits, an 'eks_c:' EKS Connector agent ID, or an EC2 ID 'i-...'",
)

# CommandId (shape CommandId): a UUID, fixed length.
COMMAND_ID = Constraint(
    name="command ID",
    min_len=36,
    max_len=36,
    pattern=None,
    hint="the 36-character ID that SendCommand returned",
)

# UpdateManagedInstanceRole / CreateActivation IamRole (shape IamRole).
IAM_ROLE = Constraint(
    name="IAM role name",
    min_len=None,
    max_len=64,
    pattern=None,
    hint="an IAM role name (not an ARN) of at most 64 characters",
)

# DeleteActivation / DescribeActivations ActivationId (shape ActivationId).
ACTIVATION_ID = Constraint(
    name="activation ID",
    min_len=None,
    max_len=None,
    pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    hint="a lower-case UUID",
)

# The region (a client setting, no API shape): botocore's own check (botocore.utils.validate_region_name),
# made before the client is built so that the message names the option. A module may talk to a custom
# endpoint whose region names are its own, so this is all a module asks.
REGION = Constraint(
    name="AWS region name",
    min_len=1,
    max_len=63,
    pattern=r"^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{,63}(?<!-)$",
    hint="a region such as eu-west-1",
)

# A region of AWS itself: every AWS region name is area-place-number in lower case (botocore's
# endpoints.json, each partition's regionRegex). The roles ask this of the region they are given or read
# from a registration file or an inventory, which always names a region of AWS.
AWS_REGION_NAME = Constraint(
    name="AWS region name",
    min_len=1,
    max_len=63,
    pattern=r"^[a-z]{2,}(-[a-z]+)+-[0-9]+$",
    hint="a region such as eu-west-1",
)

# An IAM role ARN to assume (STS AssumeRole RoleArn, checked before the STS call).
ROLE_ARN = Constraint(
    name="IAM role ARN",
    min_len=20,
    max_len=2048,
    pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$",
    hint="arn:aws:iam::ACCOUNT:role/NAME",
)

# GetCommandInvocation PluginName (shape CommandPluginName).
PLUGIN_NAME = Constraint(name="plugin name", min_len=4, max_len=None, pattern=None, hint="a plugin name such as aws:runShellScript")

# Tag keys and values (shapes TagKey / TagValue). The model's pattern uses
# \p{L}\p{Z}\p{N}, which Python's re lacks: see _TAG_EXTRA_CHARACTERS.
TAG_KEY = Constraint(name="tag key", min_len=1, max_len=128, pattern=None, hint="1-128 letters, digits, spaces and _.:/=+-@")
TAG_VALUE = Constraint(name="tag value", min_len=0, max_len=256, pattern=None, hint="0-256 letters, digits, spaces and _.:/=+-@")
_TAG_EXTRA_CHARACTERS = frozenset("_.:/=+-@")
# aws: is reserved by AWS for its own tags.
_TAG_RESERVED_PREFIX = "aws:"

# List counts.
TAGS_PER_NODE_MAX = 50  # AddTagsToResource: a resource carries at most 50 tags (TooManyTagsError)
CANCEL_INSTANCE_IDS_MAX = 50  # CancelCommand InstanceIds, shape InstanceIdList
DESCRIBE_FILTER_VALUES_MAX = 100  # DescribeInstanceInformation Filters[].Values
DESCRIBE_MAX_RESULTS = (5, 50)  # DescribeInstanceInformation MaxResults
# DescribeInstanceInformation: "ResourceType filter may contain only one value" (boto3 issue 3027), and a
# tag:KEY filter takes at most 5 values (API reference, InstanceInformationStringFilter).
RESOURCE_TYPE_FILTER_VALUES_MAX = 1
TAG_FILTER_VALUES_MAX = 5
COMMAND_LIST_MAX_RESULTS = (1, 50)  # ListCommands / ListCommandInvocations MaxResults
COMMAND_FILTER_VALUE_LEN = (1, 128)  # CommandFilter value
COMMAND_FILTERS_MAX = 5  # CommandFilterList

# Statuses (API reference, "Understanding command statuses").
# The bulk modules' max_calls_per_second: from one call every 10 s to far above any SSM API's rate.
CALLS_PER_SECOND = (0.1, 1000.0)

TERMINAL_COMMAND_STATUSES = frozenset(["Success", "Cancelled", "Failed", "TimedOut"])
IN_FLIGHT_COMMAND_STATUSES = frozenset(["Pending", "InProgress", "Delayed"])
PING_STATUSES = ("Online", "ConnectionLost", "Inactive")
RESOURCE_TYPES = ("ManagedInstance", "EC2Instance")
PLATFORM_TYPES = ("Linux", "Windows", "MacOS")

# A hybrid node's own ID as its agent registers it (the mi- form of ManagedInstanceId; EKS Connector IDs
# have no registration file and no host steps).
HYBRID_NODE_ID = Constraint(
    name="hybrid managed node ID", min_len=20, max_len=20, pattern=r"^mi-[0-9a-f]{17}$", hint="'mi-' followed by 17 lower-case hex digits"
)
# A service (systemd and upstart unit) name: the characters of systemd.unit(5) unit names, without the escape character.
SERVICE_NAME = Constraint(name="service name", min_len=1, max_len=None, pattern=r"^[A-Za-z0-9:_.@-]+$", hint="letters, digits and :_.@- only")

# Seconds: a wait or a task's deadline (at most a day), a poll interval.
WAIT_SECONDS = (1, 86400)
POLL_SECONDS = (0.1, 300.0)
# How many nodes one sweep may deregister.
SWEEP_NODES = (1, 10000)


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


# Inventory host variable names: hostvars_prefix + name + hostvars_suffix must stay a name Jinja can
# reference (letters, digits, underscores, not starting with a digit).
HOSTVARS_PREFIX = Constraint(
    name="host variable prefix",
    min_len=None,
    max_len=None,
    pattern=r"^([A-Za-z_][A-Za-z0-9_]*)?$",
    hint="letters, digits and underscores, not starting with a digit",
)
HOSTVARS_SUFFIX = Constraint(name="host variable suffix", min_len=None, max_len=None, pattern=r"^[A-Za-z0-9_]*$", hint="letters, digits and underscores")

_COMPILED = {}


def _matches(pattern, value):
    compiled = _COMPILED.get(pattern)
    if compiled is None:
        compiled = _COMPILED[pattern] = re.compile(pattern)
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


# How many items of one class an input error names before it counts the rest.
ITEMS_SHOWN = 10

_EC2_ADVICE = (
    "SSM cannot deregister; only hybrid managed nodes (mi-..., eks_c:...) are handled here."
    " EC2 instances leave SSM when they are terminated or lose their instance profile"
)


def _listing(values):
    shown = ", ".join(_describe(v) for v in values[:ITEMS_SHOWN])
    return shown + (f" and {len(values) - ITEMS_SHOWN} more" if len(values) > ITEMS_SHOWN else "")


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
    (the first ITEMS_SHOWN of each class, then a count), so a user fixes a bad
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
            f"{parameter}: {len(tags)} tags given ({', '.join(repr(k) for k in list(tags)[:3])}, ...), a node can carry at most {max_items}.",
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


def is_ec2_instance_id(value):
    """True for an EC2 instance ID (i-...), which SSM cannot deregister."""
    return isinstance(value, str) and value.startswith("i-")
