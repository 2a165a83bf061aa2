# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Answers lost after SSM served a call (served.py): counted per call, so a deregister retried after one is not read as already_absent."""

import json

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError
from botocore.exceptions import EndpointConnectionError

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import instances
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import managed_instances as mi
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import served

URL = "https://ssm.us-east-1.amazonaws.com/"
A, B = "mi-0000000000000000a", "mi-0000000000000000b"


def closed():
    return ConnectionClosedError(endpoint_url=URL)


class _Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, **kwargs):
        del kwargs
        yield self.body


def _answer(status, payload):
    return AWSResponse(URL, status, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(json.dumps(payload).encode()))


class FakeSSMService:
    """SSM behind a real botocore client (before-send answers instead of HTTP): describe lists ``registered``,
    a deregister removes the node; ``faults[instance_id]`` scripts each attempt's fault first."""

    def __init__(self, registered, faults):
        self.registered = list(registered)
        self.faults = {k: list(v) for k, v in faults.items()}
        self.attempts = []

    def __call__(self, request, **kwargs):
        del kwargs
        operation = request.headers["X-Amz-Target"].decode().split(".")[1]
        params = json.loads(request.body)
        if operation == "DescribeInstanceInformation":
            wanted = params["Filters"][0]["Values"]
            return _answer(200, {"InstanceInformationList": [{"InstanceId": i} for i in self.registered if i in wanted]})
        instance_id = params["InstanceId"]
        fault = self.faults.get(instance_id, []).pop(0) if self.faults.get(instance_id) else None
        self.attempts.append((instance_id, fault))
        if fault == "throttle":
            return _answer(400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
        if fault == "vanish":  # someone else deregisters it just before our call
            self.registered.remove(instance_id)
        elif fault in ("drop_after", "server_error_after"):  # served, then the answer is lost
            self.registered.remove(instance_id)
            if fault == "drop_after":
                raise closed()
            return _answer(500, {"__type": "InternalServerError", "message": "boom"})
        if instance_id not in self.registered:
            return _answer(400, {"__type": "InvalidInstanceId", "message": "not registered"})
        self.registered.remove(instance_id)
        return _answer(200, {})


def real_client(service, botocore_attempts):
    client = boto3.client(
        "ssm",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": botocore_attempts, "mode": "standard"}),
    )
    client.meta.events.register("before-send.ssm", service)
    served.count_unanswered(client)
    return client


def test_note_attempt_counts_only_attempts_that_may_have_been_served():
    attempts = served.Attempts()
    context = {"context": {}}
    served.carry_attempts(params={"InstanceId": A, **attempts.params()}, context=context["context"])
    answered = (AWSResponse(URL, 400, {}, None), {})
    served.note_attempt(request_dict=context, response=answered, caught_exception=None)
    served.note_attempt(request_dict=context, response=None, caught_exception=EndpointConnectionError(endpoint_url=URL))
    assert attempts.unanswered == 0
    served.note_attempt(request_dict=context, response=None, caught_exception=closed())
    served.note_attempt(request_dict=context, response=(AWSResponse(URL, 500, {}, None), {}), caught_exception=None)
    assert attempts.unanswered == 2
    # a call made without an Attempts is not counted anywhere, and another call's record is its own
    served.note_attempt(request_dict={"context": {}}, response=None, caught_exception=closed())
    assert served.Attempts().unanswered == 0 and attempts.unanswered == 2


@pytest.mark.parametrize("botocore_attempts", [1, 3], ids=["retried-here", "retried-by-botocore"])
def test_a_lost_answer_is_reported_as_deregistered_not_already_absent(monkeypatch, botocore_attempts):
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)
    service = FakeSSMService([A, B], {A: ["drop_after"], B: ["server_error_after"]})
    changed, result = mi.ensure_absent(real_client(service, botocore_attempts), [A, B], check_mode=False, concurrency=1)
    assert changed is True
    assert [o["outcome"] for o in result["outcomes"]] == ["deregistered", "deregistered"]
    assert all(o["msg"] == mi.ANSWER_LOST_NOTE for o in result["outcomes"])
    assert service.attempts == [(A, "drop_after"), (A, None), (B, "server_error_after"), (B, None)]
    assert service.registered == []


def test_a_node_that_vanished_on_an_answered_attempt_is_already_absent(monkeypatch):
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)
    service = FakeSSMService([A, B], {A: ["throttle", "vanish"], B: ["throttle"]})
    changed, result = mi.ensure_absent(real_client(service, 3), [A, B], check_mode=False, concurrency=2)
    assert changed is True  # B
    assert {o["instance_id"]: {k: o[k] for k in ("instance_id", "outcome")} for o in result["outcomes"]} == {
        A: {"instance_id": A, "outcome": "already_absent"},
        B: {"instance_id": B, "outcome": "deregistered"},
    }


def test_only_a_vanished_node_changes_nothing(monkeypatch):
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)
    service = FakeSSMService([A], {A: ["vanish"]})
    changed, result = mi.ensure_absent(real_client(service, 3), [A], check_mode=False, concurrency=1)
    assert changed is False and [(o["instance_id"], o["outcome"]) for o in result["outcomes"]] == [(A, "already_absent")]


def test_a_plain_botocore_client_counts_too_and_each_attempt_once(monkeypatch):
    """A client not made by client.ssm_client: the deregister call sets the hooks up itself, once however often it runs."""
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)
    service = FakeSSMService([A, B], {A: ["drop_after"], B: ["drop_after"]})
    client = boto3.client(
        "ssm",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 3, "mode": "standard"}),
    )
    client.meta.events.register("before-send.ssm", service)
    assert tuple(instances.deregister_managed_instance(client, A)) == (False, 1)
    served.count_unanswered(client)
    assert tuple(instances.deregister_managed_instance(client, B)) == (False, 1)
    assert service.registered == []
