# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The SSM client: retries that know SSM's own error codes, and controller credentials."""

import functools
import os
import threading
from urllib.parse import urlsplit

try:
    from botocore.config import Config
    from botocore.exceptions import ClientError
    from botocore.exceptions import ConnectionClosedError
    from botocore.exceptions import EndpointConnectionError

    _RETRYABLE_EXCEPTIONS = (ClientError, ConnectionClosedError)
except ImportError:
    # AnsibleAWSModule reports the missing botocore
    Config = None
    ClientError = type(None)
    _RETRYABLE_EXCEPTIONS = type(None)

from ansible_collections.amazon.aws.plugins.module_utils.cloud import BackoffIterator
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from .bulk import MAX_CONCURRENCY
from .bulk import NotAttempted
from .bulk import task_budget
from .constraints import CALLS_PER_SECOND
from .constraints import REGION
from .constraints import check_number
from .constraints import check_string
from .errors import SSMValidationError
from .errors import error_code
from .pacing import attach as attach_pacer

# AWSRetry retries Throttling and the EC2-style codes but not SSM's own
# ThrottlingException nor InternalServerError (HTTP 500): add them.
SSM_RETRY_CODES = ("ThrottlingException", "InternalServerError")

# A connection closed before the answer came back. botocore retries it only a
# few times, and not at all once its retry quota (standard mode, shared by every
# thread of a client) is spent, which a bulk run under throttling does. Every
# call this collection makes is safe to repeat: reads, and deregister, cancel,
# role and tag calls whose repetition changes nothing more. A repeated
# deregister that finds the node gone is told apart by unanswered_attempts().
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
    attempt is reported to the task's budget (bulk.TaskBudget), and the sleep
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


class _Attempts(threading.local):
    """Per thread: HTTP attempts since reset_attempts() that may have been served while their answer was lost."""

    def __init__(self):
        super().__init__()
        self.unanswered = 0


_ATTEMPTS = _Attempts()


def note_attempt(response=None, caught_exception=None, **kwargs):
    """botocore ``needs-retry`` handler, run after every HTTP attempt: count the attempts SSM may have served
    although no answer came back (connection closed or timed out after the request was sent, or HTTP 5xx).

    A connection that was never made (EndpointConnectionError) sent nothing. Returns None: it never decides
    whether botocore retries.
    """
    del kwargs
    if caught_exception is not None:
        if not isinstance(caught_exception, EndpointConnectionError):
            _ATTEMPTS.unanswered += 1
    elif response is not None and response[0].status_code >= 500:
        _ATTEMPTS.unanswered += 1


def reset_attempts():
    """Start counting for a new call on this thread."""
    _ATTEMPTS.unanswered = 0


def unanswered_attempts():
    """How many attempts on this thread since reset_attempts() may have been served without an answer."""
    return _ATTEMPTS.unanswered


def security_token_fallback(params, environ):
    """The session token to use when only AWS_SECURITY_TOKEN carries it, else None.

    AWX / Tower / AAP pass temporary credentials as AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY and AWS_SECURITY_TOKEN. amazon.aws 10 reads the key
    pair from the environment but no longer AWS_SECURITY_TOKEN, and then hands
    boto3 explicit keys without a token: the call fails as unsigned for STS
    credentials. Only fill the gap; never override a token or profile given.
    """
    if params.get("session_token") or params.get("profile"):
        return None
    if not (params.get("access_key") and params.get("secret_key")):
        return None  # boto3's own credential chain reads AWS_SECURITY_TOKEN itself
    if environ.get("AWS_SESSION_TOKEN"):
        return None
    return environ.get("AWS_SECURITY_TOKEN") or None


# Credentials given as options or through their environment variables (the options' fallbacks).
_KEY_OPTIONS = ("access_key", "secret_key", "session_token")


def check_connection(params):
    """Check the connection options (amazon.aws's common ones) before the client is made.

    Without this, a bad region or endpoint URL fails as "Couldn't connect to
    AWS: ..." without the option's name, a missing CA bundle only when a
    request is sent over HTTPS, and a profile given with keys as "Passing both
    a profile and access tokens is not supported." Credential values are never
    put into a message.
    """
    if params.get("region"):
        check_string("region", params["region"], REGION)
    endpoint_url = params.get("endpoint_url")
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SSMValidationError(
                f"endpoint_url: {endpoint_url!r} is not a valid endpoint URL: it must be http:// or https:// followed by a host name"
                " (also read from AWS_URL).",
                parameter="endpoint_url",
                value=endpoint_url,
            )
    keys = [name for name in _KEY_OPTIONS if params.get(name)]
    if params.get("profile") and keys:
        raise SSMValidationError(
            f"profile: {params['profile']!r} cannot be combined with {', '.join(keys)} (given as options or through AWS_ACCESS_KEY_ID,"
            " AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): use either the profile or the keys; set the keys to '' to ignore the environment.",
            parameter="profile",
            value=params["profile"],
        )
    if bool(params.get("access_key")) != bool(params.get("secret_key")):
        # The access key ID is no secret (amazon.aws does not mask it); the secret key is never shown.
        given = f"access_key: {params['access_key']!r} is given without secret_key" if params.get("access_key") else "secret_key: given without access_key"
        raise SSMValidationError(
            f"{given}: the two must be given together (as options, or as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).",
            parameter="access_key" if params.get("access_key") else "secret_key",
            value=params.get("access_key"),
        )
    ca_bundle = params.get("aws_ca_bundle")
    if ca_bundle and params.get("validate_certs", True) and not os.path.isfile(ca_bundle):
        raise SSMValidationError(
            f"aws_ca_bundle: {ca_bundle!r} is not a file: it must be the path of a PEM bundle of CA certificates (also read from AWS_CA_BUNDLE).",
            parameter="aws_ca_bundle",
            value=ca_bundle,
        )
    config = params.get("aws_config")
    if config and Config is not None:
        try:
            Config(**config)
        except (TypeError, ValueError, AttributeError, LookupError) as error:
            raise SSMValidationError(
                f"aws_config: {config!r} is not a valid botocore configuration: {type(error).__name__}: {error}.", parameter="aws_config", value=config
            ) from None


def ssm_client(module):
    """An SSM client for ``module`` (an AnsibleAWSModule), controller credentials honoured."""
    check_connection(module.params)
    max_rate = module.params.get("max_calls_per_second")
    if max_rate is not None:
        check_number("max_calls_per_second", max_rate, CALLS_PER_SECOND, "calls per second")
    token = security_token_fallback(module.params, os.environ)
    if token:
        module.params["session_token"] = token
        # The option is no_log, but values set after argument parsing are not
        # known to the masking: register it so it never reaches output.
        module.no_log_values.add(token)
    # One pooled connection per concurrent per-node call (botocore's default pool is 10).
    client = module.client("ssm", config={"max_pool_connections": MAX_CONCURRENCY})
    client.meta.events.register("needs-retry.ssm", note_attempt, unique_id="hybridops.ssm.note_attempt")
    # One pace for every thread of this run, capped by max_calls_per_second where the module has it.
    attach_pacer(client, max_rate)
    return client
