#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ssm_command
short_description: Cancel Run Commands, by command ID or every in-flight command of some nodes
version_added: 1.0.0
description:
  - Cancels AWS Systems Manager Run Commands (CancelCommand) and reports, per node, what became of each invocation.
  - With O(command_id), cancels that command on the nodes in O(instance_ids), or on every node it targeted
    when O(instance_ids) is not given. The command and its invocations are read first (ListCommands,
    ListCommandInvocations); an unknown command, or a node the command never targeted, fails before any
    CancelCommand.
  - With O(instance_ids) alone, cancels every command still in flight on those nodes, which is what a
    decommission needs before the SSM agent stops (cancellation travels through the agent). Unfinished
    commands are listed with C(ExecutionStage=Executing) and no C(InstanceId) filter, since SSM refuses
    C(InstanceId) together with C(Status=Pending); the invocations of each command that may target the
    nodes are then read.
  - A CancelCommand is sent only for invocations still in flight (V(Pending), V(InProgress), V(Delayed)),
    at most 50 nodes per call. Invocations already V(Cancelling) were asked to cancel before and get no
    new request; finished ones (V(Success), V(Cancelled), V(Failed), V(TimedOut)) are left alone. A second
    run therefore reports RV(ignore:changed=false) and makes no CancelCommand.
  - Cancelling is asynchronous and not guaranteed; an invocation may still finish after the cancel was
    accepted. The invocations are read again after the cancel, and such a node is reported with outcome
    V(completed_before_cancel) (see O(fail_on_completed)).
author:
  - hybridops maintainers (@hybridops)
options:
  state:
    description:
      - V(cancelled) cancels the commands. It is the only state.
    type: str
    choices: [cancelled]
    default: cancelled
  command_id:
    description:
      - The ID of the command, the 36-character ID that SendCommand returned.
      - O(command_id) or O(instance_ids) (or both) is required.
      - SSM lists a command only a moment after SendCommand returned; a command ID not listed yet is read
        again for a few seconds before the task fails naming it as unknown.
    type: str
  instance_ids:
    description:
      - Managed node IDs, C(mi-) followed by 17 characters or EC2 IDs C(i-...). Each ID may appear once.
      - With O(command_id), cancel the command only on these nodes; every one must be a node the command targeted.
      - Without O(command_id), cancel every in-flight command on these nodes. SSM lists a command only a moment
        after SendCommand returned, so one sent in the last second or two may not be found yet; run the task
        again a few seconds later to be sure none is left.
      - A comma-separated string is split and each ID stripped of spaces.
      - An empty list is nothing to do (RV(ignore:changed=false), empty RV(outcomes), no request).
      - Every bad ID is named in one message, grouped by what is wrong.
    type: list
    elements: str
    aliases: [instance_id]
  wait:
    description:
      - Wait until every targeted invocation has finished (V(Cancelled), or V(Success), V(Failed),
        V(TimedOut) when it finished before the cancel landed), polling ListCommandInvocations.
      - A cancel travels through the node's SSM agent. A node that is not V(Online) (its agent is gone) cannot
        acknowledge it, and its invocation stays V(Cancelling) until the agent reconnects or the command's own timeout
        passes, hours by default. So before each poll the nodes' ping status is read (DescribeInstanceInformation,
        one call per 50 nodes) and a node that is not V(Online), or not registered, is not waited for; its outcome is
        V(cancel_requested) with RV(outcomes[].ping_status) and a RV(outcomes[].msg) saying why, and it does not fail
        the task. A node that goes offline while waited on is set aside the same way.
    type: bool
    default: false
  wait_timeout:
    description:
      - How many seconds to wait (1-86400). Only with O(wait=true); 300 when not given.
      - When it runs out the task fails, naming each unfinished node and its status.
    type: int
  poll_interval:
    description:
      - Seconds between two polls while waiting, from 0.1 to 300; fractions are allowed. Only with O(wait=true); 5 when not given.
    type: float
  fail_on_completed:
    description:
      - What to do when an invocation finished (V(Success), V(Failed) or V(TimedOut)) although it was
        in flight when this task asked to cancel it, that is, the cancel arrived too late.
      - V(false) reports such nodes with outcome V(completed_before_cancel) and a warning.
      - V(true) fails the task, naming those nodes, after every node was handled.
    type: bool
    default: false
