"""faults.py, kind ``reject``: one call refused as a whole for a given node ID or filter value."""

import json

import pytest
from endpoint_helpers import client_error
from endpoint_helpers import nodes
from test_cli import CLIENT_ERROR_RC  # noqa: F401  pylint: disable=unused-import
from test_cli import aws  # noqa: F401  pylint: disable=unused-import
from test_cli import fixture_aws_cli  # noqa: F401  pylint: disable=unused-import

from ssm_endpoint.control import ControlError


def by_ids(ids):
    """An InstanceIds filter."""
    return [{"Key": "InstanceIds", "Values": ids}]


def test_reject_covers_every_batch_naming_the_id(ssm, control):
    ids = control.seed_nodes(5)["instance_ids"]
    bad = ids[2]
    control.set_faults(operation="DescribeInstanceInformation", instance_ids=[bad], reject_rate=1.0)
    for _attempt in range(3):
        assert client_error(ssm.describe_instance_information, Filters=by_ids(ids)) == (
            "InvalidInstanceId",
            400,
            "Instance Id is not valid or is not registered.",
        )
    assert [n["InstanceId"] for n in nodes(ssm, Filters=by_ids(ids[:2]))] == ids[:2]
    assert [n["InstanceId"] for n in nodes(ssm, Filters=by_ids([ids[4]]))] == [ids[4]]
    ssm.deregister_managed_instance(InstanceId=bad)  # other operations are not covered
    log = control.log()
    rejected = [e for e in log if e["fault"] == "reject"]
    assert len(rejected) == 3 and all((e["status"], e["error"]) == (400, "InvalidInstanceId") for e in rejected)
    assert [e["status"] for e in log[3:]] == [200, 200, 200]


def test_reject_by_filter_value_with_own_code_and_counter(ssm, control):
    control.seed_nodes(2, ping_status="ConnectionLost")
    control.set_faults(
        operation="DescribeInstanceInformation",
        filter_values=["ConnectionLost"],
        reject_next=1,
        reject_code="InvalidInstanceInformationFilterValue",
        reject_message="nope",
        reject_status=400,
    )
    flt = [{"Key": "PingStatus", "Values": ["ConnectionLost"]}]
    assert client_error(ssm.describe_instance_information, Filters=flt) == ("InvalidInstanceInformationFilterValue", 400, "nope")
    assert len(nodes(ssm, Filters=flt)) == 2  # the counter is spent
    assert nodes(ssm, Filters=[{"Key": "PingStatus", "Values": ["Online"]}]) == []


def test_reject_status_500(ssm, control):
    control.seed_nodes(1)
    control.set_faults(operation="*", reject_next=1, reject_code="InternalServerError", reject_message="boom", reject_status=500)
    assert client_error(ssm.describe_instance_information)[:2] == ("InternalServerError", 500)
    assert control.log()[-1]["fault"] == "reject"


@pytest.mark.parametrize("bad", [{"filter_values": []}, {"reject_status": 200}, {"reject_codes": "x"}])
def test_bad_reject_rules_are_refused(control, bad):
    with pytest.raises(ControlError) as info:
        control.set_faults(operation="DescribeInstanceInformation", reject_rate=1.0, **bad)
    assert info.value.code == "BadRequest"


def test_cli_rejected_batch(aws_cli, endpoint, control):
    del aws_cli
    ids = control.seed_nodes(3)["instance_ids"]
    control.set_faults(operation="DescribeInstanceInformation", instance_ids=[ids[0]], reject_rate=1.0)
    batch = aws(endpoint, "describe-instance-information", "--filters", f"Key=InstanceIds,Values={','.join(ids)}")
    assert batch.returncode == CLIENT_ERROR_RC and "InvalidInstanceId" in batch.stderr
    single = aws(endpoint, "describe-instance-information", "--filters", f"Key=InstanceIds,Values={ids[1]}")
    assert single.returncode == 0 and [n["InstanceId"] for n in json.loads(single.stdout)["InstanceInformationList"]] == [ids[1]]
