# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Describing nodes by ID: a call SSM rejects as a whole is split, never read as "not registered"."""

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import instances
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError

from .doubles import ScriptedClient
from .doubles import client_error


def _ids(count):
    return ["mi-" + format(n, "017x") for n in range(count)]


def _rejecting(bad, code="ValidationException", registered=None):
    """A describe that fails as a whole when its InstanceIds filter names any of ``bad``."""

    def describe(**kwargs):
        values = kwargs["Filters"][-1]["Values"]
        if set(values) & set(bad):
            raise client_error(code, "DescribeInstanceInformation", message=f"rejected: {sorted(set(values) & set(bad))}")
        return {"InstanceInformationList": [{"InstanceId": v} for v in values if registered is None or v in registered]}

    return describe


MI = "mi-0123456789abcdef0"


def test_a_rejected_batch_is_split_down_to_the_offending_id():
    ids = _ids(50)
    bad = ids[37]
    client = ScriptedClient(describe_instance_information=[_rejecting([bad])])
    found, unreadable = instances.describe_instances_by_id(client, ids)
    assert set(found) == set(ids) - {bad}
    assert list(unreadable) == [bad]
    assert unreadable[bad].code == "ValidationException"
    assert bad in unreadable[bad].message and "rejected" in unreadable[bad].message  # SSM's own message is kept
    # halving: one call per level on the way down, plus the sibling of each half (at most 2*log2(50)+1)
    assert len(client.calls) <= 13


def test_two_offending_ids_in_two_batches_each_fail_alone():
    ids = _ids(120)
    bad = [ids[3], ids[99]]
    client = ScriptedClient(describe_instance_information=[_rejecting(bad, code="InvalidInstanceInformationFilterValue")])
    found, unreadable = instances.describe_instances_by_id(client, ids)
    assert sorted(unreadable) == sorted(bad)
    assert len(found) == 118


def test_invalid_instance_id_on_one_id_alone_means_not_registered():
    ids = _ids(10)
    client = ScriptedClient(describe_instance_information=[_rejecting([ids[4]], code="InvalidInstanceId")])
    found, unreadable = instances.describe_instances_by_id(client, ids)
    assert unreadable == {}
    assert set(found) == set(ids) - {ids[4]}


@pytest.mark.parametrize("code", ["AccessDeniedException", "UnrecognizedClientException", "InvalidFilterKey"])
def test_an_error_that_says_nothing_about_the_ids_fails_the_whole_call(code):
    client = ScriptedClient(describe_instance_information=[client_error(code, "DescribeInstanceInformation")])
    with pytest.raises(AnsibleSSMError) as raised:
        instances.describe_instances_by_id(client, _ids(50))
    assert raised.value.code == code
    assert len(client.calls) == 1  # not split: no half would fare better


def test_filters_go_with_every_batch_and_the_ids_last():
    client = ScriptedClient(describe_instance_information=[_rejecting([])])
    instances.describe_instances_by_id(client, _ids(60), filters=[{"Key": "PingStatus", "Values": ["Online"]}])
    assert [[f["Key"] for f in kw["Filters"]] for _name, kw in client.calls] == [["PingStatus", "InstanceIds"]] * 2


def test_a_listing_that_fails_is_an_error_not_an_empty_list():
    client = ScriptedClient(describe_instance_information=[client_error("InvalidInstanceId", "DescribeInstanceInformation")])
    with pytest.raises(AnsibleSSMError):
        instances.describe_instance_information(client, [{"Key": "PingStatus", "Values": ["Online"]}])


def test_deregister_sends_one_call_and_reports_true():
    client = ScriptedClient(deregister_managed_instance=[{}])
    assert instances.deregister_managed_instance(client, MI).deregistered is True
    assert client.calls == [("deregister_managed_instance", {"InstanceId": MI})]


def test_deregister_of_an_unregistered_node_is_false():
    client = ScriptedClient(deregister_managed_instance=[client_error("InvalidInstanceId")])
    assert instances.deregister_managed_instance(client, MI).deregistered is False


@pytest.mark.parametrize(
    "call, args",
    [
        (instances.deregister_managed_instance, ("i-0123456789abcdef0",)),
        (instances.update_managed_instance_role, ("mi-bad", "role")),
        (instances.update_managed_instance_role, (MI, "r" * 65)),
        (instances.add_instance_tags, (MI, {"aws:x": "y"})),
        (instances.list_instance_tags, ("nope",)),
        (instances.remove_instance_tags, ("nope", ["k"])),
        # SSM's tag calls refuse an EKS Connector agent's ID (ValidationException), which deregistration takes
        (instances.list_instance_tags, ("eks_c:lab_0123456789abcdef0",)),
        (instances.add_instance_tags, ("eks_c:lab_0123456789abcdef0", {"Env": "prod"})),
        (instances.remove_instance_tags, ("eks_c:lab_0123456789abcdef0", ["Env"])),
        (instances.describe_instances_by_id, (["mi-bad"],)),
    ],
)
def test_invalid_input_never_reaches_the_client(call, args):
    client = ScriptedClient()
    with pytest.raises(SSMValidationError):
        call(client, *args)
    assert client.calls == []


def test_describe_by_id_batches_fifty_per_call():
    def answer(**kwargs):
        values = kwargs["Filters"][0]["Values"]
        return {"InstanceInformationList": [{"InstanceId": v} for v in values if not v.endswith("7")]}

    ids = _ids(120)
    client = ScriptedClient(describe_instance_information=[answer])
    found, unreadable = instances.describe_instances_by_id(client, ids)
    assert unreadable == {}
    assert [len(kw["Filters"][0]["Values"]) for _name, kw in client.calls] == [50, 50, 20]
    assert all(kw["MaxResults"] == 50 for _name, kw in client.calls)
    assert set(found) == {i for i in ids if not i.endswith("7")}


def test_tags_round_trip_as_dicts():
    client = ScriptedClient(
        list_tags_for_resource=[{"TagList": [{"Key": "Env", "Value": "prod"}]}],
        add_tags_to_resource=[{}],
        remove_tags_from_resource=[{}],
    )
    assert instances.list_instance_tags(client, MI) == {"Env": "prod"}
    instances.add_instance_tags(client, MI, {"Team": "ops"})
    instances.remove_instance_tags(client, MI, ["Env"])
    assert client.calls[1] == ("add_tags_to_resource", {"ResourceType": "ManagedInstance", "ResourceId": MI, "Tags": [{"Key": "Team", "Value": "ops"}]})
    assert client.calls[2] == ("remove_tags_from_resource", {"ResourceType": "ManagedInstance", "ResourceId": MI, "TagKeys": ["Env"]})


def test_tags_of_an_unregistered_node_are_none():
    client = ScriptedClient(list_tags_for_resource=[client_error("InvalidResourceId")])
    assert instances.list_instance_tags(client, MI) is None
