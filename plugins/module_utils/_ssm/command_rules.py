# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""SendCommand's inputs (botocore SSM model 2014-11-06, shape SendCommandRequest) and their checks.

Declared here and re-exported by constraints.py, the one module callers take their rules from (as
tag_rules.py is). botocore checks only ``min`` client-side; every other bound and pattern below is
checked before any request, naming the option, the value and the rule.
"""

import unicodedata

from .checks import Constraint
from .checks import _describe
from .checks import check_string
from .errors import SSMValidationError

# DocumentName (shape DocumentARN): a name or an ARN.
DOCUMENT_NAME = Constraint(
    name="document name",
    pattern=r"^[a-zA-Z0-9_\-.:/]{3,128}$",
    hint="3-128 letters, digits and _-.:/, such as AWS-RunShellScript or a document ARN",
)
# DocumentVersion (shape DocumentVersion).
DOCUMENT_VERSION = Constraint(name="document version", pattern=r"([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)", hint="$DEFAULT, $LATEST or a version number such as 3")
# Comment (shape Comment): the user's comment and the idempotency marker together.
COMMENT = Constraint(name="comment", max_len=100, hint="at most 100 characters, the idempotency marker included")
# MaxConcurrency / MaxErrors (shapes MaxConcurrency / MaxErrors).
MAX_CONCURRENCY = Constraint(
    name="concurrency",
    min_len=1,
    max_len=7,
    pattern=r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$",
    hint="a number of nodes from 1, or a percentage from 1% to 100%",
)
MAX_ERRORS = Constraint(
    name="error threshold",
    min_len=1,
    max_len=7,
    pattern=r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$",
    hint="a number of errors from 0, or a percentage from 0% to 100%",
)
# Targets (shape Targets): at most 5, each Key (shape TargetKey, 1-163 characters) with at most 50 Values.
TARGET_KEY = Constraint(
    name="target key",
    min_len=1,
    max_len=163,
    pattern=r"^(tag:.+|tag-key|InstanceIds|resource-groups:Name|resource-groups:ResourceTypeFilters)$",
    hint="tag:NAME, tag-key, InstanceIds, resource-groups:Name or resource-groups:ResourceTypeFilters",
)
# The model's TargetKey pattern, ^[\p{L}\p{Z}\p{N}_.:/=\-@]*$, in characters (Python's re lacks \p{...}): no '+'.
TARGET_KEY_EXTRA_CHARACTERS = frozenset("_.:/=-@")
TARGETS_MAX = 5
TARGET_VALUES_MAX = 50
# InstanceIds (shape InstanceIdList): at most 50 per SendCommand; longer lists are sent in batches.
SEND_INSTANCE_IDS_MAX = 50
# TimeoutSeconds (shape TimeoutSeconds): the delivery timeout.
TIMEOUT_SECONDS = (30, 2592000)
# executionTimeout of AWS-RunShellScript and AWS-RunPowerShellScript (their documents' allowedPattern: 1-172800).
EXECUTION_TIMEOUT = (1, 172800)
EXECUTION_TIMEOUT_PARAMETER = "executionTimeout"

# The idempotency marker written into Comment: "hybridops:" + the key. SSM keeps command history 30 days.
IDEMPOTENCY_MARKER_PREFIX = "hybridops:"
IDEMPOTENCY_KEY = Constraint(
    name="idempotency key", min_len=1, max_len=40, pattern=r"^[A-Za-z0-9_.:/=+@-]+$", hint="1-40 letters, digits and _.:/=+@-, no spaces"
)
IDEMPOTENCY_WINDOW = (1, 30 * 86400)


def check_parameters(parameter, value):
    """A document's parameters as SSM takes them: {name: [string, ...]}; a lone string is one value.

    Returns the parameters with every value a list of strings. A number, a boolean, a dict or a nested list is
    refused (YAML turns 3 or yes into one: quote it), naming the parameter name and the item.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SSMValidationError(
            f"{parameter}: {_describe(value)} must be a dictionary of document parameter names to lists of strings, such as {{{{commands: ['echo hello']}}}}.",
            parameter=parameter,
            value=value,
        )
    result = {}
    for name, values in value.items():
        if not isinstance(name, str) or not name:
            raise SSMValidationError(f"{parameter}: the parameter name {_describe(name)} must be a non-empty string.", parameter=parameter, value=value)
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, (list, tuple)):
            raise SSMValidationError(
                f"{parameter}.{name}: {_describe(values)} must be a list of strings (SSM takes every document parameter as a list).",
                parameter=parameter,
                value=value,
            )
        bad = [f"[{i}] {_describe(item)}" for i, item in enumerate(values) if not isinstance(item, str)]
        if bad:
            raise SSMValidationError(
                f"{parameter}.{name}: every item must be a string; {', '.join(bad)} is not (quote numbers and yes/no in YAML).",
                parameter=parameter,
                value=value,
            )
        result[name] = [str(item) for item in values]
    return result


def check_targets(parameter, targets):
    """SendCommand Targets given as [{key, values}]: at most 5, keys SSM takes, 1-50 string values each; returns SSM's form."""
    if not isinstance(targets, (list, tuple)) or not targets:
        raise SSMValidationError(
            f"{parameter}: {_describe(targets)} must be a list of 1 to {TARGETS_MAX} {{key, values}} targets.", parameter=parameter, value=targets
        )
    if len(targets) > TARGETS_MAX:
        raise SSMValidationError(f"{parameter}: {len(targets)} targets given, SSM takes at most {TARGETS_MAX}.", parameter=parameter, value=targets)
    result = []
    for index, target in enumerate(targets):
        where = f"{parameter}[{index}]"
        if not isinstance(target, dict) or set(target) - {"key", "values"} or "key" not in target:
            raise SSMValidationError(f"{where}: {_describe(target)} must be a dictionary with key and values.", parameter=parameter, value=targets)
        check_string(f"{where}.key", target["key"], TARGET_KEY)
        odd = [c for c in target["key"] if unicodedata.category(c)[0] not in "LZN" and c not in TARGET_KEY_EXTRA_CHARACTERS]
        if odd:
            raise SSMValidationError(
                f"{where}.key: {target['key']!r} contains {odd[0]!r}, which SSM does not take in a target key (letters, digits, spaces and _.:/=-@).",
                parameter=parameter,
                value=targets,
            )
        values = target.get("values")
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, (list, tuple)) or not values or len(values) > TARGET_VALUES_MAX:
            raise SSMValidationError(
                f"{where}.values: {_describe(values)} must be a list of 1 to {TARGET_VALUES_MAX} strings.", parameter=parameter, value=targets
            )
        bad = [_describe(v) for v in values if not isinstance(v, str) or not v]
        if bad:
            raise SSMValidationError(f"{where}.values: {', '.join(bad)} must be non-empty strings.", parameter=parameter, value=targets)
        result.append({"Key": target["key"], "Values": list(values)})
    return result
