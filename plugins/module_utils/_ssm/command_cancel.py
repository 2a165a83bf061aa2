# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Cancelling Run Commands: one command (by ID), or every in-flight command of some nodes.

Everything is read first (the command and its invocations); a CancelCommand is
sent only for nodes whose invocation is still in flight (Pending, InProgress,
Delayed), at most 50 nodes per call. An invocation that is already Cancelling
was asked to cancel before: it gets no new CancelCommand. CancelCommand is
asynchronous and not guaranteed (AWS API reference, CancelCommand): the invocations are read again
after the cancel, so a node whose script finished before the cancel landed is
reported as ``completed_before_cancel``, never hidden.
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict

from .commands import cancel_command
from .commands import list_command_invocations
from .commands import list_commands
from .constraints import CANCEL_INSTANCE_IDS_MAX
from .constraints import COMMAND_INSTANCE_ID
from .constraints import IN_FLIGHT_COMMAND_STATUSES
from .constraints import TERMINAL_COMMAND_STATUSES
from .errors import AnsibleSSMError
from .instances import describe_instances_by_id
from .outcomes import ALREADY_TERMINAL
from .outcomes import CANCEL_REQUESTED
from .outcomes import CANCELLED
from .outcomes import COMPLETED_BEFORE_CANCEL
from .outcomes import MSG
from .outcomes import NONE_IN_FLIGHT
from .outcomes import OUTCOME
from .outcomes import failure_record
from .outcomes import shown_ids

CANCELLING = "Cancelling"
ONLINE = "Online"


def command_to_ansible(command):
    """A command in snake_case; the document's own parameter names are kept as they are."""
    return boto3_resource_to_ansible_dict(command, force_tags=False, ignore_list=["Parameters"])


def node_statuses(command, invocations):
    """{instance_id: status} of every node of ``command``, in target order.

    A node named in the command's InstanceIds without an invocation yet (the
    command has not been delivered) counts as Pending while the command is
    not finished.
    """
    statuses = {inv["InstanceId"]: inv["Status"] for inv in invocations}
    if command.get("Status") not in TERMINAL_COMMAND_STATUSES:
        for instance_id in command.get("InstanceIds") or []:
            statuses.setdefault(instance_id, "Pending")
    return statuses


def read_command(client, command_id):
    """(command, {instance_id: status}), or (None, {}) for an unknown command ID."""
    found = list_commands(client, command_id=command_id)
    if not found:
        return None, {}
    return found[0], node_statuses(found[0], list_command_invocations(client, command_id=command_id))


# SSM lists a command, and its invocations, only a moment after SendCommand
# returned (ListCommandInvocations is eventually consistent: aws-cli#3546,
# aws/aws-sdk#190). A command ID that is not listed yet is read again for up
# to this many seconds before it is called unknown, every half second: the lag is
# about a second ("if I sleep for a second it works"), so a coarser poll mostly
# waits after the command is already listed (a poll of 1 s found a command
# listed after 1.5 s only at 2 s), and a ListCommands of one command ID is cheap.
COMMAND_VISIBILITY_WAIT = 6.0
COMMAND_VISIBILITY_POLL = 0.5


def read_command_eventually(client, command_id, settle=COMMAND_VISIBILITY_WAIT, clock=time.monotonic, sleep=time.sleep):
    """read_command, read again for up to ``settle`` seconds while the command is not listed."""
    deadline = clock() + settle
    while True:
        command, statuses = read_command(client, command_id)
        if command is not None or clock() >= deadline:
            return command, statuses
        sleep(min(COMMAND_VISIBILITY_POLL, max(0.0, deadline - clock())))


def unknown_command_error(command_id, region):
    return AnsibleSSMError(
        message=(
            f"command_id: no command {command_id!r} in region {region or '(default)'} (read again for {COMMAND_VISIBILITY_WAIT:g}s in case it was"
            " just sent); nothing was cancelled"
        ),
        code="InvalidCommandId",
    )


