# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Desired state of managed nodes (managed_instances.py): absent and present, check mode, failures per node."""

import datetime

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import managed_instances as mi
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import outcomes as outcomes_module
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError

from .doubles import FakeTime
from .doubles import ScriptedClient
from .doubles import client_error
from .doubles import rejecting_describe as _rejects

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.timezone.utc)
A, B, C = "mi-0000000000000000a", "mi-0000000000000000b", "mi-0000000000000000c"


def _describe_only(*present):
    return lambda **kw: {"InstanceInformationList": [{"InstanceId": i, "IamRole": "Old"} for i in kw["Filters"][0]["Values"] if i in present]}


FLAT_NODE = {
    "InstanceId": A,
    "PingStatus": "ConnectionLost",
    "LastPingDateTime": NOW,
    "RegistrationDate": NOW - datetime.timedelta(days=90),
    "AgentVersion": "3.3.1142.0",
    "IsLatestVersion": False,
    "PlatformType": "Linux",
    "ResourceType": "ManagedInstance",
    "IPAddress": "10.0.0.1",
    "IamRole": "SSMServiceRole",
    "ActivationId": "0a1b2c3d-0000-4000-8000-000000000000",
    "SourceId": A,
    "SourceType": "AWS::SSM::ManagedInstance",
    "ComputerName": "store-1.local",
    "Name": "store-1",
}


def test_absent_in_check_mode_predicts_without_mutating():
    client = ScriptedClient(describe_instance_information=[_describe_only(A, B)])
    changed, result = mi.ensure_absent(client, [A, B, C], check_mode=True, concurrency=2)
    assert changed is True
    assert [o["outcome"] for o in result["outcomes"]] == ["deregistered", "deregistered", "already_absent"]
    assert client.names() == ["describe_instance_information"]


def test_absent_reports_a_failed_node_and_handles_the_rest():
    def deregister(**kwargs):
        if kwargs["InstanceId"] == B:
            raise client_error("AccessDeniedException")
        if kwargs["InstanceId"] == C:
            raise client_error("InvalidInstanceId")  # vanished since the describe
        return {}

    client = ScriptedClient(describe_instance_information=[_describe_only(A, B, C)], deregister_managed_instance=[deregister])
    changed, result = mi.ensure_absent(client, [A, B, C], check_mode=False, concurrency=3)
    assert changed is True
    outcomes = {o["instance_id"]: o for o in result["outcomes"]}
    assert outcomes[A]["outcome"] == "deregistered"
    assert outcomes[B]["outcome"] == "failed" and outcomes[B]["error_code"] == "AccessDeniedException"
    assert outcomes[C]["outcome"] == "already_absent"
    assert B in outcomes_module.failure_summary(result["outcomes"], "instance_id", "node")


def test_present_changes_only_what_differs():
    client = ScriptedClient(
        describe_instance_information=[_describe_only(A)],
        list_tags_for_resource=[
            {"TagList": [{"Key": "Env", "Value": "old"}, {"Key": "aws:x", "Value": "keep"}]},
            {"TagList": [{"Key": "Env", "Value": "new"}, {"Key": "aws:x", "Value": "keep"}]},  # read back: the change shows
        ],
        update_managed_instance_role=[{}],
        add_tags_to_resource=[{}],
    )
    changed, result = mi.ensure_present(client, [A], "Old", {"Env": "new", "aws:x": "keep"}, True, False, 1)
    assert changed is True
    assert "update_managed_instance_role" not in client.names()  # the role already matches
    assert client.calls[-2] == ("add_tags_to_resource", {"ResourceType": "ManagedInstance", "ResourceId": A, "Tags": [{"Key": "Env", "Value": "new"}]})
    assert client.names()[-1] == "list_tags_for_resource"
    assert result["diff"]["after"][A]["tags"] == {"Env": "new", "aws:x": "keep"}


def test_present_on_an_unregistered_node_fails_with_registration_advice():
    client = ScriptedClient(describe_instance_information=[_describe_only()])
    changed, result = mi.ensure_present(client, [A], "Role", None, True, False, 1)
    assert changed is False
    assert result["outcomes"][0]["error_code"] == "NotRegistered"
    assert "activation" in result["outcomes"][0]["msg"]


@pytest.mark.parametrize(
    "node",
    [
        FLAT_NODE,
        dict(FLAT_NODE, AssociationOverview={"DetailedStatus": "Failed", "InstanceAssociationStatusAggregatedCount": {"Failed": 1}}),
        dict(FLAT_NODE, Tags=[{"Key": "Site", "Value": "stores"}]),
        {},
    ],
    ids=["flat", "nested", "tag-list", "empty"],
)
def test_node_to_ansible_matches_the_generic_conversion(node):
    from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict

    assert mi.node_to_ansible(node) == boto3_resource_to_ansible_dict(node, force_tags=False)
    assert mi.node_to_ansible(node, {"Site": "stores"})["tags"] == {"Site": "stores"}


