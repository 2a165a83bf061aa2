"""Bad input, one row per constraint: every module option and every role argument fails before any request.

Each row is data: the module (or role), its arguments (module options, or the role's variables as
inventory host variables), and fragments its failure message must hold: the option or variable, the
value and the constraint's words. Types, lengths, patterns, counts, duplicates, ranges, choices,
conflicting and required options, unknown options; EC2 IDs where only hybrid nodes are allowed; for the
decommission role also a Windows host (refused before any connection) and a registration file that
names another node (refused, nothing changed).

Fast: every module row runs through its module's main() in ONE Python process (module_in_process.py: a
module run there costs milliseconds, through ansible-playbook about half a second of CPU), and ONE
ansible-playbook run does every role row plus the first row of each module, whose result must be the
in-process one word for word (so the two paths are shown to agree). In the playbook each row is an
inventory host of its own (local connection); a play per module runs the module with the row's arguments on
every host of its group at once (forks), a play per role includes the role in a block/rescue so that a
failing check cannot go on into calls, and a last task writes every row's result to a JSON file. Both runs
are cached in a module-scoped fixture; pytest reports each row, then checks that the endpoint's request
log stayed EMPTY through both: no row made a request.

Rows: 265 (172 module rows, 93 role rows). The options amazon.aws adds to every module (region,
credentials, endpoint_url, aws_ca_bundle, aws_config, validate_certs, debug_botocore_endpoint_logs)
go through one argument spec and one check (module_utils/_ssm/connection.py check_connection) for all
seven modules, so each of their constraints is one row, spread over the modules; an unknown option is a
row for every module. Options without a constraint of their own are listed in NO_CONSTRAINT with the
reason, and test_every_option_and_argument_has_a_row keeps the rows complete.
"""

import json
from collections import namedtuple

import pytest
import yaml

from conftest import MODULE_PYTHON
from conftest import ROOT
from conftest import controller_env
from conftest import run_cli
from conftest import run_in_process
from hostroot import AGENT_CALLS
from hostroot import KEY_FILES
from hostroot import REGISTRATION
from hostroot import make_host_root
from ssm_endpoint import EndpointControl

Row = namedtuple("Row", ["target", "why", "args", "expect"])

MI = "mi-0123456789abcdef0"
OTHER_MI = "mi-0fedcba9876543210"
EC2 = "i-0123456789abcdef0"
EKS_TOO_LONG = "eks_c:" + "a" * 101 + "_" + "b" * 17  # 125 characters
EKS = "eks_c:lab_0123456789abcdef0"  # an EKS Connector agent
CMD = "25173b39-c88d-4459-ba3d-8704a0000000"
ACT = "0a1b2c3d-0000-4000-8000-000000000000"
STATUS_CHOICES = (
    "Pending, InProgress, Success, Cancelled, Failed, TimedOut, AccessDenied, DeliveryTimedOut, ExecutionTimedOut, Incomplete,"
    " NoInstancesInTag, LimitExceeded, Cancelling"
)
HOST_ROOT = "@host-root@"  # replaced by a throwaway root registered as OTHER_MI


def bad_bool(option):
    return [f"argument '{option}' is of type str", "'maybe'", "not a valid boolean"]


def bad_int(option, value):
    return [f"argument '{option}' is of type str", f"'{value}'", "unable to convert to int"]


def bad_float(option):
    # ansible-core's float check names the option and the value's type, not the value (int's names it);
    # the conversion happens before the module runs, so the module cannot word it.
    return [f"argument '{option}' is of type str", "unable to convert to float"]


def bad_type(option, given, wanted):
    # ansible-core's message names the type of the value, not the value itself
    return [f"argument '{option}' is of type {given}", f"unable to convert to {wanted}"]


def unknown(module, option):
    return [f"Unsupported parameters for (hybridops.ssm.{module}) module: {option}", "Supported parameters include"]


def choice(option, value, choices):
    return [f"value of {option} must be one of: {choices}, got: {value}"]


def rows(target, base, cases):
    """Rows of one target: ``base`` arguments updated by each case's (why, arguments, fragments)."""
    return [Row(target, why, {**base, **args}, expect) for why, args, expect in cases]


