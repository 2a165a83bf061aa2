"""Cluster members (issue #22): the decommission role takes ECS Anywhere container instances out of their cluster
before SSM forgets the node, and refuses EKS Hybrid Nodes not stated drained; through ansible-playbook
hybridops.ssm.decommission, every claim about calls read from the endpoint's one request log across SSM and ECS.

The endpoint drains on its clock (a service task stops two steps after its instance turned DRAINING); the clock
steps every 0.2 s here, so a drain takes about half a second and the role polls every 0.3 s.
"""

import json

from test_roles import MUTATING
from test_roles import gone_host
from test_roles import local_host
from test_roles import playbook
from test_roles import write_inventory

from conftest import BIN
from conftest import listed
from hostroot import NODEADM_CALLS
from hostroot import REGISTRATION
from hostroot import add_nodeadm
from hostroot import make_host_root

ECS_MUTATING = {"UpdateContainerInstancesState", "DeregisterContainerInstance"}


def changes(log):
    return [e for e in log if e["operation"] in MUTATING | ECS_MUTATING and e["status"] == 200]


def test_ecs_member_is_drained_and_deregistered_first_and_one_that_does_not_drain_stays(control, endpoint, ansible_env, tmp_path):
    ids = control.seed_nodes(3, ping_status="Online")["instance_ids"]
    ecs_id, spare_id, stuck_id = ids
    control.seed_ecs([ecs_id, spare_id], cluster="edge", service_tasks=3)  # the spare takes the replacements
    control.seed_ecs([stuck_id], cluster="jobs", standalone_tasks=2)  # tasks of no service: they never stop
    control.set_clock(mode="realtime", step_interval=0.2)
    root = make_host_root(tmp_path / "node-ecs", ecs_id)
    report = tmp_path / "report.json"
    inventory = write_inventory(
        tmp_path / "inventory.json",
        {"node-ecs": local_host(root), "node-stuck": gone_host(decommission_hybrid_node_instance_id=stuck_id)},
        decommission_hybrid_node_command_poll_interval=0.3,
        decommission_hybrid_node_drain_timeout=2,
        decommission_hybrid_node_report_path=str(report),
    )

    control.clear_log()
    check = playbook(ansible_env, "decommission", inventory, "-e", "decommission_hosts=hybrid_nodes", "--check", "--diff")
    assert not changes(control.log()), "check mode sent a mutating call"
    assert "ECS container instance edge/" in check.stdout and "would drain and deregister (now 3 running task(s))" in check.stdout, check.stdout

    control.clear_log()
    real = playbook(ansible_env, "decommission", inventory, "-e", "decommission_hosts=hybrid_nodes")
    log = control.log()
    order = [
        (e["service"], e["operation"])
        for e in changes(log)
        if ecs_id in json.dumps(e["params"]) or e["operation"] in ECS_MUTATING and str(e["params"].get("cluster")).endswith("/edge")
    ]
    assert order == [("ecs", "UpdateContainerInstancesState"), ("ecs", "DeregisterContainerInstance"), ("ssm", "DeregisterManagedInstance")], order
    (instance,) = control.ecs_instance(ecs_id)
    assert instance["status"] == "INACTIVE" and not [t for t in instance["tasks"] if t.get("orphaned")]
    assert not (root / REGISTRATION).exists()

    # the node whose tasks never stop: drained but not deregistered, from ECS or SSM; the host fails and says why
    assert real.returncode != 0
    assert stuck_id in listed(endpoint.url) and ecs_id not in listed(endpoint.url)
    assert not [
        e for e in changes(log) if e["operation"] in ("DeregisterManagedInstance", "DeregisterContainerInstance") and stuck_id in json.dumps(e["params"])
    ]
    (stuck,) = control.ecs_instance(stuck_id)
    assert stuck["status"] == "DRAINING"
    entry = json.loads(report.read_text())["hosts"]["node-stuck"]
    assert entry["deregistration"] == "not_attempted" and entry["cluster"]["ecs"] == "drain_timed_out"
    assert "did not stop within decommission_hybrid_node_drain_timeout" in entry["error"] and "NOT deregistered from SSM" in entry["error"]
    assert "decommission_hybrid_node_deregister_undrained=true" in entry["error"]
    assert len(entry["cluster"]["container_instances"][0]["running_tasks"]) == 2


def test_eks_hybrid_node_is_refused_until_stated_drained_then_nodeadm_runs_first(control, endpoint, ansible_env, tmp_path):
    arn = "arn:aws:eks:us-east-1:123456789012:cluster/hybrid"
    ssm = __import__("conftest").ssm_client(endpoint.url)
    activation = ssm.create_activation(IamRole="AmazonEKSHybridNodesRole", RegistrationLimit=2, Tags=[{"Key": "EKSClusterARN", "Value": arn}])
    (node_id,) = control.seed_nodes(1, activation_id=activation["ActivationId"], ping_status="Online")["instance_ids"]
    root = make_host_root(tmp_path / "node-eks", node_id)
    add_nodeadm(root, str(BIN / "python"), endpoint.url)
    inventory = write_inventory(tmp_path / "inventory.json", {"node-eks": local_host(root)}, decommission_hybrid_node_command_poll_interval=0.3)
    control.set_clock(mode="realtime", step_interval=0.1)  # a deregistered node stops listing within a few steps

    control.clear_log()
    refused = playbook(ansible_env, "decommission", inventory, "-e", "decommission_hosts=hybrid_nodes")
    assert refused.returncode != 0
    assert not changes(control.log())
    assert f"is an EKS Hybrid Node of {arn}" in refused.stdout
    assert (
        f"kubectl drain {node_id} --ignore-daemonsets --delete-emptydir-data; nodeadm uninstall (on the node); kubectl delete node {node_id}" in refused.stdout
    )
    assert (root / REGISTRATION).exists() and not (root / NODEADM_CALLS).exists() and node_id in listed(endpoint.url)

    control.clear_log()
    drained = playbook(ansible_env, "decommission", inventory, "-e", "decommission_hosts=hybrid_nodes", "-e", "decommission_hybrid_node_eks_node_drained=true")
    assert drained.returncode == 0
    # nodeadm uninstall ran before the role's first request
    assert (root / NODEADM_CALLS).read_text().splitlines() == ["uninstall requests_before=0"]
    assert node_id not in listed(endpoint.url) and not (root / REGISTRATION).exists()
