"""DescribeInstanceInformation, DeregisterManagedInstance, UpdateManagedInstanceRole, ManagedInstance tags."""

import datetime
import re
import time

import pytest
from endpoint_helpers import client_error
from endpoint_helpers import nodes

from ssm_endpoint.control import ControlError

EXPECTED_KEYS = {
    "InstanceId",
    "PingStatus",
    "LastPingDateTime",
    "AgentVersion",
    "IsLatestVersion",
    "PlatformType",
    "PlatformName",
    "PlatformVersion",
    "ActivationId",
    "IamRole",
    "RegistrationDate",
    "ResourceType",
    "Name",
    "IPAddress",
    "ComputerName",
    "SourceId",
    "SourceType",
}


def test_item_has_all_fields(ssm, control):
    control.seed_nodes(1, iam_role="R")
    assert EXPECTED_KEYS <= set(nodes(ssm)[0])


def test_nodes_carry_a_nested_association_overview(ssm, control):
    """The model's InstanceInformation: AssociationOverview is a structure holding a map of counts by status."""
    default = control.seed_nodes(1)["instance_ids"][0]
    mixed = control.seed_nodes(1, associations={"Success": 2, "Failed": 1})["instance_ids"][0]
    bare = control.seed_nodes(1, associations={})["instance_ids"][0]
    listed = {n["InstanceId"]: n for n in nodes(ssm)}
    assert listed[default]["AssociationOverview"] == {"DetailedStatus": "Success", "InstanceAssociationStatusAggregatedCount": {"Success": 1}}
    assert listed[default]["AssociationStatus"] == "Success"
    assert listed[default]["LastSuccessfulAssociationExecutionDate"] == listed[default]["LastAssociationExecutionDate"]
    overview = listed[mixed]["AssociationOverview"]
    assert (listed[mixed]["AssociationStatus"], overview["DetailedStatus"]) == ("Failed", "Failed")
    assert overview["InstanceAssociationStatusAggregatedCount"] == {"Success": 2, "Failed": 1}
    assert not {"AssociationStatus", "AssociationOverview", "LastAssociationExecutionDate"} & set(listed[bare])
    failed = nodes(ssm, Filters=[{"Key": "AssociationStatus", "Values": ["Failed"]}])
    assert [n["InstanceId"] for n in failed] == [mixed]
    with pytest.raises(ControlError) as info:
        control.seed_nodes(1, associations={"Bogus": 1})
    assert info.value.code == "BadRequest" and len(nodes(ssm)) == 3


def test_seed_is_fast_and_pages_over_50(ssm, control):
    started = time.perf_counter()
    seeded = control.seed_nodes(1000)
    assert time.perf_counter() - started < 1.0
    assert len(seeded["instance_ids"]) == 1000 and len(set(seeded["instance_ids"])) == 1000
    first = ssm.describe_instance_information(MaxResults=50)
    assert len(first["InstanceInformationList"]) == 50 and first["NextToken"]
    listed = [n["InstanceId"] for n in nodes(ssm)]
    assert listed == seeded["instance_ids"]  # stable registration order across pages
    assert len(ssm.describe_instance_information(MaxResults=5)["InstanceInformationList"]) == 5


def test_seed_creates_activation_with_limit(ssm, control):
    seeded = control.seed_nodes(3)
    item = ssm.describe_activations()["ActivationList"][0]
    assert item["ActivationId"] == seeded["activation_id"] and item["RegistrationLimit"] == 3 and item["RegistrationsCount"] == 3


def test_seed_with_existing_activation(ssm, control, activation):
    seeded = control.seed_nodes(2, activation_id=activation["ActivationId"], platform_type="MacOS")
    assert seeded["activation_id"] == activation["ActivationId"]
    assert ssm.describe_activations()["ActivationList"][0]["RegistrationsCount"] == 2
    assert {(n["ActivationId"], n["IamRole"], n["PlatformType"]) for n in nodes(ssm)} == {(activation["ActivationId"], "SSMServiceRole", "MacOS")}


@pytest.mark.parametrize("max_results", [4, 51])
def test_max_results_range(raw_ssm, max_results):
    assert client_error(raw_ssm.describe_instance_information, MaxResults=max_results)[:2] == ("ValidationException", 400)


def test_bad_next_token(ssm):
    assert client_error(ssm.describe_instance_information, NextToken="nope")[0] == "InvalidNextToken"


