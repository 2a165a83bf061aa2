"""Cluster members (issue #22): the decommission role takes ECS Anywhere container instances out of their cluster
before SSM forgets the node, and refuses EKS Hybrid Nodes not stated drained; through ansible-playbook
hybridops.ssm.decommission, every claim about calls read from the endpoint's one request log across SSM and ECS.

One run of the playbook over four hosts proves the four claims at once (each run costs seconds of the 8-minute
budget of make test): an ECS member with service tasks (drained, its container instance deregistered, then the
node), an ECS member whose tasks belong to no service (they never stop: it stays registered, with the reason), an
EKS-tagged node not stated drained (refused, no mutating call for it) and one stated drained with its host steps
(the nodeadm stand-in runs before the role's first request). Check mode of the cluster stage is a unit test
(tests/unit/plugins/plugin_utils/test_cluster_stages.py).

The sweep (hybridops.ssm.sweep_stale) over three stale nodes - an ECS member, an EKS-tagged node, a plain one -
runs twice on the same fleet: by default it leaves both members out (not one mutating call for them, each listed
with its cluster) and deregisters the plain one; then with sweep_stale_hybrid_nodes_include_cluster_members it
drains the ECS one and deregisters its container instance before SSM deregisters the members.

The endpoint drains on its clock: with drain_steps 1 a service task stops one step after its instance turned
DRAINING; the clock steps every 0.1 s, and the role polls every 0.1 s. One run took 21 s on a loaded 2-CPU machine
(the two tests it replaced, with a check-mode run besides, 58 s idle and 100 s loaded).
"""

import json

from test_roles import MUTATING
from test_roles import gone_host
from test_roles import local_host
from test_roles import playbook
from test_roles import write_inventory

from conftest import BIN
from conftest import MODULE_PYTHON
from conftest import listed
from conftest import ssm_client
from hostroot import NODEADM_CALLS
from hostroot import REGISTRATION
from hostroot import add_nodeadm
from hostroot import make_host_root

ECS_MUTATING = {"UpdateContainerInstancesState", "DeregisterContainerInstance"}
EKS_ARN = "arn:aws:eks:us-east-1:123456789012:cluster/hybrid"


def changes(log):
    return [e for e in log if e["operation"] in MUTATING | ECS_MUTATING and e["status"] == 200]


def mentions(entry, node_id):
    return node_id in json.dumps(entry["params"])


def eks_nodes(control, endpoint, count, **seed):
    """``count`` nodes of an activation tagged EKSClusterARN, as AWS recommends for EKS Hybrid Nodes (Online unless
    ``seed`` says otherwise)."""
    activation = ssm_client(endpoint.url).create_activation(
        IamRole="AmazonEKSHybridNodesRole", RegistrationLimit=count, Tags=[{"Key": "EKSClusterARN", "Value": EKS_ARN}]
    )
    return control.seed_nodes(count, activation_id=activation["ActivationId"], **{"ping_status": "Online", **seed})["instance_ids"]


