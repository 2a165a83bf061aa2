# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bounded concurrency for per-node calls, and per-node outcomes that lose nothing.

Every item gets an entry; an item not started because the task stopped (see budget.py) gets a
NotAttempted error.
"""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from .budget import NotAttempted
from .budget import task_budget
from .errors import AnsibleSSMError

# SSM publishes no per-operation rate limits; assume low single- or
# double-digit TPS and keep the default well below it.
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 20

# The outcome of an item whose call failed, in every module's per-item outcomes.
FAILED = "failed"
# The outcome of an item whose call was never started: the task's deadline passed or the endpoint was failing every call.
NOT_ATTEMPTED = "not_attempted"

# How many IDs a failure message names per error code.
IDS_SHOWN = 5
# A failure message stays readable; the details are in the outcomes.
MSG_MAX = 1900


def run_per_item(items, call, concurrency=DEFAULT_CONCURRENCY):
    """Call ``call(item)`` for every item, at most ``concurrency`` at a time.

    Returns {item: (result, error)} with an entry for every item: an
    AnsibleSSMError is caught and kept as that item's error so one node's
    failure never hides another node's outcome. An item not started because
    the task stopped (deadline, failing endpoint) gets a NotAttempted error.
    Anything else is a bug and propagates.
    """
    budget = task_budget()

    def guarded(item):
        reason = budget.stopped()
        if reason is not None:
            return None, NotAttempted(reason)
        try:
            return call(item), None
        except AnsibleSSMError as error:
            return None, error

    items = list(items)
    if len(items) <= 1 or concurrency <= 1:
        return {item: guarded(item) for item in items}
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        return dict(zip(items, pool.map(guarded, items)))


def failure_record(instance_id, error):
    """An outcome entry for a node whose call failed or was not started: the AWS code and the advice, never a traceback."""
    outcome = NOT_ATTEMPTED if isinstance(error, NotAttempted) else FAILED
    return {"instance_id": instance_id, "outcome": outcome, "error_code": error.code, "msg": str(error.message or error)}


def failed_outcomes(outcomes):
    """The outcome entries whose call failed or was never started."""
    return [o for o in outcomes if o["outcome"] in (FAILED, NOT_ATTEMPTED)]


def _ids(items, id_key):
    shown = ", ".join(str(o[id_key]) for o in items[:IDS_SHOWN])
    return shown + (f", ... ({len(items) - IDS_SHOWN} more)" if len(items) > IDS_SHOWN else "")


def failure_summary(outcomes, id_key, noun, message_key):
    """A short paragraph for the task's msg: counts by error code, the first few IDs of each, one advice per code.

    Every item's own message stays in the outcomes; this stays under MSG_MAX characters however many items failed.
    """
    failed = [o for o in outcomes if o["outcome"] == FAILED]
    skipped = [o for o in outcomes if o["outcome"] == NOT_ATTEMPTED]
    head = f"{len(failed)} of {len(outcomes)} {noun}(s) failed"
    if skipped:
        head += f", {len(skipped)} not attempted ({skipped[0].get(message_key)})"
    parts = []
    by_code = Counter(o.get("error_code") for o in failed)
    for code, count in by_code.most_common():
        of_code = [o for o in failed if o.get("error_code") == code]
        advice = str(of_code[0].get(message_key) or "")
        if len(advice) > 240:
            advice = advice[:237] + "..."
        parts.append(f"{code}: {count} ({_ids(of_code, id_key)}): {advice}")
    if skipped:
        parts.append(f"not attempted: {len(skipped)} ({_ids(skipped, id_key)})")
    text = f"{head}, every other {noun} was handled: " + "; ".join(parts) + f". Each {noun}'s own outcome and message are in the outcomes."
    return text if len(text) <= MSG_MAX else text[:MSG_MAX - 3] + "..."


def success_summary(outcomes, noun, check_mode):
    """The one-line msg of a task that succeeded: how many items had each outcome (in check mode, would have)."""
    counts = Counter(o["outcome"] for o in outcomes)
    if not outcomes:
        return f"no {noun} given: nothing to do"
    detail = ", ".join(f"{count} {outcome}" for outcome, count in counts.items())
    return f"{'check mode, nothing changed: ' if check_mode else ''}{len(outcomes)} {noun}(s): {detail}"
