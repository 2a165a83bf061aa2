# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The retry policy of every SSM call: SSM's own throttling and server codes, closed connections, the task's budget.

Two kinds of retryable failure, retried differently:

* **Throttling** (ThrottlingException and its family, pacing.THROTTLING_CODES) is SSM saying "slower", not
  failing: the call was refused before it did anything, and SSM's token bucket refills within seconds. A
  throttled call is retried with no count of attempts, for as long as the task's deadline allows (the
  module option ``deadline``, budget.py), or, in a task without one, for THROTTLED_PATIENCE seconds from
  its first attempt. Every attempt goes through the client's pacer (pacing.py), which slows the task's
  concurrent calls to the rate SSM grants, and the sleep between two attempts stays short
  (THROTTLED_MAX_DELAY). A fixed count would let one burst decide a whole run: the one batched
  ListCommands of a decommission, throttled for 24 answers (8 attempts of ours, 3 of botocore's each),
  would leave every host of the play not attempted.
* **Server errors and closed connections** (InternalServerError, ConnectionClosedError) may mean the
  endpoint is broken: they keep a bound of RETRY_ATTEMPTS attempts per call (throttled attempts are not
  counted), with the longer backoff, and they count towards the task's circuit (budget.py), which a
  throttled answer closes again: SSM answered.

A call that gives up while throttled says why in its message: the deadline passed, the circuit opened,
or the patience of a task without deadline ran out.
"""

import functools

try:
    from botocore.exceptions import ClientError
    from botocore.exceptions import ConnectionClosedError

    _RETRYABLE_EXCEPTIONS = (ClientError, ConnectionClosedError)
except ImportError:
    # AnsibleAWSModule reports the missing botocore
    ClientError = type(None)
    _RETRYABLE_EXCEPTIONS = type(None)

from ansible_collections.amazon.aws.plugins.module_utils.cloud import BackoffIterator
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from .budget import NotAttempted
from .budget import task_budget
from .errors import error_code
from .pacing import THROTTLING_CODES

# AWSRetry retries Throttling and the EC2-style codes but not SSM's own
# ThrottlingException nor InternalServerError (HTTP 500): add them.
SSM_RETRY_CODES = ("ThrottlingException", "InternalServerError")

# A connection closed before the answer came back. botocore retries it only a
# few times, and not at all once its retry quota (standard mode, shared by every
# thread of a client) is spent, which a bulk run under throttling does. Every
# call this collection makes but SendCommand (ssm_retry_throttled) is safe to repeat: reads, and deregister, cancel,
# role and tag calls whose repetition changes nothing more. A repeated
# deregister that finds the node gone is told apart by the attempts it counted
# (served.Attempts).
SSM_RETRY_CONNECTION_ERRORS = ("ConnectionClosedError",)

# Jittered exponential backoff: sleep a random 0..min(max_delay, delay * 2**attempt)
# seconds. Server errors and closed connections: at most RETRY_ATTEMPTS attempts
# (7 sleeps, about 35 s on average, 71 s at most). botocore already retries each
# attempt a few times before this layer sees an error.
RETRY_ATTEMPTS = 8
RETRY_DELAY = 1
RETRY_MAX_DELAY = 20

# Throttling: no count; the sleeps grow to at most THROTTLED_MAX_DELAY (SSM's bucket refills within a
# second or two, and the pacer spaces the task's calls anyway: a long sleep only wastes the deadline), and
# the call gives up when the task's deadline passes or, in a task without a deadline, THROTTLED_PATIENCE
# seconds after its first attempt (so a task left without one still ends).
THROTTLED_MAX_DELAY = 4
THROTTLED_PATIENCE = 300


class SSMRetry(AWSRetry):
    """AWSRetry that also retries a connection closed before the answer (SSM_RETRY_CONNECTION_ERRORS)."""

    base_class = _RETRYABLE_EXCEPTIONS

    @staticmethod
    def status_code_from_exception(error):
        return error_code(error)


def _gave_up(error, why):
    """The last error, marked with why the call stopped retrying (errors.AnsibleSSMError puts it in the message)."""
    error.retry_note = why
    return error


def ssm_retry(func):
    """Retry ``func`` on throttling, server errors and closed connections, with jittered exponential backoff.

    Throttled attempts are retried until the task's deadline (or THROTTLED_PATIENCE without one), server
    errors and closed connections RETRY_ATTEMPTS times; the module docstring says why. The backoff
    schedules are made afresh for every call: CloudRetry keeps one in one iterator per decorator, which
    concurrent calls (the threads of run_per_item) would share, each call restarting it for every other.
    Every attempt is reported to the task's budget (budget.TaskBudget), and the sleep between two attempts
    ends early, giving up with the last error, once the task's deadline passed or the endpoint has failed
    every call for a while: a dead endpoint then ends the task in about a minute, not after every node's
    eight attempts.
    """
    return _retrying(func, repeatable=True)


def ssm_retry_throttled(func):
    """Retry ``func`` only while it is throttled: for a call that is not safe to repeat (SendCommand).

    A throttled call was refused before it did anything, so repeating it sends nothing twice. A server
    error or a closed connection may come after SSM did the work (served.py): repeating a SendCommand
    then would run the script twice, so the error is raised at once, for the caller to report.
    """
    return _retrying(func, repeatable=False)


def _retrying(func, repeatable):
    codes = list(SSM_RETRY_CODES + SSM_RETRY_CONNECTION_ERRORS)

    @functools.wraps(func)
    def per_call(*args, **kwargs):
        budget = task_budget()
        reason = budget.stopped()
        if reason is not None:
            raise NotAttempted(reason)
        sleeps = iter(BackoffIterator(delay=RETRY_DELAY, backoff=2.0, max_delay=RETRY_MAX_DELAY, jitter=True))
        throttled_sleeps = iter(BackoffIterator(delay=RETRY_DELAY, backoff=2.0, max_delay=THROTTLED_MAX_DELAY, jitter=True))
        started = budget.now()
        failures = 0
        throttled = 0
        while True:
            try:
                result = func(*args, **kwargs)
            except Exception as error:  # pylint: disable=broad-except
                code = SSMRetry.status_code_from_exception(error)
                retryable = isinstance(error, _RETRYABLE_EXCEPTIONS) and (SSMRetry.found(code, codes) if repeatable else code in THROTTLING_CODES)
                if isinstance(error, ClientError) and not retryable:
                    budget.success()  # SSM answered (the answer is an error of the call, not of the endpoint)
                    raise
                if not retryable:
                    budget.failure(error_code(error))
                    raise
                last_throttled = code in THROTTLING_CODES
                if last_throttled:
                    budget.throttled()
                    throttled += 1
                    waited = budget.now() - started
                    if budget.deadline is None and waited >= THROTTLED_PATIENCE:
                        raise _gave_up(
                            error, f"throttled on {throttled} attempts over {waited:.0f}s, the most a task without a deadline retries a throttled call"
                        )
                    pause = next(throttled_sleeps)
                else:
                    budget.failure(error_code(error))
                    failures += 1
                    if failures >= RETRY_ATTEMPTS:
                        raise
                    pause = next(sleeps)
                if not budget.pause(pause):
                    if last_throttled:
                        raise _gave_up(error, f"throttled on {throttled} attempts over {budget.now() - started:.0f}s, until {budget.stopped()}")
                    raise
            else:
                budget.success()
                return result

    return per_call
