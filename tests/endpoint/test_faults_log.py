"""Fault injection and the request log, seen through boto3."""

import time
import urllib.request

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from endpoint_helpers import CREDS
from endpoint_helpers import client_error
from endpoint_helpers import make_client
from endpoint_helpers import nodes

from ssm_endpoint.control import ControlError


def test_throttle_next_then_success(ssm, control):
    control.set_faults(operation="DescribeInstanceInformation", throttle_next=2)
    assert client_error(ssm.describe_instance_information) == ("ThrottlingException", 400, "Rate exceeded")
    assert client_error(ssm.describe_instance_information)[0] == "ThrottlingException"
    ssm.describe_instance_information()
    assert [e["fault"] for e in control.log()] == ["throttle", "throttle", None]


def test_rule_is_per_operation(ssm, control):
    control.set_faults(operation="CancelCommand", throttle_next=5)
    ssm.describe_instance_information()
    assert control.count("DescribeInstanceInformation") == 1


def test_wildcard_rule(ssm, control):
    control.set_faults(server_error_next=1)
    code, status, _message = client_error(ssm.describe_activations)
    assert (code, status) == ("InternalServerError", 500)
    ssm.describe_activations()


def test_faulted_call_changes_nothing(ssm, control):
    instance_id = control.seed_nodes(1)["instance_ids"][0]
    control.set_faults(operation="DeregisterManagedInstance", throttle_next=1)
    client_error(ssm.deregister_managed_instance, InstanceId=instance_id)
    assert len(nodes(ssm)) == 1


def test_retrying_client_gets_through(endpoint, control):
    control.set_faults(operation="DescribeInstanceInformation", throttle_next=2)
    retrying = make_client(endpoint, retries={"total_max_attempts": 3, "mode": "standard"})
    retrying.describe_instance_information()
    assert control.count("DescribeInstanceInformation", only_ok=False) == 3
    assert control.count("DescribeInstanceInformation") == 1


def test_rate_is_seeded_and_roughly_honoured(ssm, control):
    def run():
        control.reset()
        control.set_faults(throttle_rate=0.3, seed=7)
        outcomes = []
        for _unused in range(60):
            try:
                ssm.describe_activations()
                outcomes.append(True)
            except botocore.exceptions.ClientError:
                outcomes.append(False)
        return outcomes

    first = run()
    assert first == run()
    assert 8 <= first.count(False) <= 30


def test_latency(ssm, control):
    # 2 s, so that a loaded machine's pause inside the second call cannot pass for a latency left in place
    control.set_faults(latency_ms=2000)
    started = time.perf_counter()
    ssm.describe_activations()
    assert time.perf_counter() - started >= 2.0
    control.clear_faults()
    started = time.perf_counter()
    ssm.describe_activations()
    assert time.perf_counter() - started < 2.0


def test_drop_is_a_connection_error(endpoint, ssm, control):
    control.set_faults(operation="DescribeInstanceInformation", drop_next=1)
    single = make_client(endpoint, retries={"total_max_attempts": 1})
    with pytest.raises((botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)):
        single.describe_instance_information()
    ssm.describe_instance_information()
    assert [e["fault"] for e in control.log()] == ["drop", None]


def test_drop_rate(ssm, control):
    control.set_faults(drop_rate=1.0)
    with pytest.raises((botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)):
        ssm.describe_activations()


def test_clear_faults(ssm, control):
    control.set_faults(throttle_next=3)
    control.clear_faults()
    ssm.describe_activations()


def test_bad_fault_field_rejected(control):
    with pytest.raises(ControlError):
        control.set_faults(throttle_nxt=1)


def test_log_entry_fields(ssm, control):
    client_error(ssm.deregister_managed_instance, InstanceId="mi-0123456789abcdef0")
    entry = control.log()[-1]
    assert entry["operation"] == "DeregisterManagedInstance" and entry["params"] == {"InstanceId": "mi-0123456789abcdef0"}
    assert (entry["status"], entry["error"], entry["fault"]) == (400, "InvalidInstanceId", None)
    assert (entry["region"], entry["account"], entry["session_token_sent"]) == ("us-east-1", "123456789012", False)
    assert isinstance(entry["seq"], int) and isinstance(entry["time"], float)
    assert CREDS["aws_secret_access_key"] not in str(entry) and CREDS["aws_access_key_id"] not in str(entry)


