"""CreateActivation / DescribeActivations / DeleteActivation and registering against them."""

import datetime
import re
import uuid

import pytest
from endpoint_helpers import client_error
from endpoint_helpers import nodes

from ssm_endpoint.control import ControlError


def test_create_activation_returns_uuid_and_20_char_code(ssm):
    created = ssm.create_activation(IamRole="role")
    assert str(uuid.UUID(created["ActivationId"])) == created["ActivationId"]
    assert re.fullmatch(r"\w{20}", created["ActivationCode"])
    item = ssm.describe_activations()["ActivationList"][0]
    assert item["RegistrationLimit"] == 1 and item["RegistrationsCount"] == 0 and item["Expired"] is False
    lifetime = item["ExpirationDate"] - item["CreatedDate"]
    assert datetime.timedelta(hours=23, minutes=59) < lifetime <= datetime.timedelta(hours=24, seconds=1)


def test_create_activation_fields_and_tags(ssm):
    created = ssm.create_activation(IamRole="role", RegistrationLimit=7, DefaultInstanceName="edge", Description="d", Tags=[{"Key": "env", "Value": "lab"}])
    item = ssm.describe_activations()["ActivationList"][0]
    assert item["ActivationId"] == created["ActivationId"]
    assert (item["DefaultInstanceName"], item["Description"], item["IamRole"], item["RegistrationLimit"]) == ("edge", "d", "role", 7)
    assert item["Tags"] == [{"Key": "env", "Value": "lab"}]


def test_activation_tags_are_copied_to_the_nodes_registered_with_it(ssm, control):
    """SSM user guide (hybrid activations): tags given to CreateActivation are applied to the nodes it registers."""
    tags = [{"Key": "EKSClusterARN", "Value": "arn:aws:eks:us-east-1:123456789012:cluster/edge"}, {"Key": "env", "Value": "lab"}]
    created = ssm.create_activation(IamRole="role", RegistrationLimit=5, Tags=tags)
    registered = control.register(created["ActivationId"], created["ActivationCode"])
    seeded = control.seed_nodes(2, activation_id=created["ActivationId"], tags={"env": "prod", "rack": "7"})["instance_ids"]
    assert ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=registered)["TagList"] == tags
    # a seed's own tags go on top of the activation's
    expected = [tags[0], {"Key": "env", "Value": "prod"}, {"Key": "rack", "Value": "7"}]
    assert ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=seeded[1])["TagList"] == expected
    cluster = [{"Key": "tag:EKSClusterARN", "Values": [tags[0]["Value"]]}]
    assert sorted(n["InstanceId"] for n in nodes(ssm, Filters=cluster)) == sorted([registered, *seeded])
    # the node's tags are its own from then on: a change on the node leaves the activation as it was
    ssm.remove_tags_from_resource(ResourceType="ManagedInstance", ResourceId=registered, TagKeys=["env"])
    assert ssm.describe_activations()["ActivationList"][0]["Tags"] == tags


def test_expiration_over_30_days_is_invalid_parameters(ssm):
    too_late = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=31)
    assert client_error(ssm.create_activation, IamRole="r", ExpirationDate=too_late)[0] == "InvalidParameters"
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    assert client_error(ssm.create_activation, IamRole="r", ExpirationDate=past)[0] == "InvalidParameters"
    ok = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=29)
    ssm.create_activation(IamRole="r", ExpirationDate=ok)


@pytest.mark.parametrize("limit", [0, 1001])
def test_registration_limit_range(raw_ssm, limit):
    assert client_error(raw_ssm.create_activation, IamRole="r", RegistrationLimit=limit)[:2] == ("ValidationException", 400)


def test_iam_role_max_64(ssm):
    code, _status, message = client_error(ssm.create_activation, IamRole="r" * 65)
    assert code == "ValidationException" and "at 'iamRole'" in message


def test_describe_activations_filters(ssm):
    first = ssm.create_activation(IamRole="a", DefaultInstanceName="one")["ActivationId"]
    second = ssm.create_activation(IamRole="b", DefaultInstanceName="two")["ActivationId"]
    by_id = ssm.describe_activations(Filters=[{"FilterKey": "ActivationIds", "FilterValues": [second]}])["ActivationList"]
    assert [a["ActivationId"] for a in by_id] == [second]
    by_role = ssm.describe_activations(Filters=[{"FilterKey": "IamRole", "FilterValues": ["a"]}])["ActivationList"]
    assert [a["ActivationId"] for a in by_role] == [first]
    by_name = ssm.describe_activations(Filters=[{"FilterKey": "DefaultInstanceName", "FilterValues": ["two"]}])["ActivationList"]
    assert [a["ActivationId"] for a in by_name] == [second]


