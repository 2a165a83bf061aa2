"""Eventual consistency (consistency.py and its users): deregistration, command visibility and tag lags."""

import json

import pytest
from endpoint_helpers import client_error
from endpoint_helpers import nodes
from test_cli import CLIENT_ERROR_RC  # noqa: F401  pylint: disable=unused-import
from test_cli import aws  # noqa: F401  pylint: disable=unused-import
from test_cli import fixture_aws_cli  # noqa: F401  pylint: disable=unused-import

DOC = "AWS-RunShellScript"
LAG = 30.0  # seconds of endpoint time; long enough that a slow machine (or the AWS CLI's start-up) cannot outrun it


@pytest.fixture(autouse=True)
def long_lags(control):
    """The realistic profile with longer lags, so the windows are tested on the endpoint clock, not on wall time."""
    settings = control.set_realism("realistic", deregister_lag_s=LAG, command_visibility_lag_s=LAG, tag_lag_s=LAG)
    assert settings["sparse_pages"] and settings["offline_agents"]


def listed_ids(ssm, **kwargs):
    """IDs DescribeInstanceInformation lists."""
    return [n["InstanceId"] for n in nodes(ssm, **kwargs)]


def test_deregistered_node_keeps_listing_for_the_lag(ssm, control):
    gone, kept = control.seed_nodes(2)["instance_ids"]
    control.set_ping([gone], "ConnectionLost")
    ssm.deregister_managed_instance(InstanceId=gone)
    ghost = nodes(ssm, Filters=[{"Key": "InstanceIds", "Values": [gone]}])
    assert [(n["InstanceId"], n["PingStatus"]) for n in ghost] == [(gone, "ConnectionLost")]
    assert listed_ids(ssm) == [gone, kept]
    assert client_error(ssm.deregister_managed_instance, InstanceId=gone)[0] == "InvalidInstanceId"
    assert client_error(ssm.update_managed_instance_role, InstanceId=gone, IamRole="R")[0] == "InvalidInstanceId"
    assert client_error(ssm.add_tags_to_resource, ResourceType="ManagedInstance", ResourceId=gone, Tags=[{"Key": "k", "Value": "v"}])[0] == "InvalidResourceId"
    assert client_error(ssm.list_tags_for_resource, ResourceType="ManagedInstance", ResourceId=gone)[0] == "InvalidResourceId"
    assert client_error(ssm.send_command, InstanceIds=[gone], DocumentName=DOC)[0] == "InvalidInstanceId"
    control.advance(LAG)
    assert listed_ids(ssm) == [kept]


def test_realistic_defaults_pass_on_the_endpoint_clock(ssm, control):
    control.reset()
    gone = control.seed_nodes(1)["instance_ids"][0]
    ssm.deregister_managed_instance(InstanceId=gone)
    control.advance(3)
    assert listed_ids(ssm) == []


def test_tidy_deregistration_is_immediate(ssm, control):
    control.set_realism("tidy")
    gone = control.seed_nodes(1)["instance_ids"][0]
    ssm.deregister_managed_instance(InstanceId=gone)
    assert listed_ids(ssm) == []


def test_new_command_is_invisible_for_the_lag(ssm, control):
    instance_id = control.seed_nodes(1)["instance_ids"][0]
    command_id = ssm.send_command(InstanceIds=[instance_id], DocumentName=DOC)["Command"]["CommandId"]
    assert ssm.list_commands()["Commands"] == []
    assert ssm.list_commands(CommandId=command_id)["Commands"] == []
    assert ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"] == []
    assert ssm.list_command_invocations(InstanceId=instance_id)["CommandInvocations"] == []
    assert client_error(ssm.get_command_invocation, CommandId=command_id, InstanceId=instance_id)[0] == "InvocationDoesNotExist"
    ssm.cancel_command(CommandId=command_id)  # accepted although the command cannot be listed yet
    control.advance(LAG)
    assert [c["Status"] for c in ssm.list_commands(CommandId=command_id)["Commands"]] == ["Cancelling"]
    assert [i["InstanceId"] for i in ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"]] == [instance_id]


def test_unknown_command_id_is_still_invalid(ssm, control):
    del control
    unknown = "11111111-2222-3333-4444-555555555555"
    assert client_error(ssm.list_commands, CommandId=unknown)[0] == "InvalidCommandId"
    assert client_error(ssm.cancel_command, CommandId=unknown)[0] == "InvalidCommandId"


def test_tag_changes_reach_reads_after_the_lag(ssm, control):
    instance_id = control.seed_nodes(1, tags={"env": "lab"})["instance_ids"][0]
    ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=instance_id, Tags=[{"Key": "env", "Value": "prod"}])
    ssm.remove_tags_from_resource(ResourceType="ManagedInstance", ResourceId=instance_id, TagKeys=["missing"])

    def tags():
        return ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=instance_id)["TagList"]

    assert tags() == [{"Key": "env", "Value": "lab"}]
    assert listed_ids(ssm, Filters=[{"Key": "tag:env", "Values": ["prod"]}]) == []
    control.advance(LAG)
    assert tags() == [{"Key": "env", "Value": "prod"}]
    assert listed_ids(ssm, Filters=[{"Key": "tag:env", "Values": ["prod"]}]) == [instance_id]
    ssm.remove_tags_from_resource(ResourceType="ManagedInstance", ResourceId=instance_id, TagKeys=["env"])
    assert tags() == [{"Key": "env", "Value": "prod"}]
    control.advance(LAG)
    assert tags() == []


def test_cli_deregister_lag_and_command_visibility(aws_cli, endpoint, control):
    del aws_cli
    gone = control.seed_nodes(1)["instance_ids"][0]
    assert aws(endpoint, "deregister-managed-instance", "--instance-id", gone).returncode == 0
    still = aws(endpoint, "describe-instance-information")
    assert [n["InstanceId"] for n in json.loads(still.stdout)["InstanceInformationList"]] == [gone]
    again = aws(endpoint, "deregister-managed-instance", "--instance-id", gone)
    assert again.returncode == CLIENT_ERROR_RC and "InvalidInstanceId" in again.stderr
    node = control.seed_nodes(1)["instance_ids"][0]
    sent = aws(endpoint, "send-command", "--instance-ids", node, "--document-name", DOC)
    command_id = json.loads(sent.stdout)["Command"]["CommandId"]
    empty = aws(endpoint, "list-command-invocations", "--command-id", command_id)
    assert empty.returncode == 0 and json.loads(empty.stdout)["CommandInvocations"] == []
    control.advance(LAG)
    seen = aws(endpoint, "list-command-invocations", "--command-id", command_id)
    assert [i["InstanceId"] for i in json.loads(seen.stdout)["CommandInvocations"]] == [node]
