# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A bounded task: an optional deadline for the whole task, and a circuit for an endpoint that answers nothing.

A task's calls share one ``TaskBudget``: an optional deadline for the whole
task, and a circuit that opens when the endpoint fails every attempt for a
while (no success for FAILURE_WINDOW seconds and at least
FAILURE_MIN_ATTEMPTS failed attempts in a row, across every thread). Once it
is open, the retry layer stops retrying (a call sleeping between attempts
wakes up and gives up with its last error), and ``bulk.run_per_item`` starts no
new item: each item not started gets the outcome ``not_attempted``. A node's
retries are not shortened while the endpoint answers some calls, so
throttling alone does not stop a run; an endpoint that answers nothing does,
within about FAILURE_WINDOW seconds. A throttled answer counts as an answer: SSM is there and asks
for a slower pace (the retry layer retries it until the deadline), so sustained throttling never opens
the circuit.
"""

import threading
import time

from .errors import AnsibleSSMError

# The circuit opens when no call was answered for FAILURE_WINDOW seconds and the last FAILURE_MIN_ATTEMPTS attempts
# (at least) all failed. A throttled endpoint answers (ThrottlingException is an answer); a broken one answers none.
FAILURE_WINDOW = 60.0
FAILURE_MIN_ATTEMPTS = 8

# The most a task's deadline may be (a day).
DEADLINE_MAX = 86400


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

    def throttled(self):
        """An attempt was throttled: SSM answered, asking for a slower pace; for the circuit that is an answer."""
        self.success()

    def now(self):
        """The budget's clock (seconds, monotonic)."""
        return self._clock()

    def failure(self, code):
        """An attempt failed with a server error or a closed connection, or found no connection."""
        with self._lock:
            self._failures += 1
            silent = self._clock() - self._last_success
            if self.reason is None and self._failures >= self._min_attempts and silent >= self._window:
                self._trip(
                    f"the endpoint failed every call for {silent:.0f}s ({self._failures} attempts in a row, the last {code}), so no new call was started"
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

    def throttled(self):
        pass

    def now(self):
        return time.monotonic()

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