MANAGED_INSTANCE = rows(
    "ssm_managed_instance",
    {"instance_ids": [MI]},
    [
        ("ID too short", {"instance_ids": ["mi-123"]}, ["instance_ids: ", "'mi-123'", "at least 20 characters long, not 6"]),
        ("ID with upper-case hex", {"instance_ids": ["mi-0123456789ABCDEF0"]}, ["instance_ids: ", "'mi-0123456789ABCDEF0'", "must match"]),
        ("ID too long", {"instance_ids": [EKS_TOO_LONG]}, ["instance_ids: ", EKS_TOO_LONG, "at most 124 characters long, not 125"]),
        ("EC2 ID with state=absent", {"instance_ids": [EC2], "state": "absent"}, [f"instance_ids: '{EC2}' is an EC2 instance", "cannot deregister"]),
        ("EC2 ID with state=present", {"instance_ids": [MI, EC2]}, [f"instance_ids: '{EC2}' is an EC2 instance", "only hybrid managed nodes"]),
        ("one bad ID among good ones", {"instance_ids": [MI, "mi-123"]}, ["instance_ids: 1 invalid hybrid managed node ID", "'mi-123'", "at least 20"]),
        ("duplicated ID", {"instance_ids": [MI, MI]}, ["instance_ids: ", "may appear once", f"duplicated: '{MI}'"]),
        ("empty ID", {"instance_ids": [""]}, ["instance_ids: ", "''", "at least 20 characters long, not 0"]),
        ("IDs not a list", {"instance_ids": {"id": MI}}, bad_type("instance_ids", "dict", "list")),
        ("no IDs", {"instance_ids": None}, ["missing required arguments: instance_ids"]),
        ("unknown state", {"state": "deregistered"}, choice("state", "deregistered", "absent, present")),
        ("iam_role with state=absent", {"state": "absent", "iam_role": "SomeRole"}, ["iam_role: only apply with state=present", "iam_role='SomeRole'"]),
        ("tags with state=absent", {"state": "absent", "tags": {"Env": "prod"}}, ["tags: only apply with state=present", "tags={'Env': 'prod'}"]),
        (
            "tags on an EKS Connector agent",
            {"instance_ids": [MI, EKS], "tags": {"Env": "prod"}},
            [f"tags: cannot be set on {EKS}:", "must match ^mi-[0-9a-f]{17}$", "SSM's tag calls refuse EKS Connector agents' eks_c: IDs"],
        ),
        ("wait with state=present", {"wait": True}, ["wait: true only applies with state=absent"]),
        ("IAM role too long", {"iam_role": "r" * 65}, ["iam_role: ", "'" + "r" * 65 + "'", "at most 64 characters long, not 65"]),
        ("reserved tag prefix", {"tags": {"aws:owner": "me"}}, ["tags: ", "key 'aws:owner'", "prefix 'aws:', which AWS reserves"]),
        ("tag key too long", {"tags": {"k" * 129: "v"}}, ["tags: ", "key '" + "k" * 129 + "'", "at most 128 characters long, not 129"]),
        ("empty tag key", {"tags": {"": "v"}}, ["tags: ", "key ''", "at least 1 character(s) long"]),
        ("tag key with a forbidden character", {"tags": {"bad#key": "x"}}, ["tags: ", "key 'bad#key'", "contains '#'", "which tags do not allow"]),
        ("tag value too long", {"tags": {"Env": "v" * 257}}, ["tags: ", "value '" + "v" * 257 + "' of key 'Env'", "at most 256 characters long, not 257"]),
        ("tag value with a forbidden character", {"tags": {"Env": "prod;drop"}}, ["tags: ", "value 'prod;drop' of key 'Env'", "contains ';'"]),
        ("tag value not a string", {"tags": {"Env": 1}}, ["tags: ", "value 1 of key 'Env'", "must be a string"]),
        ("more than 50 tags", {"tags": {f"k{i}": "v" for i in range(51)}}, ["tags: 51 tags given", "'k0'", "a node can carry at most 50"]),
        ("tags not a dictionary", {"tags": ["Env=prod"]}, bad_type("tags", "list", "dict")),
        ("purge_tags not a boolean", {"purge_tags": "maybe"}, bad_bool("purge_tags")),
        ("wait not a boolean", {"state": "absent", "wait": "maybe"}, bad_bool("wait")),
        ("wait_timeout not an integer", {"state": "absent", "wait_timeout": "soon"}, bad_int("wait_timeout", "soon")),
        ("wait_timeout zero", {"state": "absent", "wait": True, "wait_timeout": 0}, ["wait_timeout: 0", "must be an integer from 1 to 86400"]),
        ("wait_timeout zero without wait", {"state": "absent", "wait_timeout": 0}, ["wait_timeout: 0", "must be an integer from 1 to 86400"]),
        ("wait_timeout above a day", {"state": "absent", "wait": True, "wait_timeout": 86401}, ["wait_timeout: 86401", "from 1 to 86400"]),
        ("concurrency zero", {"concurrency": 0}, ["concurrency: 0", "must be an integer from 1 to 20"]),
        ("concurrency above 20", {"concurrency": 21}, ["concurrency: 21", "from 1 to 20"]),
        ("concurrency not an integer", {"concurrency": "four"}, bad_int("concurrency", "four")),
        ("deadline zero", {"state": "absent", "deadline": 0}, ["deadline: 0", "must be an integer from 1 to 86400"]),
        ("deadline not an integer", {"state": "absent", "deadline": "soon"}, bad_int("deadline", "soon")),
        (
            "max_calls_per_second zero",
            {"state": "absent", "max_calls_per_second": 0},
            ["max_calls_per_second: 0.0 (float)", "must be a number of calls per second from 0.1 to 1000"],
        ),
        ("max_calls_per_second above 1000", {"state": "absent", "max_calls_per_second": 5000}, ["max_calls_per_second: 5000.0 (float)", "from 0.1 to 1000"]),
        ("max_calls_per_second not a number", {"state": "absent", "max_calls_per_second": "fast"}, bad_float("max_calls_per_second")),
        ("unknown option", {"instnace_state": "absent"}, unknown("ssm_managed_instance", "instnace_state")),
        # amazon.aws's common options, checked by client.check_connection for every module
        ("validate_certs not a boolean", {"validate_certs": "maybe"}, bad_bool("validate_certs")),
        ("profile with keys from the environment", {"profile": "ops"}, ["profile: 'ops' cannot be combined with access_key, secret_key", "use either"]),
        (
            "profile with a session token",
            {"profile": "ops", "access_key": "", "secret_key": "", "session_token": "t0k3n-not-shown"},
            ["profile: 'ops' cannot be combined with session_token"],
        ),
    ],
)

MANAGED_INSTANCE_INFO = rows(
    "ssm_managed_instance_info",
    {},
    [
        ("node ID matching no pattern", {"instance_ids": ["node-1"]}, ["instance_ids: ", "'node-1'", "must match"]),
        ("node ID too long", {"instance_ids": [EKS_TOO_LONG]}, ["instance_ids: ", "at most 124 characters long, not 125"]),
        ("duplicated node ID", {"instance_ids": [MI, MI]}, ["instance_ids: ", f"duplicated: '{MI}'"]),
        ("include_tags not a boolean", {"include_tags": "maybe"}, bad_bool("include_tags")),
        ("include_eks_connector_agents not a boolean", {"include_eks_connector_agents": "maybe"}, bad_bool("include_eks_connector_agents")),
        ("IDs not a list", {"instance_ids": {"id": MI}}, bad_type("instance_ids", "dict", "list")),
        ("unknown ping status", {"ping_status": "Offline"}, choice("ping_status", "Offline", "Online, ConnectionLost, Inactive")),
        ("unknown resource type", {"resource_type": "Server"}, choice("resource_type", "Server", "ManagedInstance, EC2Instance")),
        ("activation ID that is no UUID", {"activation_ids": ["not-a-uuid"]}, ["activation_ids: ", "'not-a-uuid'", "lower-case UUID"]),
        ("upper-case activation ID", {"activation_ids": [ACT.upper()]}, ["activation_ids: ", f"'{ACT.upper()}'", "must match"]),
        ("duplicated activation ID", {"activation_ids": [ACT, ACT]}, ["activation_ids: ", f"duplicated: '{ACT}'"]),
        ("IAM role too long", {"iam_role": "r" * 65}, ["iam_role: ", "at most 64 characters long, not 65"]),
        ("reserved tag prefix", {"tags": {"AWS:owner": "me"}}, ["tags: ", "key 'AWS:owner'", "which AWS reserves"]),
        ("tag key too long", {"tags": {"k" * 129: "v"}}, ["tags: ", "at most 128 characters long, not 129"]),
        ("tag value too long", {"tags": {"Site": "v" * 257}}, ["tags: ", "of key 'Site'", "at most 256 characters long, not 257"]),
        ("tag key with a forbidden character", {"tags": {"Site*": "x"}}, ["tags: ", "key 'Site*'", "contains '*'"]),
        ("tags not a dictionary", {"tags": ["Site"]}, bad_type("tags", "list", "dict")),
        ("tag_keys too many", {"tag_keys": [f"k{n}" for n in range(6)]}, ["tag_keys: ", "must be a list of 1 to 5 tag keys"]),
        ("tag_keys key with a forbidden character", {"tag_keys": ["Site*"]}, ["tag_keys: ", "key 'Site*'", "contains '*'"]),
        ("tag_keys key too long", {"tag_keys": ["k" * 129]}, ["tag_keys: ", "at most 128 characters long, not 129"]),
        ("an age in words", {"last_ping_before": "30 days"}, ["last_ping_before: '30 days'", "neither an age such as '30d'", "nor an ISO 8601 time"]),
        ("a day that is no date", {"last_ping_before": "yesterday"}, ["last_ping_before: 'yesterday'", "ISO 8601"]),
        ("a date that does not exist", {"registered_before": "2026-13-45"}, ["registered_before: '2026-13-45'", "ISO 8601"]),
        ("unknown option", {"ping": "Online"}, unknown("ssm_managed_instance_info", "ping")),
        ("region that is no region name", {"region": "eu west 1"}, ["region: 'eu west 1' is not a valid AWS region name", "must match", "eu-west-1"]),
        ("CA bundle that is no file", {"aws_ca_bundle": "/nonexistent/ca.pem"}, ["aws_ca_bundle: '/nonexistent/ca.pem' is not a file", "PEM bundle"]),
        ("deadline zero", {"deadline": 0}, ["deadline: 0", "must be an integer from 1 to 86400"]),
        ("max_calls_per_second above 1000", {"max_calls_per_second": 1001}, ["max_calls_per_second: 1001.0 (float)", "from 0.1 to 1000"]),
    ],
)

