# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Sending Run Commands idempotently, in batches of 50 nodes, with an optional wait for every node's result.

SendCommand has no idempotency token, so the task marks what it sends: its Comment ends with
``hybridops:<key>``, the key given by the user or derived from the document, its version, its parameters
and (when sent by tag) the targets. Before sending, the commands of the same document sent inside the
idempotency window (ListCommands, DocumentName and InvokedAfter filters, every page) are read and those whose
Comment carries the marker as a whole word are kept; their invocations (ListCommandInvocations, one listing
per command) say, per node, what an earlier run left:

* in flight (Pending, InProgress, Delayed, Cancelling) or Success: the node is covered; nothing is sent;
* Failed, TimedOut, Cancelled (and any other end): the node gets the command again;
* no invocation: the node was never sent the command; it gets it.

Nodes the task sends to go out by InstanceIds, at most 50 per SendCommand. A command sent by Targets (tags)
is sent once as such; a rerun sends again only to the nodes whose earlier invocation ended without success,
by InstanceIds (a node that got the tag since then is not covered until the window passes).

Limits, also in the module's documentation: someone who edits nothing can still defeat the marker by sending
with the same comment by hand; two runs at the same moment can both send (there is no lock); SSM lists a new
command only a moment after SendCommand returned (ListCommands is eventually consistent), so after sending,
the task reads the command back (up to command_cancel.COMMAND_VISIBILITY_WAIT seconds) before it returns, and
a rerun after the task ended sees it.
"""

import datetime
import hashlib
import json
import time

from .bulk import run_per_item
from .command_cancel import COMMAND_VISIBILITY_WAIT
from .command_cancel import chunks
from .command_cancel import command_to_ansible
from .command_cancel import node_statuses
from .command_cancel import read_command
from .command_cancel import read_command_eventually
from .command_cancel import wait_until_terminal
from .commands import get_command_invocation
from .commands import list_command_invocations
from .commands import list_commands
from .commands import send_command
from .constraints import COMMAND_INSTANCE_ID
from .constraints import IDEMPOTENCY_MARKER_PREFIX
from .constraints import IN_FLIGHT_COMMAND_STATUSES
from .constraints import SEND_INSTANCE_IDS_MAX
from .constraints import TERMINAL_COMMAND_STATUSES
from .errors import AnsibleSSMError
from .instances import describe_instances_by_id
from .outcomes import ALREADY_SENT
from .outcomes import MSG
from .outcomes import OFFLINE_PENDING
from .outcomes import OUTCOME
from .outcomes import RUN_FAILED
from .outcomes import SENT
from .outcomes import SKIPPED_OFFLINE
from .outcomes import SUCCEEDED
from .outcomes import failure_record
from .served import Attempts
from .served import count_unanswered

ONLINE = "Online"
SUCCESS = "Success"
# An earlier invocation in one of these statuses covers its node: nothing is sent to it again.
COVERING_STATUSES = frozenset(IN_FLIGHT_COMMAND_STATUSES | {"Cancelling", SUCCESS})
DERIVED_KEY_LENGTH = 16


def derived_key(document_name, document_version, parameters, targets=None):
    """The idempotency key of a task that names none: a hash of what it runs (and of its tag targets).

    The node IDs are not part of it, so that adding a node to instance_ids sends to that node only.
    """
    canonical = json.dumps(
        {"document": document_name, "version": document_version or "$DEFAULT", "parameters": parameters, "targets": targets or None},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:DERIVED_KEY_LENGTH]


def marker(key):
    return IDEMPOTENCY_MARKER_PREFIX + key


def marked_comment(comment, key):
    """The Comment sent: the user's comment (if any), a space, the marker."""
    return f"{comment} {marker(key)}" if comment else marker(key)


def carries_marker(comment, key):
    """True when ``comment`` holds the marker of ``key`` as a whole word (so key 'a' never matches 'ab')."""
    return marker(key) in (comment or "").split()


