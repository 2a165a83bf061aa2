# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The outcome vocabulary: every word a module reports per item, the per-item message key, and the summaries.

Every module reports one outcome entry per item (node, activation, command and node), in its result's
``outcomes`` (``activations`` for ssm_activation). The names here are the documented RETURN values;
a module, a module_utils file or a role compares against these constants, never against a literal.
"""

from collections import Counter

from .budget import NotAttempted

# The key of an item's outcome, and of its message: what went wrong and what to do (or a note).
OUTCOME = "outcome"
MSG = "msg"
# ssm_activation's per-activation failures also carry their message under ``error``, the key they used
# before ``msg`` was chosen for every module; documented as a deprecated alias of ``msg``.
ERROR_ALIAS = "error"

# The desired states the modules take (their ``state`` option).
PRESENT = "present"
ABSENT = "absent"

# Any item.
FAILED = "failed"  # its call failed; error_code and msg say why
NOT_ATTEMPTED = "not_attempted"  # nothing was sent for it: the task's deadline passed or the endpoint was failing every call

# Managed nodes (ssm_managed_instance).
DEREGISTERED = "deregistered"  # deregistered by this task (predicted in check mode)
ALREADY_ABSENT = "already_absent"  # not registered (a node), or not existing (an activation): nothing to do
UPDATED = "updated"  # its role or tags were changed (predicted in check mode)
UNCHANGED = "unchanged"  # its role and tags were already as asked

# Activations (ssm_activation); ALREADY_ABSENT too.
DELETED = "deleted"  # deleted by this run (predicted in check mode)
KEPT_IN_USE = "kept_in_use"  # only_if_unused and nodes are still registered with it: nothing was sent

# Run Command invocations, one per (command, node) (ssm_command); CANCELLED is also that module's state.
CANCELLED = "cancelled"  # ended Cancelled during this run
CANCEL_REQUESTED = "cancel_requested"  # asked to cancel (now or by an earlier run), not finished yet
ALREADY_TERMINAL = "already_terminal"  # finished before this run; nothing was sent
COMPLETED_BEFORE_CANCEL = "completed_before_cancel"  # was in flight, then finished Success/Failed/TimedOut anyway
NONE_IN_FLIGHT = "none_in_flight"  # instance_ids mode: the node has no command left to cancel

# Sent Run Commands, one per node (ssm_command state present).
SENT = "sent"  # this task sent the command to the node (predicted in check mode); not waited for
ALREADY_SENT = "already_sent"  # an earlier command with the same idempotency key is still in flight on it: nothing sent
SUCCEEDED = "succeeded"  # its invocation ended Success (this task's, or an earlier one with the same key)
RUN_FAILED = "run_failed"  # its invocation ended Failed, TimedOut, Cancelled (the script's own failure, not an API error)
SKIPPED_OFFLINE = "skipped_offline"  # skip_offline and the node is not Online (or not registered): nothing sent
OFFLINE_PENDING = "offline_pending"  # sent, but the node went offline: not waited for; SSM delivers it when it returns

# ECS Anywhere container instances of hybrid nodes, one entry per node (ecs_anywhere_instance); DEREGISTERED,
# FAILED and NOT_ATTEMPTED too (deregistered: its container instances were deregistered from their clusters).
DRAINED = "drained"  # set DRAINING by this task and no task runs on it any more (predicted in check mode)
ALREADY_DRAINED = "already_drained"  # DRAINING before this task and no task runs on it: nothing was sent
DRAIN_TIMED_OUT = "drain_timed_out"  # tasks still run when drain_timeout passed: not deregistered (running_tasks says which)
NOT_A_MEMBER = "not_a_member"  # no container instance of any cluster of the region names this node (or all are INACTIVE)

# What a role's report says, in check mode, of an outcome a module predicts (a module reports the same word in
# check mode as in a real run; the report says it would happen).
WOULD_DEREGISTER = "would deregister"  # DEREGISTERED, predicted
WOULD_CANCEL = "would cancel"  # CANCEL_REQUESTED, predicted
WOULD_DRAIN = "would drain"  # DRAINED, predicted
CHECK_MODE_WORDS = {DEREGISTERED: WOULD_DEREGISTER, CANCEL_REQUESTED: WOULD_CANCEL, DRAINED: WOULD_DRAIN}

# The role hybridops.ssm.decommission_hybrid_node reports each host in the modules' words above, and these:
NOT_REQUESTED = "not_requested"  # activation: decommission_hybrid_node_delete_activation is false, nothing was asked
# activation: SSM did not list the node when this run read it (already absent, or not read), so its activation is
# not known and nothing was sent for it
NOT_KNOWN = "not_known"
HOST_STEPS_RAN = "ran"  # host_steps: the host's registration was cleared (a host that skips them says why instead)
# host_steps: the node was deregistered but its host was not cleaned (through SSM: the node was not Online, or its
# script failed and decommission_hybrid_node_deregister_on_host_failure let it go); the host keeps its registration
HOST_NOT_CLEANED = "host_not_cleaned"

# How many IDs a message names before it elides or counts the rest (every module, the inventory).
IDS_SHOWN = 5
# A failure message stays readable; the details are in the outcomes.
MSG_MAX = 1900


def error_message(error):
    """The per-item message of an AnsibleSSMError: what went wrong and the advice, never a traceback."""
    return str(error.message or error)


def failure_record(instance_id, error):
    """An outcome entry for a node whose call failed or was not started: the AWS code and the advice."""
    outcome = NOT_ATTEMPTED if isinstance(error, NotAttempted) else FAILED
    return {"instance_id": instance_id, OUTCOME: outcome, "error_code": error.code, MSG: error_message(error)}


def failed_outcomes(outcomes):
    """The outcome entries whose call failed or was never started."""
    return [o for o in outcomes if o[OUTCOME] in (FAILED, NOT_ATTEMPTED)]


def shown_ids(ids):
    """The first IDS_SHOWN of ``ids``, and how many more there are."""
    ids = [str(i) for i in ids]
    return ", ".join(ids[:IDS_SHOWN]) + (f", ... ({len(ids) - IDS_SHOWN} more)" if len(ids) > IDS_SHOWN else "")


def _ids(items, id_key):
    return shown_ids([o[id_key] for o in items])


def failure_summary(outcomes, id_key, noun):
    """A short paragraph for the task's msg: counts by error code, the first few IDs of each, one advice per code.

    Every item's own message stays in the outcomes; this stays under MSG_MAX characters however many items failed.
    """
    failed = [o for o in outcomes if o[OUTCOME] == FAILED]
    skipped = [o for o in outcomes if o[OUTCOME] == NOT_ATTEMPTED]
    head = f"{len(failed)} of {len(outcomes)} {noun}(s) failed"
    if skipped:
        head += f", {len(skipped)} not attempted ({skipped[0].get(MSG)})"
    parts = []
    by_code = Counter(o.get("error_code") for o in failed)
    for code, count in by_code.most_common():
        of_code = [o for o in failed if o.get("error_code") == code]
        advice = str(of_code[0].get(MSG) or "")
        if len(advice) > 240:
            advice = advice[:237] + "..."
        parts.append(f"{code}: {count} ({_ids(of_code, id_key)}): {advice}")
    if skipped:
        parts.append(f"not attempted: {len(skipped)} ({_ids(skipped, id_key)})")
    text = f"{head}, every other {noun} was handled: " + "; ".join(parts) + f". Each {noun}'s own outcome and message are in the outcomes."
    return text if len(text) <= MSG_MAX else text[: MSG_MAX - 3] + "..."


def success_summary(outcomes, noun, check_mode):
    """The one-line msg of a task that succeeded: how many items had each outcome (in check mode, would have)."""
    counts = Counter(o[OUTCOME] for o in outcomes)
    if not outcomes:
        return f"no {noun} given: nothing to do"
    words = CHECK_MODE_WORDS if check_mode else {}
    detail = ", ".join(f"{count} {words.get(outcome, outcome)}" for outcome, count in counts.items())
    return f"{'check mode, nothing changed: ' if check_mode else ''}{len(outcomes)} {noun}(s): {detail}"