# state=present: a valid send, each row breaks one thing (command_id None: the rows' base has one).
SEND = {"command_id": None, "state": "present", "document_name": "AWS-RunShellScript", "parameters": {"commands": ["echo hi"]}, "instance_ids": [MI]}
TARGETED = {**SEND, "instance_ids": None}

COMMAND = rows(
    "ssm_command",
    {"command_id": CMD},
    [
        ("max_calls_per_second negative", {"max_calls_per_second": -2}, ["max_calls_per_second: -2.0 (float)", "from 0.1 to 1000"]),
        ("command ID too short", {"command_id": CMD[:-1]}, ["command_id: ", f"'{CMD[:-1]}'", "exactly 36 characters long, not 35"]),
        ("command ID too long", {"command_id": CMD + "0"}, ["command_id: ", f"'{CMD}0'", "exactly 36 characters long, not 37"]),
        ("empty command ID", {"command_id": ""}, ["command_id: ''", "exactly 36 characters long, not 0"]),
        ("node ID matching no pattern", {"instance_ids": ["mi-123"]}, ["instance_ids: ", "'mi-123'", "must match"]),
        ("EC2 ID of the wrong length", {"instance_ids": ["i-123"]}, ["instance_ids: ", "'i-123'", "must match", "EC2 ID 'i-' followed by 8 or 17"]),
        ("empty node ID", {"instance_ids": [""]}, ["instance_ids: ", "''", "must match"]),
        ("duplicated node ID", {"instance_ids": [MI, MI]}, ["instance_ids: ", f"duplicated: '{MI}'"]),
        ("nodes not a list", {"instance_ids": {"id": MI}}, bad_type("instance_ids", "dict", "list")),
        ("neither command ID nor nodes", {"command_id": None}, ["state is cancelled but any of the following are missing: command_id, instance_ids"]),
        ("wait_timeout without wait", {"wait_timeout": 60}, ["wait_timeout: only apply with wait=true", "wait_timeout=60"]),
        ("poll_interval without wait", {"poll_interval": 2}, ["poll_interval: only apply with wait=true", "poll_interval=2.0"]),
        ("wait_timeout zero", {"wait": True, "wait_timeout": 0}, ["wait_timeout: 0", "from 1 to 86400"]),
        ("wait_timeout above a day", {"wait": True, "wait_timeout": 86401}, ["wait_timeout: 86401", "from 1 to 86400"]),
        ("wait_timeout not an integer", {"wait": True, "wait_timeout": "soon"}, bad_int("wait_timeout", "soon")),
        ("deadline above a day", {"deadline": 86401}, ["deadline: 86401", "from 1 to 86400"]),
        ("poll_interval too small", {"wait": True, "poll_interval": 0.01}, ["poll_interval: 0.01", "from 0.1 to 300"]),
        ("poll_interval too large", {"wait": True, "poll_interval": 301}, ["poll_interval: 301", "from 0.1 to 300"]),
        ("poll_interval not a number", {"wait": True, "poll_interval": "fast"}, bad_float("poll_interval")),
        ("wait not a boolean", {"wait": "maybe"}, bad_bool("wait")),
        ("fail_on_completed not a boolean", {"fail_on_completed": "maybe"}, bad_bool("fail_on_completed")),
        ("unknown state", {"state": "absent"}, choice("state", "absent", "cancelled, present")),
        ("unknown option", {"instance": MI}, unknown("ssm_command", "instance")),
        ("document_name with state=cancelled", {"document_name": "AWS-RunShellScript"}, ["document_name: only applies with state=present"]),
        ("command_id with state=present", {**SEND, "command_id": CMD}, ["command_id: only applies with state=cancelled", f"command_id='{CMD}'"]),
        ("state=present without document_name", {**SEND, "document_name": None}, ["state is present but all of the following are missing: document_name"]),
        (
            "state=present without nodes or targets",
            {**SEND, "instance_ids": None},
            ["state is present but any of the following are missing: instance_ids, targets"],
        ),
        ("document name with a space", {**SEND, "document_name": "my doc"}, ["document_name: 'my doc' is not a valid document name", "must match"]),
        ("document name too short", {**SEND, "document_name": "ab"}, ["document_name: 'ab'", "must match", "3-128 letters"]),
        ("document version no number", {**SEND, "document_version": "v2"}, ["document_version: 'v2'", "must match", "$LATEST"]),
        ("parameter item a number", {**SEND, "parameters": {"commands": [3]}}, ["parameters.commands: every item must be a string", "[0] 3 (int)"]),
        (
            "parameter value a dictionary",
            {**SEND, "parameters": {"commands": {"a": "b"}}},
            ["parameters.commands: {'a': 'b'} (dict) must be a list of strings"],
        ),
        ("targets with instance_ids", {**SEND, "targets": [{"key": "tag:env", "values": ["lab"]}]}, ["mutually exclusive: instance_ids|targets"]),
        (
            "target key not one SSM takes",
            {**TARGETED, "targets": [{"key": "env", "values": ["lab"]}]},
            ["targets[0].key: 'env' is not a valid target key", "tag:NAME"],
        ),
        ("six targets", {**TARGETED, "targets": [{"key": "tag:env", "values": ["lab"]}] * 6}, ["targets: 6 targets given, SSM takes at most 5"]),
        (
            "target without values",
            {**TARGETED, "targets": [{"key": "tag:env", "values": []}]},
            ["targets[0].values: [] (list) must be a list of 1 to 50 strings"],
        ),
        ("delivery timeout below 30", {**SEND, "timeout_seconds": 29}, ["timeout_seconds: 29", "from 30 to 2592000"]),
        ("execution timeout zero", {**SEND, "execution_timeout": 0}, ["execution_timeout: 0", "from 1 to 172800"]),
        (
            "execution timeout given twice",
            {**SEND, "execution_timeout": 60, "parameters": {"executionTimeout": ["30"]}},
            ["execution_timeout: 60 and parameters.executionTimeout ['30'] both set", "give one of them"],
        ),
        ("max_concurrency zero", {**SEND, "max_concurrency": "0"}, ["max_concurrency: '0' is not a valid concurrency", "must match"]),
        ("max_errors above 100%", {**SEND, "max_errors": "101%"}, ["max_errors: '101%' is not a valid error threshold", "must match"]),
        ("comment too long with the marker", {**SEND, "comment": "c" * 80}, ["comment: ", "is 80 characters", "the Comment would be 107", "at most 100"]),
        ("idempotency key with a space", {**SEND, "idempotency_key": "my key"}, ["idempotency_key: 'my key' is not a valid idempotency key", "must match"]),
        ("idempotency window over 30 days", {**SEND, "idempotency_window": "31d"}, ["idempotency_window: '31d'", "from 1 seconds to 30 days"]),
        ("skip_offline not a boolean", {**SEND, "skip_offline": "maybe"}, bad_bool("skip_offline")),
        ("fail_on_failed not a boolean", {**SEND, "fail_on_failed": "maybe"}, bad_bool("fail_on_failed")),
        (
            "access key without secret key",
            {"access_key": "AKIDONLY", "secret_key": ""},
            ["access_key: 'AKIDONLY' is given without secret_key", "must be given together"],
        ),
        ("botocore configuration with bad retries", {"aws_config": {"retries": "x"}}, ["aws_config: {'retries': 'x'}", "not a valid botocore configuration"]),
    ],
)

