# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The decommission role's cluster stage (plugin_utils/cluster_stages.py) through decommission_stages: the calls
it makes, an ECS member drained and deregistered, timed out, or forced; an EKS Hybrid Node refused unless stated
drained; the checks off; and its words in check mode (the integration test runs no check mode of it)."""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import outcomes
from ansible_collections.hybridops.ssm.plugins.plugin_utils import cluster_stages as cs
from ansible_collections.hybridops.ssm.plugins.plugin_utils import decommission_stages as stages

D = "decommission_hybrid_node_"
A, B = "mi-0000000000000000a", "mi-0000000000000000b"
ARN = "arn:aws:eks:us-east-1:123456789012:cluster/hybrid"
CI = "arn:aws:ecs:us-east-1:123456789012:container-instance/edge/0123"


def node(node_id, **extra):
    return {
        "id": node_id,
        "region": "us-east-1",
        "id_source": "variables",
        "on_host": False,
        "host_note": "",
        "registered_region": "",
        "registration_path": "/var/lib/amazon/ssm/registration",
        "cancel_commands": True,
        "delete_activation": False,
        "refusal": "",
        **extra,
    }


def fleet_of(**nodes):
    return stages.start(list(nodes), {host: {"found": True, "node": n} for host, n in nodes.items()}, {})


def member(running=(), status="ACTIVE", deregistered=False, forced=False):
    return {"cluster": "edge", "container_instance_arn": CI, "status": status, "running_tasks": list(running), "deregistered": deregistered, "forced": forced}


def test_the_stage_reads_tags_then_drains_with_the_batch_options_and_skips_hosts_with_checks_off():
    fleet = fleet_of(a=node(A), off=node(B, cluster_checks=False))
    # the batch's EKSClusterARN-tagged nodes only (a tag-key listing), with the tags of those alone
    expected = {"instance_ids": [A], "tag_keys": ["EKSClusterARN"], "include_tags": True, "region": "us-east-1"}
    assert stages.calls(cs.CLUSTER_READ, fleet, ["a", "off"]) == [("us-east-1", expected)]
    options = {"drain_timeout": "7", "drain_poll_interval": "0.5", "deregister_undrained": True}
    (call,) = stages.calls(cs.ECS, fleet, ["a", "off"], options)
    assert call[1] == {"instance_ids": [A], "state": "absent", "drain_timeout": 7, "poll_interval": 0.5, "force": True, "region": "us-east-1"}
    assert cs.cluster_result(fleet["off"]) == {"checked": False}


def test_an_eks_hybrid_node_is_refused_with_the_steps_unless_stated_drained():
    answer = {"us-east-1": {"instances": [{"instance_id": A, "tags": {"EKSClusterARN": ARN}}, {"instance_id": B, "tags": {"EKSClusterARN": ARN}}]}}
    fleet = stages.apply(cs.CLUSTER_READ, fleet_of(eks=node(A), drained=node(B, eks_node_drained=True)), ["eks", "drained"], answer)
    problem = fleet["eks"]["problem"]
    assert f"eks: {A} is an EKS Hybrid Node of {ARN}" in problem and "nothing was changed" in problem
    assert f"kubectl drain {A} --ignore-daemonsets --delete-emptydir-data; nodeadm uninstall (on the node); kubectl delete node {A}" in problem
    assert f"set {D}eks_node_drained=true" in problem
    assert not fleet["drained"]["problem"] and fleet["drained"]["cluster"]["eks_cluster_arn"] == ARN
    # the refused host takes part in no later call
    assert stages.calls(stages.DEREGISTER, fleet, ["eks", "drained"]) == [("us-east-1", {"instance_ids": [B], "state": "absent", "region": "us-east-1"})]


def test_a_node_missing_from_the_tagged_listing_is_no_eks_hybrid_node():
    answer = {"us-east-1": {"instances": [{"instance_id": A, "tags": {"EKSClusterARN": ARN}}]}}
    fleet = stages.apply(cs.CLUSTER_READ, fleet_of(eks=node(A), plain=node(B)), ["eks", "plain"], answer)
    assert fleet["eks"]["problem"] and fleet["plain"]["problem"] == ""
    assert fleet["plain"]["cluster"] == {"checked": True, "eks_cluster_arn": ""}


def test_an_ecs_member_drained_and_deregistered_goes_on_one_that_timed_out_keeps_its_registration():
    done = {"instance_id": A, outcomes.OUTCOME: outcomes.DEREGISTERED, "container_instances": [member(deregistered=True)]}
    stuck = {"instance_id": B, outcomes.OUTCOME: outcomes.DRAIN_TIMED_OUT, "container_instances": [member(["t1", "t2"], status="DRAINING")]}
    fleet = stages.apply(cs.ECS, fleet_of(a=node(A), b=node(B)), ["a", "b"], {"us-east-1": {"nodes": [done, stuck]}})
    assert not fleet["a"]["problem"] and cs.cluster_result(fleet["a"])["ecs"] == outcomes.DEREGISTERED
    assert cs.cluster_words(fleet["a"], False) == "ECS container instance edge/0123: drained and deregistered"
    problem = fleet["b"]["problem"]
    assert f"did not stop within {D}drain_timeout: 2 task(s) on {CI} in cluster edge: t1, t2" in problem
    assert "NOT deregistered from SSM" in problem and f"{D}deregister_undrained=true" in problem
    assert [args["instance_ids"] for _region, args in stages.calls(stages.DEREGISTER, fleet, ["a", "b"])] == [[A]]


def test_deregister_undrained_forces_and_says_the_tasks_were_left_running():
    forced = {"instance_id": A, outcomes.OUTCOME: outcomes.DEREGISTERED, "container_instances": [member(["t1"], deregistered=True, forced=True)]}
    fleet = stages.apply(cs.ECS, fleet_of(a=node(A)), ["a"], {"us-east-1": {"nodes": [forced]}})
    assert not fleet["a"]["problem"] and cs.cluster_result(fleet["a"])["container_instances"][0]["forced"] is True
    assert cs.cluster_words(fleet["a"], False).endswith("drained and deregistered (forced, tasks left running)")


def test_check_mode_words_say_what_would_be_done_and_how_many_tasks_run_now():
    predicted = {"instance_id": A, outcomes.OUTCOME: outcomes.DEREGISTERED, "container_instances": [member(["t1", "t2", "t3"])]}
    fleet = stages.apply(cs.ECS, fleet_of(a=node(A)), ["a"], {"us-east-1": {"nodes": [predicted]}})
    assert cs.cluster_words(fleet["a"], True) == "ECS container instance edge/0123: would drain and deregister (now 3 running task(s))"
    before, after = cs.cluster_plan_lines("a", fleet["a"], True)
    assert before == [f"a: ECS container instance {CI} (cluster edge): ACTIVE"] and after == [
        f"a: ECS container instance {CI} (cluster edge): INACTIVE (deregistered)"
    ]


def test_a_failed_call_is_a_problem_never_a_node_outside_any_cluster():
    for step in (cs.CLUSTER_READ, cs.ECS):
        fleet = stages.apply(step, fleet_of(a=node(A)), ["a"], {"us-east-1": {"failed": True, "msg": "AccessDeniedException"}})
        assert "failed, so nothing was changed for it: AccessDeniedException" in fleet["a"]["problem"]
    failed = {"instance_id": A, outcomes.OUTCOME: outcomes.FAILED, outcomes.MSG: "throttled", "container_instances": [member(["t1"])]}
    fleet = stages.apply(cs.ECS, fleet_of(a=node(A)), ["a"], {"us-east-1": {"failed": True, "msg": "1 failed", "nodes": [failed]}})
    assert "the node was not deregistered from SSM: throttled" in fleet["a"]["problem"]
