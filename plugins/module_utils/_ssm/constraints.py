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
and validate with ``check_string`` / ``check_list``. How a value is checked and
worded lives in checks.py, tag keys and values in tag_rules.py; both are
re-exported here, so every caller takes its rules from this one module.
The roles' and playbooks' variables are checked by these same rules
(plugin_utils/role_inputs.py says which rule checks which variable, in the
roles' own words).
SendCommand's inputs are declared in command_rules.py and re-exported here too.
"""

from .checks import INPUT_ITEMS_SHOWN
from .checks import Constraint
from .checks import check_boolean
from .checks import check_choice
from .checks import check_list
from .checks import check_number
from .checks import check_range
from .checks import check_string
from .checks import file_target_problem
from .checks import in_bounds
from .checks import is_ec2_instance_id
from .checks import normalize_list
from .checks import path_problem
from .checks import string_problem
from .command_rules import COMMENT
from .command_rules import DOCUMENT_NAME
from .command_rules import DOCUMENT_VERSION
from .command_rules import EXECUTION_TIMEOUT
from .command_rules import EXECUTION_TIMEOUT_PARAMETER
from .command_rules import IDEMPOTENCY_KEY
from .command_rules import IDEMPOTENCY_MARKER_PREFIX
from .command_rules import IDEMPOTENCY_WINDOW
from .command_rules import MAX_CONCURRENCY
from .command_rules import MAX_ERRORS
from .command_rules import SEND_INSTANCE_IDS_MAX
from .command_rules import TARGET_KEY
from .command_rules import TARGET_VALUES_MAX
from .command_rules import TARGETS_MAX
from .command_rules import TIMEOUT_SECONDS
from .command_rules import check_parameters
from .command_rules import check_targets
from .limits import TAGS_PER_NODE_MAX
from .tag_rules import TAG_FILTER_VALUES_MAX
from .tag_rules import TAG_KEY
from .tag_rules import TAG_VALUE
from .tag_rules import check_tag_filters
from .tag_rules import check_tag_keys
from .tag_rules import check_tags
from .tag_rules import tag_key_reserved
from .tag_rules import tag_text_problem

# The two kinds of node DeregisterManagedInstance takes, the two branches of its InstanceId pattern: a hybrid
# node ('mi-'; an EKS Hybrid Node is one too) and an EKS Connector agent ('eks_c:' + cluster name + '_' + 17
# characters; Amazon EKS user guide, Troubleshooting issues in Amazon EKS Connector). An EKS Connector agent
# belongs to a cluster connected to EKS and is removed by deregistering that cluster from EKS.
EKS_CONNECTOR_ID_PREFIX = "eks_c:"
_HYBRID_NODE_PATTERN = r"^mi-[0-9a-f]{17}$"
_EKS_CONNECTOR_PATTERN = "^" + EKS_CONNECTOR_ID_PREFIX + r"[0-9A-Za-z][A-Za-z0-9\-_]{0,99}_\w{17}$"

# DeregisterManagedInstance / UpdateManagedInstanceRole InstanceId (shape ManagedInstanceId).
MANAGED_INSTANCE_ID = Constraint(
    name="hybrid managed node ID",
    min_len=20,
    max_len=124,
    pattern=f"({_HYBRID_NODE_PATTERN})|({_EKS_CONNECTOR_PATTERN})",
    hint="'mi-' followed by 17 lower-case hex digits, or an 'eks_c:' EKS Connector agent ID",
)

# Add/RemoveTagsFromResource and ListTagsForResource ResourceId with ResourceType=ManagedInstance: the service
# takes only the 'mi-' form here (ValidationException "resourceId should be in format mi-[0-9a-f]{17} for
# resource type ManagedInstance"), although the model types ResourceId as any string and every other
# managed-node call takes an EKS Connector agent's 'eks_c:' ID too. So an agent's tags are never read or written.
TAGGABLE_INSTANCE_ID = Constraint(
    name="taggable managed node ID",
    pattern=_HYBRID_NODE_PATTERN,
    hint="'mi-' followed by 17 lower-case hex digits; SSM's tag calls refuse EKS Connector agents' eks_c: IDs",
)

# CancelCommand InstanceIds members, ListCommands / ListCommandInvocations /
# GetCommandInvocation InstanceId (shape InstanceId).
COMMAND_INSTANCE_ID = Constraint(
    name="managed node ID",
    pattern=r"(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)",
    hint="'mi-' followed by 17 characters, or an EC2 ID 'i-' followed by 8 or 17 characters",
)

# Any node ID a listing may name (DescribeInstanceInformation filter values
# have no pattern of their own; this catches typos before the call).
ANY_INSTANCE_ID = Constraint(
    name="managed node ID",
    max_len=124,
    pattern=MANAGED_INSTANCE_ID.pattern + "|" + COMMAND_INSTANCE_ID.pattern,
    hint="'mi-' followed by 17 hex digits, an 'eks_c:' EKS Connector agent ID, or an EC2 ID 'i-...'",
)

# CommandId (shape CommandId): a UUID, fixed length.
COMMAND_ID = Constraint(name="command ID", min_len=36, max_len=36, hint="the 36-character ID that SendCommand returned")

# UpdateManagedInstanceRole / CreateActivation IamRole (shape IamRole).
IAM_ROLE = Constraint(name="IAM role name", max_len=64, hint="an IAM role name (not an ARN) of at most 64 characters")

# DeleteActivation / DescribeActivations ActivationId (shape ActivationId).
ACTIVATION_ID = Constraint(name="activation ID", pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", hint="a lower-case UUID")

# The region (a client setting, no API shape): botocore's own check (botocore.utils.validate_region_name),
# made before the client is built so that the message names the option. A module may talk to a custom
# endpoint whose region names are its own, so this is all a module asks.
REGION = Constraint(name="AWS region name", min_len=1, max_len=63, pattern=r"^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{,63}(?<!-)$", hint="a region such as eu-west-1")

# A region of AWS itself: every AWS region name is area-place-number in lower case (botocore's
# endpoints.json, each partition's regionRegex). The roles ask this of the region they are given or read
# from a registration file or an inventory, which always names a region of AWS.
AWS_REGION_NAME = Constraint(name="AWS region name", min_len=1, max_len=63, pattern=r"^[a-z]{2,}(-[a-z]+)+-[0-9]+$", hint="a region such as eu-west-1")

# An IAM role ARN to assume (STS AssumeRole RoleArn, checked before the STS call).
ROLE_ARN = Constraint(
    name="IAM role ARN", min_len=20, max_len=2048, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$", hint="arn:aws:iam::ACCOUNT:role/NAME"
)

# STS AssumeRole ExternalId and RoleSessionName (botocore STS model 2011-06-15, shapes externalIdType and
# roleSessionNameType). The inventory's and the sweep's accounts check them before their AssumeRole calls; an
# external ID is a shared secret, which no message shows.
EXTERNAL_ID = Constraint(name="external ID", min_len=2, max_len=1224, pattern=r"^[\w+=,.@:/-]*$", hint="2 to 1224 of letters, digits and +=,.@:/-_")
ROLE_SESSION_NAME = Constraint(name="role session name", min_len=2, max_len=64, pattern=r"^[\w+=,.@-]*$", hint="2 to 64 of letters, digits and +=,.@-_")

# GetCommandInvocation PluginName (shape CommandPluginName).
PLUGIN_NAME = Constraint(name="plugin name", min_len=4, hint="a plugin name such as aws:runShellScript")


# List counts.
CANCEL_INSTANCE_IDS_MAX = 50  # CancelCommand InstanceIds, shape InstanceIdList
DESCRIBE_FILTER_VALUES_MAX = 100  # DescribeInstanceInformation Filters[].Values
DESCRIBE_MAX_RESULTS = (5, 50)  # DescribeInstanceInformation MaxResults
# DescribeInstanceInformation: "ResourceType filter may contain only one value" (boto3 issue 3027).
RESOURCE_TYPE_FILTER_VALUES_MAX = 1
COMMAND_LIST_MAX_RESULTS = (1, 50)  # ListCommands / ListCommandInvocations MaxResults
DESCRIBE_ACTIVATIONS_MAX_RESULTS = (1, 50)  # DescribeActivations MaxResults
COMMAND_FILTER_VALUE_LEN = (1, 128)  # CommandFilter value
# A ListCommands DocumentName filter value (shape CommandFilterValue).
DOCUMENT_NAME_FILTER = Constraint(
    name="document name", min_len=COMMAND_FILTER_VALUE_LEN[0], max_len=COMMAND_FILTER_VALUE_LEN[1], hint="a document name such as AWS-RunShellScript"
)
COMMAND_FILTERS_MAX = 5  # CommandFilterList

# ListCommands / ListCommandInvocations filter Status values: the lists of the model's documentation of
# CommandFilter.value (the API reference), one per call; the model types the value as any string. They are not
# the status enums: neither list has Cancelling, ListCommands has no Delayed (a command is never Delayed), and
# both have detailed statuses (DeliveryTimedOut, ExecutionTimedOut, ...) that match StatusDetails.
LIST_COMMANDS_STATUS_VALUES = (
    "Pending",
    "InProgress",
    "Success",
    "Cancelled",
    "Failed",
    "TimedOut",
    "AccessDenied",
    "DeliveryTimedOut",
    "ExecutionTimedOut",
    "Incomplete",
    "NoInstancesInTag",
    "LimitExceeded",
)
LIST_COMMAND_INVOCATIONS_STATUS_VALUES = (
    "Pending",
    "InProgress",
    "Delayed",
    "Success",
    "Cancelled",
    "Failed",
    "TimedOut",
    "AccessDenied",
    "DeliveryTimedOut",
    "ExecutionTimedOut",
    "Undeliverable",
    "InvalidPlatform",
    "Terminated",
)

# The bulk modules' max_calls_per_second: from one call every 10 s to far above any SSM API's rate.
CALLS_PER_SECOND = (0.1, 1000.0)

# Statuses (API reference, "Understanding command statuses").
TERMINAL_COMMAND_STATUSES = frozenset(["Success", "Cancelled", "Failed", "TimedOut"])
IN_FLIGHT_COMMAND_STATUSES = frozenset(["Pending", "InProgress", "Delayed"])
PING_STATUSES = ("Online", "ConnectionLost", "Inactive")
RESOURCE_TYPES = ("ManagedInstance", "EC2Instance")
PLATFORM_TYPES = ("Linux", "Windows", "MacOS")

# A hybrid node's own ID as its agent registers it (the mi- form of ManagedInstanceId; EKS Connector IDs
# have no registration file and no host steps).
HYBRID_NODE_ID = Constraint(
    name="hybrid managed node ID", min_len=20, max_len=20, pattern=_HYBRID_NODE_PATTERN, hint="'mi-' followed by 17 lower-case hex digits"
)


def is_eks_connector_id(value):
    """True for an EKS Connector agent's ID (``eks_c:...``).

    Told by its prefix, not the whole pattern: an ID SSM lists under that prefix is an EKS Connector
    agent's even if its cluster name has a form the pattern does not foresee, and a selection that leaves
    these agents out must not take one in for that.
    """
    return isinstance(value, str) and value.startswith(EKS_CONNECTOR_ID_PREFIX)


# A service (systemd and upstart unit) name: the characters of systemd.unit(5) unit names, without the escape character.
SERVICE_NAME = Constraint(name="service name", min_len=1, pattern=r"^[A-Za-z0-9:_.@-]+$", hint="letters, digits and :_.@- only")

# Seconds: a wait or a task's deadline (at most a day), a poll interval.
WAIT_SECONDS = (1, 86400)
POLL_SECONDS = (0.1, 300.0)
# How many nodes one sweep may deregister.
SWEEP_NODES = (1, 10000)


# Inventory host variable names: hostvars_prefix + name + hostvars_suffix must stay a name Jinja can
# reference (letters, digits, underscores, not starting with a digit).
HOSTVARS_PREFIX = Constraint(
    name="host variable prefix",
    pattern=r"^([A-Za-z_][A-Za-z0-9_]*)?$",
    hint="letters, digits and underscores, not starting with a digit",
)
HOSTVARS_SUFFIX = Constraint(name="host variable suffix", pattern=r"^[A-Za-z0-9_]*$", hint="letters, digits and underscores")

# The public names: the declarations above and the checks re-exported from checks.py and tag_rules.py, so that
# callers keep importing every rule and check from this one module.
__all__ = [
    "COMMENT",
    "DOCUMENT_NAME",
    "DOCUMENT_VERSION",
    "EXECUTION_TIMEOUT",
    "EXECUTION_TIMEOUT_PARAMETER",
    "IDEMPOTENCY_KEY",
    "IDEMPOTENCY_MARKER_PREFIX",
    "IDEMPOTENCY_WINDOW",
    "MAX_CONCURRENCY",
    "MAX_ERRORS",
    "SEND_INSTANCE_IDS_MAX",
    "TARGET_KEY",
    "TARGET_VALUES_MAX",
    "TARGETS_MAX",
    "TIMEOUT_SECONDS",
    "check_parameters",
    "check_targets",
    "ACTIVATION_ID",
    "ANY_INSTANCE_ID",
    "AWS_REGION_NAME",
    "CALLS_PER_SECOND",
    "CANCEL_INSTANCE_IDS_MAX",
    "check_boolean",
    "check_choice",
    "check_list",
    "check_number",
    "check_range",
    "check_string",
    "check_tag_filters",
    "check_tag_keys",
    "check_tags",
    "COMMAND_FILTER_VALUE_LEN",
    "COMMAND_FILTERS_MAX",
    "COMMAND_ID",
    "COMMAND_INSTANCE_ID",
    "COMMAND_LIST_MAX_RESULTS",
    "Constraint",
    "DESCRIBE_ACTIVATIONS_MAX_RESULTS",
    "DESCRIBE_FILTER_VALUES_MAX",
    "DESCRIBE_MAX_RESULTS",
    "DOCUMENT_NAME_FILTER",
    "EKS_CONNECTOR_ID_PREFIX",
    "EXTERNAL_ID",
    "file_target_problem",
    "HOSTVARS_PREFIX",
    "HOSTVARS_SUFFIX",
    "HYBRID_NODE_ID",
    "IAM_ROLE",
    "in_bounds",
    "IN_FLIGHT_COMMAND_STATUSES",
    "is_ec2_instance_id",
    "is_eks_connector_id",
    "INPUT_ITEMS_SHOWN",
    "LIST_COMMAND_INVOCATIONS_STATUS_VALUES",
    "LIST_COMMANDS_STATUS_VALUES",
    "MANAGED_INSTANCE_ID",
    "normalize_list",
    "path_problem",
    "PING_STATUSES",
    "PLATFORM_TYPES",
    "PLUGIN_NAME",
    "POLL_SECONDS",
    "REGION",
    "RESOURCE_TYPE_FILTER_VALUES_MAX",
    "RESOURCE_TYPES",
    "ROLE_ARN",
    "ROLE_SESSION_NAME",
    "SERVICE_NAME",
    "string_problem",
    "SWEEP_NODES",
    "TAG_FILTER_VALUES_MAX",
    "TAG_KEY",
    "tag_key_reserved",
    "tag_text_problem",
    "TAG_VALUE",
    "TAGGABLE_INSTANCE_ID",
    "TAGS_PER_NODE_MAX",
    "TERMINAL_COMMAND_STATUSES",
    "WAIT_SECONDS",
]


# --- ECS (ECS Anywhere container instances of hybrid nodes; botocore's ECS model 2014-11-13) ---
# ListClusters / ListContainerInstances / ListTasks maxResults (default 100).
ECS_LIST_MAX_RESULTS = (1, 100)
# DescribeContainerInstances containerInstances: "up to 100" (more: InvalidParameterException, nothing read).
ECS_DESCRIBE_MAX = 100
# UpdateContainerInstancesState containerInstances: at most 10 (not in the API reference; the service's own error).
ECS_UPDATE_STATE_MAX = 10
# Node IDs in one cluster query ``ec2InstanceId in [...]`` of ListContainerInstances: the query language gives no
# length limit, so a batch stays short (about 240 characters).
ECS_FILTER_IDS_MAX = 10
# UpdateContainerInstancesState takes only these two.
ECS_SETTABLE_STATES = ("ACTIVE", "DRAINING")
# Seconds a drain is waited for (drain_timeout), and between two looks (poll_interval).
DRAIN_SECONDS = WAIT_SECONDS