COMMAND_INFO = rows(
    "ssm_command_info",
    {},
    [
        ("command ID too short", {"command_id": "abc"}, ["command_id: 'abc'", "exactly 36 characters long, not 3"]),
        ("node ID matching no pattern", {"instance_id": "node-1"}, ["instance_id: 'node-1'", "must match"]),
        ("EC2 ID of the wrong length", {"instance_id": "i-123"}, ["instance_id: 'i-123'", "must match"]),
        (
            "unknown status",
            {"status": "Running"},
            choice("status", "Running", STATUS_CHOICES),
        ),
        # an invocation status; ListCommands filters commands, which are never Delayed
        ("invocation status Delayed", {"status": "Delayed"}, choice("status", "Delayed", STATUS_CHOICES)),
        ("empty document name", {"document_name": ""}, ["document_name: ''", "at least 1 characters long, not 0"]),
        ("document name too long", {"document_name": "d" * 129}, ["document_name: '" + "d" * 129 + "'", "at most 128 characters long, not 129"]),
        ("an age in words", {"invoked_after": "2 days"}, ["invoked_after: '2 days'", "'30d'"]),
        ("a date that does not exist", {"invoked_before": "2026-02-30"}, ["invoked_before: '2026-02-30'", "ISO 8601"]),
        (
            "invoked_after later than invoked_before",
            {"invoked_after": "1d", "invoked_before": "2d"},
            ["invoked_after: '1d'", "is later than invoked_before: '2d'", "it must be earlier"],
        ),
        ("include_invocations not a boolean", {"include_invocations": "maybe"}, bad_bool("include_invocations")),
        ("details not a boolean", {"details": "maybe"}, bad_bool("details")),
        ("include_output not a boolean", {"command_id": CMD, "include_output": "maybe"}, bad_bool("include_output")),
        ("include_output without command_id", {"include_output": True}, ["include_output is True but all of the following are missing: command_id"]),
        ("deadline above a day", {"deadline": 86401}, ["deadline: 86401", "must be an integer from 1 to 86400"]),
        ("max_calls_per_second below 0.1", {"max_calls_per_second": 0.05}, ["max_calls_per_second: 0.05 (float)", "from 0.1 to 1000"]),
        ("unknown option", {"command": CMD}, unknown("ssm_command_info", "command")),
        (
            "endpoint URL without a scheme",
            {"endpoint_url": "127.0.0.1:4566"},
            ["endpoint_url: '127.0.0.1:4566' is not a valid endpoint URL", "http:// or https://"],
        ),
        ("secret key without access key", {"access_key": "", "secret_key": "s3cr3t-not-shown"}, ["secret_key: given without access_key", "together"]),
        ("botocore configuration not a dictionary", {"aws_config": "retries"}, bad_type("aws_config", "str", "dict")),
    ],
)

ACTIVATION = rows(
    "ssm_activation",
    {"activation_ids": [ACT]},
    [
        ("max_calls_per_second not a finite number", {"max_calls_per_second": "nan"}, ["max_calls_per_second: nan (float)", "from 0.1 to 1000"]),
        ("no UUID", {"activation_ids": ["not-a-uuid"]}, ["activation_ids: ", "'not-a-uuid'", "lower-case UUID"]),
        ("upper-case UUID", {"activation_ids": [ACT.upper()]}, ["activation_ids: ", f"'{ACT.upper()}'", "must match"]),
        ("a node ID instead of an activation ID", {"activation_ids": [MI]}, ["activation_ids: ", f"'{MI}'", "activation ID"]),
        ("one bad among good ones", {"activation_ids": [ACT, ACT[:-1]]}, ["activation_ids: 1 invalid activation ID", f"'{ACT[:-1]}'"]),
        ("duplicated ID", {"activation_ids": [ACT, ACT]}, ["activation_ids: ", f"duplicated: '{ACT}'"]),
        ("empty ID", {"activation_ids": [""]}, ["activation_ids: ", "''", "must match"]),
        ("no IDs", {"activation_ids": None}, ["missing required arguments: activation_ids"]),
        ("IDs not a list", {"activation_ids": {"id": ACT}}, bad_type("activation_ids", "dict", "list")),
        ("unknown state", {"state": "present"}, choice("state", "present", "absent")),
        ("only_if_unused not a boolean", {"only_if_unused": "maybe"}, bad_bool("only_if_unused")),
        ("deadline zero", {"deadline": 0}, ["deadline: 0", "from 1 to 86400"]),
        ("unknown option", {"force": True}, unknown("ssm_activation", "force")),
        ("profile with keys from the environment", {"profile": "ops"}, ["profile: 'ops' cannot be combined with access_key, secret_key"]),
        (
            "botocore configuration with an unknown setting",
            {"aws_config": {"no_such_setting": 1}},
            ["aws_config: {'no_such_setting': 1}", "not a valid botocore configuration", "no_such_setting"],
        ),
        ("debug_botocore_endpoint_logs not a boolean", {"debug_botocore_endpoint_logs": "maybe"}, bad_bool("debug_botocore_endpoint_logs")),
    ],
)

ECS_INSTANCE = rows(
    "ecs_anywhere_instance",
    {"instance_ids": [MI]},
    [
        ("ID too short", {"instance_ids": ["mi-123"]}, ["instance_ids: ", "'mi-123'"]),
        ("EC2 ID (not a hybrid node)", {"instance_ids": [EC2]}, ["instance_ids: ", f"'{EC2}'"]),
        ("no IDs", {"instance_ids": None}, ["missing required arguments: instance_ids"]),
        ("unknown state", {"state": "stopped"}, choice("state", "stopped", "drained, absent")),
        ("drain_timeout zero", {"drain_timeout": 0}, ["drain_timeout: 0"]),
        ("drain_timeout not an integer", {"drain_timeout": "long"}, bad_int("drain_timeout", "long")),
        ("poll_interval below 0.1", {"poll_interval": 0.01}, ["poll_interval: 0.01"]),
        ("force not a boolean", {"force": "maybe"}, bad_bool("force")),
        ("deadline zero", {"deadline": 0}, ["deadline: 0", "from 1 to 86400"]),
        ("max_calls_per_second above 1000", {"max_calls_per_second": 1001}, ["max_calls_per_second: 1001.0 (float)", "from 0.1 to 1000"]),
        ("unknown option", {"cluster": "edge"}, unknown("ecs_anywhere_instance", "cluster")),
    ],
)

