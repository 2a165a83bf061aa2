# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller credentials (AWS_SECURITY_TOKEN) and client creation."""

import pytest
from botocore.exceptions import InvalidRegionError
from botocore.utils import validate_region_name

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import client as ssm_client_module
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import retry
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import served
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.connection import check_connection
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.credentials import security_token_fallback
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError

from .doubles import ScriptedClient

KEYS = {"access_key": "AKIDEXAMPLE", "secret_key": "secret", "session_token": None, "profile": None}


def test_awx_token_fills_the_gap_when_keys_come_without_a_token():
    assert security_token_fallback(dict(KEYS), {"AWS_SECURITY_TOKEN": "tok"}) == "tok"


@pytest.mark.parametrize(
    "params, environ",
    [
        (dict(KEYS, session_token="given"), {"AWS_SECURITY_TOKEN": "tok"}),
        (dict(KEYS, profile="ops"), {"AWS_SECURITY_TOKEN": "tok"}),
        (dict(KEYS), {"AWS_SECURITY_TOKEN": "tok", "AWS_SESSION_TOKEN": "session"}),
        (dict(KEYS, access_key=None, secret_key=None), {"AWS_SECURITY_TOKEN": "tok"}),
        (dict(KEYS), {}),
        (dict(KEYS), {"AWS_SECURITY_TOKEN": ""}),
    ],
)
def test_no_fallback_where_it_would_override_or_is_not_needed(params, environ):
    assert security_token_fallback(params, environ) is None


class FakeModule:
    def __init__(self, params):
        self.params = params
        self.no_log_values = set()
        self.client_calls = []
        self.made = ScriptedClient()

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


def test_retry_codes_cover_ssm_throttling_and_server_errors():
    assert set(retry.SSM_RETRY_CODES) == {"ThrottlingException", "InternalServerError"}


def test_ssm_client_notes_every_attempt_for_lost_answers(monkeypatch):
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    module = FakeModule(dict(KEYS))
    client = ssm_client_module.ssm_client(module)
    assert ("needs-retry.ssm", served.note_attempt, "hybridops.ssm.note_attempt") in client.meta.events.registered
    assert ("provide-client-params.ssm", served.carry_attempts, "hybridops.ssm.carry_attempts") in client.meta.events.registered


def test_connection_closed_is_retried_too():
    assert retry.SSM_RETRY_CONNECTION_ERRORS == ("ConnectionClosedError",)


# --- the connection options, checked before the client is built ----------------------------------

@pytest.mark.parametrize(
    "params, fragments",
    [
        ({"region": "eu west 1"}, ["region: 'eu west 1' is not a valid AWS region name", "must match"]),
        ({"region": "-eu-west-1"}, ["region: '-eu-west-1'"]),
        ({"endpoint_url": "127.0.0.1:4566"}, ["endpoint_url: '127.0.0.1:4566' is not a valid endpoint URL", "http:// or https://"]),
        ({"endpoint_url": "ftp://example.com"}, ["endpoint_url: 'ftp://example.com'"]),
        ({"profile": "ops", "access_key": "AKID", "secret_key": "s3cr3t"}, ["profile: 'ops' cannot be combined with access_key, secret_key"]),
        ({"profile": "ops", "session_token": "t0k3n"}, ["profile: 'ops' cannot be combined with session_token"]),
        ({"access_key": "AKIDONLY"}, ["access_key: 'AKIDONLY' is given without secret_key", "together"]),
        ({"secret_key": "s3cr3t"}, ["secret_key: given without access_key", "together"]),
        ({"aws_ca_bundle": "/nonexistent/ca.pem"}, ["aws_ca_bundle: '/nonexistent/ca.pem' is not a file"]),
        ({"aws_config": {"retries": "x"}}, ["aws_config: {'retries': 'x'} is not a valid botocore configuration"]),
        ({"aws_config": {"no_such_setting": 1}}, ["aws_config: {'no_such_setting': 1}", "no_such_setting"]),
    ],
)
def test_bad_connection_options_name_option_value_and_rule(params, fragments):
    with pytest.raises(SSMValidationError) as caught:
        check_connection(params)
    message = str(caught.value.message)
    assert [f for f in fragments if f not in message] == []
    assert "s3cr3t" not in message and "t0k3n" not in message


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"region": "eu-west-1", "endpoint_url": "http://127.0.0.1:4566", "access_key": "AKID", "secret_key": "s"},
        {"region": "us-gov-west-1", "profile": "ops", "access_key": "", "secret_key": ""},
        {"aws_ca_bundle": "/nonexistent/ca.pem", "validate_certs": False},
        {"aws_config": {"retries": {"total_max_attempts": 1}, "connect_timeout": 5}},
    ],
)
def test_good_connection_options_pass(params):
    check_connection(params)


@pytest.mark.parametrize("region", ["eu-west-1", "us-gov-west-1", "cn-north-1", "local", "eu west 1", "123", "-a", "a-", "x" * 64])
def test_region_constraint_agrees_with_botocore(region):
    try:
        validate_region_name(region)
        botocore_accepts = True
    except InvalidRegionError:
        botocore_accepts = False
    try:
        check_connection({"region": region})
        we_accept = True
    except SSMValidationError:
        we_accept = False
    assert we_accept == botocore_accepts
