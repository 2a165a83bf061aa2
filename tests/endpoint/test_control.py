"""The control API itself: clock modes, route errors, and the generic model validation."""

import time
import urllib.error
import urllib.request

import pytest
from endpoint_helpers import client_error
from endpoint_helpers import make_client
from test_cli import invocation_status

from ssm_endpoint.control import ControlError
from ssm_endpoint.validation import validation_errors


def test_realtime_clock_advances_commands(ssm, control):
    instance_id = control.seed_nodes(1)["instance_ids"][0]
    command_id = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript")["Command"]["CommandId"]
    assert control.set_clock("realtime", step_interval=0.1) == {"mode": "realtime", "step_interval": 0.1}
    deadline = time.time() + 30  # a guard only: the command finishes in about 0.1 s when the machine is idle
    while invocation_status(ssm, command_id, instance_id) != "Success":
        assert time.time() < deadline
        time.sleep(0.05)
    control.set_clock("manual")


def test_manual_step_advances_endpoint_time(ssm, control):
    instance_id = control.seed_nodes(1)["instance_ids"][0]
    control.set_clock(step_interval=30)
    command_id = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript")["Command"]["CommandId"]
    control.step(3)
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
    assert got["Status"] == "Success" and got["ExecutionElapsedTime"].startswith("PT30.")


def test_steps_reach_every_region(endpoint, control):
    west = make_client(endpoint, region="eu-west-1")
    instance_id = control.seed_nodes(1, region="eu-west-1")["instance_ids"][0]
    command_id = west.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript")["Command"]["CommandId"]
    control.step(2)
    assert west.get_command_invocation(CommandId=command_id, InstanceId=instance_id)["Status"] == "Success"


def test_bad_clock_mode(control):
    with pytest.raises(ControlError):
        control.set_clock("warp")


def test_unknown_route_is_404(endpoint, control):
    del control
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(endpoint.url + "/_hybridops/nope", timeout=5)
    assert info.value.code == 404


def test_missing_required_field(control):
    with pytest.raises(ControlError) as info:
        control._call("POST", "nodes/seed", {})  # pylint: disable=protected-access
    assert info.value.code == "MissingParameter"


def test_invocation_control_errors(control):
    with pytest.raises(ControlError) as info:
        control.set_invocation("0" * 36)
    assert info.value.code == "InvalidCommandId"


def test_health(control):
    assert control.health()


def test_validation_message_lists_every_error(raw_ssm):
    code, status, message = client_error(raw_ssm.update_managed_instance_role, InstanceId="bad", IamRole="r" * 65)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("3 validation errors detected: ")
    assert "at 'instanceId' failed to satisfy constraint: Member must have length greater than or equal to 20" in message
    assert "at 'iamRole' failed to satisfy constraint: Member must have length less than or equal to 64" in message


@pytest.mark.parametrize(
    "operation, params, fragment",
    [
        ("DeregisterManagedInstance", {"InstanceId": "mi-" + "0" * 122}, "length less than or equal to 124"),
        ("CancelCommand", {"CommandId": "x" * 37}, "length less than or equal to 36"),
        ("CancelCommand", {"CommandId": "x" * 36, "InstanceIds": ["bogus"]}, "at 'instanceIds.1.member'"),
        ("DescribeInstanceInformation", {"MaxResults": 4}, "value greater than or equal to 5"),
        ("DescribeInstanceInformation", {"Filters": [{"Key": "PingStatus", "Values": []}]}, "length greater than or equal to 1"),
        ("ListCommands", {"Filters": [{"key": "Status", "value": ""}]}, "at 'filters.1.member.value'"),
        ("GetCommandInvocation", {"CommandId": "x" * 36, "InstanceId": "mi-0123456789abcdef0", "PluginName": "ab"}, "at 'pluginName'"),
        ("SendCommand", {}, "Value null at 'documentName'"),
    ],
)
def test_model_driven_validation(operation, params, fragment):
    errors = validation_errors(operation, params)
    assert any(fragment in e for e in errors), errors


def test_valid_input_has_no_errors():
    assert validation_errors("CancelCommand", {"CommandId": "x" * 36, "InstanceIds": ["mi-0123456789abcdef0", "i-0123456789abcdef0"]}) == []