ECS_INSTANCE_INFO = rows(
    "ecs_anywhere_instance_info",
    {"instance_ids": [MI]},
    [
        ("duplicated ID", {"instance_ids": [MI, MI]}, ["instance_ids: ", f"duplicated: '{MI}'"]),
        ("IDs not a list", {"instance_ids": {"id": MI}}, bad_type("instance_ids", "dict", "list")),
        ("include_eks not a boolean", {"include_eks": "maybe"}, bad_bool("include_eks")),
        ("deadline above a day", {"deadline": 86401}, ["deadline: 86401", "from 1 to 86400"]),
        ("max_calls_per_second below 0.1", {"max_calls_per_second": 0.05}, ["max_calls_per_second: 0.05 (float)", "from 0.1 to 1000"]),
        ("unknown option", {"cluster": "edge"}, unknown("ecs_anywhere_instance_info", "cluster")),
    ],
)

# Role rows: the arguments are the role's variables, set as host variables (as an inventory would).
DECOMMISSION = "decommission_hybrid_node"
D = "decommission_hybrid_node_"


def out_of_range(variable, value, low, high):
    return [f"{variable}: {value} is out of range", f"{low} to {high}"]


def role_type(variable, value, wanted):
    return ["Validation of arguments failed", f"argument '{variable}' is of type", f"{value}", f"unable to convert to {wanted}"]


def role_bool(variable):
    return ["Validation of arguments failed", f"argument '{variable}' is of type str", "'maybe'", "not a valid boolean"]


DECOMMISSION_ROWS = rows(
    DECOMMISSION,
    {},
    [
        ("instance ID too short", {D + "instance_id": "mi-123"}, [D + "instance_id: 'mi-123' is not a hybrid managed node ID", "17 lower-case hex digits"]),
        ("instance ID with upper-case hex", {D + "instance_id": "mi-0123456789ABCDEF0"}, [D + "instance_id: 'mi-0123456789ABCDEF0'", "lower-case hex"]),
        (
            "an EC2 instance ID",
            {D + "instance_id": EC2},
            [D + f"instance_id: '{EC2}' is not a hybrid managed node ID", "EC2 instances (i-...) cannot be deregistered"],
        ),
        ("region that is no region name", {D + "region": "eu west 1"}, [D + "region: 'eu west 1' is not an AWS region name such as eu-west-1"]),
        ("region in capitals", {D + "region": "EU-WEST-1"}, [D + "region: 'EU-WEST-1' is not an AWS region name"]),
        (
            "host_steps not a mode",
            {D + "host_steps": "maybe"},
            [D + "host_steps: 'maybe' is not one of ssh, ssm, auto, none", "true means ssh, false none"],
        ),
        ("host_steps a number", {D + "host_steps": 7}, [D + "host_steps: 7 is not one of ssh, ssm, auto, none"]),
        (
            "deregister_on_host_failure not a boolean",
            {D + "deregister_on_host_failure": "maybe"},
            role_bool(D + "deregister_on_host_failure"),
        ),
        ("become not a boolean", {D + "become": "maybe"}, role_bool(D + "become")),
        ("cancel_commands not a boolean", {D + "cancel_commands": "maybe"}, role_bool(D + "cancel_commands")),
        ("remove_package not a boolean", {D + "remove_package": "maybe"}, role_bool(D + "remove_package")),
        ("delete_activation not a boolean", {D + "delete_activation": "maybe"}, role_bool(D + "delete_activation")),
        ("cluster_checks not a boolean", {D + "cluster_checks": "maybe"}, role_bool(D + "cluster_checks")),
        ("deregister_undrained not a boolean", {D + "deregister_undrained": "maybe"}, role_bool(D + "deregister_undrained")),
        ("eks_node_drained not a boolean", {D + "eks_node_drained": "maybe"}, role_bool(D + "eks_node_drained")),
        ("drain timeout zero", {D + "drain_timeout": 0}, out_of_range(D + "drain_timeout", 0, 1, 86400)),
        ("drain timeout not an integer", {D + "drain_timeout": "long"}, role_type(D + "drain_timeout", "'long'", "int")),
        ("command wait timeout not an integer", {D + "command_wait_timeout": "soon"}, role_type(D + "command_wait_timeout", "'soon'", "int")),
        ("command wait timeout zero", {D + "command_wait_timeout": 0}, out_of_range(D + "command_wait_timeout", 0, 1, 86400)),
        ("command wait timeout above a day", {D + "command_wait_timeout": 86401}, out_of_range(D + "command_wait_timeout", 86401, 1, 86400)),
        ("poll interval not a number", {D + "command_poll_interval": "fast"}, role_type(D + "command_poll_interval", "str", "float")),
        ("poll interval too small", {D + "command_poll_interval": 0.05}, out_of_range(D + "command_poll_interval", 0.05, 0.1, 300)),
        ("poll interval too large", {D + "command_poll_interval": 301}, out_of_range(D + "command_poll_interval", 301, 0.1, 300)),
        ("deregister wait timeout not an integer", {D + "deregister_wait_timeout": "soon"}, role_type(D + "deregister_wait_timeout", "'soon'", "int")),
        ("deregister wait timeout zero", {D + "deregister_wait_timeout": 0}, out_of_range(D + "deregister_wait_timeout", 0, 1, 86400)),
        ("deregister wait timeout above a day", {D + "deregister_wait_timeout": 86401}, out_of_range(D + "deregister_wait_timeout", 86401, 1, 86400)),
        ("relative root", {D + "root": "srv/node"}, [D + "root: 'srv/node' must be an absolute path"]),
        ("read_host_vars not a boolean", {D + "read_host_vars": "maybe"}, role_bool(D + "read_host_vars")),
        ("relative report path", {D + "report_path": "report.json"}, [D + "report_path: 'report.json' must be an absolute path on the controller"]),
        # Checked on the controller, where the report is written, before any change: a report that fails after the
        # changes is a lost record of them.
        (
            "report path in a folder that does not exist",
            {D + "report_path": "/missing/dir/r.json"},
            [D + "report_path: '/missing/dir/r.json' cannot be written: its folder '/missing/dir' does not exist", "a folder that exists and is writable"],
        ),
        ("report path that is a folder", {D + "report_path": "/tmp"}, [D + "report_path: '/tmp' is a folder", "must name a file in a folder that exists"]),
        (
            "report path where no file can be created",
            {D + "report_path": "/proc/r.json"},
            [D + "report_path: '/proc/r.json' cannot be written: no file can be created in its folder", "is writable there"],
        ),
        (
            "absolute registration file",
            {D + "registration_file": "/var/lib/amazon/ssm/registration"},
            [D + "registration_file: '/var/lib/amazon/ssm/registration' is absolute", "relative to " + D + "root"],
        ),
        ("empty registration file", {D + "registration_file": ""}, [D + "registration_file: '' is empty", "must not be empty"]),
        ("absolute key file", {D + "key_files": ["/etc/shadow"]}, [D + "key_files: '/etc/shadow' is absolute", "would escape it"]),
        ("key file climbing out of the root", {D + "key_files": ["../../etc/shadow"]}, [D + "key_files: '../../etc/shadow' climbs out of " + D + "root"]),
        ("empty key file", {D + "key_files": ["var/lib/amazon/ssm/Vault/Store/RegistrationKey", ""]}, [D + "key_files: '' is empty"]),
        ("no key files", {D + "key_files": []}, [D + "key_files: [] is empty", "registration key and fingerprint"]),
        ("key files not a list", {D + "key_files": {"key": "x"}}, role_type(D + "key_files", "dict", "list")),
        # The argument spec takes "a,b" for a list but leaves the variable a string, which the tasks would misread.
        ("key files as a comma-separated string", {D + "key_files": "a,b"}, [D + "key_files: 'a,b' is a string, not a list", "YAML or JSON list"]),
        ("absolute agent binary", {D + "agent_binaries": ["/usr/bin/amazon-ssm-agent"]}, [D + "agent_binaries: '/usr/bin/amazon-ssm-agent' is absolute"]),
        ("empty agent binary", {D + "agent_binaries": [""]}, [D + "agent_binaries: '' is empty"]),
        ("agent binaries not a list", {D + "agent_binaries": {"bin": "x"}}, role_type(D + "agent_binaries", "dict", "list")),
        ("service name with spaces", {D + "services": ["amazon ssm agent"]}, [D + "services: 'amazon ssm agent' is not a service name", ":_.@- only"]),
        ("empty service name", {D + "services": ["amazon-ssm-agent", ""]}, [D + "services: '' is not a service name", "not empty"]),
        ("services not a list", {D + "services": {"svc": "x"}}, role_type(D + "services", "dict", "list")),
        ("misspelt variable", {D + "instanceid": MI}, [D + f"instanceid: '{MI}' is not a variable of this role (a typo?)", D + "instance_id, "]),
        (
            "several problems at once",
            {D + "instance_id": "mi-1", D + "region": "nowhere", D + "root": "relative"},
            [D + "instance_id: 'mi-1'", D + "region: 'nowhere'", D + "root: 'relative'"],
        ),
        (
            "a Windows host (WinRM)",
            {"ansible_connection": "winrm", "ansible_host": "127.0.0.1", "ansible_port": 1, D + "instance_id": MI},
            [
                D + "host_steps is ssh",
                "Windows host (ansible_connection 'winrm'",
                "not written for Windows; nothing was changed",
                D + "host_steps=ssm or auto",
                D + "host_steps=false",
            ],
        ),
        (
            "a Windows host (PowerShell over SSH)",
            {"ansible_connection": "ssh", "ansible_shell_type": "powershell", "ansible_host": "127.0.0.1", "ansible_port": 1, D + "instance_id": MI},
            [D + "host_steps is ssh", "ansible_shell_type 'powershell'", "not written for Windows"],
        ),
        (
            "an EC2 ID in the inventory's host variable instance_id",
            {"instance_id": EC2, "region": "eu-west-1"},
            [f"the host variable instance_id (from the inventory) is {EC2}, which is not a hybrid managed node ID", "nothing was changed"],
        ),
        (
            "registration file naming another node",
            {D + "instance_id": MI, D + "root": HOST_ROOT},
            [D + f"instance_id is {MI}", f"registration file {HOST_ROOT}/{REGISTRATION} names {OTHER_MI}", "nothing was changed"],
        ),
    ],
)

