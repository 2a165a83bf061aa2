"""The roles through their playbooks (ansible-playbook hybridops.ssm.decommission / sweep_stale).

SSM calls go to the local endpoint; host steps run over the local connection against a throwaway
directory per host that stands in for `/`, with a fake `amazon-ssm-agent` that records how it was
called and clears its keys like the real one (leaving the registration file, as agent v3 does).
Every claim about calls is read from the endpoint's request log.
"""

import json

import pytest

from conftest import BIN  # conftest also puts tests/ on sys.path, for hostroot
from conftest import invocation_statuses
from conftest import listed
from conftest import run_cli  # conftest also puts tests/ on sys.path, for hostroot
from conftest import send_long_command  # conftest also puts tests/ on sys.path, for hostroot
from hostroot import AGENT_CALLS
from hostroot import KEY_FILES
from hostroot import REGISTRATION
from hostroot import USER_PROFILE
from hostroot import USER_PROFILE_TEXT
from hostroot import make_host_root

MUTATING = {"DeregisterManagedInstance", "CancelCommand", "DeleteActivation", "UpdateManagedInstanceRole", "AddTagsToResource", "RemoveTagsFromResource"}


def write_inventory(path, hosts, **group_vars):
    inventory = {
        "all": {
            "children": {"hybrid_nodes": {"hosts": hosts}},
            "vars": {"ansible_python_interpreter": str(BIN / "python"), "decommission_hybrid_node_become": False, **group_vars},
        }
    }
    path.write_text(json.dumps(inventory))
    return path


def local_host(root, **host_vars):
    return {"ansible_connection": "local", "decommission_hybrid_node_root": str(root), **host_vars}


def gone_host(**host_vars):
    # Nothing listens on port 1: the connection is refused at once, the host counts as unreachable.
    return {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1, "ansible_user": "nobody", **host_vars}


