#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ssm_command_info
short_description: List Run Commands and their invocations by ID, node, status, document and age
version_added: 1.0.0
description:
  - Lists AWS Systems Manager Run Commands (ListCommands), every page, newest first. Changes nothing.
  - Criteria combine with AND and are filtered by SSM (O(status=Cancelling) partly here, see O(status)).
    O(status) is the command's aggregated status or its detailed status.
  - With O(include_invocations=true) (or O(details=true)) each command carries its invocations
    (ListCommandInvocations, one listing per command), limited to O(instance_id) when given.
  - With O(include_output=true) and O(command_id), each invocation of that command (on O(instance_id) only, when
    given) also carries its output as GetCommandInvocation returns it in RV(commands[].invocations[].output), with
    status, detailed status, exit code, standard output and standard error. One GetCommandInvocation per node, a few at a time.
  - SSM refuses O(instance_id) together with O(status=Pending), since a pending command has not reached
    the node; that combination is answered by listing pending commands without the node filter and
    keeping those whose C(instance_ids) (or C(InstanceIds) target) name the node.
author:
  - hybridops maintainers (@hybridops)
options:
  command_id:
    description: Only this command, the 36-character ID that SendCommand returned.
    type: str
  instance_id:
    description: Only commands sent to this managed node (C(mi-...) or C(i-...)).
    type: str
  status:
    description:
      - Only commands with this status, one of the values ListCommands takes for its C(Status) filter (API reference,
        C(CommandFilter)), or V(Cancelling).
      - V(TimedOut) takes delivery and execution timeouts alike. V(AccessDenied), V(DeliveryTimedOut),
        V(ExecutionTimedOut), V(Incomplete), V(NoInstancesInTag) and V(LimitExceeded) are detailed statuses, matched
        against RV(commands[].status_details).
      - SSM does not filter by V(Cancelling); with it the module lists unfinished commands (C(ExecutionStage=Executing))
        and keeps those whose status is V(Cancelling), such as cancels waiting for an offline agent.
      - A command is never C(Delayed) (only an invocation is), so that is not a choice.
    type: str
    choices:
      - Pending
      - InProgress
      - Success
      - Cancelled
      - Failed
      - TimedOut
      - AccessDenied
      - DeliveryTimedOut
      - ExecutionTimedOut
      - Incomplete
      - NoInstancesInTag
      - LimitExceeded
      - Cancelling
  document_name:
    description: Only commands that run this SSM document, for example V(AWS-RunShellScript).
    type: str
  invoked_after:
    description:
      - Only commands sent at or after this time.
      - An age counted back from now (V(30d), V(12h), V(90m), V(45s), V(2w)) or an ISO 8601 time
        (V(2026-10-01T00:00:00Z)).
    type: str
  invoked_before:
    description: Only commands sent at or before this time; the same forms as O(invoked_after), not earlier than O(invoked_after).
    type: str
  include_invocations:
    description: Return each command's invocations in C(invocations).
    type: bool
    default: false
  details:
    description:
      - Include each invocation's per-plugin output (C(command_plugins)); implies O(include_invocations=true).
      - SSM cuts each plugin's C(output) here to 2,500 characters (botocore's model, shape C(CommandPluginOutput)); for
        more, use O(include_output).
    type: bool
    default: false
  include_output:
    description:
      - Read each invocation's output with GetCommandInvocation, one call per node, into
        RV(commands[].invocations[].output); implies O(include_invocations=true). Requires O(command_id).
      - The output is that of the document's first step (plugin), which is the only one of V(AWS-RunShellScript) and
        V(AWS-RunPowerShellScript).
      - SSM truncates it; botocore's model (shapes C(StandardOutputContent) and C(StandardErrorContent)) gives at most
        24,000 characters of standard output and 8,000 of standard error. The whole output is only where the command
        was told to write it (S3, CloudWatch Logs).
      - Node output is whatever the node's script printed; treat it as untrusted data.
    type: bool
    default: false
extends_documentation_fragment:
  - hybridops.ssm.pacing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode; it never changes anything.
  - SSM keeps command history for 30 days.
"""

EXAMPLES = r"""
- name: Commands still running on a node, with their invocations
  hybridops.ssm.ssm_command_info:
    instance_id: mi-0123456789abcdef0
    status: InProgress
    include_invocations: true
  register: running

- name: Cancel them
  hybridops.ssm.ssm_command:
    command_id: "{{ item.command_id }}"
    instance_id: mi-0123456789abcdef0
  loop: "{{ running.commands }}"

- name: Failed shell-script commands of the last day, with per-plugin output
  hybridops.ssm.ssm_command_info:
    document_name: AWS-RunShellScript
    status: Failed
    invoked_after: 1d
    details: true

- name: Cancels still waiting for their agents, with the nodes they wait on
  hybridops.ssm.ssm_command_info:
    status: Cancelling
    include_invocations: true

- name: One command
  hybridops.ssm.ssm_command_info:
    command_id: 25173b39-c88d-4459-ba3d-8704a0000000