SWEEP = "sweep_stale_hybrid_nodes"
S = "sweep_stale_hybrid_nodes_"
ROLE_ARN = "arn:aws:iam::111111111111:role/HybridOpsSweep"
SWEEP_ROWS = rows(
    SWEEP,
    {},
    [
        ("an age in words", {S + "older_than": "30 days"}, [S + "older_than: '30 days' is neither an age such as '30d'", "nor an ISO 8601 time"]),
        ("a month that does not exist", {S + "older_than": "2026-13-01"}, [S + "older_than: '2026-13-01' is neither an age"]),
        ("an empty age", {S + "older_than": ""}, [S + "older_than: '' is neither an age"]),
        # The form is right, the day does not exist: the role's check (the module's rule) refuses it, before any request.
        ("a day that does not exist", {S + "older_than": "2026-02-30"}, [S + "older_than: '2026-02-30' is neither an age", "ISO 8601"]),
        ("tags not a dictionary", {S + "tags": ["Site"]}, role_type(S + "tags", "list", "dict")),
        ("tags as a key=value string", {S + "tags": "Site=kiosks"}, [S + "tags: 'Site=kiosks' is a string, not a dictionary", "YAML or JSON"]),
        ("reserved tag prefix", {S + "tags": {"aws:owner": "me"}}, [S + "tags: key 'aws:owner'", "must not start with 'aws:'"]),
        ("tag key too long", {S + "tags": {"k" * 129: "v"}}, [S + "tags: key '" + "k" * 129 + "' must be 1-128 characters long"]),
        ("tag key with a forbidden character", {S + "tags": {"Site*": "x"}}, [S + "tags: key 'Site*' may hold only letters, digits, spaces and _.:/=+-@"]),
        ("tag value not a string", {S + "tags": {"Rack": 7}}, [S + "tags: the value of key 'Rack' is 7, not a string"]),
        ("tag value too long", {S + "tags": {"Site": "v" * 257}}, [S + "tags: the value of key 'Site': '" + "v" * 257 + "' is longer than 256 characters"]),
        ("tag value with a forbidden character", {S + "tags": {"Site": "a;b"}}, [S + "tags: the value of key 'Site': 'a;b' may hold only letters"]),
        # A tab is white space but no tag character (the API's \p{Z} is separators only).
        ("tag value with a tab", {S + "tags": {"Site": "a\tb"}}, [S + "tags: the value of key 'Site': 'a\tb' may hold only letters"]),
        (
            "activation ID that is no UUID",
            {S + "activation_ids": ["not-a-uuid"]},
            [S + "activation_ids: 'not-a-uuid' is not an activation ID", "lower-case UUID"],
        ),
        ("duplicated activation ID", {S + "activation_ids": [ACT, ACT]}, [S + f"activation_ids: ['{ACT}', '{ACT}'] names an activation more than once"]),
        ("activation IDs not a list", {S + "activation_ids": {"id": ACT}}, role_type(S + "activation_ids", "dict", "list")),
        (
            "activation IDs as a comma-separated string",
            {S + "activation_ids": f"{ACT},{ACT}"},
            [S + f"activation_ids: '{ACT},{ACT}' is a string, not a dictionary or list"],
        ),
        ("max_nodes zero", {S + "max_nodes": 0}, [S + "max_nodes: 0 is out of range", "from 1 to 10000"]),
        ("relative report path", {S + "report_path": "sweep.json"}, [S + "report_path: 'sweep.json' must be an absolute path on the controller"]),
        # Checked on the controller, where the report is written, before any change: a report that fails after the
        # changes is a lost record of them.
        (
            "report path in a folder that does not exist",
            {S + "report_path": "/missing/dir/r.json"},
            [S + "report_path: '/missing/dir/r.json' cannot be written: its folder '/missing/dir' does not exist", "a folder that exists and is writable"],
        ),
        ("report path that is a folder", {S + "report_path": "/tmp"}, [S + "report_path: '/tmp' is a folder", "must name a file in a folder that exists"]),
        (
            "report path where no file can be created",
            {S + "report_path": "/proc/r.json"},
            [S + "report_path: '/proc/r.json' cannot be written: no file can be created in its folder", "is writable there"],
        ),
        ("max_nodes above 10000", {S + "max_nodes": 10001}, [S + "max_nodes: 10001 is out of range", "from 1 to 10000"]),
        ("max_nodes not an integer", {S + "max_nodes": "many"}, role_type(S + "max_nodes", "'many'", "int")),
        ("region that is no region name", {S + "region": "eu west 1"}, [S + "region: 'eu west 1' is not an AWS region name such as eu-west-1"]),
        ("cancel_commands not a boolean", {S + "cancel_commands": "maybe"}, role_bool(S + "cancel_commands")),
        ("include_eks_connector_agents not a boolean", {S + "include_eks_connector_agents": "maybe"}, role_bool(S + "include_eks_connector_agents")),
        ("concurrency zero", {S + "concurrency": 0}, [S + "concurrency: 0 is out of range", "from 1 to 20"]),
        ("concurrency above 20", {S + "concurrency": 21}, [S + "concurrency: 21 is out of range", "from 1 to 20"]),
        ("concurrency not an integer", {S + "concurrency": "four"}, role_type(S + "concurrency", "'four'", "int")),
        ("include_cluster_members not a boolean", {S + "include_cluster_members": "maybe"}, role_bool(S + "include_cluster_members")),
        ("drain_timeout zero", {S + "drain_timeout": 0}, [S + "drain_timeout: 0 is out of range"]),
        ("cluster_checks not a boolean", {S + "cluster_checks": "maybe"}, role_bool(S + "cluster_checks")),
        (
            "account role ARN that is no role ARN",
            {S + "accounts": [{"role_arn": "arn:aws:iam::12345:user/x", "regions": ["eu-west-1"]}]},
            [S + "accounts[0].role_arn: 'arn:aws:iam::12345:user/x' is not a valid IAM role ARN", "arn:aws:iam::ACCOUNT:role/NAME"],
        ),
        (
            "account given twice, by another of its roles",
            {S + "accounts": [{"role_arn": ROLE_ARN}, {"role_arn": ROLE_ARN + "Too"}]},
            [S + f"accounts[1]: account 111111111111 is already {S}accounts[0]", "assumed once per run"],
        ),
        # An external ID is a shared secret: its value is never shown, not even when it is wrong.
        (
            "account external ID with a forbidden character",
            {S + "accounts": [{"role_arn": ROLE_ARN, "external_id": "secret id;"}]},
            [S + "accounts[0].external_id: a value of 10 characters (not shown) is not a valid external ID", "+=,.@:/-"],
        ),
        (
            "account session name too long",
            {S + "accounts": [{"role_arn": ROLE_ARN, "session_name": "s" * 65}]},
            [S + "accounts[0].session_name: '" + "s" * 65 + "' is not a valid role session name", "at most 64 characters"],
        ),
        (
            "account region that is no region name",
            {S + "accounts": [{"role_arn": ROLE_ARN, "regions": ["eu west 1"]}]},
            [S + "accounts[0].regions: 1 invalid AWS region name: 'eu west 1'", "a region such as eu-west-1"],
        ),
        ("account without its role ARN", {S + "accounts": [{"regions": ["eu-west-1"]}]}, ["Validation of arguments failed", "role_arn"]),
        ("misspelt variable", {S + "older_then": "60d"}, [S + "older_then: '60d' is not a variable of this role (a typo?)", S + "older_than, "]),
        (
            "several problems at once",
            {S + "max_nodes": 0, S + "region": "x", S + "concurrency": 99},
            [S + "max_nodes: 0", S + "region: 'x'", S + "concurrency: 99"],
        ),
    ],
)

