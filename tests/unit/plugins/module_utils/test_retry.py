# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The retry policy (retry.py): what is retried, how often, with a backoff schedule per call, within the task's budget."""

import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from botocore.exceptions import ConnectionClosedError
from botocore.exceptions import EndpointConnectionError

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import budget as budget_module
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import instances
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import retry
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError

from .doubles import Clock
from .doubles import ScriptedClient
from .doubles import client_error

MI = "mi-0123456789abcdef0"
URL = "https://ssm.us-east-1.amazonaws.com/"
A = "mi-0000000000000000a"


def closed():
    return ConnectionClosedError(endpoint_url=URL)


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerError", "Throttling"])
def test_throttling_and_server_errors_are_retried(code):
    client = ScriptedClient(deregister_managed_instance=[client_error(code), client_error(code), {}])
    assert instances.deregister_managed_instance(client, MI).deregistered is True
    assert client.names() == ["deregister_managed_instance"] * 3


def test_access_denied_is_not_retried():
    client = ScriptedClient(deregister_managed_instance=[client_error("AccessDeniedException"), {}])
    with pytest.raises(AnsibleSSMError) as raised:
        instances.deregister_managed_instance(client, MI)
    assert raised.value.code == "AccessDeniedException"
    assert len(client.calls) == 1


@pytest.fixture
def fake_time(monkeypatch):
    """A task budget on a clock that only the retries' sleeps move (no jitter: each sleep its upper bound)."""
    monkeypatch.setattr(cloud.random, "uniform", lambda low, high: high)
    clock = Clock()

    def start(deadline=None):
        budget = budget_module.start_task(deadline=deadline, clock=clock)

        def pause(seconds):
            clock.now += seconds
            return budget.stopped() is None

        monkeypatch.setattr(budget, "pause", pause)
        return budget

    return clock, start


def test_a_throttled_call_is_retried_past_any_count_while_the_deadline_allows(fake_time):
    """Throttling is SSM asking for a slower pace: 30 throttled answers in a row (botocore's 3 x our former 8 was 24) then success."""
    clock, start = fake_time
    start(deadline=600)
    begun = clock.now
    client = ScriptedClient(deregister_managed_instance=[client_error("ThrottlingException")] * 30 + [{}])
    assert instances.deregister_managed_instance(client, MI).deregistered is True
    assert len(client.calls) == 31
    # sleeps 1, 2, then THROTTLED_MAX_DELAY: short, the pacer spaces the calls
    assert clock.now - begun == 1 + 2 + retry.THROTTLED_MAX_DELAY * 28


def test_a_throttled_call_gives_up_at_the_deadline_and_says_so(fake_time):
    clock, start = fake_time
    start(deadline=60)
    client = ScriptedClient(deregister_managed_instance=[client_error("ThrottlingException")])
    with pytest.raises(AnsibleSSMError) as raised:
        instances.deregister_managed_instance(client, MI)
    assert raised.value.code == "ThrottlingException"
    text = raised.value.message
    assert "throttled on 17 attempts over" in text and "s, until the task's deadline of 60s passed" in text, text
    assert "lower the concurrency" in text
    assert len(client.calls) == 17  # 16 sleeps are 1 + 2 + 4 * 14 = 59 s; the one after the 17th crosses the deadline


def test_without_a_deadline_a_throttled_call_gives_up_after_its_patience(fake_time):
    clock, start = fake_time
    start(deadline=None)
    begun = clock.now
    client = ScriptedClient(deregister_managed_instance=[client_error("ThrottlingException")])
    with pytest.raises(AnsibleSSMError) as raised:
        instances.deregister_managed_instance(client, MI)
    assert raised.value.code == "ThrottlingException"
    assert "the most a task without a deadline retries a throttled call" in raised.value.message
    assert retry.THROTTLED_PATIENCE <= clock.now - begun < retry.THROTTLED_PATIENCE + retry.THROTTLED_MAX_DELAY
    assert len(client.calls) > 24


def test_sustained_throttling_keeps_the_circuit_closed(fake_time):
    """Minutes of throttled answers are answers: the circuit (no answer for 60 s) stays closed, the call goes on."""
    clock, start = fake_time
    budget = start(deadline=None)
    client = ScriptedClient(deregister_managed_instance=[client_error("ThrottlingException")] * 40 + [{}])
    assert instances.deregister_managed_instance(client, MI).deregistered is True
    assert budget.stopped() is None


