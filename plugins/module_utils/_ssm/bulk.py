# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bounded concurrency for per-node calls, per-node outcomes that lose nothing, and a bounded task.

A task's calls share one ``TaskBudget``: an optional deadline for the whole
task, and a circuit that opens when the endpoint fails every attempt for a
while (no success for FAILURE_WINDOW seconds and at least
FAILURE_MIN_ATTEMPTS failed attempts in a row, across every thread). Once it
is open, the retry layer stops retrying (a call sleeping between attempts
wakes up and gives up with its last error), and ``run_per_item`` starts no
new item: each item not started gets the outcome ``not_attempted``. A node's
retries are not shortened while the endpoint answers some calls, so
throttling alone does not stop a run; an endpoint that answers nothing does,
within about FAILURE_WINDOW seconds.
"""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from .errors import AnsibleSSMError

# SSM publishes no per-operation rate limits; assume low single- or
# double-digit TPS and keep the default well below it.
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 20

# The outcome of an item whose call failed, in every module's per-item outcomes.
FAILED = "failed"
# The outcome of an item whose call was never started: the task's deadline passed or the endpoint was failing every call.
NOT_ATTEMPTED = "not_attempted"

# The circuit opens when no call succeeded for FAILURE_WINDOW seconds and the last FAILURE_MIN_ATTEMPTS attempts
# (at least) all failed. A throttled endpoint still answers some calls within a minute; a broken one answers none.
FAILURE_WINDOW = 60.0
FAILURE_MIN_ATTEMPTS = 8

# The most a task's deadline may be (a day), and how many IDs a failure message names per error code.
DEADLINE_MAX = 86400
IDS_SHOWN = 5
# A failure message stays readable; the details are in the outcomes.
MSG_MAX = 1900


class NotAttempted(AnsibleSSMError):
    """The item's call was never started (deadline passed, or the endpoint failed every call)."""

    def __init__(self, reason):
        super().__init__(message=f"not attempted, nothing was sent for it: {reason}; run the task again", code="NotAttempted")


class TaskBudget:
    """The whole task's deadline and failure circuit, shared by every thread of the task."""

    def __init__(self, deadline=None, window=FAILURE_WINDOW, min_attempts=FAILURE_MIN_ATTEMPTS, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._open = threading.Event()
        self._window = window
        self._min_attempts = min_attempts
        self.deadline = deadline
        self._deadline_at = None if deadline is None else clock() + deadline
        self._last_success = clock()
        self._failures = 0
        self.reason = None

    def success(self):
        """An attempt was answered (any answer but throttling or a server error)."""
        with self._lock:
            self._failures = 0
            self._last_success = self._clock()

    def failure(self, code):
        """An attempt failed with a retryable error (throttling, server error, closed connection) or no connection."""
        with self._lock:
            self._failures += 1
            silent = self._clock() - self._last_success
            if self.reason is None and self._failures >= self._min_attempts and silent >= self._window:
                self._trip(
                    f"the endpoint failed every call for {silent:.0f}s ({self._failures} attempts in a row, the last {code}),"
                    " so no new call was started"
                )

    def _trip(self, reason):
        self.reason = reason
        self._open.set()

    def stopped(self):
        """Why no new call may start (a sentence), or None while calls may go on."""
        if self.reason is None and self._deadline_at is not None and self._clock() >= self._deadline_at:
            with self._lock:
                if self.reason is None:
                    self._trip(f"the task's deadline of {self.deadline}s passed")
        return self.reason

    def pause(self, seconds):
        """Sleep up to ``seconds`` between two attempts of a call; False when the task stopped meanwhile (give up)."""
        if self._deadline_at is not None:
            seconds = min(seconds, max(0.0, self._deadline_at - self._clock()))
        self._open.wait(seconds)
        return self.stopped() is None


class _Unbounded:
    """The budget outside a task: no deadline, no circuit; pauses are plain sleeps."""

    deadline = None
    reason = None

    def success(self):
        pass

    def failure(self, code):
        pass

    def stopped(self):
        return None

    def pause(self, seconds):
        time.sleep(seconds)
        return True


_UNBOUNDED = _Unbounded()
_CURRENT = {"budget": _UNBOUNDED}


def start_task(deadline=None, **kwargs):
    """Begin a task's budget (a module calls this once, before its first request); returns it."""
    _CURRENT["budget"] = TaskBudget(deadline=deadline, **kwargs)
    return _CURRENT["budget"]


def end_task():
    _CURRENT["budget"] = _UNBOUNDED


def task_budget():
    """The running task's budget (unbounded when no task was started)."""
    return _CURRENT["budget"]


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