MODULES = (
    "ssm_managed_instance",
    "ssm_managed_instance_info",
    "ssm_command",
    "ssm_command_info",
    "ssm_activation",
    "ecs_anywhere_instance",
    "ecs_anywhere_instance_info",
)
ROLES = (DECOMMISSION, SWEEP)
ROWS = MANAGED_INSTANCE + MANAGED_INSTANCE_INFO + COMMAND + COMMAND_INFO + ACTIVATION + ECS_INSTANCE + ECS_INSTANCE_INFO + DECOMMISSION_ROWS + SWEEP_ROWS
HOSTS = {f"row{index:03d}": row for index, row in enumerate(ROWS)}
# The rows the playbook runs: every role row, and the first row of each module (the rest run in-process).
PLAYBOOK_HOSTS = {host: row for host, row in HOSTS.items() if row.target in ROLES or host == next(h for h, r in HOSTS.items() if r.target == row.target)}

# Options with no constraint of their own: any value of their type is valid input.
NO_CONSTRAINT = {
    ("ssm_managed_instance_info", "name"): "a glob matched against node names; any string is a pattern",
    ("ssm_managed_instance_info", "computer_name"): "a glob matched against host names; any string is a pattern",
    ("*", "access_key"): "any string; given without secret_key it is a row (ssm_command)",
    ("*", "secret_key"): "any string; given without access_key it is a row (ssm_command_info)",
    ("*", "session_token"): "any string; with a profile it is a row (ssm_managed_instance)",
}
COMMON_OPTIONS = (
    "access_key",
    "secret_key",
    "session_token",
    "profile",
    "endpoint_url",
    "validate_certs",
    "aws_ca_bundle",
    "aws_config",
    "debug_botocore_endpoint_logs",
    "region",
)


def test_row_count():
    modules = sum(1 for row in ROWS if row.target in MODULES)
    roles = sum(1 for row in ROWS if row.target in ROLES)
    print(f"bad input rows: {len(ROWS)} ({modules} module rows, {roles} role rows)")
    assert (len(ROWS), modules, roles) == (265, 172, 93), "update the count in the module docstring"
    assert len({(row.target, row.why) for row in ROWS}) == len(ROWS), "each row needs its own why"


def inventory(host_root, empty_root):
    groups = {}
    for host, row in PLAYBOOK_HOSTS.items():
        host_vars = {"ansible_connection": "local", "ansible_python_interpreter": MODULE_PYTHON}
        if row.target in MODULES:
            host_vars["row_args"] = {name: value for name, value in row.args.items() if value is not None}
        else:
            if row.target == DECOMMISSION:
                host_vars.update({D + "become": False, D + "root": str(empty_root)})
            host_vars.update({name: (str(host_root) if value == HOST_ROOT else value) for name, value in row.args.items()})
        groups.setdefault(row.target, {"hosts": {}})["hosts"][host] = host_vars
    return {"all": {"children": {"rows": {"children": groups}}}}