def test_log_since_clear_and_operations(ssm, control):
    ssm.describe_activations()
    mark = control.log()[-1]["seq"]
    ssm.describe_instance_information()
    assert control.operations(since=mark) == ["DescribeInstanceInformation"]
    assert control.operations() == ["DescribeActivations", "DescribeInstanceInformation"]
    last = control.log()[-1]["seq"]
    control.clear_log()
    assert control.log() == []
    control.seed_nodes(1)  # control routes are not logged
    assert control.log() == []
    ssm.describe_activations()
    assert control.log()[0]["seq"] == last + 1


def test_session_token_sent(endpoint, control):
    with_token = boto3.client("ssm", endpoint_url=endpoint.url, region_name="us-east-1", aws_session_token="tok-secret-value", **CREDS)
    with_token.describe_activations()
    entry = control.log()[-1]
    assert entry["session_token_sent"] is True and "tok-secret-value" not in str(entry)


def test_reset_clears_everything(ssm, control):
    control.seed_nodes(2)
    ssm.put_parameter(Name="p", Value="v", Type="String")
    control.set_faults(operation="GetParameter", throttle_next=5)
    control.set_clock("manual", step_interval=5)
    control.reset()
    assert nodes(ssm) == [] and ssm.describe_activations()["ActivationList"] == []
    assert control.log()[-1]["operation"] == "DescribeActivations" and len(control.log()) == 2
    assert client_error(ssm.get_parameter, Name="p")[0] == "ParameterNotFound"  # other moto state too, and no fault left
    assert control.set_clock() == {"mode": "manual", "step_interval": 2.0}


def test_moto_api_reset_rebuilds_our_state(endpoint, ssm, control):
    control.seed_nodes(2)
    with urllib.request.urlopen(urllib.request.Request(endpoint.url + "/moto-api/reset", method="POST"), timeout=10) as response:
        assert response.status == 200
    assert nodes(ssm) == []
    control.seed_nodes(1)
    assert len(nodes(ssm)) == 1


def test_region_isolation(endpoint, ssm, control):
    west = make_client(endpoint, region="eu-west-1")
    east_ids = control.seed_nodes(2)["instance_ids"]
    west_ids = control.seed_nodes(1, region="eu-west-1")["instance_ids"]
    assert [n["InstanceId"] for n in nodes(ssm)] == east_ids
    assert [n["InstanceId"] for n in nodes(west)] == west_ids
    assert client_error(west.deregister_managed_instance, InstanceId=east_ids[0])[0] == "InvalidInstanceId"
    assert control.log()[-1]["region"] == "eu-west-1"


def test_account_isolation(endpoint, ssm, control):
    other = make_client(endpoint)
    other.meta.events.register("before-sign.ssm.*", lambda request, **kw: request.headers.__setitem__("x-moto-account-id", "111122223333"))
    control.seed_nodes(1, account="111122223333")
    control.seed_nodes(2)
    assert len(nodes(other)) == 1 and len(nodes(ssm)) == 2
    assert control.log()[0]["account"] == "111122223333"


def test_count_only_ok(endpoint, control):
    """count() separates successful calls from all attempts."""
    client = boto3.client("ssm", endpoint_url=endpoint.url, region_name="us-east-1", config=Config(retries={"max_attempts": 0}), **CREDS)
    control.set_faults(throttle_next=1)
    client_error(client.describe_activations)
    assert control.count("DescribeActivations", only_ok=False) == 1 and control.count("DescribeActivations") == 0


def test_drop_after_serves_the_call_then_loses_the_answer(endpoint, ssm, control):
    first, second = control.seed_nodes(2)["instance_ids"]
    control.set_faults(operation="DeregisterManagedInstance", drop_after_next=1)
    single = make_client(endpoint, retries={"total_max_attempts": 1})
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        single.deregister_managed_instance(InstanceId=first)
    control.advance(3)  # past the realistic profile's deregistration lag
    assert [n["InstanceId"] for n in nodes(ssm)] == [second]  # served all the same
    assert client_error(ssm.deregister_managed_instance, InstanceId=first)[0] == "InvalidInstanceId"  # what a retry sees
    deregisters = [e for e in control.log() if e["operation"] == "DeregisterManagedInstance"]
    assert [(e["status"], e["error"], e["fault"]) for e in deregisters] == [(200, None, "drop_after"), (400, "InvalidInstanceId", None)]