def test_a_node_with_an_association_overview_skips_the_generic_conversion(monkeypatch):
    """AWS returns AssociationOverview (a structure holding a map) on nodes with associations: most of a fleet."""

    def generic(*args, **kwargs):
        raise AssertionError("the generic conversion ran")

    monkeypatch.setattr(mi, "boto3_resource_to_ansible_dict", generic)
    overview = {"DetailedStatus": "Failed", "InstanceAssociationStatusAggregatedCount": {"Failed": 1, "Success": 2}}
    result = mi.node_to_ansible(dict(FLAT_NODE, AssociationOverview=overview))
    assert result["association_overview"] == {"detailed_status": "Failed", "instance_association_status_aggregated_count": {"failed": 1, "success": 2}}


def test_node_to_ansible_keys_and_dates():
    result = mi.node_to_ansible(FLAT_NODE)
    assert result["ip_address"] == "10.0.0.1"
    assert result["last_ping_date_time"] == "2026-11-21T12:00:00+00:00"
    assert result["is_latest_version"] is False
    assert FLAT_NODE["LastPingDateTime"] is NOW  # the described node is left alone


def test_absent_with_a_rejected_batch_fails_only_the_offending_node():
    ids = ["mi-" + format(n, "017x") for n in range(50)]
    bad = ids[20]
    client = ScriptedClient(describe_instance_information=[_rejects(bad, set(ids[:40]))], deregister_managed_instance=[{}])
    changed, result = mi.ensure_absent(client, ids, check_mode=False, concurrency=4)
    assert changed is True
    outcomes = {o["instance_id"]: o for o in result["outcomes"]}
    assert (outcomes[bad]["outcome"], outcomes[bad]["error_code"]) == ("failed", "ValidationException")
    assert [o["outcome"] for i, o in outcomes.items() if i != bad].count("deregistered") == 39
    assert [o["outcome"] for o in outcomes.values()].count("already_absent") == 10
    assert bad not in [kw["InstanceId"] for name, kw in client.calls if name == "deregister_managed_instance"]


def test_present_with_a_rejected_batch_never_calls_the_node_not_registered():
    client = ScriptedClient(describe_instance_information=[_rejects(B, {A, B})], update_managed_instance_role=[{}])
    changed, result = mi.ensure_present(client, [A, B], "New", None, True, False, 1)
    assert changed is True
    outcomes = {o["instance_id"]: o for o in result["outcomes"]}
    assert outcomes[A]["outcome"] == "updated"
    assert outcomes[B]["error_code"] == "ValidationException"


def test_tags_are_read_back_until_ssm_shows_the_change():
    stale, fresh = {"TagList": [{"Key": "Env", "Value": "old"}]}, {"TagList": [{"Key": "Env", "Value": "new"}]}
    client = ScriptedClient(list_tags_for_resource=[stale, stale, fresh])
    fake = FakeTime()
    assert mi.wait_for_tags(client, {A: {"Env": "new"}}, 1, settle=10, clock=fake.clock, sleep=fake.sleep) == []
    assert fake.sleeps == [0.5, 0.5]


def test_tags_that_never_show_stop_the_read_back_at_the_settle_time():
    client = ScriptedClient(list_tags_for_resource=[{"TagList": []}])
    fake = FakeTime()
    assert mi.wait_for_tags(client, {A: {"Env": "new"}}, 1, settle=1.25, clock=fake.clock, sleep=fake.sleep) == [A]
    assert fake.sleeps == [0.5, 0.5, 0.25]


def test_nodes_are_read_back_together_with_one_pause_a_round():
    # A settled first, B one round later: two rounds of reads, one pause, whatever the number of nodes
    stale, fresh = {"TagList": []}, {"TagList": [{"Key": "Env", "Value": "new"}]}
    client = ScriptedClient(list_tags_for_resource=[fresh, stale, fresh])
    fake = FakeTime()
    assert mi.wait_for_tags(client, {A: {"Env": "new"}, B: {"Env": "new"}}, 1, settle=10, clock=fake.clock, sleep=fake.sleep) == []
    assert fake.sleeps == [0.5]
    assert [c[1]["ResourceId"] for c in client.calls if c[0] == "list_tags_for_resource"] == [A, B, B]