def test_cluster_members_leave_their_cluster_first_stay_when_undrained_and_eks_nodes_wait(control, endpoint, ansible_env, tmp_path):
    ecs_id, spare_id, stuck_id = control.seed_nodes(3, ping_status="Online")["instance_ids"]
    control.seed_ecs([ecs_id, spare_id], cluster="edge", service_tasks=3)  # the spare (not decommissioned) takes the replacements
    control.seed_ecs([stuck_id], cluster="jobs", standalone_tasks=2)  # tasks of no service: they never stop
    control.set_ecs(drain_steps=1)
    refused_id, drained_id = eks_nodes(control, endpoint, 2)
    control.set_clock(mode="realtime", step_interval=0.1)  # drains and the listing of deregistered nodes move on it
    # A deregistered node still lists for a while (realistic: 3 s); the window itself is test_roles' subject, here it
    # is kept but short, so the role's wait for it costs half a second.
    control.set_realism(deregister_lag_s=0.5)
    ecs_root = make_host_root(tmp_path / "node-ecs", ecs_id)
    eks_root = make_host_root(tmp_path / "node-eks", drained_id)
    add_nodeadm(eks_root, str(BIN / "python"), endpoint.url)
    report = tmp_path / "report.json"
    inventory = write_inventory(
        tmp_path / "inventory.json",
        {
            "node-ecs": local_host(ecs_root),
            "node-stuck": gone_host(decommission_hybrid_node_instance_id=stuck_id),
            "node-eks-refused": gone_host(decommission_hybrid_node_instance_id=refused_id),
            "node-eks": local_host(eks_root, decommission_hybrid_node_eks_node_drained=True),
        },
        decommission_hybrid_node_cluster_checks=True,  # the role's default; write_inventory turns it off for other tests
        decommission_hybrid_node_command_poll_interval=0.1,
        decommission_hybrid_node_drain_timeout=1,
        decommission_hybrid_node_report_path=str(report),
    )

    control.clear_log()
    run = playbook(ansible_env, "decommission", inventory, "-e", "decommission_hosts=hybrid_nodes")
    log = control.log()
    hosts = json.loads(report.read_text())["hosts"]
    assert run.returncode != 0  # the stuck and the refused hosts fail, each alone and saying why
    assert sorted(listed(endpoint.url)) == sorted([spare_id, stuck_id, refused_id])

    # the ECS member with 3 service tasks: drained, its container instance deregistered, then the node
    order = [
        (e["service"], e["operation"])
        for e in changes(log)
        if mentions(e, ecs_id) or e["operation"] in ECS_MUTATING and str(e["params"].get("cluster")).endswith("/edge")
    ]
    assert order == [("ecs", "UpdateContainerInstancesState"), ("ecs", "DeregisterContainerInstance"), ("ssm", "DeregisterManagedInstance")], order
    (instance,) = control.ecs_instance(ecs_id)
    assert instance["status"] == "INACTIVE" and not [t for t in instance["tasks"] if t.get("orphaned")]
    assert not (ecs_root / REGISTRATION).exists()
    assert hosts["node-ecs"]["cluster"]["ecs"] == "deregistered"

    # the one whose tasks never stop: drained but deregistered neither from ECS nor from SSM; it says why
    assert not [e for e in changes(log) if e["operation"] in ("DeregisterManagedInstance", "DeregisterContainerInstance") and mentions(e, stuck_id)]
    (stuck,) = control.ecs_instance(stuck_id)
    assert stuck["status"] == "DRAINING"
    entry = hosts["node-stuck"]
    assert entry["deregistration"] == "not_attempted" and entry["cluster"]["ecs"] == "drain_timed_out"
    assert "did not stop within decommission_hybrid_node_drain_timeout" in entry["error"] and "NOT deregistered from SSM" in entry["error"]
    assert "decommission_hybrid_node_deregister_undrained=true" in entry["error"]
    assert len(entry["cluster"]["container_instances"][0]["running_tasks"]) == 2

    # the EKS-tagged node not stated drained: refused with AWS's steps, not one mutating call for it
    assert not [e for e in changes(log) if mentions(e, refused_id)]
    assert f"is an EKS Hybrid Node of {EKS_ARN}" in hosts["node-eks-refused"]["error"]
    steps = f"kubectl drain {refused_id} --ignore-daemonsets --delete-emptydir-data; nodeadm uninstall (on the node); kubectl delete node {refused_id}"
    assert steps in run.stdout and hosts["node-eks-refused"]["deregistration"] == "not_attempted"

    # Before the cancel stage (ListCommands): the read stage's one listing by ID (the two hosts with a registration
    # file), then the cluster stage's listing of the EKSClusterARN-tagged nodes (a tag-key filter) per region of the
    # batch (those two hosts name us-east-1, the others the default region) - no second listing of the batch by ID -
    # and the tags of the two EKS nodes alone, not of all four (before: 3 listings by ID and 4 tag reads).
    ssm_calls = [e for e in log if e["service"] == "ssm"]
    first = ssm_calls[: next(n for n, e in enumerate(ssm_calls) if e["operation"] == "ListCommands")]
    filters = [[(f["Key"], f["Values"]) for f in e["params"]["Filters"]] for e in first if e["operation"] == "DescribeInstanceInformation"]
    tag_key = [("tag-key", ["EKSClusterARN"])]
    assert [f[0][0] for f in filters] == ["InstanceIds", "tag-key", "tag-key"] and filters[1] == filters[2] == tag_key, filters
    assert sorted(e["params"]["ResourceId"] for e in ssm_calls if e["operation"] == "ListTagsForResource") == sorted([refused_id, drained_id])

    # the EKS node stated drained, with its host steps: nodeadm uninstall ran before the role's first request
    assert (eks_root / NODEADM_CALLS).read_text().splitlines() == ["uninstall requests_before=0"]
    assert not (eks_root / REGISTRATION).exists() and hosts["node-eks"]["deregistration"] == "deregistered"