def test_filters(ssm, control):
    online = control.seed_nodes(2, name_prefix="a", tags={"env": "lab"}, iam_role="RoleA")["instance_ids"]
    lost = control.seed_nodes(3, name_prefix="b", ping_status="ConnectionLost", platform_type="Windows", tags={"env": "prod"})
    ec2 = control.seed_nodes(1, resource_type="EC2Instance")["instance_ids"]

    def ids(*filters):
        return sorted(n["InstanceId"] for n in nodes(ssm, Filters=list(filters)))

    assert ids({"Key": "PingStatus", "Values": ["ConnectionLost"]}) == sorted(lost["instance_ids"])
    assert ids({"Key": "InstanceIds", "Values": [online[0], ec2[0]]}) == sorted([online[0], ec2[0]])
    assert ids({"Key": "ResourceType", "Values": ["EC2Instance"]}) == ec2
    assert ids({"Key": "ActivationIds", "Values": [lost["activation_id"]]}) == sorted(lost["instance_ids"])
    assert ids({"Key": "IamRole", "Values": ["RoleA"]}) == sorted(online)
    assert ids({"Key": "PlatformTypes", "Values": ["Windows"]}, {"Key": "PingStatus", "Values": ["ConnectionLost"]}) == sorted(lost["instance_ids"])
    assert ids({"Key": "tag:env", "Values": ["lab"]}) == sorted(online)
    assert ids({"Key": "tag-key", "Values": ["env"]}) == sorted(online + lost["instance_ids"])
    assert ids({"Key": "SourceIds", "Values": [online[1]]}) == [online[1]]
    assert ids({"Key": "AgentVersion", "Values": ["0.0"]}) == []
    assert ids({"Key": "SourceTypes", "Values": ["AWS::EC2::Instance"]}) == ec2
    assert ids({"Key": "AssociationStatus", "Values": ["Failed"]}) == []


def test_legacy_filter_list(ssm, control):
    lost = control.seed_nodes(2, ping_status="ConnectionLost")["instance_ids"]
    control.seed_nodes(2)
    got = ssm.describe_instance_information(InstanceInformationFilterList=[{"key": "PingStatus", "valueSet": ["ConnectionLost"]}])
    assert sorted(n["InstanceId"] for n in got["InstanceInformationList"]) == sorted(lost)
    assert (
        client_error(
            ssm.describe_instance_information,
            InstanceInformationFilterList=[{"key": "PingStatus", "valueSet": ["Online"]}],
            Filters=[{"Key": "PingStatus", "Values": ["Online"]}],
        )[0]
        == "ValidationException"
    )


def test_filter_errors(ssm):
    assert client_error(ssm.describe_instance_information, Filters=[{"Key": "Bogus", "Values": ["x"]}])[0] == "InvalidFilterKey"
    mixed = [{"Key": "tag:env", "Values": ["x"]}, {"Key": "PingStatus", "Values": ["Online"]}]
    code, _status, message = client_error(ssm.describe_instance_information, Filters=mixed)
    assert code == "ValidationException" and message == "Cannot mix tag or inventory filter with any other filter."
    assert client_error(ssm.describe_instance_information, Filters=[{"Key": "InstanceIds", "Values": ["not-an-id"]}])[0] == "InvalidInstanceId"
    assert client_error(ssm.describe_instance_information, Filters=[{"Key": "PingStatus", "Values": ["Sleepy"]}])[0] == "InvalidInstanceInformationFilterValue"
    assert client_error(ssm.describe_instance_information, Filters=[{"Key": "PingStatus", "Values": ["x"] * 101}])[0] == "ValidationException"