@pytest.mark.parametrize("code", ["InternalServerError", "ServiceUnavailable"])
def test_server_errors_keep_their_bound(code):
    client = ScriptedClient(deregister_managed_instance=[client_error(code)])
    with pytest.raises(AnsibleSSMError) as raised:
        instances.deregister_managed_instance(client, MI)
    assert raised.value.code == code
    assert len(client.calls) == retry.RETRY_ATTEMPTS  # AWSRetry counts attempts in all, not retries after the first


def test_throttled_attempts_do_not_count_towards_the_bound_of_server_errors(fake_time):
    _clock, start = fake_time
    start(deadline=3600)
    script = [client_error("ThrottlingException"), client_error("InternalServerError")] * (retry.RETRY_ATTEMPTS - 1) + [{}]
    client = ScriptedClient(deregister_managed_instance=script)
    assert instances.deregister_managed_instance(client, MI).deregistered is True
    assert len(client.calls) == 2 * (retry.RETRY_ATTEMPTS - 1) + 1


def test_a_closed_connection_is_retried():
    client = ScriptedClient(deregister_managed_instance=[closed(), client_error("ThrottlingException"), {}])
    assert instances.deregister_managed_instance(client, A).deregistered is True
    assert client.names() == ["deregister_managed_instance"] * 3


def test_closed_connections_run_out_into_a_mapped_error():
    client = ScriptedClient(deregister_managed_instance=[closed()])
    with pytest.raises(AnsibleSSMError) as raised:
        instances.deregister_managed_instance(client, A)
    assert raised.value.code == "ConnectionClosedError"
    assert len(client.calls) == retry.RETRY_ATTEMPTS


def test_an_endpoint_that_cannot_be_reached_is_not_retried_here():
    # botocore already retried the connect; a wrong endpoint_url should fail fast, not after minutes.
    client = ScriptedClient(deregister_managed_instance=[EndpointConnectionError(endpoint_url=URL), {}])
    with pytest.raises(AnsibleSSMError) as raised:
        instances.deregister_managed_instance(client, A)
    assert raised.value.code == "EndpointConnectionError" and len(client.calls) == 1


def test_every_call_gets_its_own_backoff_schedule(monkeypatch):
    """CloudRetry shares one backoff iterator per decorator: a call started meanwhile (another thread) restarted it."""
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    monkeypatch.setattr(cloud.random, "uniform", lambda low, high: high)  # no jitter: the schedule's upper bounds
    script = {"inner": [client_error("ThrottlingException")] * 3, "outer": [client_error("ThrottlingException")] * 2}

    @retry.ssm_retry
    def inner():
        if script["inner"]:
            raise script["inner"].pop(0)
        return "inner done"

    @retry.ssm_retry
    def outer():
        if script["outer"]:
            if len(script["outer"]) == 2:
                assert inner() == "inner done"  # a whole retried call in the middle of this one's retries
            raise script["outer"].pop(0)
        return "outer done"

    assert outer() == "outer done"
    # inner: 1, 2, 4; outer: 1 then 2 (with one shared iterator, outer's second sleep was 16)
    assert sleeps == [1, 2, 4, 1, 2]


def test_retry_codes_cover_ssm_throttling_and_server_errors():
    assert set(retry.SSM_RETRY_CODES) == {"ThrottlingException", "InternalServerError"}


def test_connection_closed_is_retried_too():
    assert retry.SSM_RETRY_CONNECTION_ERRORS == ("ConnectionClosedError",)


def test_a_call_waiting_to_retry_gives_up_when_the_circuit_opens(monkeypatch):
    """Retries of one node are not shortened by a count; they end when the task stops."""
    budget = budget_module.start_task(window=0, min_attempts=3)
    pauses = []
    monkeypatch.setattr(budget, "pause", lambda seconds: pauses.append(seconds) or budget.stopped() is None)
    client = ScriptedClient(deregister_managed_instance=[ConnectionClosedError(endpoint_url=URL)] * 8)
    with pytest.raises(AnsibleSSMError) as raised:
        instances.deregister_managed_instance(client, "mi-0123456789abcdef0")
    assert raised.value.code == "ConnectionClosedError"
    assert len(client.calls) == 3 < retry.RETRY_ATTEMPTS  # the third failure opened the circuit
    assert len(pauses) == 3


