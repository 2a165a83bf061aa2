"""hosts.py: seeding a host on a node through the control API, and which document runs where."""

import pytest

from ssm_endpoint.control import ControlError


def test_seed_host_on_a_registered_node(ssm, control):
    act = ssm.create_activation(IamRole="SSMServiceRole", RegistrationLimit=1)
    node = control.register(act["ActivationId"], act["ActivationCode"], platform_type="Windows")
    state = control.seed_host(node)
    assert (state["platform"], state["ping_status"], state["agent_running"]) == ("Windows", "Online", True)
    with pytest.raises(ControlError) as info:
        control.seed_host(node)
    assert info.value.code == "BadRequest"


def test_host_of_a_node_without_one_is_refused(control):
    plain = control.seed_nodes(1)["instance_ids"][0]
    with pytest.raises(ControlError) as info:
        control.host(plain)
    assert info.value.code == "BadRequest"
    with pytest.raises(ControlError) as info:
        control.seed_host(plain, platform="MacOS")
    assert info.value.code == "BadRequest"


def test_nodes_without_a_host_keep_the_scripted_model(ssm, control):
    control.set_realism("tidy")
    plain = control.seed_nodes(1)["instance_ids"][0]
    command_id = ssm.send_command(InstanceIds=[plain], DocumentName="AWS-RunShellScript", Parameters={"commands": ["exit 3"]})["Command"]["CommandId"]
    control.step(2)
    answer = ssm.get_command_invocation(CommandId=command_id, InstanceId=plain)
    assert (answer["Status"], answer["ResponseCode"], answer["StandardOutputContent"]) == ("Success", 0, "")