def not_targeted_error(command_id, unknown, statuses):
    sample = shown_ids(statuses)
    return AnsibleSSMError(
        message=(
            f"instance_ids: command {command_id} was never sent to {', '.join(unknown)}; it targeted {len(statuses)} node(s)"
            f"{': ' + sample if statuses else ''}. Leave these IDs out, or check the command ID. Nothing was cancelled."
        ),
        code="NotTargeted",
    )


def chunks(items, size=CANCEL_INSTANCE_IDS_MAX):
    return [items[i : i + size] for i in range(0, len(items), size)]


def send_cancels(client, command_id, node_ids, whole_command):
    """Send CancelCommand: once without InstanceIds for ``whole_command``, else one call per 50 nodes.

    Returns {instance_id: AnsibleSSMError} for the nodes whose call failed;
    one failed chunk never stops the next.
    """
    errors = {}
    batches = [None] if whole_command else chunks(node_ids)
    for batch in batches:
        try:
            if not cancel_command(client, command_id, batch):
                raise AnsibleSSMError(message=f"cancel command {command_id}", code="InvalidCommandId")
        except AnsibleSSMError as error:
            errors.update({instance_id: error for instance_id in (batch or node_ids)})
    return errors


def plan(statuses, targets):
    """The nodes among ``targets`` that need a CancelCommand: those still in flight."""
    return [i for i in targets if statuses.get(i) in IN_FLIGHT_COMMAND_STATUSES]


def unreachable_note(ping_status):
    """Why the task did not wait for a node, in a sentence."""
    state = f"is {ping_status}" if ping_status else "is not registered (any more)"
    return (
        f"the node {state}: a cancel travels through the node's SSM agent, which cannot acknowledge it now, so this task"
        " did not wait for it; SSM ends the invocation when the agent reconnects, or when the command's own timeout passes"
    )


def outcome_record(command_id, instance_id, before, after, sent, error=None, unreachable=False, ping_status=None):
    """One node's outcome; ``after`` is its status now (predicted in check mode).

    ``unreachable``: the task stopped waiting for this node because it is
    not Online (``ping_status``, None when it is not registered).
    """
    if error is not None:
        record = failure_record(instance_id, error)
        record.update(command_id=command_id, status_before=before, status=after, cancel_sent=False)
        return record
    if before in TERMINAL_COMMAND_STATUSES:
        outcome = ALREADY_TERMINAL
    elif after == "Cancelled":
        outcome = CANCELLED
    elif after in TERMINAL_COMMAND_STATUSES:
        outcome = COMPLETED_BEFORE_CANCEL
    else:
        outcome = CANCEL_REQUESTED
    record = {"instance_id": instance_id, "command_id": command_id, "status_before": before, "status": after, OUTCOME: outcome, "cancel_sent": sent}
    if unreachable and outcome == CANCEL_REQUESTED:
        record.update({"ping_status": ping_status, MSG: unreachable_note(ping_status)})
    return record