def calls_needed(node_count):
    """SendCommand calls for ``node_count`` nodes sent by InstanceIds: ceil(n / 50)."""
    return -(-node_count // SEND_INSTANCE_IDS_MAX)


def earlier_commands(client, document_name, key, window_seconds, now=None):
    """The commands of ``document_name`` sent inside the window whose Comment carries the marker, newest first."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    since = now - datetime.timedelta(seconds=window_seconds)
    filters = [{"key": "DocumentName", "value": document_name}, {"key": "InvokedAfter", "value": since.strftime("%Y-%m-%dT%H:%M:%SZ")}]
    return [c for c in list_commands(client, filters=filters) if carries_marker(c.get("Comment"), key)]


def node_history(client, commands):
    """{instance_id: [(command_id, status), ...]} over ``commands`` (newest first), one invocation listing per command."""
    history = {}
    for command in commands:
        statuses = node_statuses(command, list_command_invocations(client, command_id=command["CommandId"]))
        for instance_id, status in statuses.items():
            history.setdefault(instance_id, []).append((command["CommandId"], status))
    return history


def covering(history):
    """The newest (command_id, status) that covers a node, or None."""
    return next((entry for entry in history if entry[1] in COVERING_STATUSES), None)


class SendPlan:
    """What to send where, from the request, the earlier marked commands and the nodes' ping status."""

    def __init__(self, instance_ids, targets, history, earlier_found):
        self.targets = targets
        self.history = history
        self.covered = {}
        self.skipped = {}
        if targets and not earlier_found:
            self.by_targets = True
            self.nodes = []
            self.to_send = []
            return
        self.by_targets = False
        # With targets and earlier commands: the nodes those commands reached; with instance_ids: those.
        self.nodes = list(instance_ids) if not targets else list(history)
        for instance_id in self.nodes:
            found = covering(history.get(instance_id, []))
            if found:
                self.covered[instance_id] = found
        self.to_send = [i for i in self.nodes if i not in self.covered]

    def skip_offline(self, client):
        """Leave out the nodes to send to that are not Online or not registered (one describe per 50 nodes)."""
        if not self.to_send:
            return
        listed, unreadable = describe_instances_by_id(client, self.to_send, id_rule=COMMAND_INSTANCE_ID)
        for instance_id in self.to_send:
            node = listed.get(instance_id)
            if instance_id not in unreadable and (node is None or node.get("PingStatus") != ONLINE):
                self.skipped[instance_id] = node.get("PingStatus") if node else None
        self.to_send = [i for i in self.to_send if i not in self.skipped]

    def calls(self):
        return 1 if self.by_targets else calls_needed(len(self.to_send))

    def sends(self):
        return self.by_targets or bool(self.to_send)


def send_batches(client, request, plan):
    """SendCommand once by Targets, or once per 50 nodes: ([command, ...], {instance_id: AnsibleSSMError}).

    A failed batch never stops the next. When SSM may have served a failed call although its answer was lost,
    the error says so: the next run's marker check finds such a command.
    """
    count_unanswered(client)
    sent, errors = [], {}
    batches = [None] if plan.by_targets else chunks(plan.to_send, SEND_INSTANCE_IDS_MAX)
    for batch in batches:
        one = dict(request)
        if batch is None:
            one["Targets"] = plan.targets
        else:
            one["InstanceIds"] = batch
        attempts = Attempts()
        try:
            sent.append((send_command(client, one, attempts), batch))
        except AnsibleSSMError as error:
            if attempts.unanswered:
                error = AnsibleSSMError(
                    message=(
                        f"{error.message}; SSM may have received the command although no answer came back: it was not sent again,"
                        " and the next run finds it by its idempotency marker"
                    ),
                    code=error.code,
                )
            if batch is None:
                raise error
            errors.update({instance_id: error for instance_id in batch})
    return sent, errors


class Watch:
    """One command's invocations on the nodes this task reports, as command_cancel.wait_until_terminal polls them."""

    def __init__(self, command, statuses, targets, by_targets=False):
        self.command = command
        self.command_id = command["CommandId"]
        self.now = dict(statuses)
        self.by_targets = by_targets
        self.targets = list(statuses) if by_targets else list(targets)
        self.errors = {}
        self.unreachable = {}

    def refresh(self, client):
        command, statuses = read_command(client, self.command_id)
        if command is not None:
            self.command = command
            self.now.update(statuses)
            if self.by_targets:
                self.targets = list(self.now)

    def unfinished(self):
        return [i for i in self.targets if i not in self.unreachable and self.now.get(i) not in TERMINAL_COMMAND_STATUSES]


def invocation_output(answer):
    """The part of a GetCommandInvocation answer an outcome carries (SSM truncates the output)."""
    if not answer:
        return {}
    return {
        "status": answer.get("Status"),
        "status_details": answer.get("StatusDetails"),
        "response_code": answer.get("ResponseCode"),
        "stdout": answer.get("StandardOutputContent", ""),
        "stderr": answer.get("StandardErrorContent", ""),
    }


def read_outputs(client, pairs):
    """{(command_id, instance_id): output} for finished invocations, GetCommandInvocation each (bounded concurrency)."""
    results = run_per_item(pairs, lambda pair: get_command_invocation(client, pair[0], pair[1]))
    return {pair: invocation_output(result) for pair, (result, error) in results.items() if error is None}


def read_invocation_outputs(client, command_id, instance_ids):
    """{instance_id: output or None} of one command's invocations, GetCommandInvocation each (bounded concurrency).

    None where SSM has no such invocation (InvocationDoesNotExist); any other error of a node's call is raised,
    naming the node, once every node was read.
    """
    results = run_per_item(instance_ids, lambda instance_id: get_command_invocation(client, command_id, instance_id))
    for instance_id in instance_ids:
        error = results[instance_id][1]
        if error is not None:
            error.message = f"output of command {command_id} on {instance_id}: {error.message}"
            raise error
    return {instance_id: (invocation_output(result) or None) for instance_id, (result, _error) in results.items()}


def node_outcome(instance_id, command_id, status, sent, output=None, ping_status=None, skipped=False, offline=False):
    """One node's outcome entry (see the module's RETURN)."""
    record = {"instance_id": instance_id, "command_id": command_id, "sent": sent, "status": status}
    if output:
        record.update(output)
        status = record["status"]
    if skipped:
        state = f"is {ping_status}" if ping_status else "is not registered (any more)"
        record.update({OUTCOME: SKIPPED_OFFLINE, "ping_status": ping_status, MSG: f"the node {state}: nothing was sent to it; run again once it is Online"})
    elif status == SUCCESS:
        record[OUTCOME] = SUCCEEDED
    elif status in TERMINAL_COMMAND_STATUSES:
        record[OUTCOME] = RUN_FAILED
    elif offline:
        record.update(
            {
                OUTCOME: OFFLINE_PENDING,
                "ping_status": ping_status,
                MSG: "the node is not Online: SSM delivers the command when its agent reconnects, or ends it at timeout_seconds; not waited for",
            }
        )
    else:
        record[OUTCOME] = SENT if sent else ALREADY_SENT
    return record


def ensure_sent(
    client,
    request,
    key,
    instance_ids,
    targets,
    window_seconds,
    check_mode,
    skip_offline=True,
    wait=False,
    wait_timeout=300,
    poll_interval=5,
    visibility_wait=COMMAND_VISIBILITY_WAIT,
    clock=time.monotonic,
    sleep=time.sleep,
):
    """Send ``request`` (SendCommand parameters without InstanceIds/Targets, Comment already marked) where no
    earlier command with ``key`` covers the node; optionally wait for every node's result.

    Returns (changed, result): ``commands`` (sent now), ``earlier_commands``, ``outcomes`` (one per node),
    ``timed_out``, ``calls`` (SendCommand calls made, or predicted in check mode), ``diff``, ``not_listed``
    (commands sent that ListCommands did not list yet when the task returned).
    """
    earlier = earlier_commands(client, request["DocumentName"], key, window_seconds)
    history = node_history(client, earlier)
    plan = SendPlan(instance_ids, targets, history, bool(earlier))
    if skip_offline and not plan.by_targets:
        plan.skip_offline(client)
    diff = {
        "before": {i: (history.get(i) or [(None, None)])[0][1] for i in plan.nodes},
        "after": {i: ("Pending" if i in plan.to_send else (history.get(i) or [(None, None)])[0][1]) for i in plan.nodes},
    }
    if plan.by_targets:
        diff = {"before": {"targets": None}, "after": {"targets": targets, "status": "Pending"}}
    result = {"earlier_commands": [command_to_ansible(c) for c in earlier], "calls": plan.calls() if plan.sends() else 0, "diff": diff, "not_listed": []}

    sent, errors = [], {}
    if plan.sends() and not check_mode:
        sent, errors = send_batches(client, request, plan)

    # What to watch: the commands sent now, and the earlier ones still in flight on covered nodes.
    watches = []
    for command, batch in sent:
        listed, statuses = read_command_eventually(client, command["CommandId"], settle=visibility_wait, clock=clock, sleep=sleep)
        if listed is None:
            result["not_listed"].append(command["CommandId"])
            listed = command
        if batch is not None:
            statuses = {i: statuses.get(i, "Pending") for i in batch}
        watches.append(Watch(listed, statuses, batch, by_targets=batch is None))
    by_command = {}
    for instance_id, (command_id, status) in plan.covered.items():
        by_command.setdefault(command_id, []).append(instance_id)
    earlier_by_id = {c["CommandId"]: c for c in earlier}
    for command_id, nodes in by_command.items():
        statuses = {i: dict(history[i]).get(command_id) for i in nodes}
        watches.append(Watch(earlier_by_id[command_id], statuses, nodes))

    timed_out = []
    outputs = {}
    if wait and not check_mode:
        timed_out = wait_until_terminal(client, watches, wait_timeout, poll_interval, clock=clock, sleep=sleep)
        finished = [(w.command_id, i) for w in watches for i in w.targets if w.now.get(i) in TERMINAL_COMMAND_STATUSES]
        outputs = read_outputs(client, finished)

    outcomes = []
    sent_ids = {w.command_id for w in watches[: len(sent)]}
    for watch in watches:
        for instance_id in watch.targets:
            outcomes.append(
                node_outcome(
                    instance_id,
                    watch.command_id,
                    watch.now.get(instance_id),
                    watch.command_id in sent_ids,
                    output=outputs.get((watch.command_id, instance_id)),
                    ping_status=watch.unreachable.get(instance_id),
                    offline=instance_id in watch.unreachable,
                )
            )
    for instance_id, error in errors.items():
        record = failure_record(instance_id, error)
        record.update(command_id=None, sent=False, status=None)
        outcomes.append(record)
    for instance_id, ping_status in plan.skipped.items():
        outcomes.append(node_outcome(instance_id, None, None, False, ping_status=ping_status, skipped=True))
    if check_mode:
        outcomes.extend(node_outcome(i, None, None, True) for i in plan.to_send)
    order = {i: n for n, i in enumerate(plan.nodes)}
    outcomes.sort(key=lambda o: order.get(o["instance_id"], len(order)))

    changed = bool(sent) or (check_mode and plan.sends())
    result.update(
        commands=[command_to_ansible(w.command) for w in watches[: len(sent)]],
        outcomes=outcomes,
        timed_out=timed_out,
        by_targets=plan.by_targets,
        nodes_to_send=len(plan.to_send),
    )
    return changed, result


def run_failures(outcomes):
    """The nodes whose invocation ended without success (Failed, TimedOut, Cancelled, ...)."""
    return [o for o in outcomes if o[OUTCOME] == RUN_FAILED]


def describe_run_failures(records, limit=20):
    """Each failed node with its status and exit code, for the task's message."""
    parts = [
        f"{r['instance_id']} {r.get('status_details') or r.get('status')} ("
        + (f"exit code {r['response_code']}, " if r.get("response_code") is not None else "")
        + f"command {r.get('command_id')})"
        for r in records
    ]
    return ", ".join(parts[:limit]) + (f", ... ({len(parts) - limit} more, every one in outcomes)" if len(parts) > limit else "")