def playbook(results_file):
    plays = [
        {
            "name": f"Bad input for {module}",
            "hosts": module,
            "gather_facts": False,
            "tasks": [{"name": "The row", f"hybridops.ssm.{module}": "{{ row_args }}", "register": "row_result", "ignore_errors": True}],
        }
        for module in MODULES
    ]
    plays += [
        {
            "name": f"Bad input for {role}",
            "hosts": role,
            "gather_facts": False,
            "tasks": [
                {
                    "name": "The row, stopped where the role fails",
                    "block": [
                        {"name": "Include the role", "ansible.builtin.include_role": {"name": f"hybridops.ssm.{role}"}},
                        {"name": "The role did not fail", "ansible.builtin.set_fact": {"row_result": {"failed": False, "msg": "the role did not fail"}}},
                    ],
                    "rescue": [
                        {
                            "name": "Keep the failure",
                            "ansible.builtin.set_fact": {"row_result": "{{ ansible_failed_result | combine({'failed_task': ansible_failed_task.name}) }}"},
                        }
                    ],
                }
            ],
        }
        for role in ROLES
    ]
    plays.append(
        {
            "name": "Write every row's result",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Write the results",
                    "ansible.builtin.copy": {
                        "dest": str(results_file),
                        "content": "{{ dict(groups['rows'] | zip(groups['rows'] | map('extract', hostvars)"
                        " | map(attribute='row_result', default={}))) | to_json }}",
                        "mode": "0600",
                    },
                }
            ],
        }
    )
    return plays


@pytest.fixture(scope="module")
def bad_input(endpoint, tmp_path_factory):
    """Run every row in one ansible-playbook run; the results by host, the request log, the host root."""
    tmp = tmp_path_factory.mktemp("bad-input")
    control = EndpointControl(endpoint.url)
    control.reset()
    host_root = make_host_root(tmp / "registered-as-another-node", OTHER_MI)
    empty_root = tmp / "empty-root"
    empty_root.mkdir()
    (tmp / "inventory.json").write_text(json.dumps(inventory(host_root, empty_root)), encoding="utf-8")
    (tmp / "bad_input.yml").write_text(json.dumps(playbook(tmp / "results.json")), encoding="utf-8")
    env = controller_env(endpoint.url, tmp)
    module_rows = {host: row for host, row in HOSTS.items() if row.target in MODULES}
    in_process = run_in_process(env, [(row.target, {name: value for name, value in row.args.items() if value is not None}) for row in module_rows.values()])
    result = run_cli(["ansible-playbook", "-i", str(tmp / "inventory.json"), str(tmp / "bad_input.yml"), "--forks", "8"], env)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    through_playbook = json.loads((tmp / "results.json").read_text(encoding="utf-8"))
    return {
        "results": {**through_playbook, **dict(zip(module_rows, in_process))},
        "through_playbook": through_playbook,
        "log": control.log(),
        "host_root": host_root,
        "stdout": result.stdout,
    }


def message(result):
    msg = result.get("msg", "")
    return "\n".join(str(m) for m in msg) if isinstance(msg, list) else str(msg)


@pytest.mark.parametrize("host", list(HOSTS), ids=[f"{row.target}: {row.why}" for row in ROWS])
def test_row_fails_naming_option_value_and_constraint(bad_input, host):
    row = HOSTS[host]
    result = bad_input["results"][host]
    assert result.get("failed") is True, f"{row.why}: did not fail: {result}"
    assert not result.get("changed") and not result.get("unreachable"), result
    text = message(result)
    host_root = str(bad_input["host_root"])
    missing = [fragment for fragment in row.expect if fragment.replace(HOST_ROOT, host_root) not in text]
    assert not missing, f"{row.why}: {missing} not in: {text}"


def test_module_rows_fail_alike_in_process_and_through_ansible_playbook(bad_input):
    compared = [host for host, row in PLAYBOOK_HOSTS.items() if row.target in MODULES]
    assert len(compared) == len(MODULES)
    for host in compared:
        through_playbook, in_process = bad_input["through_playbook"][host], bad_input["results"][host]
        assert through_playbook.get("failed") is in_process.get("failed") is True, (through_playbook, in_process)
        assert message(through_playbook) == message(in_process)


def test_no_row_made_a_request(bad_input):
    assert bad_input["log"] == [], [(e["operation"], e["params"]) for e in bad_input["log"]]


def test_role_rows_stop_in_their_checks_before_any_connection(bad_input):
    """Argument and API-constraint checks are the role's first tasks; the same check refuses a Windows host before the
    host is contacted, and an ID taken from the inventory or the host is checked there too."""
    checks = ("Validating arguments against arg spec 'main'", "Check the arguments against the API's constraints")
    for host, row in HOSTS.items():
        if row.target not in ROLES:
            continue
        task = bad_input["results"][host].get("failed_task", "")
        if row.why == "registration file naming another node":
            # sources that disagree keep the host out of every SSM call; it fails with the others, at the end
            assert task == "Fail the hosts whose node was not decommissioned, each with its reason", task
        else:
            assert task.startswith(checks), (row.why, task)


def test_registration_mismatch_changed_nothing_on_the_host(bad_input):
    root = bad_input["host_root"]
    assert json.loads((root / REGISTRATION).read_text(encoding="utf-8"))["ManagedInstanceID"] == OTHER_MI
    assert all((root / key).read_text(encoding="utf-8") == "key-material" for key in KEY_FILES)
    assert not (root / AGENT_CALLS).exists(), "the agent was called"


def test_every_option_and_argument_has_a_row(ansible_env):
    """Every module option (ansible-doc) and every role argument (meta/argument_specs.yml) is in some row, or in NO_CONSTRAINT."""
    result = run_cli(["ansible-doc", "--json", *[f"hybridops.ssm.{m}" for m in MODULES]], ansible_env)
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)
    given = {}
    for row in ROWS:
        given.setdefault(row.target, set()).update(row.args)
    common_given = set().union(*(given[m] for m in MODULES))
    missing = []
    for module in MODULES:
        for option in docs[f"hybridops.ssm.{module}"]["doc"]["options"]:
            if (module, option) in NO_CONSTRAINT or ("*", option) in NO_CONSTRAINT:
                continue
            if option in COMMON_OPTIONS:
                if option not in common_given:
                    missing.append(f"{module}: {option} (common)")
            elif option not in given[module]:
                missing.append(f"{module}: {option}")
    for role in ROLES:
        spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
        missing.extend(f"{role}: {name}" for name in spec["argument_specs"]["main"]["options"] if name not in given[role])
    assert not missing
    assert {option for module in MODULES for option in docs[f"hybridops.ssm.{module}"]["doc"]["options"]} >= set(COMMON_OPTIONS)
