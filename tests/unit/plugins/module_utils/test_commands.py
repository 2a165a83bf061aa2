# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One function per Run Command call (commands.py): what is sent, what comes back, bad input refused."""

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import commands
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError

from .doubles import ScriptedClient
from .doubles import client_error

MI = "mi-0123456789abcdef0"
CMD = "25173b39-c88d-4459-ba3d-8704a0000000"


def _ids(count):
    return ["mi-" + format(n, "017x") for n in range(count)]


@pytest.mark.parametrize(
    "call, args",
    [
        (commands.cancel_command, ("short", None)),
        (commands.cancel_command, (CMD, ["mi-x"])),
        (commands.cancel_command, (CMD, _ids(51))),
        (commands.list_commands, ("short",)),
        (commands.list_command_invocations, (CMD, "bad")),
    ],
)
def test_invalid_input_never_reaches_the_client(call, args):
    client = ScriptedClient()
    with pytest.raises(SSMValidationError):
        call(client, *args)
    assert client.calls == []


def test_cancel_sends_ids_only_when_given_and_unknown_command_is_false():
    client = ScriptedClient(cancel_command=[{}, {}, client_error("InvalidCommandId")])
    assert commands.cancel_command(client, CMD) is True
    assert commands.cancel_command(client, CMD, [MI]) is True
    assert commands.cancel_command(client, CMD) is False
    assert client.calls[0] == ("cancel_command", {"CommandId": CMD})
    assert client.calls[1] == ("cancel_command", {"CommandId": CMD, "InstanceIds": [MI]})


def test_list_invocations_pages_and_unknown_command_is_empty():
    client = ScriptedClient(
        list_command_invocations=[
            {"CommandInvocations": [{"InstanceId": MI}], "NextToken": "n"},
            {"CommandInvocations": [{"InstanceId": "mi-1"}]},
        ]
    )
    assert [i["InstanceId"] for i in commands.list_command_invocations(client, CMD)] == [MI, "mi-1"]
    missing = ScriptedClient(list_command_invocations=[client_error("InvalidCommandId")])
    assert commands.list_command_invocations(missing, CMD) == []


def test_list_commands_sends_filters():
    client = ScriptedClient(list_commands=[{"Commands": [{"CommandId": CMD}]}])
    filters = [{"key": "Status", "value": "InProgress"}]
    assert commands.list_commands(client, instance_id=MI, filters=filters) == [{"CommandId": CMD}]
    assert client.calls[0][1] == {"MaxResults": 50, "InstanceId": MI, "Filters": filters}
