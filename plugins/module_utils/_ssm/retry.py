# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The retry policy of every SSM call: SSM's own throttling and server codes, closed connections, the task's budget."""

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

# AWSRetry retries Throttling and the EC2-style codes but not SSM's own
# ThrottlingException nor InternalServerError (HTTP 500): add them.
SSM_RETRY_CODES = ("ThrottlingException", "InternalServerError")

# A connection closed before the answer came back. botocore retries it only a
# few times, and not at all once its retry quota (standard mode, shared by every
# thread of a client) is spent, which a bulk run under throttling does. Every
# call this collection makes is safe to repeat: reads, and deregister, cancel,
# role and tag calls whose repetition changes nothing more. A repeated
# deregister that finds the node gone is told apart by the attempts it counted
# (served.Attempts).
SSM_RETRY_CONNECTION_ERRORS = ("ConnectionClosedError",)

# Jittered exponential backoff: sleep a random 0..min(max_delay, delay * 2**attempt)
# seconds, at most RETRY_ATTEMPTS attempts (7 sleeps, about 35 s on average,
# 71 s at most). botocore already retries each attempt a few times before this
# layer sees an error, so these retries are for sustained throttling.
RETRY_ATTEMPTS = 8
RETRY_DELAY = 1
RETRY_MAX_DELAY = 20


class SSMRetry(AWSRetry):
    """AWSRetry that also retries a connection closed before the answer (SSM_RETRY_CONNECTION_ERRORS)."""

    base_class = _RETRYABLE_EXCEPTIONS

    @staticmethod
    def status_code_from_exception(error):
        return error_code(error)


def ssm_retry(func):
    """Retry ``func`` on throttling, server errors and closed connections, with jittered exponential backoff.

    The backoff schedule is made afresh for every call: CloudRetry keeps it in
    one iterator per decorator, which concurrent calls (the threads of
    run_per_item) would share, each call restarting it for every other. Every
    attempt is reported to the task's budget (budget.TaskBudget), and the sleep
    between two attempts ends early, giving up with the last error, once the
    task's deadline passed or the endpoint has failed every call for a while:
    a dead endpoint then ends the task in about a minute, not after every
    node's eight attempts.
    """
    codes = list(SSM_RETRY_CODES + SSM_RETRY_CONNECTION_ERRORS)

    @functools.wraps(func)
    def per_call(*args, **kwargs):
        budget = task_budget()
        reason = budget.stopped()
        if reason is not None:
            raise NotAttempted(reason)
        sleeps = iter(BackoffIterator(delay=RETRY_DELAY, backoff=2.0, max_delay=RETRY_MAX_DELAY, jitter=True))
        attempt = 0
        while True:
            attempt += 1
            try:
                result = func(*args, **kwargs)
            except Exception as error:  # pylint: disable=broad-except
                retryable = isinstance(error, _RETRYABLE_EXCEPTIONS) and SSMRetry.found(SSMRetry.status_code_from_exception(error), codes)
                if isinstance(error, ClientError) and not retryable:
                    budget.success()  # SSM answered (the answer is an error of the call, not of the endpoint)
                    raise
                budget.failure(error_code(error))
                if not retryable or attempt >= RETRY_ATTEMPTS or not budget.pause(next(sleeps)):
                    raise
            else:
                budget.success()
                return result

    return per_call