extends_documentation_fragment:
  - hybridops.ssm.pacing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode (no CancelCommand is sent and nothing is waited for; cancelled invocations are
    predicted as V(Cancelling)) and diff mode (each node's status before and after, per command).
  - Commands sent by tag targets that have not yet been delivered to any node cannot be attributed to a
    node; cancel them with O(command_id).
"""

EXAMPLES = r"""
- name: Cancel a command on every node it targeted
  hybridops.ssm.ssm_command:
    command_id: 25173b39-c88d-4459-ba3d-8704a0000000
    state: cancelled

- name: Cancel it on two nodes only and wait until they stopped
  hybridops.ssm.ssm_command:
    command_id: 25173b39-c88d-4459-ba3d-8704a0000000
    instance_ids:
      - mi-0123456789abcdef0
      - mi-0fedcba9876543210
    wait: true
    wait_timeout: 120
    poll_interval: 2

- name: Before decommissioning a node, cancel every command still running on it
  hybridops.ssm.ssm_command:
    instance_id: "{{ ssm_node_id }}"
    wait: true
  register: cancelled

- name: Fail when a command finished on a node before the cancel reached it
  hybridops.ssm.ssm_command:
    command_id: "{{ deploy.command_id }}"
    fail_on_completed: true
"""

RETURN = r"""
command:
  description:
    - With O(command_id), the command in snake_case as last read (after the cancel, unless in check mode).
  returned: when O(command_id) is given
  type: dict
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
      sample: Cancelling
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
commands:
  description:
    - Without O(command_id), the unfinished commands found on O(instance_ids), in snake_case, with the same keys as RV(command).
  returned: when O(command_id) is not given
  type: list
  elements: dict
outcomes:
  description:
    - One entry per targeted node (per command and node without O(command_id)).
    - Without O(command_id), a node with no command in flight gets one entry with outcome V(none_in_flight).
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The node's ID.
      type: str
      sample: mi-0123456789abcdef0
    command_id:
      description: The command's ID (null for V(none_in_flight)).
      type: str
    status_before:
      description: The invocation's status when the task started.
      type: str
      sample: InProgress
    status:
      description: The invocation's status now (final with O(wait=true); predicted in check mode).
      type: str
      sample: Cancelled
    cancel_sent:
      description: Whether this task sent (in check mode, would send) a CancelCommand for this node.
      type: bool
    ping_status:
      description:
        - The node's ping status when the task stopped waiting for it because it is not V(Online)
          (V(ConnectionLost), V(Inactive)); null when the node is not registered.
      type: str
      returned: with O(wait=true), when the task did not wait for the node
      sample: ConnectionLost
    outcome:
      description:
        - V(cancelled) the invocation ended Cancelled.
        - V(cancel_requested) the cancel was asked (by this task or earlier) and has not finished yet.
        - V(already_terminal) it had finished before the task; nothing was sent.
        - V(completed_before_cancel) it was in flight, but finished (Success, Failed, TimedOut) before the cancel landed.
        - V(none_in_flight) the node has no command to cancel.
        - V(failed) the CancelCommand for this node failed.
        - V(not_attempted) no CancelCommand was sent for this node, because the O(deadline) passed or the endpoint failed every call.
      type: str
      sample: cancel_requested
    error_code:
      description: The AWS error code of a failed node (C(NotAttempted) for a node not attempted).
      type: str
      returned: when outcome is failed or not_attempted
    msg:
      description:
        - What went wrong for a failed node and what to do; for a node not waited for, why.
      type: str
      returned: when outcome is failed or not_attempted, or the task did not wait for the node
timed_out:
  description: The nodes still unfinished when O(wait_timeout) ran out (the task then fails).
  returned: always
  type: list
  elements: dict
  contains:
    command_id:
      description: The command's ID.
      type: str
    instance_id:
      description: The node's ID.
      type: str
    status:
      description: The invocation's status at the deadline.
      type: str
      sample: Cancelling
msg:
  description:
    - On success, one line counting the nodes by outcome.
    - On failure, a summary under 2,000 characters (counts by error code, the first few IDs); each node's message is in RV(outcomes).
  returned: always
  type: str
  sample: "2 node(s): 1 cancelled, 1 already_terminal"
"""

from ansible.module_utils.common.warnings import warn

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.budget import start_task
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.client import ssm_client
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.command_cancel import completed_before_cancel
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.command_cancel import describe_nodes
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.command_cancel import ensure_cancelled
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.command_cancel import ensure_node_commands_cancelled
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import COMMAND_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import COMMAND_INSTANCE_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import POLL_SECONDS
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import WAIT_SECONDS
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_list
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_range
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_string
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import CANCELLED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import failed_outcomes
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import failure_summary
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import success_summary
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import check_deadline
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import run_task

DEFAULT_WAIT_TIMEOUT = 300
DEFAULT_POLL_INTERVAL = 5.0
POLL_INTERVAL_RANGE = POLL_SECONDS


def validate(params):
    """Every check on the options, before any request; returns (wait_timeout, poll_interval)."""
    if params["command_id"] is not None:
        check_string("command_id", params["command_id"], COMMAND_ID)
    if params["instance_ids"] is not None:
        params["instance_ids"] = check_list("instance_ids", params["instance_ids"], COMMAND_INSTANCE_ID)
    check_deadline(params["deadline"])
    if not params["wait"]:
        given = [name for name in ("wait_timeout", "poll_interval") if params[name] is not None]
        if given:
            values = ", ".join(f"{name}={params[name]!r}" for name in given)
            raise SSMValidationError(
                f"{' and '.join(given)}: only apply with wait=true, not without it (given: {values});"
                " without wait the task returns as soon as the cancel is accepted.",
                parameter=given[0],
                value=params[given[0]],
            )
    wait_timeout = DEFAULT_WAIT_TIMEOUT if params["wait_timeout"] is None else check_range("wait_timeout", params["wait_timeout"], WAIT_SECONDS)
    poll_interval = DEFAULT_POLL_INTERVAL if params["poll_interval"] is None else params["poll_interval"]
    low, high = POLL_INTERVAL_RANGE
    if not low <= poll_interval <= high:
        raise SSMValidationError(
            f"poll_interval: {poll_interval!r} must be a number of seconds from {low} to {high}.", parameter="poll_interval", value=poll_interval
        )
    return wait_timeout, poll_interval


def run(module):
    params = module.params
    wait_timeout, poll_interval = validate(params)
    if params["instance_ids"] == []:
        # An empty list (a filter that matched nothing) is nothing to do, not an error, with or without command_id.
        empty = {"command": None} if params["command_id"] is not None else {"commands": []}
        module.exit_json(changed=False, outcomes=[], timed_out=[], msg=success_summary([], "node", module.check_mode), **empty)
    client = ssm_client(module)
    start_task(deadline=params["deadline"])
    options = dict(check_mode=module.check_mode, wait=params["wait"], wait_timeout=wait_timeout, poll_interval=poll_interval)
    if params["command_id"] is not None:
        changed, result = ensure_cancelled(client, params["command_id"], params["instance_ids"], region=module.region, **options)
    else:
        changed, result = ensure_node_commands_cancelled(client, params["instance_ids"], **options)

    diff = result.pop("diff")
    output = {"changed": changed, **result}
    if module._diff:
        output["diff"] = diff
    outcomes = result["outcomes"]
    late = completed_before_cancel(outcomes)
    late_msg = f"{len(late)} node(s) finished before the cancel landed: {describe_nodes(late)}"
    failures = []
    if failed_outcomes(outcomes):
        failures.append(failure_summary(outcomes, "instance_id", "node"))
    if result["timed_out"]:
        failures.append(f"wait_timeout: {len(result['timed_out'])} node(s) had not finished after {wait_timeout}s: {describe_nodes(result['timed_out'])}")
    if late and params["fail_on_completed"]:
        failures.append(f"fail_on_completed: {late_msg}")
    elif late:
        # Not module.warn: amazon.aws 10 then passes warnings= to exit_json, which ansible-core 2.19 deprecates.
        warn(late_msg)
    if failures:
        module.fail_json(msg="; ".join(failures), **output)
    module.exit_json(msg=success_summary(outcomes, "node", module.check_mode), **output)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=[CANCELLED], default=CANCELLED),
        command_id=dict(type="str"),
        instance_ids=dict(type="list", elements="str", aliases=["instance_id"]),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int"),
        poll_interval=dict(type="float"),
        fail_on_completed=dict(type="bool", default=False),
    )
    run_task(argument_spec, run, required_one_of=[["command_id", "instance_ids"]])


if __name__ == "__main__":
    main()
