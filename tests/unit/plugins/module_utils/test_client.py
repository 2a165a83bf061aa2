# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller credentials (AWS_SECURITY_TOKEN) and client creation."""

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import client as ssm_client_module
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.client import security_token_fallback

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
    assert set(ssm_client_module.SSM_RETRY_CODES) == {"ThrottlingException", "InternalServerError"}


def test_ssm_client_notes_every_attempt_for_lost_answers(monkeypatch):
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    module = FakeModule(dict(KEYS))
    client = ssm_client_module.ssm_client(module)
    assert ("needs-retry.ssm", ssm_client_module.note_attempt, "hybridops.ssm.note_attempt") in client.meta.events.registered


def test_connection_closed_is_retried_too():
    assert ssm_client_module.SSM_RETRY_CONNECTION_ERRORS == ("ConnectionClosedError",)
