# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Was a request served although its answer was lost? Counted per call, and handed back to the caller.

A connection closed or timed out after the request was sent, or an HTTP 5xx, may come after SSM did the
work: a deregister retried after such an attempt finds the node gone because of its own first attempt.
The caller passes an ``Attempts`` with the call (``**attempts.params()``); ``count_unanswered`` makes
the client carry it from the call's parameters into the request's context (botocore
``provide-client-params``, so it is never sent) and count there every HTTP attempt of that call, botocore's
own retries included (``needs-retry``). Nothing is shared between calls or threads.
"""

import threading

try:
    from botocore.exceptions import EndpointConnectionError
except ImportError:
    # AnsibleAWSModule reports the missing botocore
    EndpointConnectionError = type(None)

# The key that carries an Attempts: never an SSM parameter name (those are CamelCase).
ATTEMPTS_PARAM = "hybridops_attempts"


class Attempts:
    """The HTTP attempts of one call, every retry of it included, that SSM may have served without an answer."""

    def __init__(self):
        self.unanswered = 0

    def params(self):
        """The extra call parameter that carries this record (only for a client made by client.ssm_client)."""
        return {ATTEMPTS_PARAM: self}

    def note(self, response=None, caught_exception=None):
        """Count one attempt when SSM may have served it although no answer came back.

        A connection that was never made (EndpointConnectionError) sent nothing.
        """
        if caught_exception is not None:
            if not isinstance(caught_exception, EndpointConnectionError):
                self.unanswered += 1
        elif response is not None and response[0].status_code >= 500:
            self.unanswered += 1


def carry_attempts(params, context, **kwargs):
    """botocore ``provide-client-params`` handler: move the call's Attempts out of its parameters into its context."""
    del kwargs
    attempts = params.pop(ATTEMPTS_PARAM, None)
    if attempts is not None:
        context[ATTEMPTS_PARAM] = attempts


def note_attempt(request_dict=None, response=None, caught_exception=None, **kwargs):
    """botocore ``needs-retry`` handler, run after every HTTP attempt: note it in its call's Attempts, if any.

    Returns None: it never decides whether botocore retries.
    """
    del kwargs
    attempts = ((request_dict or {}).get("context") or {}).get(ATTEMPTS_PARAM)
    if attempts is not None:
        attempts.note(response, caught_exception)


# Set on a client's meta once its events carry Attempts; the lock keeps two threads from registering twice.
_COUNTING = "hybridops_counts_unanswered"
_REGISTERING = threading.Lock()


def count_unanswered(client):
    """Let calls of ``client`` carry an Attempts (see the module's docstring); once per client, any thread.

    client.ssm_client does it for the modules' clients; a call that passes an Attempts does it too, so
    that it works on any botocore SSM client.
    """
    with _REGISTERING:
        if getattr(client.meta, _COUNTING, False):
            return
        client.meta.events.register("provide-client-params.ssm", carry_attempts, unique_id="hybridops.ssm.carry_attempts")
        client.meta.events.register("needs-retry.ssm", note_attempt, unique_id="hybridops.ssm.note_attempt")
        setattr(client.meta, _COUNTING, True)