def test_answers_that_are_errors_of_the_call_keep_the_circuit_closed():
    budget = budget_module.start_task(window=0, min_attempts=1)
    client = ScriptedClient(deregister_managed_instance=[client_error("AccessDeniedException")] * 3)
    for _attempt in range(3):
        with pytest.raises(AnsibleSSMError):
            instances.deregister_managed_instance(client, "mi-0123456789abcdef0")
    assert budget.stopped() is None and len(client.calls) == 3


def test_no_call_starts_after_the_task_stopped():
    clock = Clock()
    budget_module.start_task(deadline=1, clock=clock)
    clock.now += 2
    client = ScriptedClient(deregister_managed_instance=[{}])
    with pytest.raises(budget_module.NotAttempted):
        instances.deregister_managed_instance(client, "mi-0123456789abcdef0")
    assert client.calls == []


# --- SendCommand (retry.ssm_retry_throttled): retried while throttled, never sent again after it may have run ---------

SEND = {"DocumentName": "AWS-RunShellScript", "InstanceIds": [A], "Comment": "hybridops:k1"}
SENT = {"Command": {"CommandId": "25173b39-c88d-4459-ba3d-8704a0000000"}}


def _send(client):
    from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import commands
    from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.served import Attempts

    return commands.send_command(client, dict(SEND), Attempts())


@pytest.mark.parametrize("code", sorted(retry.THROTTLING_CODES))
def test_send_command_is_retried_while_throttled(code):
    client = ScriptedClient(send_command=[client_error(code, "SendCommand")] * 3 + [SENT])
    assert _send(client) == SENT["Command"]
    assert client.names() == ["send_command"] * 4


@pytest.mark.parametrize(
    "error",
    [
        client_error("InternalServerError", "SendCommand", status=500),
        client_error("ServiceUnavailable", "SendCommand", status=503),
        client_error("InternalFailure", "SendCommand", status=500),
        closed(),
    ],
    ids=["InternalServerError", "ServiceUnavailable", "InternalFailure", "ConnectionClosedError"],
)
def test_send_command_is_never_sent_again_after_a_server_error_or_a_lost_answer(error):
    client = ScriptedClient(send_command=[error, SENT])
    with pytest.raises(AnsibleSSMError):
        _send(client)
    assert client.names() == ["send_command"]


def test_a_throttled_send_then_a_server_error_stops_there():
    client = ScriptedClient(
        send_command=[client_error("ThrottlingException", "SendCommand"), client_error("InternalServerError", "SendCommand", status=500), SENT]
    )
    with pytest.raises(AnsibleSSMError) as raised:
        _send(client)
    assert raised.value.code == "InternalServerError"
    assert client.names() == ["send_command"] * 2


def test_a_refused_send_is_not_retried():
    client = ScriptedClient(send_command=[client_error("InvalidInstanceId", "SendCommand"), SENT])
    with pytest.raises(AnsibleSSMError) as raised:
        _send(client)
    assert raised.value.code == "InvalidInstanceId" and client.names() == ["send_command"]


def test_a_throttled_send_gives_up_at_the_deadline_and_says_so(fake_time):
    _clock, start = fake_time
    start(deadline=60)
    client = ScriptedClient(send_command=[client_error("ThrottlingException", "SendCommand")])
    with pytest.raises(AnsibleSSMError) as raised:
        _send(client)
    assert "until the task's deadline of 60s passed" in raised.value.message
    assert len(client.calls) == 17  # as any throttled call: sleeps 1 + 2 + 4 * 14 = 59 s


def test_the_repeatable_policy_would_have_retried_what_sendcommand_does_not():
    """The contrast: the same server error, through ssm_retry, is attempted RETRY_ATTEMPTS times."""
    calls = []

    def flaky():
        calls.append(1)
        raise client_error("InternalServerError", "SendCommand", status=500)

    with pytest.raises(Exception):
        retry.ssm_retry(flaky)()
    throttled_calls = len(calls)
    calls.clear()
    with pytest.raises(Exception):
        retry.ssm_retry_throttled(flaky)()
    assert (throttled_calls, len(calls)) == (retry.RETRY_ATTEMPTS, 1)
