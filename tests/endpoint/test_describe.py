"""describe.py: DescribeInstanceInformation paging and filter rules as AWS has them (plus DeleteActivation twice)."""

import json
import re

import pytest
from endpoint_helpers import client_error
from endpoint_helpers import nodes
from test_cli import CLIENT_ERROR_RC  # noqa: F401  pylint: disable=unused-import
from test_cli import aws  # noqa: F401  pylint: disable=unused-import
from test_cli import fixture_aws_cli  # noqa: F401  pylint: disable=unused-import

from ssm_endpoint.describe import ALLOWED_VALUES
from ssm_endpoint.describe import FILTER_FIELDS
from ssm_endpoint.describe import RESOURCE_TYPES
from ssm_endpoint.validation import service_model


def pages(ssm, **kwargs):
    """Every page (InstanceInformationList IDs, has NextToken) following NextToken by hand."""
    out, token = [], None
    while True:
        page = ssm.describe_instance_information(**kwargs, **({"NextToken": token} if token else {}))
        token = page.get("NextToken")
        out.append(([n["InstanceId"] for n in page["InstanceInformationList"]], bool(token)))
        if not token:
            return out


@pytest.fixture(name="spread")
def fixture_spread(control):
    """30 nodes; nodes 0, 7, 14, 21, 28 lost their connection."""
    ids = control.seed_nodes(30)["instance_ids"]
    lost = ids[::7]
    control.set_ping(lost, "ConnectionLost")
    return ids, lost


def test_default_page_is_10(ssm, control):
    control.seed_nodes(25)
    first = ssm.describe_instance_information()
    assert len(first["InstanceInformationList"]) == 10 and first["NextToken"]
    control.set_realism(describe_default_page=7)
    assert len(ssm.describe_instance_information()["InstanceInformationList"]) == 7


def test_filtered_pages_are_windows_of_the_unfiltered_list(ssm, spread):
    _ids, lost = spread
    got = pages(ssm, Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}], MaxResults=5)
    assert [len(chunk) for chunk, _token in got] == [1, 1, 1, 0, 1, 1]  # windows 0-4, 5-9, ..., 25-29; none in 15-19
    assert [token for _chunk, token in got] == [True] * 5 + [False]
    assert [i for chunk, _token in got for i in chunk] == lost
    assert [n["InstanceId"] for n in nodes(ssm, Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}])] == lost


def test_instance_ids_filter_gives_full_pages(ssm, spread):
    ids, _lost = spread
    got = pages(ssm, Filters=[{"Key": "InstanceIds", "Values": ids[::2]}], MaxResults=5)
    assert [len(chunk) for chunk, _token in got] == [5, 5, 5]


def test_without_sparse_pages_filtered_pages_are_full(ssm, control, spread):
    _ids, lost = spread
    control.set_realism(sparse_pages=False)
    got = pages(ssm, Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}], MaxResults=5)
    assert got == [(lost, False)]


def test_resource_type_takes_one_known_value(ssm, control):
    control.seed_nodes(1)
    code, status, message = client_error(ssm.describe_instance_information, Filters=[{"Key": "ResourceType", "Values": ["ManagedInstance", "EC2Instance"]}])
    assert (code, status, message) == ("InvalidInstanceInformationFilterValue", 400, "ResourceType filter may contain only one value.")
    code, _status, message = client_error(ssm.describe_instance_information, Filters=[{"Key": "ResourceType", "Values": ["Document"]}])
    assert (code, message) == ("InvalidInstanceInformationFilterValue", "ResourceType filter is invalid, valid values are EC2Instance, ManagedInstance")
    assert len(nodes(ssm, Filters=[{"Key": "ResourceType", "Values": ["ManagedInstance"]}])) == 1


@pytest.mark.parametrize("key", ["tag:Name", "tag-key"])
def test_tag_filter_takes_at_most_5_values(ssm, control, key):
    control.seed_nodes(1, tags={"Name": "a"})
    code, status, message = client_error(ssm.describe_instance_information, Filters=[{"Key": key, "Values": list("abcdef")}])
    assert (code, status, message) == ("ValidationException", 400, f"The number of tag values for {key} was 6. Max: 5.")
    assert len(nodes(ssm, Filters=[{"Key": key, "Values": ["a", "b", "c", "d", "Name"]}])) == 1


def test_platform_types_is_the_filter_key_and_platform_type_is_refused(ssm, control):
    # botocore's enum InstanceInformationFilterKey and the API reference's list name PlatformTypes; the
    # reference's older PlatformType was a typo (boto3#4657): AWS refuses it as an unknown key.
    control.seed_nodes(2, platform_type="Windows")
    control.seed_nodes(1)
    assert len(nodes(ssm, Filters=[{"Key": "PlatformTypes", "Values": ["Windows"]}])) == 2
    assert len(nodes(ssm, InstanceInformationFilterList=[{"key": "PlatformTypes", "valueSet": ["Windows", "Linux"]}])) == 3
    code, status, message = client_error(ssm.describe_instance_information, Filters=[{"Key": "PlatformType", "Values": ["Windows"]}])
    assert (code, status, message) == ("InvalidFilterKey", 400, "The filter key PlatformType is not valid.")
    code, _status, message = client_error(ssm.describe_instance_information, InstanceInformationFilterList=[{"key": "PlatformType", "valueSet": ["Windows"]}])
    assert code == "ValidationException" and "failed to satisfy constraint: Member must satisfy enum value set" in message
    code, _status, message = client_error(ssm.describe_instance_information, Filters=[{"Key": "PlatformTypes", "Values": ["Plan9"]}])
    assert (code, message) == (
        "InvalidInstanceInformationFilterValue",
        "The filter value Plan9 is not valid for key PlatformTypes, valid values are Linux, MacOS, Windows.",
    )