def playbook(env, name, inventory, *extra):
    result = run_cli(["ansible-playbook", f"hybridops.ssm.{name}", "-i", str(inventory), *extra], env)
    # pytest shows this when a test fails
    print(f"===== ansible-playbook hybridops.ssm.{name} {' '.join(extra)}: rc {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def recap(stdout):
    """{host: {ok: n, changed: n, unreachable: n, failed: n, ...}} from the PLAY RECAP."""
    hosts = {}
    for line in stdout.split("PLAY RECAP", 1)[1].splitlines()[1:]:
        if ":" not in line:
            continue
        host, counts = line.split(":", 1)
        hosts[host.strip()] = {key: int(value) for key, value in (pair.split("=") for pair in counts.split())}
    return hosts


def mutating(log):
    return [entry for entry in log if entry["operation"] in MUTATING and entry["status"] == 200]


@pytest.fixture
def fleet(control, endpoint, tmp_path):
    """Four hosts: reachable with an agent and a command in flight, gone (ID only) with a command in flight,
    reachable but already deregistered, reachable and never registered; plus a bystander node."""
    nodes = control.seed_nodes(count=3, name_prefix="store", ping_status="Online")["instance_ids"]
    reachable_id, gone_id, bystander_id = nodes
    command_id = send_long_command(endpoint.url, [reachable_id, gone_id, bystander_id])
    control.set_invocation(command_id, outcome="Success", duration_steps=1_000_000)  # in flight until cancelled, however slow the run
    # Invocations move a step every 0.1 s, so a cancel reaches Cancelled within a poll or two.
    control.set_clock(mode="realtime", step_interval=0.1)
    roots = {
        "node-a": make_host_root(tmp_path / "node-a", reachable_id),
        "node-c": make_host_root(tmp_path / "node-c", "mi-0000000000000dead"),
        "node-d": make_host_root(tmp_path / "node-d", None, agent=False),
    }
    hosts = {
        "node-a": local_host(roots["node-a"]),
        "node-gone": gone_host(decommission_hybrid_node_instance_id=gone_id),
        "node-c": local_host(roots["node-c"]),
        "node-d": local_host(roots["node-d"]),
    }
    inventory = write_inventory(tmp_path / "inventory.json", hosts, decommission_hybrid_node_command_poll_interval=0.3)
    return {"ids": {"node-a": reachable_id, "node-gone": gone_id, "bystander": bystander_id}, "command_id": command_id, "roots": roots, "inventory": inventory}


def test_decommission_check_mode_then_real_then_again(control, endpoint, ansible_env, fleet):
    roots, ids = fleet["roots"], fleet["ids"]
    listed_before = listed(endpoint.url)

    control.clear_log()
    check = playbook(ansible_env, "decommission", fleet["inventory"], "-e", "decommission_hosts=hybrid_nodes", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert not mutating(control.log()), "check mode sent a mutating call"
    assert (roots["node-a"] / REGISTRATION).exists() and (roots["node-a"] / KEY_FILES[0]).exists()
    assert not (roots["node-a"] / AGENT_CALLS).exists()

    control.clear_log()
    real = playbook(ansible_env, "decommission", fleet["inventory"], "-e", "decommission_hosts=hybrid_nodes")
    assert real.returncode == 0, real.stdout + real.stderr
    log = control.log()
    deregistered = [entry["params"]["InstanceId"] for entry in mutating(log) if entry["operation"] == "DeregisterManagedInstance"]
    assert sorted(deregistered) == sorted([ids["node-a"], ids["node-gone"]])
    cancels = [entry for entry in mutating(log) if entry["operation"] == "CancelCommand"]
    assert {i for entry in cancels for i in entry["params"]["InstanceIds"]} == {ids["node-a"], ids["node-gone"]}
    for node in ("node-a", "node-gone"):
        # cancelled before the agent stopped and before the node was deregistered
        cancel_seq = min(e["seq"] for e in cancels if ids[node] in e["params"]["InstanceIds"])
        deregister_seq = next(e["seq"] for e in mutating(log) if e["params"].get("InstanceId") == ids[node])
        assert cancel_seq < deregister_seq
    invocations = invocation_statuses(endpoint.url, fleet["command_id"])
    assert invocations[ids["node-a"]] == invocations[ids["node-gone"]] == "Cancelled"
    assert invocations[ids["bystander"]] == "InProgress"
    assert listed_before - listed(endpoint.url) == {ids["node-a"], ids["node-gone"]}

    # host side: the agent cleared its keys, the registration file is gone, the user's profile stays
    assert (roots["node-a"] / AGENT_CALLS).read_text().split("\n")[0] == "-register -clear"
    for root in (roots["node-a"], roots["node-c"]):
        assert not (root / REGISTRATION).exists()
        assert not any((root / key).exists() for key in KEY_FILES)
        assert (root / USER_PROFILE).read_text() == USER_PROFILE_TEXT
    assert "node-gone: host steps skipped: the host cannot be reached" in real.stdout
    assert "not a registered hybrid node, nothing to decommission" in real.stdout
    results = recap(real.stdout)
    assert results["node-gone"]["failed"] == 0 and results["node-a"]["changed"] > 0

    for extra in (["--check"], []):
        control.clear_log()
        again = playbook(ansible_env, "decommission", fleet["inventory"], "-e", "decommission_hosts=hybrid_nodes", *extra)
        assert again.returncode == 0, again.stdout + again.stderr
        assert all(counts["changed"] == 0 for counts in recap(again.stdout).values()), again.stdout
        assert not mutating(control.log())
    assert (roots["node-a"] / AGENT_CALLS).read_text().count("-register -clear") == 1


def sweep(env, *extra):
    return playbook(env, "sweep_stale", "localhost,", *extra)


def test_sweep_touches_only_stale_hybrid_nodes_and_guards_max_nodes(control, endpoint, ansible_env):
    online = control.seed_nodes(count=3, name_prefix="store", ping_status="Online")["instance_ids"]
    kiosks = control.seed_nodes(count=2, name_prefix="kiosk", ping_status="ConnectionLost", last_ping_days_ago=45, tags={"Site": "kiosks"})["instance_ids"]
    depots = control.seed_nodes(count=2, name_prefix="depot", ping_status="ConnectionLost", last_ping_days_ago=60, tags={"Site": "depots"})["instance_ids"]
    recent = control.seed_nodes(count=2, name_prefix="flaky", ping_status="ConnectionLost", last_ping_days_ago=5)["instance_ids"]
    ec2 = control.seed_nodes(count=2, resource_type="EC2Instance", ping_status="ConnectionLost", last_ping_days_ago=45)["instance_ids"]
    assert all(node.startswith("i-") for node in ec2)
    command_id = send_long_command(endpoint.url, [kiosks[0], online[0]])
    stale = set(kiosks + depots)

    control.clear_log()
    guarded = sweep(ansible_env, "-e", "sweep_stale_hybrid_nodes_max_nodes=3")
    assert guarded.returncode != 0
    assert "4 nodes match" in guarded.stdout and "more than sweep_stale_hybrid_nodes_max_nodes (3); nothing was changed" in guarded.stdout
    assert not mutating(control.log())

    control.clear_log()
    check = sweep(ansible_env, "--check", "-e", "sweep_stale_hybrid_nodes_max_nodes=4")
    assert check.returncode == 0, check.stdout
    assert "CHECK MODE, nothing changed: 4 stale hybrid node(s)" in check.stdout and "4 would be deregistered," in check.stdout
    assert "0 cancelled, 1 would be cancelled" in check.stdout
    assert not mutating(control.log())

    control.clear_log()
    kiosks_only = sweep(ansible_env, "-e", '{"sweep_stale_hybrid_nodes_tags": {"Site": "kiosks"}}')
    assert kiosks_only.returncode == 0, kiosks_only.stdout
    log = mutating(control.log())
    assert sorted(e["params"]["InstanceId"] for e in log if e["operation"] == "DeregisterManagedInstance") == sorted(kiosks)
    cancel = [e for e in log if e["operation"] == "CancelCommand"]
    assert [(e["params"]["CommandId"], e["params"]["InstanceIds"]) for e in cancel] == [(command_id, [kiosks[0]])]
    assert cancel[0]["seq"] < min(e["seq"] for e in log if e["operation"] == "DeregisterManagedInstance")

    control.clear_log()
    rest = sweep(ansible_env)
    assert rest.returncode == 0, rest.stdout
    assert sorted(e["params"]["InstanceId"] for e in mutating(control.log())) == sorted(depots)
    # The endpoint models AWS's deregistration lag (a deregistered node keeps listing for deregister_lag_s):
    # move its clock past that before checking what is listed.
    control.advance(control.realism()["deregister_lag_s"])
    assert listed(endpoint.url) == set(online + recent + ec2)
    assert not stale & listed(endpoint.url)

    control.clear_log()
    again = sweep(ansible_env)
    assert again.returncode == 0 and recap(again.stdout)["localhost"]["changed"] == 0, again.stdout
    assert not mutating(control.log())
    assert invocation_statuses(endpoint.url, command_id)[online[0]] in ("Pending", "InProgress")