def test_describe_activations_unknown_filter_key_is_rejected(ssm):
    code, status, message = client_error(ssm.describe_activations, Filters=[{"FilterKey": "Bogus", "FilterValues": ["x"]}])
    assert (code, status) == ("ValidationException", 400) and "enum value set" in message


def test_describe_activations_paging(ssm):
    created = {ssm.create_activation(IamRole="r")["ActivationId"] for _unused in range(12)}
    first = ssm.describe_activations(MaxResults=5)
    assert len(first["ActivationList"]) == 5 and first["NextToken"]
    pages = ssm.get_paginator("describe_activations").paginate(PaginationConfig={"PageSize": 5})
    assert {a["ActivationId"] for p in pages for a in p["ActivationList"]} == created
    assert client_error(ssm.describe_activations, NextToken="garbage")[0] == "InvalidNextToken"
    assert client_error(ssm.describe_activations, MaxResults=51)[0] == "ValidationException"


def test_delete_activation_keeps_nodes(ssm, control, activation):
    instance_id = control.register(activation["ActivationId"], activation["ActivationCode"])
    ssm.delete_activation(ActivationId=activation["ActivationId"])
    assert ssm.describe_activations()["ActivationList"] == []
    assert [n["InstanceId"] for n in nodes(ssm)] == [instance_id]
    assert client_error(ssm.delete_activation, ActivationId=activation["ActivationId"])[0] == "InvalidActivation"  # deleted, not unknown


def test_register_node_attributes(ssm, control, activation):
    instance_id = control.register(
        activation["ActivationId"], activation["ActivationCode"], computer_name="host1", ip_address="10.0.0.9", platform_type="Windows"
    )
    assert re.fullmatch(r"mi-[0-9a-f]{17}", instance_id)
    node = nodes(ssm)[0]
    assert node["InstanceId"] == instance_id and node["Name"] == "edge" and node["IamRole"] == "SSMServiceRole"
    assert node["ActivationId"] == activation["ActivationId"] and node["PingStatus"] == "Online"
    assert node["ResourceType"] == "ManagedInstance" and node["PlatformType"] == "Windows"
    assert node["ComputerName"] == "host1" and node["IPAddress"] == "10.0.0.9"
    assert abs((node["RegistrationDate"] - node["LastPingDateTime"]).total_seconds()) < 1
    assert ssm.describe_activations()["ActivationList"][0]["RegistrationsCount"] == 1


def test_register_eks_connector_node_id(control, ssm, activation):
    # eks_c: IDs are EKS Connector agents (EKS Connector troubleshooting page); EKS Hybrid Nodes are plain mi- nodes.
    instance_id = control.register(activation["ActivationId"], activation["ActivationCode"], eks_connector_cluster="mycluster")
    assert re.fullmatch(r"eks_c:mycluster_\w{17}", instance_id)
    with pytest.raises(ControlError) as removed:
        control.register(activation["ActivationId"], activation["ActivationCode"], eks_cluster="mycluster")
    assert removed.value.code == "BadRequest" and "EKS Connector" in str(removed.value)
    ssm.deregister_managed_instance(InstanceId=instance_id)
    control.advance(3)  # past the realistic profile's deregistration lag
    assert nodes(ssm) == []


def test_register_honours_limit_code_deletion_and_expiry(ssm, control):
    one = ssm.create_activation(IamRole="r", RegistrationLimit=1)
    with pytest.raises(ControlError) as wrong:
        control.register(one["ActivationId"], "x" * 20)
    assert wrong.value.code == "InvalidActivation"
    control.register(one["ActivationId"], one["ActivationCode"])
    with pytest.raises(ControlError) as used_up:
        control.register(one["ActivationId"], one["ActivationCode"])
    assert used_up.value.code == "InvalidActivation" and "limit" in str(used_up.value)
    soon = ssm.create_activation(IamRole="r", ExpirationDate=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3))
    control.step(2)  # manual clock: 2 steps x 2 s
    assert ssm.describe_activations(Filters=[{"FilterKey": "ActivationIds", "FilterValues": [soon["ActivationId"]]}])["ActivationList"][0]["Expired"]
    with pytest.raises(ControlError) as expired:
        control.register(soon["ActivationId"], soon["ActivationCode"])
    assert "expired" in str(expired.value)
    ssm.delete_activation(ActivationId=one["ActivationId"])
    with pytest.raises(ControlError) as deleted:
        control.register(one["ActivationId"], one["ActivationCode"])
    assert deleted.value.code == "InvalidActivationId"
