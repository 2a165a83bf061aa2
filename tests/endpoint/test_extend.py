"""extend.py: DescribeInstanceInformation's body, written without moto's serializer, is the body moto's would write."""

import json

from moto.core.responses import ActionResult
from moto.core.serialize import XFormedAttributePicker
from moto.core.serialize import get_serializer_class

from ssm_endpoint import extend
from ssm_endpoint.validation import service_model


def moto_body(result):
    """The body moto's JSON serializer writes for a DescribeInstanceInformation result."""
    operation = service_model().operation_model("DescribeInstanceInformation")
    serializer = get_serializer_class("ssm", "json")(operation_model=operation, pretty_print=False, value_picker=XFormedAttributePicker())
    return serializer.serialize(ActionResult(result).result)["body"]


def test_the_describe_body_is_the_one_moto_writes(ssm, control):
    control.seed_nodes(3, platform_type="Windows", ping_status="ConnectionLost", last_ping_days_ago=45.123456789, tags={"Site": "kiosks"})
    control.seed_nodes(2, name_prefix="{{ lookup('pipe', 'id') }}-ü", associations={})
    control.seed_nodes(2, associations={"Failed": 1, "Success": 2}, registered_days_ago=400)
    control.seed_nodes(1, resource_type="EC2Instance")
    fleet = extend.backend("us-east-1").hybridops_fleet
    params = {"MaxResults": 5}
    while True:
        page = extend._paged("InstanceInformationList", fleet.describe(params))  # pylint: disable=protected-access
        ours = json.dumps(page, default=extend._json_time)  # pylint: disable=protected-access
        assert json.loads(ours) == json.loads(moto_body(page))
        if "NextToken" not in page:
            break
        params["NextToken"] = page["NextToken"]
    # Through the server too: what boto3 reads, with the content type moto gives its JSON bodies.
    response = ssm.describe_instance_information(MaxResults=50)
    assert len(response["InstanceInformationList"]) == 8
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == extend.JSON_CONTENT_TYPE
    windows = [n for n in response["InstanceInformationList"] if n["PlatformType"] == "Windows"]
    assert windows[0]["LastPingDateTime"].microsecond % 1000 == 0 and windows[0]["LastPingDateTime"].microsecond
