# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller credentials (credentials.py): the AWS_SECURITY_TOKEN fallback for AWX, Tower and AAP."""

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.credentials import security_token_fallback

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