class CancelJob:
    """One command, the nodes of it this run is about, and what happened to them."""

    def __init__(self, command, statuses, targets, whole_command):
        self.command = command
        self.command_id = command["CommandId"]
        self.before = dict(statuses)
        self.now = dict(statuses)
        self.targets = list(targets)
        self.whole_command = whole_command
        self.to_cancel = plan(statuses, targets)
        # A command sent by Targets that has not reached any node yet has no invocations to name.
        self.undelivered = whole_command and not self.targets and command.get("Status") in IN_FLIGHT_COMMAND_STATUSES
        self.errors = {}
        # Nodes not waited for because they are not Online: {instance_id: PingStatus or None}.
        self.unreachable = {}

    def needs_cancel(self):
        return bool(self.to_cancel) or self.undelivered

    def run(self, client, check_mode):
        if not self.needs_cancel():
            return
        if self.undelivered:
            if not check_mode:
                cancel_command(client, self.command_id)  # errors propagate: there is no node to pin them on
                self.refresh(client)
            return
        if check_mode:
            self.now.update({i: CANCELLING for i in self.to_cancel})
            return
        self.errors = send_cancels(client, self.command_id, self.to_cancel, self.whole_command)
        self.refresh(client)

    def refresh(self, client):
        command, statuses = read_command(client, self.command_id)
        # The command's status is read before its invocations; when the last node finished in between, the
        # command still shows the step before. Read the command once more, so that it agrees with its nodes.
        if command is not None and command.get("Status") not in TERMINAL_COMMAND_STATUSES and statuses:
            if all(status in TERMINAL_COMMAND_STATUSES for status in statuses.values()):
                command = (list_commands(client, command_id=self.command_id) or [command])[0]
        if command is not None:
            self.command = command
            self.now.update(statuses)

    def unfinished(self):
        """Targeted nodes not terminal yet that the task still waits for."""
        return [i for i in self.targets if i not in self.errors and i not in self.unreachable and self.now.get(i) not in TERMINAL_COMMAND_STATUSES]

    def outcomes(self):
        sent = set(self.to_cancel) - set(self.errors)
        return [
            outcome_record(
                self.command_id,
                i,
                self.before.get(i),
                self.now.get(i),
                i in sent,
                self.errors.get(i),
                unreachable=i in self.unreachable,
                ping_status=self.unreachable.get(i),
            )
            for i in self.targets
        ]

    def diff(self):
        return {"before": {i: self.before.get(i) for i in self.targets}, "after": {i: self.now.get(i) for i in self.targets}}


def set_aside_unreachable(client, jobs):
    """Stop waiting for the unfinished nodes that are not Online (one describe per 50 nodes).

    An invocation on a node whose agent is offline does not move until the
    agent returns or the command's timeout passes, hours by default (AWS user
    guide, "Understanding command statuses"): waiting for it would only spend
    the whole wait_timeout. A node whose describe SSM rejects is waited for.
    """
    waiting = list(dict.fromkeys(i for job in jobs for i in job.unfinished()))
    if not waiting:
        return
    listed, unreadable = describe_instances_by_id(client, waiting, id_rule=COMMAND_INSTANCE_ID)
    for job in jobs:
        for instance_id in job.unfinished():
            node = listed.get(instance_id)
            if instance_id not in unreadable and (node is None or node.get("PingStatus") != ONLINE):
                job.unreachable[instance_id] = node.get("PingStatus") if node else None


def wait_until_terminal(client, jobs, wait_timeout, poll_interval, clock=time.monotonic, sleep=time.sleep):
    """Poll ListCommandInvocations until every targeted node is terminal or not Online; return the still-unfinished nodes.

    The nodes' ping status is read before each wait, so a node that is
    offline, or goes offline while waited on, is set aside at once.
    """
    deadline = clock() + wait_timeout
    while True:
        set_aside_unreachable(client, jobs)
        pending = [job for job in jobs if job.unfinished()]
        if not pending or clock() >= deadline:
            break
        sleep(min(poll_interval, max(0.0, deadline - clock())))
        for job in pending:
            job.refresh(client)
    return [{"command_id": job.command_id, "instance_id": i, "status": job.now.get(i)} for job in jobs for i in job.unfinished()]


def _finish(client, jobs, check_mode, wait, wait_timeout, poll_interval):
    for job in jobs:
        job.run(client, check_mode)
    timed_out = []
    if wait and not check_mode:
        timed_out = wait_until_terminal(client, jobs, wait_timeout, poll_interval)
    changed = any(job.undelivered or set(job.to_cancel) - set(job.errors) for job in jobs)
    diff = {"before": {}, "after": {}}
    for job in jobs:
        job_diff = job.diff()
        diff["before"][job.command_id] = job_diff["before"]
        diff["after"][job.command_id] = job_diff["after"]
    return changed, [o for job in jobs for o in job.outcomes()], timed_out, diff