- name: What one command printed on each node, with its exit code
  hybridops.ssm.ssm_command_info:
    command_id: 25173b39-c88d-4459-ba3d-8704a0000000
    include_output: true
  register: sent

- name: Show each node's standard output
  ansible.builtin.debug:
    msg: "{{ item.instance_id }} exit {{ item.output.response_code }}: {{ item.output.stdout }}"
  loop: "{{ sent.commands[0].invocations }}"
"""

RETURN = r"""
commands:
  description: The matching commands, newest first, in snake_case; an empty list when none match.
  returned: always
  type: list
  elements: dict
  contains:
    command_id:
      description: The command's ID.
      type: str
      sample: 25173b39-c88d-4459-ba3d-8704a0000000
    document_name:
      description: The SSM document the command runs.
      type: str
      sample: AWS-RunShellScript
    status:
      description: The command's aggregated status.
      type: str
      sample: InProgress
    instance_ids:
      description: The nodes named when the command was sent.
      type: list
      elements: str
    targets:
      description: The targets (tags, IDs) the command was sent to.
      type: list
      elements: dict
    requested_date_time:
      description: When the command was sent.
      type: str
    target_count:
      description: How many nodes the command runs on.
      type: int
    completed_count:
      description: How many invocations have finished.
      type: int
    error_count:
      description: How many invocations failed or timed out.
      type: int
    parameters:
      description: The document parameters, with their names as given.
      type: dict
    document_version:
      description: The document version the command runs.
      type: str
      sample: $DEFAULT
    comment:
      description: The comment given with the command.
      type: str
    status_details:
      description: SSM's detailed status of the command.
      type: str
      sample: InProgress
    expires_after:
      description: When the command's delivery times out (sent time plus its timeout).
      type: str
    timeout_seconds:
      description: The command's delivery timeout in seconds.
      type: int
    max_concurrency:
      description: How many nodes run the command at once (a number or a percentage).
      type: str
    max_errors:
      description: How many errors stop the command (a number or a percentage).
      type: str
    delivery_timed_out_count:
      description: How many invocations were never delivered before the command expired (their agent was offline).
      type: int
    service_role:
      description: The IAM role SSM uses for the command's notifications, when one was given.
      type: str
      returned: when SSM returns it
    notification_config:
      description: The command's SNS notification settings, as SSM returns them.
      type: dict
      returned: when SSM returns it
    cloud_watch_output_config:
      description: The command's CloudWatch output settings, as SSM returns them.
      type: dict
      returned: when SSM returns it
    output_s3_region:
      description: The S3 bucket's region for the command's output, when one was given.
      type: str
      returned: when SSM returns it
    output_s3_bucket_name:
      description: The S3 bucket for the command's output, when one was given.
      type: str
      returned: when SSM returns it
    output_s3_key_prefix:
      description: The S3 key prefix for the command's output, when one was given.
      type: str
      returned: when SSM returns it
    alarm_configuration:
      description: The CloudWatch alarms that stop the command, as SSM returns them.
      type: dict
      returned: when SSM returns it
    triggered_alarms:
      description: The alarms that stopped the command, as SSM returns them.
      type: list
      elements: dict
      returned: when SSM returns it
    invocations:
      description: The command's invocations (only on O(instance_id) when given), in snake_case.
      returned: when O(include_invocations=true) or O(details=true)
      type: list
      elements: dict
      contains:
        instance_id:
          description: The node's ID.
          type: str
        status:
          description: The invocation's status.
          type: str
        status_details:
          description: SSM's detailed status.
          type: str
        command_plugins:
          description: Per-plugin status, response code and output (empty unless O(details=true)).
          type: list
          elements: dict
        command_id:
          description: The command's ID.
          type: str
        instance_name:
          description: The node's name (for a hybrid node, its Name), as SSM returns it.
          type: str
        comment:
          description: The comment given with the command.
          type: str
        document_name:
          description: The SSM document the command runs.
          type: str
        document_version:
          description: The document version the command runs.
          type: str
        requested_date_time:
          description: When the command was sent.
          type: str
        trace_output:
          description: SSM's trace of the invocation's delivery.
          type: str
        standard_output_url:
          description: Where the invocation's standard output is stored in S3, when it is.
          type: str
        standard_error_url:
          description: Where the invocation's standard error is stored in S3, when it is.
          type: str
        service_role:
          description: The IAM role SSM uses for notifications, when one was given.
          type: str
          returned: when SSM returns it
        notification_config:
          description: SNS notification settings, as SSM returns them.
          type: dict
          returned: when SSM returns it
        cloud_watch_output_config:
          description: CloudWatch output settings, as SSM returns them.
          type: dict
          returned: when SSM returns it
        output:
          description:
            - The invocation as GetCommandInvocation returned it (the document's first step), read after the listing;
              null when SSM had no such invocation (yet).
          returned: when O(include_output=true)
          type: dict
          contains:
            status:
              description: The invocation's status when its output was read.
              type: str
              sample: Success
            status_details:
              description: SSM's detailed status, such as C(DeliveryTimedOut).
              type: str
              sample: Success
            response_code:
              description: The script's exit code; -1 while it has not ended.
              type: int
              sample: 0
            stdout:
              description: Standard output, at most 24,000 characters (SSM truncates it).
              type: str
              sample: "hello\n"
            stderr:
              description: Standard error, at most 8,000 characters (SSM truncates it).
              type: str
              sample: ""
msg:
  description: One line saying how many commands matched.
  returned: always
  type: str
  sample: "2 command(s) matched"
"""

from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.budget import start_task
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.client import ssm_client
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.command_cancel import command_to_ansible
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.command_send import read_invocation_outputs
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.commands import list_command_invocations
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.commands import list_commands
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import COMMAND_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import COMMAND_INSTANCE_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import DOCUMENT_NAME_FILTER
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import LIST_COMMANDS_STATUS_VALUES
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_string
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import check_deadline
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import run_task
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.timeparse import parse_point_in_time

# A command status ListCommands takes no filter value for: unfinished commands are listed and kept by status.
CANCELLING = "Cancelling"
STATUSES = [*LIST_COMMANDS_STATUS_VALUES, CANCELLING]


def filters_from(params):
    """Validate every option (before any request) and build the ListCommands filters."""
    if params["command_id"] is not None:
        check_string("command_id", params["command_id"], COMMAND_ID)
    if params["instance_id"] is not None:
        check_string("instance_id", params["instance_id"], COMMAND_INSTANCE_ID)
    if params["document_name"] is not None:
        check_string("document_name", params["document_name"], DOCUMENT_NAME_FILTER)
    filters = []
    moments = {name: parse_point_in_time(name, params[name]) for name in ("invoked_after", "invoked_before")}
    if None not in moments.values() and moments["invoked_after"] > moments["invoked_before"]:
        raise SSMValidationError(
            f"invoked_after: {params['invoked_after']!r} ({moments['invoked_after']:%Y-%m-%dT%H:%M:%SZ}) is later than invoked_before:"
            f" {params['invoked_before']!r} ({moments['invoked_before']:%Y-%m-%dT%H:%M:%SZ}); it must be earlier, or no command could match.",
            parameter="invoked_after",
            value=params["invoked_after"],
        )
    for name, key in (("invoked_after", "InvokedAfter"), ("invoked_before", "InvokedBefore")):
        moment = moments[name]
        if moment is not None:
            filters.append({"key": key, "value": moment.strftime("%Y-%m-%dT%H:%M:%SZ")})
    if params["status"] == CANCELLING:
        filters.append({"key": "ExecutionStage", "value": "Executing"})
    elif params["status"]:
        filters.append({"key": "Status", "value": params["status"]})
    if params["document_name"]:
        filters.append({"key": "DocumentName", "value": params["document_name"]})
    return filters


def targets_node(command, instance_id):
    named = set(command.get("InstanceIds") or [])
    for target in command.get("Targets") or []:
        if target.get("Key") == "InstanceIds":
            named.update(target.get("Values") or [])
    return instance_id in named


def find_commands(client, params, filters):
    instance_id = params["instance_id"]
    if instance_id and params["status"] == "Pending":
        # SSM refuses InstanceId with Status=Pending: list pending commands, keep those naming the node.
        found = list_commands(client, command_id=params["command_id"], filters=filters)
        return [c for c in found if targets_node(c, instance_id)]
    found = list_commands(client, command_id=params["command_id"], instance_id=instance_id, filters=filters)
    if params["status"] == CANCELLING:
        return [c for c in found if c.get("Status") == CANCELLING]
    return found


def run(module):
    params = module.params
    filters = filters_from(params)
    check_deadline(params["deadline"])
    client = ssm_client(module)
    start_task(deadline=params["deadline"])
    commands = []
    for command in find_commands(client, params, filters):
        result = command_to_ansible(command)
        if params["include_invocations"] or params["details"] or params["include_output"]:
            invocations = list_command_invocations(client, command_id=command["CommandId"], instance_id=params["instance_id"], details=params["details"])
            result["invocations"] = [boto3_resource_to_ansible_dict(i, force_tags=False) for i in invocations]
            if params["include_output"]:
                outputs = read_invocation_outputs(client, command["CommandId"], [i["InstanceId"] for i in invocations])
                for invocation in result["invocations"]:
                    invocation["output"] = outputs.get(invocation["instance_id"])
        commands.append(result)
    module.exit_json(changed=False, commands=commands, msg=f"{len(commands)} command(s) matched")


def main():
    argument_spec = dict(
        command_id=dict(type="str"),
        instance_id=dict(type="str"),
        status=dict(type="str", choices=STATUSES),
        document_name=dict(type="str"),
        invoked_after=dict(type="str"),
        invoked_before=dict(type="str"),
        include_invocations=dict(type="bool", default=False),
        details=dict(type="bool", default=False),
        include_output=dict(type="bool", default=False),
    )
    run_task(argument_spec, run, required_if=[("include_output", True, ("command_id",))])


if __name__ == "__main__":
    main()