def test_a_failed_read_back_is_read_again_not_a_failed_node():
    client = ScriptedClient(
        list_tags_for_resource=[
            client_error("AccessDeniedException", "ListTagsForResource"),
            {"TagList": [{"Key": "Env", "Value": "new"}]},
        ]
    )
    fake = FakeTime()
    assert mi.wait_for_tags(client, {A: {"Env": "new"}}, 1, settle=10, clock=fake.clock, sleep=fake.sleep) == []


def _listing(*present):
    """One DescribeInstanceInformation answer listing the ``present`` among the IDs asked for."""
    return {"InstanceInformationList": [{"InstanceId": i} for i in present]}


def _wait(client, ids, timeout=10):
    fake = FakeTime()
    return mi.wait_until_unlisted(client, ids, timeout, 2, clock=fake.clock, sleep=fake.sleep), fake


def test_a_node_that_no_longer_lists_is_gone():
    client = ScriptedClient(describe_instance_information=[_listing(A, B), _listing(B), _listing()])
    still_listed, fake = _wait(client, [A, B])
    assert still_listed == []
    assert fake.sleeps == [2, 2]
    assert [kw["Filters"][-1]["Values"] for _name, kw in client.calls] == [[A, B], [A, B], [B]]  # a gone node is not asked again


def test_a_node_still_listed_at_the_deadline_is_not_gone():
    client = ScriptedClient(describe_instance_information=[_listing(A, B), _listing(A)])
    still_listed, fake = _wait(client, [A, B], timeout=5)
    assert still_listed == [A]
    assert sum(fake.sleeps) == 5  # waited the whole timeout, then gave up on A


def test_a_node_whose_describe_is_rejected_is_never_gone():
    """SSM rejecting the describe of A is not SSM saying A is unlisted: A is still waited for, and timed out."""
    client = ScriptedClient(describe_instance_information=[_rejects(A, registered=set())])
    still_listed, fake = _wait(client, [A, B], timeout=5)
    assert still_listed == [A]
    assert sum(fake.sleeps) == 5


def test_a_describe_that_fails_as_a_whole_raises_rather_than_reading_as_gone():
    client = ScriptedClient(describe_instance_information=[client_error("AccessDeniedException", "DescribeInstanceInformation")])
    with pytest.raises(AnsibleSSMError) as info:
        _wait(client, [A])
    assert info.value.code == "AccessDeniedException"


def test_absent_with_wait_reports_a_node_whose_poll_is_rejected_as_timed_out():
    rejecting_after_deregister = [_describe_only(A, B), _rejects(A, registered=set())]
    client = ScriptedClient(describe_instance_information=rejecting_after_deregister, deregister_managed_instance=[{}])
    changed, result = mi.ensure_absent(client, [A, B], check_mode=False, concurrency=1, wait=True, wait_timeout=0)
    assert changed is True
    assert [o["outcome"] for o in result["outcomes"]] == ["deregistered", "deregistered"]
    assert result["timed_out"] == [{"instance_id": A}]


def test_present_in_check_mode_predicts_role_and_tags_without_mutating():
    tag_lists = {A: [{"Key": "Env", "Value": "old"}, {"Key": "Gone", "Value": "x"}], B: [{"Key": "Env", "Value": "new"}]}
    client = ScriptedClient(
        describe_instance_information=[_describe_only(A, B)],
        list_tags_for_resource=[lambda **kw: {"TagList": tag_lists[kw["ResourceId"]]}],
    )
    changed, result = mi.ensure_present(client, [A, B], "Old", {"Env": "new"}, True, True, 2)
    assert changed is True
    assert set(client.names()) == {"describe_instance_information", "list_tags_for_resource"}  # reads only, no read-back either
    assert client.names().count("list_tags_for_resource") == 2
    assert [(o["instance_id"], o["outcome"]) for o in result["outcomes"]] == [(A, "updated"), (B, "unchanged")]
    assert result["diff"] == {
        "before": {A: {"iam_role": "Old", "tags": {"Env": "old", "Gone": "x"}}, B: {"iam_role": "Old", "tags": {"Env": "new"}}},
        "after": {A: {"iam_role": "Old", "tags": {"Env": "new"}}, B: {"iam_role": "Old", "tags": {"Env": "new"}}},
    }
    assert [n["instance_id"] for n in result["instances"]] == [A, B]


def test_present_in_check_mode_predicts_a_role_change_without_mutating():
    client = ScriptedClient(describe_instance_information=[_describe_only(A)])
    changed, result = mi.ensure_present(client, [A], "New", None, True, True, 1)
    assert changed is True and client.names() == ["describe_instance_information"]
    assert result["outcomes"] == [{"instance_id": A, "outcome": "updated"}]
    assert result["diff"] == {"before": {A: {"iam_role": "Old"}}, "after": {A: {"iam_role": "New"}}}
