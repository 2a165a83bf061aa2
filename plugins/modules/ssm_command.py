#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ssm_command
short_description: Send Run Commands idempotently, or cancel them by command ID or on some nodes
version_added: 1.0.0
description:
  - With O(state=present), sends an AWS Systems Manager Run Command (SendCommand) to nodes by ID or by tag,
    idempotently, and optionally waits for each node's result (status, exit code, output).
  - With O(state=cancelled) (the default), cancels Run Commands (CancelCommand) and reports, per node, what became
    of each invocation.
  - "B(Sending, idempotently.) SendCommand has no idempotency token. So the task marks the command: its C(Comment) is
    O(comment) followed by C(hybridops:KEY), KEY being O(idempotency_key) or, when not given, the first 16 hex digits of
    a SHA-256 of O(document_name), O(document_version), O(parameters) (with O(execution_timeout)) and O(targets) (not
    O(instance_ids), so that adding a node sends to that node only). Before sending, the commands of the same document
    sent within O(idempotency_window) are listed (ListCommands with C(DocumentName) and C(InvokedAfter) filters) and
    those whose comment holds the marker as a word are read (ListCommandInvocations). A node whose invocation of such a
    command is in flight (V(Pending), V(InProgress), V(Delayed), V(Cancelling)) or ended V(Success) is covered: nothing
    is sent to it, and it is reported with that command (RV(ignore:changed=false) when every node is covered). A node
    whose earlier invocation ended V(Failed), V(TimedOut) or V(Cancelled), or that never had one, gets the command."
  - "Limits of the marker: whoever edits a command's comment (only possible by sending a new one) or sends with the
    same marker by hand changes what the task finds; two runs of the task at the same moment can both send (there is
    no lock); commands older than O(idempotency_window) (at most 30 days, SSM's command history) are not looked at.
    SSM lists a new command only a moment after SendCommand returned (ListCommands is eventually consistent), so
    after sending, the task reads the command back, for up to 6 seconds, before it returns: a rerun after the task
    ended finds it. Should it not be listed by then, RV(not_listed) names it and a warning says a rerun within
    seconds may send again."
  - With O(instance_ids), the nodes to send to go out in batches of at most 50 per SendCommand (ceil(N/50) calls);
    one failed batch fails only its nodes (outcome V(failed)), never the next batch. SendCommand is retried only
    while throttled; after a server error or a lost answer it is not sent again (it may have been received; the
    next run finds it by its marker).
  - With O(targets), the command is sent once by C(Targets) and SSM picks the nodes. When an earlier command with the
    same key exists, only the nodes it reached whose invocation ended without success get the command again, by
    C(InstanceIds); a node tagged since then is not covered until the window has passed or the key changes.
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
      - V(cancelled) cancels the commands (O(command_id), O(instance_ids)).
      - V(present) sends a command (O(document_name) to O(instance_ids) or O(targets)), unless an earlier one with the
        same idempotency key covers the nodes.
    type: str
    choices: [cancelled, present]
    default: cancelled
  document_name:
    description:
      - With O(state=present), the SSM document to run, by name or ARN, for example V(AWS-RunShellScript),
        V(AWS-RunPowerShellScript) or a document of your own (3-128 characters, letters, digits and C(_-.:/)).
      - Required with O(state=present).
    type: str
  document_version:
    description:
      - With O(state=present), the document version to run, V($DEFAULT), V($LATEST) or a version number. SSM's default when not given.
    type: str
  parameters:
    description:
      - With O(state=present), the document's parameters as SSM takes them, each name with a list of strings,
        for example C(commands) with the list V(echo hello), V(exit 3). A lone string is taken as a list of one.
      - Every item must be a string; quote numbers and yes/no in YAML.
    type: dict
  targets:
    description:
      - With O(state=present), send by SSM C(Targets) instead of O(instance_ids), at most 5.
    type: list
    elements: dict
    suboptions:
      key:
        description: V(tag:NAME), V(tag-key), V(InstanceIds), V(resource-groups:Name) or V(resource-groups:ResourceTypeFilters).
        type: str
        required: true
      values:
        description: 1-50 values.
        type: list
        elements: str
        required: true
  timeout_seconds:
    description:
      - With O(state=present), the delivery timeout (SSM's C(TimeoutSeconds)), 30-2592000 seconds; SSM's default (3600) when not given.
      - A node that does not pick the command up in time (its agent is offline) ends V(TimedOut), C(DeliveryTimedOut).
    type: int
  execution_timeout:
    description:
      - With O(state=present), the document parameter C(executionTimeout) (1-172800 seconds), which
        V(AWS-RunShellScript) and V(AWS-RunPowerShellScript) have; sent as O(parameters) C(executionTimeout).
      - Give it here or in O(parameters), not both.
    type: int
  max_concurrency:
    description:
      - With O(state=present), on how many nodes the command runs at once, a number (V(10)) or a percentage (V(10%)). SSM's default when not given.
    type: str
  max_errors:
    description:
      - With O(state=present), after how many failed nodes SSM stops sending the command, a number (V(0)) or a percentage (V(10%)).
    type: str
  comment:
    description:
      - With O(state=present), the command's comment. The task appends a space and its marker C(hybridops:KEY), and SSM
        takes at most 100 characters in all, so with the derived key (26 characters with the prefix) the comment may be
        up to 73 characters long.
    type: str
  idempotency_key:
    description:
      - With O(state=present), the key the task marks its command with and looks for (1-40 letters, digits and C(_.:/=+@-)).
      - When not given, derived from the document, its version, the parameters and O(targets) (see the description).
      - To send the same command again inside the window, give a new key (for example one that holds the date).
    type: str
  idempotency_window:
    description:
      - With O(state=present), how far back earlier commands with the same key are looked for, an age such as V(1d),
        V(12h), V(90m) or a number of seconds, at most V(30d) (SSM keeps command history for 30 days). V(1d) when not given.
    type: str
  skip_offline:
    description:
      - With O(state=present) and O(instance_ids), whether to leave out nodes that are not V(Online) (or not registered),
        read with DescribeInstanceInformation (one call per 50 nodes) before sending. V(true) when not given.
      - V(true) sends nothing to them; their outcome is V(skipped_offline) with RV(outcomes[].ping_status); they do not
        fail the task (a warning names them), and a rerun sends to them once they are Online (they are not covered).
      - V(false) sends to them too. SSM keeps such an invocation V(Pending) or V(Delayed) until the agent returns or
        O(timeout_seconds) passes (then V(TimedOut)); with O(wait=true) such a node is not waited for (outcome
        V(offline_pending)). A node that is not registered makes SSM refuse its whole batch of 50 (C(InvalidInstanceId)).
      - With O(targets), SSM picks the nodes and this does not apply before sending; while waiting, a node that is not
        V(Online) is not waited for (outcome V(offline_pending)).
    type: bool
  fail_on_failed:
    description:
      - With O(state=present), whether a node whose invocation ended V(Failed), V(TimedOut) or V(Cancelled) fails the
        task. V(true) when not given. With O(wait=true) every node's end is seen; without it, only an invocation that
        had already ended when the task read the command back.
      - V(true) fails the task after every node was waited for, naming each such node, its status and exit code; every
        node's outcome is still returned.
      - V(false) reports such nodes with outcome V(run_failed) and a warning.
    type: bool
  command_id:
    description:
      - With O(state=cancelled), the ID of the command, the 36-character ID that SendCommand returned.
      - O(command_id) or O(instance_ids) (or both) is required.
      - SSM lists a command only a moment after SendCommand returned; a command ID not listed yet is read
        again for a few seconds before the task fails naming it as unknown.
    type: str
  instance_ids:
    description:
      - Managed node IDs, C(mi-) followed by 17 characters or EC2 IDs C(i-...). Each ID may appear once.
      - With O(state=present), the nodes to send the command to (any number, at most 50 per SendCommand); O(instance_ids)
        or O(targets) is required.
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
      - With O(state=present), wait until every node's invocation has finished (polling ListCommandInvocations), then
        read each node's result with GetCommandInvocation, RV(outcomes[].status), RV(outcomes[].response_code) (the
        exit code), RV(outcomes[].stdout) and RV(outcomes[].stderr), truncated where SSM truncates them (the first
        24,000 characters of standard output; botocore's model documents 8,000 for standard error; the whole output
        only through S3 or CloudWatch). A node that is not V(Online) is not waited for (V(offline_pending)).
      - With O(state=cancelled), wait until every targeted invocation has finished (V(Cancelled), or V(Success), V(Failed),
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
      - With O(state=cancelled), what to do when an invocation finished (V(Success), V(Failed) or V(TimedOut)) although it was
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
  - With O(state=present), check mode reads the earlier commands and the nodes' ping status, sends nothing and says
    what it would send (RV(msg) C(would send DOCUMENT to N node(s) in K SendCommand call(s)), outcome V(sent) with
    RV(outcomes[].command_id) null); diff mode shows each node's last status before and V(Pending) after for the nodes
    it would send to.
  - O(parameters) travel to SSM as they are and SSM shows them to whoever may list commands; do not pass secrets in
    them (use SecureString parameters in Parameter Store and C({{ssm:NAME}}) references).
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

- name: Run a script on every node of a list (50 per SendCommand), once; wait for each node's exit code and output
  hybridops.ssm.ssm_command:
    state: present
    document_name: AWS-RunShellScript
    parameters:
      commands:
        - echo "disk usage on $(hostname)"
        - df -h /
    instance_ids: "{{ groups['hybrid'] | map('extract', hostvars, 'instance_id') | list }}"
    execution_timeout: 600
    comment: weekly disk report
    wait: true
    wait_timeout: 900
  register: report

- name: Show each node's output
  ansible.builtin.debug:
    msg: "{{ item.instance_id }} exited {{ item.response_code }}: {{ item.stdout }}"
  loop: "{{ report.outcomes }}"

- name: Restart a service on the nodes tagged role=web, 10% at a time, stopping after 2 failures
  hybridops.ssm.ssm_command:
    state: present
    document_name: AWS-RunShellScript
    parameters:
      commands: ["systemctl restart nginx"]
    targets:
      - key: tag:role
        values: [web]
    max_concurrency: 10%
    max_errors: "2"
    timeout_seconds: 600

- name: PowerShell on Windows nodes, sent again every day (a new key each day), failures reported but not failing
  hybridops.ssm.ssm_command:
    state: present
    document_name: AWS-RunPowerShellScript
    parameters:
      commands: ["Get-Service W32Time | Select-Object Status"]
    instance_ids: "{{ windows_node_ids }}"
    idempotency_key: "w32time-{{ now(utc=true).strftime('%Y-%m-%d') }}"
    wait: true
    fail_on_failed: false

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
    - With O(state=cancelled) and without O(command_id), the unfinished commands found on O(instance_ids), in snake_case,
      with the same keys as RV(command).
    - With O(state=present), the commands this task sent (one per batch of 50 nodes, or one by O(targets)), as last
      read, with the same keys; empty when nothing was sent (and in check mode).
  returned: with O(state=present), or when O(command_id) is not given
  type: list
  elements: dict
earlier_commands:
  description:
    - With O(state=present), the commands with the same idempotency key found inside O(idempotency_window), newest first,
      with the same keys as RV(command).
  returned: with O(state=present)
  type: list
  elements: dict
idempotency_key:
  description: With O(state=present), the key the command is marked with (O(idempotency_key), or the derived one).
  returned: with O(state=present)
  type: str
  sample: 3f1c2a9b0d4e5f60
sent_comment:
  description: With O(state=present), the C(Comment) sent (or that would be sent), marker included.
  returned: with O(state=present)
  type: str
  sample: weekly disk report hybridops:3f1c2a9b0d4e5f60
calls:
  description: With O(state=present), how many SendCommand calls the task made (in check mode, would make).
  returned: with O(state=present)
  type: int
  sample: 3
not_listed:
  description:
    - With O(state=present), the IDs of commands sent that ListCommands did not list yet when the task returned; a rerun
      within seconds may not find them and send again.
  returned: with O(state=present)
  type: list
  elements: str
outcomes:
  description:
    - One entry per targeted node (per command and node without O(command_id)).
    - Without O(command_id), a node with no command in flight gets one entry with outcome V(none_in_flight).
    - With O(state=present), one entry per node, those of O(instance_ids), or with O(targets) those SSM sent the command to.
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
      description: With O(state=cancelled), the invocation's status when the task started.
      type: str
      sample: InProgress
      returned: with O(state=cancelled)
    status:
      description: The invocation's status now (final with O(wait=true); predicted in check mode).
      type: str
      sample: Cancelled
    cancel_sent:
      description: With O(state=cancelled), whether this task sent (in check mode, would send) a CancelCommand for this node.
      type: bool
      returned: with O(state=cancelled)
    sent:
      description: With O(state=present), whether this task sent (in check mode, would send) the command to this node.
      type: bool
      returned: with O(state=present)
    status_details:
      description: SSM's detailed status of the invocation (V(DeliveryTimedOut), V(ExecutionTimedOut), ...).
      type: str
      returned: with O(state=present) and O(wait=true), for a finished invocation
      sample: Failed
    response_code:
      description: The exit code of the document's plugin (-1 when it did not run or was killed at its timeout).
      type: int
      returned: with O(state=present) and O(wait=true), for a finished invocation
      sample: 3
    stdout:
      description: The first 24,000 characters of standard output, as GetCommandInvocation returns them.
      type: str
      returned: with O(state=present) and O(wait=true), for a finished invocation
    stderr:
      description: Standard error as GetCommandInvocation returns it (botocore's model documents the first 8,000 characters).
      type: str
      returned: with O(state=present) and O(wait=true), for a finished invocation
    ping_status:
      description:
        - The node's ping status when the task stopped waiting for it because it is not V(Online)
          (V(ConnectionLost), V(Inactive)); null when the node is not registered.
      type: str
      returned: with O(wait=true), when the task did not wait for the node; with outcome V(skipped_offline)
      sample: ConnectionLost
    outcome:
      description:
        - V(cancelled) the invocation ended Cancelled.
        - V(cancel_requested) the cancel was asked (by this task or earlier) and has not finished yet.
        - V(already_terminal) it had finished before the task; nothing was sent.
        - V(completed_before_cancel) it was in flight, but finished (Success, Failed, TimedOut) before the cancel landed.
        - V(none_in_flight) the node has no command to cancel.
        - V(failed) the CancelCommand for this node failed.
        - V(not_attempted) no CancelCommand (SendCommand) was sent for this node, because the O(deadline) passed or the endpoint failed every call.
        - With O(state=present), V(sent) this task sent the command (predicted in check mode) and did not wait for it.
        - V(already_sent) an earlier command with the same idempotency key is still in flight on the node; nothing was sent.
        - V(succeeded) the node's invocation ended V(Success) (this task's, or an earlier one with the same key).
        - V(run_failed) the node's invocation ended V(Failed), V(TimedOut) or V(Cancelled) (see O(fail_on_failed)).
        - V(skipped_offline) the node is not V(Online) or not registered and O(skip_offline) left it out.
        - V(offline_pending) sent, but the node is not V(Online); not waited for.
        - V(failed) its SendCommand batch failed (RV(outcomes[].error_code), RV(outcomes[].msg)).
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
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.command_send import derived_key
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.command_send import describe_run_failures
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.command_send import ensure_sent
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.command_send import marked_comment
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.command_send import run_failures
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import COMMAND_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import COMMAND_INSTANCE_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import COMMENT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import DOCUMENT_NAME
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import DOCUMENT_VERSION
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import EXECUTION_TIMEOUT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import EXECUTION_TIMEOUT_PARAMETER
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import IDEMPOTENCY_KEY
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import IDEMPOTENCY_WINDOW
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import MAX_CONCURRENCY
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import MAX_ERRORS
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import POLL_SECONDS
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import TIMEOUT_SECONDS
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import WAIT_SECONDS
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_list
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_parameters
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_range
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_string
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_targets
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import CANCELLED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import OUTCOME
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import PRESENT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import SKIPPED_OFFLINE
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import failed_outcomes
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import failure_summary
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import shown_ids
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import success_summary
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import check_deadline
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import run_task
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.timeparse import parse_duration

DEFAULT_WAIT_TIMEOUT = 300
DEFAULT_POLL_INTERVAL = 5.0
POLL_INTERVAL_RANGE = POLL_SECONDS
DEFAULT_IDEMPOTENCY_WINDOW = "1d"

# The options of one state only: given with the other, they are refused rather than ignored.
PRESENT_ONLY = (
    "document_name",
    "document_version",
    "parameters",
    "targets",
    "timeout_seconds",
    "execution_timeout",
    "max_concurrency",
    "max_errors",
    "comment",
    "idempotency_key",
    "idempotency_window",
    "skip_offline",
    "fail_on_failed",
)
CANCELLED_ONLY = ("command_id",)


def refuse_other_state(params):
    """Options of the other state are refused, naming them (none has a default, so given means set)."""
    state = params["state"]
    others = CANCELLED_ONLY if state == PRESENT else PRESENT_ONLY
    given = [name for name in others if params[name] is not None]
    if state == PRESENT and params["fail_on_completed"]:
        given.append("fail_on_completed")
    if given:
        raise SSMValidationError(
            f"{given[0]}: only applies with state={'cancelled' if state == PRESENT else 'present'}, not with state={state}"
            f" (given: {', '.join(f'{name}={params[name]!r}' for name in given)}).",
            parameter=given[0],
            value=params[given[0]],
        )


def check_wait(params):
    """wait_timeout and poll_interval (only with wait=true); returns (wait_timeout, poll_interval)."""
    if not params["wait"]:
        given = [name for name in ("wait_timeout", "poll_interval") if params[name] is not None]
        if given:
            values = ", ".join(f"{name}={params[name]!r}" for name in given)
            raise SSMValidationError(
                f"{' and '.join(given)}: only apply with wait=true, not without it (given: {values});"
                " without wait the task returns as soon as SSM accepted the request.",
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


def validate(params):
    """Every check on the options, before any request; returns (wait_timeout, poll_interval)."""
    refuse_other_state(params)
    if params["command_id"] is not None:
        check_string("command_id", params["command_id"], COMMAND_ID)
    if params["instance_ids"] is not None:
        params["instance_ids"] = check_list("instance_ids", params["instance_ids"], COMMAND_INSTANCE_ID)
    check_deadline(params["deadline"])
    return check_wait(params)


def send_request(params):
    """Check every option of state=present (before any request): (SendCommand request without nodes, key, window, targets)."""
    check_string("document_name", params["document_name"], DOCUMENT_NAME)
    if params["document_version"] is not None:
        check_string("document_version", params["document_version"], DOCUMENT_VERSION)
    parameters = check_parameters("parameters", params["parameters"])
    if params["execution_timeout"] is not None:
        if EXECUTION_TIMEOUT_PARAMETER in parameters:
            raise SSMValidationError(
                f"execution_timeout: {params['execution_timeout']!r} and parameters.{EXECUTION_TIMEOUT_PARAMETER}"
                f" {parameters[EXECUTION_TIMEOUT_PARAMETER]!r} both set the document's {EXECUTION_TIMEOUT_PARAMETER}; give one of them.",
                parameter="execution_timeout",
                value=params["execution_timeout"],
            )
        parameters[EXECUTION_TIMEOUT_PARAMETER] = [str(check_range("execution_timeout", params["execution_timeout"], EXECUTION_TIMEOUT))]
    targets = None
    if params["targets"] is not None:
        targets = check_targets("targets", params["targets"])
    request = {"DocumentName": params["document_name"]}
    if params["document_version"] is not None:
        request["DocumentVersion"] = params["document_version"]
    if parameters:
        request["Parameters"] = parameters
    if params["timeout_seconds"] is not None:
        request["TimeoutSeconds"] = check_range("timeout_seconds", params["timeout_seconds"], TIMEOUT_SECONDS)
    for name, key, rule in (("max_concurrency", "MaxConcurrency", MAX_CONCURRENCY), ("max_errors", "MaxErrors", MAX_ERRORS)):
        if params[name] is not None:
            request[key] = check_string(name, str(params[name]), rule)
    if params["idempotency_key"] is not None:
        key = check_string("idempotency_key", params["idempotency_key"], IDEMPOTENCY_KEY)
    else:
        key = derived_key(params["document_name"], params["document_version"], parameters, targets)
    comment = marked_comment(params["comment"], key)
    if len(comment) > COMMENT.max_len:
        raise SSMValidationError(
            f"comment: {params['comment']!r} is {len(params['comment'])} characters; with the idempotency marker"
            f" ' hybridops:{key}' the Comment would be {len(comment)}, and SSM takes at most {COMMENT.max_len}:"
            f" shorten it to {COMMENT.max_len - len(comment) + len(params['comment'])} characters or fewer (or give a shorter idempotency_key).",
            parameter="comment",
            value=params["comment"],
        )
    request["Comment"] = comment
    window = parse_duration("idempotency_window", params["idempotency_window"] or DEFAULT_IDEMPOTENCY_WINDOW, IDEMPOTENCY_WINDOW)
    return request, key, window, targets


def run_present(module, wait_timeout, poll_interval):
    params = module.params
    request, key, window, targets = send_request(params)
    if params["instance_ids"] == []:
        module.exit_json(
            changed=False,
            commands=[],
            earlier_commands=[],
            outcomes=[],
            timed_out=[],
            idempotency_key=key,
            sent_comment=request["Comment"],
            calls=0,
            not_listed=[],
            msg=success_summary([], "node", module.check_mode),
        )
    client = ssm_client(module)
    start_task(deadline=params["deadline"])
    skip_offline = params["skip_offline"] is not False
    changed, result = ensure_sent(
        client,
        request,
        key,
        params["instance_ids"] or [],
        targets,
        window,
        module.check_mode,
        skip_offline=skip_offline,
        wait=params["wait"],
        wait_timeout=wait_timeout,
        poll_interval=poll_interval,
    )
    diff = result.pop("diff")
    by_targets = result.pop("by_targets")
    nodes_to_send = result.pop("nodes_to_send")
    output = {"changed": changed, "idempotency_key": key, "sent_comment": request["Comment"], **result}
    if module._diff:
        output["diff"] = diff
    outcomes = result["outcomes"]
    if module.check_mode:
        where = f"the nodes of targets {targets!r}" if by_targets else f"{nodes_to_send} node(s)"
        head = f"would send {request['DocumentName']} to {where} in {result['calls']} SendCommand call(s)" if result["calls"] else "would send nothing"
    else:
        head = f"sent {request['DocumentName']} in {result['calls']} SendCommand call(s)" if result["calls"] else "sent nothing"
    summary = f"{head}; {success_summary(outcomes, 'node', module.check_mode)}"
    skipped = [o["instance_id"] for o in outcomes if o[OUTCOME] == SKIPPED_OFFLINE]
    if skipped:
        warn(f"{len(skipped)} node(s) not Online (or not registered) were left out, nothing was sent to them: {shown_ids(skipped)}")
    if result["not_listed"]:
        warn(f"ListCommands did not list {', '.join(result['not_listed'])} yet: a rerun within seconds may not find it and send again")
    failures = []
    if failed_outcomes(outcomes):
        failures.append(failure_summary(outcomes, "instance_id", "node"))
    if result["timed_out"]:
        failures.append(f"wait_timeout: {len(result['timed_out'])} node(s) had not finished after {wait_timeout}s: {describe_nodes(result['timed_out'])}")
    ran_failed = run_failures(outcomes)
    if ran_failed:
        text = f"{len(ran_failed)} node(s) ran the command without success: {describe_run_failures(ran_failed)}"
        if params["fail_on_failed"] is False:
            warn(text)
        else:
            failures.append(f"fail_on_failed: {text}")
    if failures:
        module.fail_json(msg="; ".join(failures), **output)
    module.exit_json(msg=summary, **output)


def run(module):
    params = module.params
    wait_timeout, poll_interval = validate(params)
    if params["state"] == PRESENT:
        run_present(module, wait_timeout, poll_interval)
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
        state=dict(type="str", choices=[CANCELLED, PRESENT], default=CANCELLED),
        command_id=dict(type="str"),
        instance_ids=dict(type="list", elements="str", aliases=["instance_id"]),
        document_name=dict(type="str"),
        document_version=dict(type="str"),
        parameters=dict(type="dict"),
        targets=dict(
            type="list",
            elements="dict",
            options=dict(key=dict(type="str", required=True, no_log=False), values=dict(type="list", elements="str", required=True)),
        ),
        timeout_seconds=dict(type="int"),
        execution_timeout=dict(type="int"),
        max_concurrency=dict(type="str"),
        max_errors=dict(type="str"),
        comment=dict(type="str"),
        idempotency_key=dict(type="str", no_log=False),
        idempotency_window=dict(type="str"),
        skip_offline=dict(type="bool"),
        fail_on_failed=dict(type="bool"),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int"),
        poll_interval=dict(type="float"),
        fail_on_completed=dict(type="bool", default=False),
    )
    run_task(
        argument_spec,
        run,
        required_if=[
            ("state", CANCELLED, ("command_id", "instance_ids"), True),
            ("state", PRESENT, ("document_name",)),
            ("state", PRESENT, ("instance_ids", "targets"), True),
        ],
        mutually_exclusive=[("instance_ids", "targets")],
    )


if __name__ == "__main__":
    main()
