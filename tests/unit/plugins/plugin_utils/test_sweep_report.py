# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The sweep's decisions (plugin_utils/sweep_report.py): the guard, the selection in words, the report's words,
counts, lines and diff, and the summary."""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import outcomes as words
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import sweep_plan as planning
from ansible_collections.hybridops.ssm.plugins.plugin_utils import sweep_report as sweep

PING = "2024-05-01T10:00:00+00:00"
EKS = "eks_c:edge-cluster_0123456789abcdefg"
COMMAND = "25173b39-c88d-4459-ba3d-8704a0000000"


def node_id(n):
    return f"mi-0123456789abcde{n:02x}"


def found(count):
    return [{"instance_id": node_id(n), "name": f"kiosk-{n}", "last_ping_date_time": PING} for n in range(count)]


def plan_of(instances, max_nodes=25, **selection):
    return planning.plan(instances, max_nodes, "30d", **selection)


def deregistration(instances, outcome=words.DEREGISTERED, changed=True, **by_id):
    """A registered ssm_managed_instance result: every node ``outcome`` unless ``by_id`` says otherwise."""
    return {"changed": changed, "outcomes": [{"instance_id": n["instance_id"], words.OUTCOME: by_id.get(n["instance_id"], outcome)} for n in instances]}


def invocation(instance_id, outcome, before="InProgress", after="Cancelling"):
    return {"instance_id": instance_id, "command_id": COMMAND, "status_before": before, "status": after, words.OUTCOME: outcome}


# --- the guard ------------------------------------------------------------------------------------


def test_the_guard_allows_the_limit_itself_and_refuses_one_more():
    assert planning.over_limit(24, 25) is False
    assert planning.over_limit(25, 25) is False
    assert planning.over_limit(26, 25) is True
    assert planning.over_limit(3, "2") is True  # as a role variable from -e arrives


def test_a_plan_under_the_limit_names_the_nodes_and_refuses_nothing():
    plan = plan_of(found(3), max_nodes=3)
    assert plan["instance_ids"] == [node_id(n) for n in range(3)]
    assert plan["refused"] is False and plan["refusal"] == ""


def test_a_plan_over_the_limit_is_refused_with_the_count_and_the_selection():
    plan = plan_of(found(4), max_nodes=3)
    assert plan["refused"] is True
    assert plan["refusal"].startswith("4 nodes match (ConnectionLost, last ping before 30d), more than sweep_stale_hybrid_nodes_max_nodes (3);")
    assert "nothing was changed" in plan["refusal"]


def test_eks_connector_agents_get_no_command_cancel():
    plan = plan_of(found(1) + [{"instance_id": EKS}], include_eks_connector_agents=True)
    assert plan["instance_ids"] == [node_id(0), EKS]
    assert plan["command_instance_ids"] == [node_id(0)]


def test_the_selection_in_words_names_only_the_filters_given():
    assert planning.selection_words("30d") == "ConnectionLost, last ping before 30d"
    assert planning.selection_words("14d", {"Site": "kiosks", "Env": "prod"}, ["a1", "a2"], True) == (
        "ConnectionLost, last ping before 14d, tags Site=kiosks Env=prod, activations a1 a2, EKS Connector agents included"
    )
    assert planning.selection_words("30d", {}, [], False) == "ConnectionLost, last ping before 30d"


# --- the report -----------------------------------------------------------------------------------


def test_a_real_run_reports_the_modules_words_and_counts_them():
    nodes = found(3)
    commands = {"changed": True, "outcomes": [invocation(node_id(0), words.CANCEL_REQUESTED), invocation(node_id(1), words.CANCELLED, after="Cancelled")]}
    report = sweep.report(plan_of(nodes), nodes, commands, deregistration(nodes), False)
    assert (report["selected"], report["deregistered"], report["already_absent"], report["failed"]) == (3, 3, 0, 0)
    assert (report["commands_cancelled"], report["commands_cancel_requested"]) == (1, 1)
    assert report["lines"][0] == f"{node_id(0)}  kiosk-0  {PING}  deregistered"
    assert report["command_lines"] == [f"{node_id(0)}  command {COMMAND}  cancel_requested", f"{node_id(1)}  command {COMMAND}  cancelled"]
    assert report["headline"].startswith("3 stale hybrid node(s) (ConnectionLost, last ping before 30d); 3 deregistered,")
    assert report["changed"] is True and report["check_mode"] is False


def test_check_mode_says_would():
    nodes = found(2)
    commands = {"changed": True, "outcomes": [invocation(node_id(0), words.CANCEL_REQUESTED)]}
    report = sweep.report(plan_of(nodes), nodes, commands, deregistration(nodes), True)
    assert [line.split("  ")[-1] for line in report["lines"]] == [words.WOULD_DEREGISTER] * 2
    assert report["command_lines"] == [f"{node_id(0)}  command {COMMAND}  {words.WOULD_CANCEL}"]
    assert report["headline"].startswith("CHECK MODE, nothing changed: 2 stale hybrid node(s)")
    assert "2 would be deregistered" in report["headline"] and "0 cancelled, 1 would be cancelled" in report["headline"]
    assert report["diff"]["after_header"].endswith("would leave them (check mode)")


def test_a_refused_sweep_reports_every_node_as_not_done():
    nodes = found(4)
    plan = plan_of(nodes, max_nodes=3)
    in_check_mode = sweep.report(plan, nodes, {"skipped": True}, {"skipped": True}, True)
    real = sweep.report(plan, nodes, {}, {}, False)
    assert all(line.endswith(sweep.REFUSED_IN_CHECK_MODE) for line in in_check_mode["lines"])
    assert all(line.endswith(sweep.REFUSED) for line in real["lines"])
    assert real["refused"] is True and real["deregistered"] == 0 and real["changed"] is False
    assert "more than sweep_stale_hybrid_nodes_max_nodes (3): refused, nothing changed" in real["headline"]


def test_a_partial_failure_counts_failed_and_not_attempted_together_and_shows_why_at_v():
    nodes = found(3)
    outcomes = deregistration(nodes)
    outcomes["outcomes"][1].update({words.OUTCOME: words.FAILED, "error_code": "ConnectionClosedError", words.MSG: "the connection closed"})
    outcomes["outcomes"][2].update({words.OUTCOME: words.NOT_ATTEMPTED, "error_code": "NotAttempted", words.MSG: "the task's deadline passed"})
    report = sweep.report(plan_of(nodes), nodes, {}, outcomes, False)
    assert (report["deregistered"], report["failed"]) == (1, 2)
    assert [line.split("  ")[-1] for line in report["lines"]] == [words.DEREGISTERED, words.FAILED, words.NOT_ATTEMPTED]
    assert "1 deregistered, 0 already absent, 2 failed or not attempted" in report["headline"]
    assert report["detail"] == [f"{node_id(1)}  failed: the connection closed", f"{node_id(2)}  not_attempted: the task's deadline passed"]
    assert sweep.shown_lines(report, 0) == [report["headline"], *report["lines"]]
    assert sweep.shown_lines(report, 1)[-2:] == report["detail"]
    # the failed nodes read the same on both sides of the diff: still registered
    assert report["diff"]["after"].splitlines()[1:] == report["diff"]["before"].splitlines()[1:]


def test_nodes_no_step_reached_say_so():
    nodes = found(2)
    report = sweep.report(plan_of(nodes), nodes, {"failed": True, "outcomes": []}, {}, False)
    assert all(line.endswith(sweep.EARLIER_STEP_FAILED) for line in report["lines"])
    assert report["failed"] == 0  # counted from the deregistration's outcomes: it never ran


def test_invocations_that_needed_no_cancel_are_neither_shown_nor_counted():
    nodes = found(1)
    commands = {
        "changed": False,
        "outcomes": [invocation(node_id(0), words.ALREADY_TERMINAL, "Success", "Success"), {"instance_id": node_id(0), words.OUTCOME: words.NONE_IN_FLIGHT}],
    }
    report = sweep.report(plan_of(nodes), nodes, commands, deregistration(nodes), False)
    assert report["command_lines"] == [] and report["commands_cancel_requested"] == report["commands_cancelled"] == 0


def test_an_empty_selection_is_an_empty_report():
    plan = plan_of([])
    report = sweep.report(plan, [], {"skipped": True}, {"skipped": True}, False)
    assert plan["refused"] is False and plan["instance_ids"] == []
    assert (report["selected"], report["lines"], report["command_lines"], report["changed"]) == (0, [], [], False)
    assert report["headline"].startswith("0 stale hybrid node(s)")
    assert sweep.summary(plan, {"skipped": True}, False, "", "30d") == {
        "check_mode": False,
        "region": "",
        "older_than": "30d",
        "selected": [],
        "counts": {},
        "instance_ids": {},
        "outcomes": [],
        "cluster_members_left_out": {},
    }


def test_the_diff_shows_each_node_registered_then_absent_and_each_invocation_before_and_after():
    nodes = found(1) + [{"instance_id": node_id(9)}]  # a node the listing gave no name or ping
    commands = {"changed": True, "outcomes": [invocation(node_id(0), words.CANCEL_REQUESTED, "Pending", "Cancelling")]}
    diff = sweep.report(plan_of(nodes), nodes, commands, deregistration(nodes), False)["diff"]
    assert diff["before"] == (
        f"{node_id(0)}  kiosk-0  registered, last ping {PING}\n{node_id(9)}  -  registered, last ping -\n{node_id(0)}  command {COMMAND}  Pending\n"
    )
    assert diff["after"] == f"{node_id(0)}  kiosk-0  absent\n{node_id(9)}  -  absent\n{node_id(0)}  command {COMMAND}  Cancelling\n"
    assert diff["after_header"] == "as the sweep left them"


# --- the summary ----------------------------------------------------------------------------------


def test_the_summary_counts_and_lists_the_ids_by_the_modules_words():
    nodes = found(3)
    outcomes = deregistration(nodes, **{node_id(2): words.ALREADY_ABSENT})
    summary = sweep.summary(plan_of(nodes), outcomes, True, "eu-west-1", "30d")
    assert summary["counts"] == {words.ALREADY_ABSENT: 1, words.DEREGISTERED: 2}
    assert summary["instance_ids"] == {words.ALREADY_ABSENT: [node_id(2)], words.DEREGISTERED: [node_id(0), node_id(1)]}
    assert summary["selected"] == [node_id(n) for n in range(3)] and summary["check_mode"] is True
    assert summary["outcomes"] == outcomes["outcomes"]


# --- cluster members (ECS Anywhere container instances, EKSClusterARN tags) ------------------------

EKS_ARN = "arn:aws:eks:us-east-1:123456789012:cluster/hybrid"


def memberships(ecs=(), eks=()):
    """ecs_anywhere_instance_info's nodes (include_eks): ``ecs`` and ``eks`` are node indexes."""
    return [
        {
            "instance_id": node_id(n),
            "ecs_member": n in ecs,
            "container_instances": [{"cluster": "edge", "container_instance_arn": f"arn:aws:ecs:us-east-1:1:container-instance/edge/{n}"}] if n in ecs else [],
            "eks_cluster_arn": EKS_ARN if n in eks else "",
        }
        for n in range(3)
    ]


