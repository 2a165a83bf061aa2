# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One function per SSM call on activations (activations.py): what is sent, what comes back, bad input refused."""

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import activations
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError

from .doubles import ScriptedClient
from .doubles import client_error

A = "0a1b2c3d-0000-4000-8000-00000000000a"
B = "0a1b2c3d-0000-4000-8000-00000000000b"


def test_describe_activations_filters_by_id_and_follows_next_token():
    client = ScriptedClient(
        describe_activations=[
            {"ActivationList": [{"ActivationId": A}], "NextToken": "t1"},
            client_error("ThrottlingException", operation="DescribeActivations"),
            {"ActivationList": [{"ActivationId": B}]},
        ]
    )
    found = activations.describe_activations(client, [A, B])
    assert [a["ActivationId"] for a in found] == [A, B]
    assert client.calls[0] == ("describe_activations", {"MaxResults": 50, "Filters": [{"FilterKey": "ActivationIds", "FilterValues": [A, B]}]})
    assert [kw.get("NextToken") for _name, kw in client.calls] == [None, "t1", "t1"]  # only the throttled page again


def test_delete_activation_sends_one_call_and_reports_true():
    client = ScriptedClient(delete_activation=[{}])
    assert activations.delete_activation(client, A) is True
    assert client.calls == [("delete_activation", {"ActivationId": A})]


@pytest.mark.parametrize("code", ["InvalidActivationId", "InvalidActivation"])
def test_delete_of_a_gone_activation_is_false(code):
    client = ScriptedClient(delete_activation=[client_error(code, operation="DeleteActivation")])
    assert activations.delete_activation(client, A) is False


def test_delete_other_errors_carry_code_and_advice():
    client = ScriptedClient(delete_activation=[client_error("TooManyUpdates", operation="DeleteActivation")])
    with pytest.raises(AnsibleSSMError) as raised:
        activations.delete_activation(client, A)
    assert raised.value.code == "TooManyUpdates" and "run again shortly" in raised.value.message


@pytest.mark.parametrize(
    "call, args",
    [
        (activations.delete_activation, ("0A1B2C3D-0000-4000-8000-00000000000A",)),
        (activations.delete_activation, ("not-a-uuid",)),
        (activations.describe_activations, ([],)),
        (activations.describe_activations, ([A, A],)),
        (activations.describe_activations, (["mi-0123456789abcdef0"],)),
    ],
)
def test_invalid_activation_ids_never_reach_the_client(call, args):
    client = ScriptedClient()
    with pytest.raises(SSMValidationError):
        call(client, *args)
    assert client.calls == []