def test_drop_before_changes_nothing(endpoint, ssm, control):
    instance_id = control.seed_nodes(1)["instance_ids"][0]
    control.set_faults(operation="DeregisterManagedInstance", drop_next=1)
    single = make_client(endpoint, retries={"total_max_attempts": 1})
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        single.deregister_managed_instance(InstanceId=instance_id)
    assert [n["InstanceId"] for n in nodes(ssm)] == [instance_id]
    assert (control.log()[0]["status"], control.log()[0]["fault"]) == (0, "drop")


def test_rule_naming_nodes_covers_only_calls_naming_them(ssm, control):
    stuck, *others = control.seed_nodes(4)["instance_ids"]
    control.set_faults(operation="DeregisterManagedInstance", instance_ids=[stuck], throttle_rate=1.0)
    for _unused in range(3):
        assert client_error(ssm.deregister_managed_instance, InstanceId=stuck)[0] == "ThrottlingException"
    for instance_id in others:
        ssm.deregister_managed_instance(InstanceId=instance_id)
    ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [stuck]}])  # another operation: not covered
    control.advance(3)  # past the realistic profile's deregistration lag
    assert [n["InstanceId"] for n in nodes(ssm)] == [stuck]
    assert [e["fault"] for e in control.log() if e["params"].get("InstanceId") == stuck] == ["throttle"] * 3


def test_rule_naming_nodes_matches_lists_filters_and_resource_ids(endpoint, ssm, control):
    stuck, other = control.seed_nodes(2)["instance_ids"]
    control.set_faults(instance_ids=[stuck], server_error_rate=1.0)
    assert client_error(ssm.describe_instance_information, Filters=[{"Key": "InstanceIds", "Values": [other, stuck]}])[0] == "InternalServerError"
    assert client_error(ssm.list_tags_for_resource, ResourceType="ManagedInstance", ResourceId=stuck)[0] == "InternalServerError"
    command_id = ssm.send_command(InstanceIds=[other], DocumentName="AWS-RunShellScript")["Command"]["CommandId"]
    assert client_error(ssm.cancel_command, CommandId=command_id, InstanceIds=[stuck])[0] == "InternalServerError"
    ssm.cancel_command(CommandId=command_id, InstanceIds=[other])
    ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [other]}])
    ssm.describe_activations()  # names no node
    assert control.log()[-1]["fault"] is None


def test_most_specific_rule_decides(ssm, control):
    stuck, other = control.seed_nodes(2)["instance_ids"]
    control.set_faults(throttle_rate=1.0)  # everything, except what a more specific rule covers
    control.set_faults(operation="DeregisterManagedInstance", server_error_rate=1.0)
    control.set_faults(operation="*", instance_ids=[stuck], drop_after_rate=0.0)  # named nodes: no fault at all
    assert client_error(ssm.describe_activations)[0] == "ThrottlingException"
    assert client_error(ssm.deregister_managed_instance, InstanceId=other)[0] == "InternalServerError"
    ssm.deregister_managed_instance(InstanceId=stuck)
    assert [e["fault"] for e in control.log()] == ["throttle", "server_error", None]


def test_rule_replaced_per_operation_and_node_set(ssm, control):
    stuck = control.seed_nodes(1)["instance_ids"][0]
    control.set_faults(operation="DeregisterManagedInstance", instance_ids=[stuck], throttle_rate=1.0)
    control.set_faults(operation="DeregisterManagedInstance", instance_ids=[stuck], throttle_next=1)
    assert client_error(ssm.deregister_managed_instance, InstanceId=stuck)[0] == "ThrottlingException"
    ssm.deregister_managed_instance(InstanceId=stuck)


@pytest.mark.parametrize("instance_ids", [[], "mi-0123456789abcdef0", [""], [3]])
def test_bad_instance_ids_rejected(control, instance_ids):
    with pytest.raises(ControlError) as info:
        control.set_faults(instance_ids=instance_ids, throttle_rate=1.0)
    assert info.value.code == "BadRequest"