def test_cluster_members_are_left_out_by_default_and_listed_with_their_cluster():
    instances = found(3)
    sweep_plan = plan_of(instances, memberships=memberships(ecs=[0], eks=[1]))
    assert sweep_plan["instance_ids"] == [node_id(2)] and sweep_plan["ecs_instance_ids"] == []
    assert sweep_plan["left_out"] == [node_id(0), node_id(1)]
    result = sweep.report(sweep_plan, instances, {}, deregistration(instances[2:]), False)
    assert result["selected"] == 1 and result["deregistered"] == 1 and result["left_out"] == [node_id(0), node_id(1)]
    assert result["cluster_lines"] == [
        f"{node_id(0)}  kiosk-0  {PING}  left out, a cluster member: ECS cluster edge ({sweep.INCLUDE_CLUSTER_MEMBERS}=true includes it)",
        f"{node_id(1)}  kiosk-1  {PING}  left out, a cluster member: EKS cluster {EKS_ARN} ({sweep.INCLUDE_CLUSTER_MEMBERS}=true includes it)",
    ]
    assert result["headline"].endswith(f"; 2 cluster member(s) left out ({sweep.INCLUDE_CLUSTER_MEMBERS} is false)")
    assert sweep.shown_lines(result, 0)[-2:] == result["cluster_lines"]
    summary = sweep.summary(sweep_plan, deregistration(instances[2:]), False, "us-east-1", "30d")
    assert summary["cluster_members_left_out"] == {node_id(0): "ECS cluster edge", node_id(1): f"EKS cluster {EKS_ARN}"}


