# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The decommission role's batched steps (plugin_utils/decommission_stages.py): which calls each step makes, and
where every host stands after it - a host with a problem takes no further part, a failed call is a problem."""

from ansible_collections.hybridops.ssm.plugins.plugin_utils import decommission_stages as stages

D = "decommission_hybrid_node_"
A, B, C = "mi-0000000000000000a", "mi-0000000000000000b", "mi-0000000000000000c"


def node(node_id, region="us-east-1", on_host=False, registered_region="", delete_activation=False, refusal=""):
    return {
        "id": node_id,
        "region": region,
        "id_source": "variables",
        "on_host": on_host,
        "host_note": "" if on_host else f"host steps skipped: {D}host_steps is false",
        "registered_region": registered_region,
        "registration_path": "/var/lib/amazon/ssm/registration",
        "cancel_commands": True,
        "delete_activation": delete_activation,
        "refusal": refusal,
    }


def fleet_of(**nodes):
    return stages.start(list(nodes), {host: {"found": True, "node": n} for host, n in nodes.items()}, {})


def test_start_takes_only_the_hosts_whose_check_passed_and_keeps_earlier_batches():
    checks = {"ok": {"found": True, "node": node(A)}, "rescued": {"found": True, "failed": True, "node": node(B)}, "bad": {"found": False}}
    fleet = stages.start(["ok", "rescued", "bad"], checks, {"earlier": {"node": node(C)}, "ok": {"stale": True}})
    assert sorted(fleet) == ["earlier", "ok"] and fleet["ok"]["node"]["id"] == A and "stale" not in fleet["ok"]


def test_one_call_per_region_each_id_once_and_refused_hosts_left_out():
    fleet = fleet_of(a=node(A), b=node(B, region="eu-west-1"), twin=node(A), refused=node(C, refusal="refused: sources disagree"), default=node(C, region=""))
    made = stages.calls(stages.DEREGISTER, fleet, list(fleet), {"deregister_wait_timeout": 30})
    assert made == [
        ("us-east-1", {"instance_ids": [A], "state": "absent", "region": "us-east-1"}),
        ("eu-west-1", {"instance_ids": [B], "state": "absent", "region": "eu-west-1"}),
        ("", {"instance_ids": [C], "state": "absent"}),
    ]
    assert fleet["refused"]["problem"] == "refused: sources disagree"
    # only the hosts whose host steps run are read
    assert stages.calls(stages.READ, fleet, list(fleet)) == []


def test_the_deregistration_is_waited_for_only_where_a_host_is_cleaned_or_an_activation_deleted():
    fleet = fleet_of(
        by_id=node(A),
        cleaned=node(B, region="eu-west-1", on_host=True),
        by_id_too=node(C, region="eu-west-1"),
        activation=node(C, region="ap-south-1", delete_activation=True),
    )
    made = dict(stages.calls(stages.DEREGISTER, fleet, list(fleet), {"deregister_wait_timeout": 30}))
    assert "wait" not in made["us-east-1"]
    # one call per region: a host that waits makes the whole call wait
    assert made["eu-west-1"] == {"instance_ids": [B, C], "state": "absent", "wait": True, "wait_timeout": 30, "region": "eu-west-1"}
    assert made["ap-south-1"]["wait"] is True


def test_a_failed_call_is_a_problem_for_each_of_its_hosts_never_an_absence():
    fleet = fleet_of(a=node(A), b=node(B))
    after = stages.apply(stages.DEREGISTER, fleet, ["a", "b"], {"us-east-1": {"failed": True, "msg": "Couldn't connect to AWS"}})
    for host in ("a", "b"):
        assert (
            after[host]["problem"]
            == f"{host}: deregistering {A if host == 'a' else B} in us-east-1 failed, so the host keeps its registration: Couldn't connect to AWS"
        )
        assert after[host]["deregistration"] == ""
    # and a host with a problem takes part in no later call
    assert stages.calls(stages.ACTIVATION, after, ["a", "b"]) == []


def test_a_missing_region_is_told_by_the_modules_error_code_not_its_message():
    fleet = fleet_of(a=node(A, region=""))
    no_region = {"failed": True, "msg": "anything at all", "error_code": "NoRegionError"}
    after = stages.apply(stages.CANCEL, fleet, ["a"], {"": no_region})
    assert after["a"]["problem"] == (
        f"a: no AWS region for {A}: {D}region is empty, the host was not read and the controller has none"
        f" (AWS_REGION, a profile, module_defaults). Set {D}region; nothing was changed."
    )
    other = stages.apply(stages.CANCEL, fleet, ["a"], {"": {"failed": True, "msg": "the region us-east-1 is throttled"}})
    assert "no AWS region" not in other["a"]["problem"] and "the region us-east-1 is throttled" in other["a"]["problem"]


def test_a_windows_node_is_refused_when_read():
    fleet = fleet_of(w=node(A, on_host=True))
    answer = {"instances": [{"instance_id": A, "platform_type": "Windows", "activation_id": "act"}]}
    after = stages.apply(stages.READ, fleet, ["w"], {"us-east-1": answer})
    assert f"set {D}host_steps=false and {D}instance_id={A} (and {D}region=us-east-1)" in after["w"]["problem"]
    assert not stages.runs_host_steps(after["w"], "stop_agent")


def test_cancel_failures_and_commands_left_running_stop_the_host():
    fleet = fleet_of(a=node(A), b=node(B))
    answer = {
        "outcomes": [
            {"instance_id": A, "command_id": "c1", "status": "Cancelled", "outcome": "cancelled", "cancel_sent": True},
            {"instance_id": B, "command_id": "c1", "status": "InProgress", "outcome": "failed", "msg": "denied", "cancel_sent": False},
        ],
        "timed_out": [],
    }
    after = stages.apply(stages.CANCEL, fleet, ["a", "b"], {"us-east-1": answer})
    assert after["a"]["problem"] == "" and stages.changed(after["a"])
    assert after["b"]["problem"].endswith("failed, so the agent was not stopped and the node not deregistered: denied")


def test_already_absent_where_the_file_names_another_region_is_looked_for_there():
    fleet = fleet_of(h=node(A, region="eu-west-1", on_host=True, registered_region="us-east-1"))
    fleet = stages.apply(stages.DEREGISTER, fleet, ["h"], {"eu-west-1": {"outcomes": [{"instance_id": A, "outcome": "already_absent", "region": "eu-west-1"}]}})
    assert stages.look_elsewhere(fleet["h"])
    assert stages.calls(stages.FILE_REGION, fleet, ["h"]) == [("us-east-1", {"instance_ids": [A], "region": "us-east-1"})]
    still = stages.apply(stages.FILE_REGION, fleet, ["h"], {"us-east-1": {"instances": [{"instance_id": A}]}})
    assert still["h"]["still_registered"] and f"Run again with {D}region=us-east-1" in still["h"]["problem"]
    assert not stages.runs_host_steps(still["h"], "clean")
    gone = stages.apply(stages.FILE_REGION, fleet, ["h"], {"us-east-1": {"instances": []}})
    assert gone["h"]["problem"] == "" and stages.runs_host_steps(gone["h"], "clean")


def test_the_activation_is_deleted_only_for_nodes_listed_with_one():
    fleet = fleet_of(a=node(A, delete_activation=True), b=node(B, delete_activation=True))
    deregistered = {
        "outcomes": [{"instance_id": A, "outcome": "deregistered"}, {"instance_id": B, "outcome": "already_absent"}],
        "instances": [{"instance_id": A, "activation_id": "act-1"}],
    }
    fleet = stages.apply(stages.DEREGISTER, fleet, ["a", "b"], {"us-east-1": deregistered})
    assert stages.calls(stages.ACTIVATION, fleet, ["a", "b"]) == [
        ("us-east-1", {"activation_ids": ["act-1"], "state": "absent", "only_if_unused": True, "region": "us-east-1"})
    ]
    after = stages.apply(stages.ACTIVATION, fleet, ["a", "b"], {"us-east-1": {"activations": [{"activation_id": "act-1", "outcome": "deleted"}]}})
    assert after["a"]["activation"] == "deleted" and after["b"]["activation"] == ""
    failed = stages.apply(stages.ACTIVATION, fleet, ["a"], {"us-east-1": {"failed": True, "msg": "denied"}})
    assert failed["a"]["activation"] == "failed" and "deleting the activation act-1 failed (the node was deregistered): denied" in failed["a"]["problem"]


def test_a_node_still_listed_when_the_wait_ran_out_is_a_problem():
    fleet = fleet_of(a=node(A))
    answer = {"outcomes": [{"instance_id": A, "outcome": "deregistered"}], "timed_out": [{"instance_id": A}]}
    after = stages.apply(stages.DEREGISTER, fleet, ["a"], {"us-east-1": answer})
    assert after["a"]["problem"].endswith(f"still listed when {D}deregister_wait_timeout ran out")