def _key_documentation():
    return service_model().shape_for("InstanceInformationStringFilter").members["Key"].documentation


def _documented_filters_keys():
    """The keys the model's documentation of InstanceInformationStringFilter.Key lists (tag forms aside)."""
    listed = re.search(r"Valid filter key values: ([^<]*)", _key_documentation()).group(1)
    return {k.strip() for k in listed.split("|") if k.strip() and "tag" not in k}


def test_listed_values_are_the_models():
    # "Valid values for the <code>KEY</code> filter key: A | B | C"; the documentation says SourceType for SourceTypes.
    documented = {
        {"SourceType": "SourceTypes"}.get(key, key): {v.replace("(deprecated)", "").strip() for v in values.split("|")}
        for key, values in re.findall(r"Valid values for the <code>(\w+)</code> filter key: ([^<]*)", _key_documentation())
    }
    assert documented == {**ALLOWED_VALUES, "ResourceType": set(RESOURCE_TYPES)}


# A value each key accepts (any string where the reference lists none).
SAMPLE_VALUES = {
    "AssociationStatus": "Success",
    "InstanceIds": "mi-00000000000000000",
    "PingStatus": "Online",
    "PlatformTypes": "Linux",
    "ResourceType": "ManagedInstance",
    "SourceTypes": "AWS::IoT::Thing",
}


def test_filter_keys_are_the_models(ssm, control):
    control.seed_nodes(1)
    documented = _documented_filters_keys()
    assert documented == set(FILTER_FIELDS)
    legacy = set(service_model().shape_for("InstanceInformationFilterKey").enum)
    assert legacy == documented - {"SourceIds", "SourceTypes"}
    for key in sorted(documented):
        nodes(ssm, Filters=[{"Key": key, "Values": [SAMPLE_VALUES.get(key, "x")]}])
    for key in sorted(legacy):
        nodes(ssm, InstanceInformationFilterList=[{"key": key, "valueSet": [SAMPLE_VALUES.get(key, "x")]}])
    for key in ("SourceId", "Platform", "platformtypes", "Tag:env"):
        assert client_error(ssm.describe_instance_information, Filters=[{"Key": key, "Values": ["x"]}])[0] == "InvalidFilterKey", key
    assert client_error(ssm.describe_instance_information, InstanceInformationFilterList=[{"key": "SourceIds", "valueSet": ["x"]}])[0] == "ValidationException"


@pytest.mark.parametrize(
    ("key", "good", "bad"),
    [
        ("AssociationStatus", "Pending", "Running"),
        ("PingStatus", "Inactive", "Offline"),
        ("SourceTypes", "AWS::IoT::Thing", "AWS::SSM::Node"),
    ],
)
def test_listed_values_only(ssm, control, key, good, bad):
    control.seed_nodes(1)
    nodes(ssm, Filters=[{"Key": key, "Values": [good]}])
    code, _status, message = client_error(ssm.describe_instance_information, Filters=[{"Key": key, "Values": [good, bad]}])
    assert code == "InvalidInstanceInformationFilterValue" and f"The filter value {bad} is not valid for key {key}" in message


def test_tag_and_other_filters_do_not_mix(ssm):
    mixed = [{"Key": "tag:env", "Values": ["x"]}, {"Key": "PingStatus", "Values": ["Online"]}]
    assert client_error(ssm.describe_instance_information, Filters=mixed) == (
        "ValidationException",
        400,
        "Cannot mix tag or inventory filter with any other filter.",
    )


def test_delete_activation_twice_is_invalid_activation(ssm):
    activation_id = ssm.create_activation(IamRole="SSMServiceRole")["ActivationId"]
    ssm.delete_activation(ActivationId=activation_id)
    assert client_error(ssm.delete_activation, ActivationId=activation_id)[0] == "InvalidActivation"
    assert client_error(ssm.delete_activation, ActivationId="11111111-2222-3333-4444-555555555555")[0] == "InvalidActivationId"
    assert ssm.describe_activations(Filters=[{"FilterKey": "ActivationIds", "FilterValues": [activation_id]}])["ActivationList"] == []


def test_cli_paging_and_filter_rules(aws_cli, endpoint, spread):
    del aws_cli
    _ids, lost = spread
    one = aws(endpoint, "describe-instance-information", "--filters", "Key=PingStatus,Values=ConnectionLost", "--max-results", "5", "--no-paginate")
    body = json.loads(one.stdout)
    assert one.returncode == 0 and [n["InstanceId"] for n in body["InstanceInformationList"]] == lost[:1] and body["NextToken"]
    walked = aws(endpoint, "describe-instance-information", "--filters", "Key=PingStatus,Values=ConnectionLost", "--page-size", "5")
    assert [n["InstanceId"] for n in json.loads(walked.stdout)["InstanceInformationList"]] == lost
    bad = aws(endpoint, "describe-instance-information", "--filters", "Key=ResourceType,Values=ManagedInstance,EC2Instance")
    assert bad.returncode == CLIENT_ERROR_RC and "ResourceType filter may contain only one value" in bad.stderr
    many = aws(endpoint, "describe-instance-information", "--filters", "Key=tag:Name,Values=a,b,c,d,e,f")
    assert many.returncode == CLIENT_ERROR_RC and "Max: 5" in many.stderr