def test_the_guard_counts_only_the_nodes_to_deregister():
    sweep_plan = plan_of(found(3), max_nodes=1, memberships=memberships(ecs=[0], eks=[1]))
    assert sweep_plan["refused"] is False and sweep_plan["instance_ids"] == [node_id(2)]
    assert plan_of(found(3), max_nodes=1, memberships=memberships(ecs=[0]), include_cluster_members=True)["refused"] is True


def test_included_ecs_members_are_drained_first_and_one_that_did_not_leave_stays_registered():
    instances = found(3)
    sweep_plan = plan_of(instances, memberships=memberships(ecs=[0, 1], eks=[2]), include_cluster_members=True)
    assert sweep_plan["instance_ids"] == [node_id(0), node_id(1), node_id(2)] and sweep_plan["left_out"] == []
    assert sweep_plan["ecs_instance_ids"] == [node_id(0), node_id(1)]  # the EKS-tagged node has no container instance
    drained = {
        "changed": True,
        "nodes": [
            {"instance_id": node_id(0), words.OUTCOME: words.DEREGISTERED},
            {"instance_id": node_id(1), words.OUTCOME: words.DRAIN_TIMED_OUT, words.MSG: "2 task(s) still run"},
        ],
    }
    assert planning.deregister_ids(sweep_plan, drained) == [node_id(0), node_id(2)]
    result = sweep.report(sweep_plan, instances, {}, deregistration([instances[0], instances[2]]), False, drained)
    assert result["not_drained"] == [node_id(1)] and result["failed"] == 1 and result["deregistered"] == 2
    assert result["lines"][1].endswith(sweep.NOT_DRAINED) and f"{node_id(1)}  ECS drain_timed_out: 2 task(s) still run" in result["detail"]


def test_a_drain_call_that_failed_or_did_not_run_is_never_read_as_drained():
    sweep_plan = plan_of(found(2), memberships=memberships(ecs=[0]), include_cluster_members=True)
    for drained in ({"failed": True, "msg": "AccessDeniedException"}, {}, {"skipped": True}):
        assert planning.deregister_ids(sweep_plan, drained) == [node_id(1)]
    assert sweep.held_back(sweep_plan, {"failed": True, "msg": "AccessDeniedException"}) == [node_id(0)]
    assert sweep.held_back(sweep_plan, {}) == [] and sweep.held_back(sweep_plan, {"skipped": True}) == []


def test_without_memberships_the_plan_is_as_before():
    sweep_plan = plan_of(found(2))
    assert sweep_plan["instance_ids"] == [node_id(0), node_id(1)] and sweep_plan["left_out"] == [] and sweep_plan["cluster_members"] == {}
    assert sweep.report(sweep_plan, found(2), {}, deregistration(found(2)), False)["cluster_lines"] == []