def ensure_cancelled(
    client, command_id, instance_ids, check_mode, wait=False, wait_timeout=300, poll_interval=5, region=None, visibility_wait=COMMAND_VISIBILITY_WAIT
):
    """Cancel one command, on ``instance_ids`` or (None) on every node it targeted.

    Returns (changed, result) with ``command`` (snake_case, as last read),
    ``outcomes`` (one per targeted node), ``timed_out`` and ``diff``. Raises
    before any mutating call for an unknown command or a node the command
    never targeted.
    """
    command, statuses = read_command_eventually(client, command_id, settle=visibility_wait)
    if command is None:
        raise unknown_command_error(command_id, region)
    if instance_ids:
        unknown = [i for i in instance_ids if i not in statuses]
        if unknown:
            raise not_targeted_error(command_id, unknown, statuses)
    job = CancelJob(command, statuses, instance_ids or list(statuses), whole_command=not instance_ids)
    changed, outcomes, timed_out, diff = _finish(client, [job], check_mode, wait, wait_timeout, poll_interval)
    return changed, {"command": command_to_ansible(job.command), "outcomes": outcomes, "timed_out": timed_out, "diff": diff}


def find_in_flight(client, instance_ids):
    """Every command not yet finished that targets one of ``instance_ids``: [(command, statuses, [our nodes])].

    ListCommands refuses InstanceId together with Status=Pending (a pending
    command has not reached the node), and with InstanceId alone AWS may not
    list a command that has not been delivered yet. So: one ListCommands with
    ExecutionStage=Executing and no InstanceId (every unfinished command in the
    region: Pending, InProgress, Cancelling), then for each one that may target
    our nodes, its invocations. A command sent by InstanceIds names its nodes
    itself and is skipped when none of ours is among them; a command sent by
    Targets (tags) has its invocations read to see where it runs.
    """
    wanted = set(instance_ids)
    found = []
    for command in list_commands(client, filters=[{"key": "ExecutionStage", "value": "Executing"}]):
        named = set(command.get("InstanceIds") or [])
        if named and not command.get("Targets") and not named & wanted:
            continue
        statuses = node_statuses(command, list_command_invocations(client, command_id=command["CommandId"]))
        ours = [i for i in instance_ids if statuses.get(i) in IN_FLIGHT_COMMAND_STATUSES or statuses.get(i) == CANCELLING]
        if ours:
            found.append((command, statuses, ours))
    return found


def ensure_node_commands_cancelled(client, instance_ids, check_mode, wait=False, wait_timeout=300, poll_interval=5):
    """Cancel every in-flight command on ``instance_ids`` (what a decommission needs before the agent stops).

    Returns (changed, result) with ``commands`` (snake_case), ``outcomes``
    (one per command and node, plus ``none_in_flight`` for a node with
    nothing to cancel), ``timed_out`` and ``diff``.
    """
    jobs = [CancelJob(command, statuses, ours, whole_command=False) for command, statuses, ours in find_in_flight(client, instance_ids)]
    changed, outcomes, timed_out, diff = _finish(client, jobs, check_mode, wait, wait_timeout, poll_interval)
    busy = {o["instance_id"] for o in outcomes}
    outcomes.extend(
        {"instance_id": i, "command_id": None, "status_before": None, "status": None, OUTCOME: NONE_IN_FLIGHT, "cancel_sent": False}
        for i in instance_ids
        if i not in busy
    )
    return changed, {"commands": [command_to_ansible(job.command) for job in jobs], "outcomes": outcomes, "timed_out": timed_out, "diff": diff}


def completed_before_cancel(outcomes):
    return [o for o in outcomes if o[OUTCOME] == COMPLETED_BEFORE_CANCEL]


def describe_nodes(records):
    """The first nodes (outcomes.shown_ids) with their status and command, for a message."""
    return shown_ids(f"{r['instance_id']} {r.get('status')} (command {r.get('command_id')})" for r in records)
