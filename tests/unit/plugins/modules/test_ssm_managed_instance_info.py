# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ssm_managed_instance_info driven through main(): the task runner's options and errors, tags read per hybrid node."""

import functools

import pytest

from ansible_collections.hybridops.ssm.plugins.modules import ssm_managed_instance_info
from ansible_collections.hybridops.ssm.tests.unit.plugins.modules.utils import run_module_main

from ..module_utils.doubles import ScriptedClient
from ..module_utils.doubles import client_error

A, B = "mi-0000000000000000a", "mi-0000000000000000b"
AGENT = "eks_c:cluster_0123456789abcdef0"
run_main = functools.partial(run_module_main, ssm_managed_instance_info)


def _listing(*ids):
    return {"InstanceInformationList": [{"InstanceId": i, "PingStatus": "Online"} for i in ids]}


def _tags(by_node):
    def answer(**kwargs):
        tags = by_node[kwargs["ResourceId"]]
        if isinstance(tags, Exception):
            raise tags
        return {"TagList": [{"Key": k, "Value": v} for k, v in tags.items()]}

    return answer


def test_nodes_are_listed_in_snake_case_without_tags_unless_asked(monkeypatch, capsys):
    client = ScriptedClient(describe_instance_information=[_listing(A, B)])
    result = run_main(monkeypatch, capsys, client)
    assert result["changed"] is False and result["msg"] == "2 node(s) matched"
    assert [(n["instance_id"], n["ping_status"]) for n in result["instances"]] == [(A, "Online"), (B, "Online")]
    assert "tags" not in result["instances"][0]
    assert client.names() == ["describe_instance_information"]


def test_tags_are_read_for_hybrid_nodes_and_never_asked_of_an_eks_connector_agent(monkeypatch, capsys):
    client = ScriptedClient(describe_instance_information=[_listing(A, AGENT)], list_tags_for_resource=[_tags({A: {"site": "x"}})])
    result = run_main(monkeypatch, capsys, client, include_tags=True)
    assert [n.get("tags") for n in result["instances"]] == [{"site": "x"}, None]
    assert [kw["ResourceId"] for name, kw in client.calls if name == "list_tags_for_resource"] == [A]
    assert result["msg"].endswith(f"tags not read for 1 EKS Connector agent(s), whose IDs SSM's tag calls refuse: {AGENT}")


def test_tag_keys_list_the_tagged_nodes_once_and_read_the_tags_of_the_named_ones_alone(monkeypatch, capsys):
    tagged = _listing(A, "mi-0000000000000000c")  # the region's nodes carrying the key, one of them not asked for
    client = ScriptedClient(describe_instance_information=[tagged], list_tags_for_resource=[_tags({A: {"EKSClusterARN": "arn"}})])
    result = run_main(monkeypatch, capsys, client, instance_ids=[A, B], tag_keys=["EKSClusterARN"], include_tags=True)
    assert [(n["instance_id"], n["tags"]) for n in result["instances"]] == [(A, {"EKSClusterARN": "arn"})]
    (describe,) = [kw for name, kw in client.calls if name == "describe_instance_information"]
    assert describe["Filters"] == [{"Key": "tag-key", "Values": ["EKSClusterARN"]}]
    assert [kw["ResourceId"] for name, kw in client.calls if name == "list_tags_for_resource"] == [A]


@pytest.mark.parametrize("tag_keys, words", [([], "must be a list of 1 to 5 tag keys"), (["a"] * 6, "1 to 5"), (["bad{key}"], "contains '{'")])
def test_tag_keys_are_checked_before_any_request(monkeypatch, capsys, tag_keys, words):
    client = ScriptedClient()
    result = run_main(monkeypatch, capsys, client, tag_keys=tag_keys)
    assert result["failed"] is True and words in result["msg"] and client.calls == []


def test_a_failed_tag_read_fails_the_task_rather_than_reading_as_no_tags(monkeypatch, capsys):
    denied = client_error("AccessDeniedException", "ListTagsForResource")
    client = ScriptedClient(describe_instance_information=[_listing(A, B)], list_tags_for_resource=[_tags({A: {}, B: denied})])
    result = run_main(monkeypatch, capsys, client, include_tags=True)
    assert result["failed"] is True and "instances" not in result
    assert result["msg"].startswith(f"reading the tags of 1 node(s) in us-east-1 failed ({B}): ")
    assert "AccessDeniedException" in result["msg"]


def test_a_failed_listing_fails_the_task_with_its_advice(monkeypatch, capsys):
    client = ScriptedClient(describe_instance_information=[client_error("AccessDeniedException", "DescribeInstanceInformation")])
    result = run_main(monkeypatch, capsys, client)
    assert result["failed"] is True and "the credentials lack the IAM permission for this call" in result["msg"]


def test_the_task_runs_with_its_deadline(monkeypatch, capsys):
    started = []
    monkeypatch.setattr(ssm_managed_instance_info, "start_task", lambda deadline=None: started.append(deadline))
    client = ScriptedClient(describe_instance_information=[_listing(A)])
    result = run_main(monkeypatch, capsys, client, deadline=120, max_calls_per_second=5)
    assert result.get("failed") is not True and started == [120]


@pytest.mark.parametrize(
    "args, words",
    [({"deadline": 0}, "deadline: 0"), ({"deadline": 86401}, "from 1 to 86400"), ({"instance_ids": ["i-0123456789abcdef0x"]}, "instance_ids:")],
)
def test_bad_options_fail_before_any_call(monkeypatch, capsys, args, words):
    client = ScriptedClient()
    result = run_main(monkeypatch, capsys, client, **args)
    assert result["failed"] is True and words in result["msg"]
    assert client.calls == []


def test_an_empty_list_of_ids_names_no_node(monkeypatch, capsys):
    client = ScriptedClient()
    result = run_main(monkeypatch, capsys, client, instance_ids=[])
    assert result["instances"] == [] and client.calls == []
