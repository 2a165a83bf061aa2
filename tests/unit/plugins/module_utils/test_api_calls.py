# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one-function-per-call layer: what it sends, batching, paging, retries, validation before sending."""

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import commands
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import instances
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError

from .doubles import ScriptedClient
from .doubles import client_error

MI = "mi-0123456789abcdef0"
CMD = "25173b39-c88d-4459-ba3d-8704a0000000"


def _ids(count):
    return ["mi-" + format(n, "017x") for n in range(count)]


def test_deregister_sends_one_call_and_reports_true():
    client = ScriptedClient(deregister_managed_instance=[{}])
    assert instances.deregister_managed_instance(client, MI).deregistered is True
    assert client.calls == [("deregister_managed_instance", {"InstanceId": MI})]


def test_deregister_of_an_unregistered_node_is_false():
    client = ScriptedClient(deregister_managed_instance=[client_error("InvalidInstanceId")])
    assert instances.deregister_managed_instance(client, MI).deregistered is False


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


def test_retries_run_out_into_a_mapped_error():
    client = ScriptedClient(deregister_managed_instance=[client_error("ThrottlingException")])
    with pytest.raises(AnsibleSSMError) as raised:
        instances.deregister_managed_instance(client, MI)
    assert raised.value.code == "ThrottlingException"
    assert "lower the concurrency" in raised.value.message
    assert len(client.calls) == 8  # AWSRetry counts attempts in all, not retries after the first


@pytest.mark.parametrize(
    "call, args",
    [
        (instances.deregister_managed_instance, ("i-0123456789abcdef0",)),
        (instances.update_managed_instance_role, ("mi-bad", "role")),
        (instances.update_managed_instance_role, (MI, "r" * 65)),
        (instances.add_instance_tags, (MI, {"aws:x": "y"})),
        (instances.list_instance_tags, ("nope",)),
        (instances.remove_instance_tags, ("nope", ["k"])),
        (instances.describe_instances_by_id, (["mi-bad"],)),
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


def test_describe_by_id_batches_fifty_per_call():
    def answer(**kwargs):
        values = kwargs["Filters"][0]["Values"]
        return {"InstanceInformationList": [{"InstanceId": v} for v in values if not v.endswith("7")]}

    ids = _ids(120)
    client = ScriptedClient(describe_instance_information=[answer])
    found, unreadable = instances.describe_instances_by_id(client, ids)
    assert unreadable == {}
    assert [len(kw["Filters"][0]["Values"]) for _name, kw in client.calls] == [50, 50, 20]
    assert all(kw["MaxResults"] == 50 for _name, kw in client.calls)
    assert set(found) == {i for i in ids if not i.endswith("7")}


def test_describe_follows_next_token_and_retries_a_page_alone():
    client = ScriptedClient(
        describe_instance_information=[
            {"InstanceInformationList": [{"InstanceId": "a"}], "NextToken": "t1"},
            client_error("ThrottlingException"),
            {"InstanceInformationList": [{"InstanceId": "b"}]},
        ]
    )
    nodes = instances.describe_instance_information(client, [{"Key": "PingStatus", "Values": ["ConnectionLost"]}])
    assert [n["InstanceId"] for n in nodes] == ["a", "b"]
    tokens = [kw.get("NextToken") for _name, kw in client.calls]
    assert tokens == [None, "t1", "t1"]


def test_tags_round_trip_as_dicts():
    client = ScriptedClient(
        list_tags_for_resource=[{"TagList": [{"Key": "Env", "Value": "prod"}]}],
        add_tags_to_resource=[{}],
        remove_tags_from_resource=[{}],
    )
    assert instances.list_instance_tags(client, MI) == {"Env": "prod"}
    instances.add_instance_tags(client, MI, {"Team": "ops"})
    instances.remove_instance_tags(client, MI, ["Env"])
    assert client.calls[1] == ("add_tags_to_resource", {"ResourceType": "ManagedInstance", "ResourceId": MI, "Tags": [{"Key": "Team", "Value": "ops"}]})
    assert client.calls[2] == ("remove_tags_from_resource", {"ResourceType": "ManagedInstance", "ResourceId": MI, "TagKeys": ["Env"]})


def test_tags_of_an_unregistered_node_are_none():
    client = ScriptedClient(list_tags_for_resource=[client_error("InvalidResourceId")])
    assert instances.list_instance_tags(client, MI) is None


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
