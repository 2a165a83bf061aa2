# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The connection options (connection.py), checked before the client is made."""

import pytest
from botocore.exceptions import InvalidRegionError
from botocore.utils import validate_region_name

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.connection import check_connection
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError


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