def sweep(ansible_env, *extra):
    return playbook(
        ansible_env,
        "sweep_stale",
        "localhost,",
        "-e",
        f"ansible_python_interpreter={MODULE_PYTHON}",
        "-e",
        "sweep_stale_hybrid_nodes_older_than=60d",
        *extra,
    )


def test_the_sweep_leaves_cluster_members_out_and_lists_them_then_told_to_include_them_drains_the_ecs_one_first(control, endpoint, ansible_env, tmp_path):
    # One fleet, two runs: the default (about 4 s more), then with the variable. Which node is a member, and the
    # words of the report, are also sweep_report's unit tests (tests/unit/plugins/plugin_utils/test_sweep_report.py).
    stale = {"ping_status": "ConnectionLost", "last_ping_days_ago": 90}
    ecs_id, plain_id = control.seed_nodes(2, **stale)["instance_ids"]
    control.seed_ecs([ecs_id], cluster="edge")  # no task left: a stale node's service tasks were replaced long ago
    (eks_id,) = eks_nodes(control, endpoint, 1, **stale)

    # By default: the members are left out - no mutating call for them, SSM's or ECS's - and listed with their
    # clusters; only the plain node is deregistered.
    report = tmp_path / "sweep.json"
    control.clear_log()
    run = sweep(ansible_env, "-e", f"sweep_stale_hybrid_nodes_report_path={report}")
    assert run.returncode == 0
    log = changes(control.log())
    assert not [e for e in log if e["service"] == "ecs" or mentions(e, ecs_id) or mentions(e, eks_id)], log
    assert [e["params"]["InstanceId"] for e in log if e["operation"] == "DeregisterManagedInstance"] == [plain_id]
    assert control.ecs_instance(ecs_id)[0]["status"] == "ACTIVE"
    control.advance(60)  # past the time a deregistered node keeps being listed (the next sweep, a minute later)
    assert sorted(listed(endpoint.url)) == sorted([ecs_id, eks_id])
    summary = json.loads(report.read_text())
    assert summary["cluster_members_left_out"] == {ecs_id: "ECS cluster edge", eks_id: f"EKS cluster {EKS_ARN}"}
    assert summary["instance_ids"] == {"deregistered": [plain_id]}
    assert "1 stale hybrid node(s)" in run.stdout and "1 deregistered" in run.stdout
    assert "2 cluster member(s) left out (sweep_stale_hybrid_nodes_include_cluster_members is false)" in run.stdout
    for member_id, words in ((ecs_id, "ECS cluster edge"), (eks_id, f"EKS cluster {EKS_ARN}")):
        assert f"left out, a cluster member: {words} (sweep_stale_hybrid_nodes_include_cluster_members=true includes it)" in next(
            line for line in run.stdout.splitlines() if member_id in line and "left out" in line
        )

    # With the variable: the ECS member is drained and its container instance deregistered, then SSM deregisters both.
    control.clear_log()
    run = sweep(ansible_env, "-e", "sweep_stale_hybrid_nodes_include_cluster_members=true")
    assert run.returncode == 0
    log = changes(control.log())
    on_edge = [e["operation"] for e in log if str(e["params"].get("cluster")).endswith("/edge")]
    assert on_edge == ["UpdateContainerInstancesState", "DeregisterContainerInstance"], log
    deregistered = [e for e in log if e["operation"] == "DeregisterManagedInstance"]
    assert sorted(e["params"]["InstanceId"] for e in deregistered) == sorted([ecs_id, eks_id])
    assert max(e["seq"] for e in log if e["service"] == "ecs") < min(e["seq"] for e in deregistered)
    assert control.ecs_instance(ecs_id)[0]["status"] == "INACTIVE"
    assert "2 stale hybrid node(s)" in run.stdout and "2 deregistered" in run.stdout