def test_unknown_wellformed_id_is_just_not_returned(ssm):
    assert nodes(ssm, Filters=[{"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}]) == []


def test_deregister(ssm, control):
    first, second = control.seed_nodes(2, tags={"a": "b"})["instance_ids"]
    ssm.deregister_managed_instance(InstanceId=first)
    control.advance(3)  # past the realistic profile's deregistration lag (test_consistency.py covers the window)
    assert [n["InstanceId"] for n in nodes(ssm)] == [second]
    assert nodes(ssm, Filters=[{"Key": "InstanceIds", "Values": [first]}]) == []
    assert client_error(ssm.deregister_managed_instance, InstanceId=first)[:2] == ("InvalidInstanceId", 400)
    assert client_error(ssm.list_tags_for_resource, ResourceType="ManagedInstance", ResourceId=first)[0] == "InvalidResourceId"


def test_deregister_unknown_and_malformed(ssm):
    assert client_error(ssm.deregister_managed_instance, InstanceId="mi-0123456789abcdef0")[0] == "InvalidInstanceId"
    code, status, message = client_error(ssm.deregister_managed_instance, InstanceId="i-0123456789abcdef01")
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith(
        "1 validation error detected: Value 'i-0123456789abcdef01' at 'instanceId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: (^mi-[0-9a-f]{17}$)"
    )


def test_deregister_ec2_node_rejected(ssm, raw_ssm, control):
    ec2 = control.seed_nodes(1, resource_type="EC2Instance")["instance_ids"][0]
    assert re.fullmatch(r"i-[0-9a-f]{17}", ec2)
    assert client_error(raw_ssm.deregister_managed_instance, InstanceId=ec2)[0] == "ValidationException"
    assert len(nodes(ssm)) == 1


def test_update_managed_instance_role(ssm, control):
    instance_id = control.seed_nodes(1, iam_role="Old")["instance_ids"][0]
    ssm.update_managed_instance_role(InstanceId=instance_id, IamRole="New")
    assert nodes(ssm)[0]["IamRole"] == "New"
    assert client_error(ssm.update_managed_instance_role, InstanceId="mi-0123456789abcdef0", IamRole="x")[0] == "InvalidInstanceId"


def test_ping_control(ssm, control):
    instance_id = control.seed_nodes(1)["instance_ids"][0]
    control.set_ping([instance_id], "ConnectionLost", last_ping_days_ago=3)
    node = nodes(ssm)[0]
    age = datetime.datetime.now(datetime.timezone.utc) - node["LastPingDateTime"]
    assert node["PingStatus"] == "ConnectionLost" and datetime.timedelta(days=2.9) < age < datetime.timedelta(days=3.1)
    control.set_ping([instance_id], "Online", last_ping="2024-01-02T03:04:05Z")
    assert nodes(ssm)[0]["LastPingDateTime"] == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def test_seed_ages(ssm, control):
    control.seed_nodes(1, registered_days_ago=10, last_ping_days_ago=2)
    node = nodes(ssm)[0]
    now = datetime.datetime.now(datetime.timezone.utc)
    assert 9.9 < (now - node["RegistrationDate"]).total_seconds() / 86400 < 10.1
    assert 1.9 < (now - node["LastPingDateTime"]).total_seconds() / 86400 < 2.1


def test_managed_instance_tags(ssm, control):
    instance_id = control.seed_nodes(1)["instance_ids"][0]
    ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=instance_id, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ssm.remove_tags_from_resource(ResourceType="ManagedInstance", ResourceId=instance_id, TagKeys=["a"])
    control.advance(1)  # past the realistic profile's tag lag (test_consistency.py covers the window)
    assert ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=instance_id)["TagList"] == [{"Key": "b", "Value": "2"}]
    assert [n["InstanceId"] for n in nodes(ssm, Filters=[{"Key": "tag:b", "Values": ["2"]}])] == [instance_id]


def test_tag_errors(ssm, control):
    instance_id = control.seed_nodes(1)["instance_ids"][0]
    unknown = "mi-0123456789abcdef0"
    assert (
        client_error(ssm.add_tags_to_resource, ResourceType="ManagedInstance", ResourceId=unknown, Tags=[{"Key": "a", "Value": "1"}])[0] == "InvalidResourceId"
    )
    assert client_error(ssm.remove_tags_from_resource, ResourceType="ManagedInstance", ResourceId=unknown, TagKeys=["a"])[0] == "InvalidResourceId"
    ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=instance_id, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert (
        client_error(ssm.add_tags_to_resource, ResourceType="ManagedInstance", ResourceId=instance_id, Tags=[{"Key": "one-too-many", "Value": "v"}])[0]
        == "TooManyTagsError"
    )
    control.advance(1)  # past the realistic profile's tag lag
    assert len(ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=instance_id)["TagList"]) == 50


@pytest.mark.parametrize("kind", ["eks_connector", "ec2", "upper_case_hex", "unknown_eks_connector"])
def test_tag_calls_take_only_mi_and_17_hex_digits(ssm, control, activation, kind):
    # boto3#4265, boto3#4609: an eks_c: agent is a ManagedInstance for every other call, not for tagging.
    if kind == "eks_connector":
        resource_id = control.register(activation["ActivationId"], activation["ActivationCode"], eks_connector_cluster="mycluster")
        assert [n["InstanceId"] for n in nodes(ssm)] == [resource_id]
    else:
        resource_id = {
            "ec2": control.seed_nodes(1, resource_type="EC2Instance")["instance_ids"][0],
            "upper_case_hex": "mi-0123456789ABCDEF0",
            "unknown_eks_connector": "eks_c:other_0123456789abcdef0",
        }[kind]
    expected = ("ValidationException", 400, "resourceId should be in format mi-[0-9a-f]{17} for resource type ManagedInstance")
    assert client_error(ssm.list_tags_for_resource, ResourceType="ManagedInstance", ResourceId=resource_id) == expected
    assert client_error(ssm.add_tags_to_resource, ResourceType="ManagedInstance", ResourceId=resource_id, Tags=[{"Key": "a", "Value": "1"}]) == expected
    assert client_error(ssm.remove_tags_from_resource, ResourceType="ManagedInstance", ResourceId=resource_id, TagKeys=["a"]) == expected


def test_other_resource_types_still_use_moto_tagging(ssm):
    ssm.put_parameter(Name="p", Value="v", Type="String")
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="p", Tags=[{"Key": "a", "Value": "b"}])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="p")["TagList"] == [{"Key": "a", "Value": "b"}]
