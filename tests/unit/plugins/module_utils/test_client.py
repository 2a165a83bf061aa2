# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The client factory (client.py): token passed and masked, every hook registered."""

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import client as ssm_client_module
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import served

from .doubles import ScriptedClient

KEYS = {"access_key": "AKIDEXAMPLE", "secret_key": "secret", "session_token": None, "profile": None}


class Failed(Exception):
    pass


class FakeModule:
    _name = "ssm_managed_instance_info"

    def __init__(self, params, region="us-east-1"):
        self.params = params
        self.region = region
        self.no_log_values = set()
        self.client_calls = []
        self.made = ScriptedClient()

    def fail_json(self, **kwargs):
        raise Failed(kwargs)

    def client(self, service, **kwargs):
        self.client_calls.append((service, kwargs, dict(self.params)))
        return self.made


def test_ssm_client_passes_the_token_and_masks_it(monkeypatch):
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "tok-123")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    module = FakeModule(dict(KEYS))
    assert ssm_client_module.ssm_client(module) is module.made
    service, kwargs, params_at_call = module.client_calls[0]
    assert service == "ssm"
    assert kwargs == {"config": {"max_pool_connections": 20}}
    assert params_at_call["session_token"] == "tok-123"
    assert "tok-123" in module.no_log_values


def test_ssm_client_leaves_params_alone_without_awx_token(monkeypatch):
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    module = FakeModule(dict(KEYS))
    ssm_client_module.ssm_client(module)
    assert module.params["session_token"] is None
    assert not module.no_log_values


def test_ssm_client_notes_every_attempt_for_lost_answers(monkeypatch):
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    module = FakeModule(dict(KEYS))
    client = ssm_client_module.ssm_client(module)
    assert ("needs-retry.ssm", served.note_attempt, "hybridops.ssm.note_attempt") in client.meta.events.registered
    assert ("provide-client-params.ssm", served.carry_attempts, "hybridops.ssm.carry_attempts") in client.meta.events.registered


def test_ssm_client_fails_a_missing_region_with_its_code():
    module = FakeModule(dict(KEYS), region=None)
    with pytest.raises(Failed) as failure:
        ssm_client_module.ssm_client(module)
    result = failure.value.args[0]
    assert result["error_code"] == "NoRegionError" and "AWS_REGION" in result["msg"]
    assert not module.client_calls


ASSUMED = {"AccessKeyId": "ASIAASSUMED", "SecretAccessKey": "assumed-secret-value", "SessionToken": "assumed-session-token"}


def test_a_client_of_another_account_and_region_signs_with_the_assumed_keys_and_masks_them(monkeypatch):
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    module = FakeModule(dict(KEYS, endpoint_url="http://127.0.0.1:1", validate_certs=True, aws_ca_bundle=None, aws_config=None, region="us-east-1"))
    made = ssm_client_module.ssm_client(module, "eu-west-1", ASSUMED)
    assert module.client_calls == []  # one shared session, not a new one (a model load) per client
    assert made.meta.region_name == "eu-west-1" and made.meta.endpoint_url == "http://127.0.0.1:1"
    credentials = made._request_signer._credentials  # pylint: disable=protected-access
    assert (credentials.access_key, credentials.secret_key, credentials.token) == ("ASIAASSUMED", "assumed-secret-value", "assumed-session-token")
    assert {"assumed-secret-value", "assumed-session-token"} <= module.no_log_values
    other = ssm_client_module.ecs_client(module, "us-east-1")  # the task's own keys, another region, the same session
    assert other._request_signer._credentials.access_key == "AKIDEXAMPLE"  # pylint: disable=protected-access
    assert other.meta.region_name == "us-east-1"
