"""Regions: every well-formed region name is served, a malformed SigV4 scope answers AWS's JSON error."""

import json
import urllib.error
import urllib.request

import pytest
from endpoint_helpers import make_client

from ssm_endpoint.control import ControlError


def test_a_region_moto_does_not_know_is_served_on_its_own(endpoint, control):
    """xx-test-9 is in no region list: it gets its own nodes and commands, like any region, also after a reset."""
    far = make_client(endpoint, region="xx-test-9")
    instance_id = control.seed_nodes(1, region="xx-test-9")["instance_ids"][0]
    assert [n["InstanceId"] for n in far.describe_instance_information()["InstanceInformationList"]] == [instance_id]
    assert make_client(endpoint).describe_instance_information()["InstanceInformationList"] == []
    command_id = far.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript")["Command"]["CommandId"]
    control.advance(2)  # past the visibility lag
    control.step(2)
    assert far.get_command_invocation(CommandId=command_id, InstanceId=instance_id)["Status"] == "Success"
    control.reset()
    assert far.describe_instance_information()["InstanceInformationList"] == []
    assert control.log()[-1]["region"] == "xx-test-9" and control.log()[-1]["status"] == 200


def signed_for(endpoint, region):
    """A raw DescribeInstanceInformation whose SigV4 scope names ``region`` (botocore refuses to sign some of these)."""
    request = urllib.request.Request(
        endpoint.url + "/",
        data=b"{}",
        headers={
            "X-Amz-Target": "AmazonSSM.DescribeInstanceInformation",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDTESTTESTTEST0000/20260101/{region}/ssm/aws4_request, SignedHeaders=host, Signature=00",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)  # noqa: S310  the local endpoint
    return info.value.code, info.value.headers["Content-Type"], json.loads(info.value.read())


@pytest.mark.parametrize("region", ["Bad_Region!", "US-EAST-1", "useast1", "us-east-"])
def test_a_malformed_scope_region_is_aws_json_error(endpoint, control, region):
    status, content_type, body = signed_for(endpoint, region)
    assert (status, content_type) == (400, "application/json")
    assert body == {"__type": "InvalidSignatureException", "message": f"Credential should be scoped to a valid region, not '{region}'. "}
    assert [(e["operation"], e["status"], e["error"]) for e in control.log()] == [("DescribeInstanceInformation", 400, "InvalidSignatureException")]


def test_control_api_refuses_a_malformed_region(control):
    with pytest.raises(ControlError) as info:
        control.seed_nodes(1, region="Bad_Region!")
    assert info.value.code == "BadRequest" and "not a region name" in str(info.value)
