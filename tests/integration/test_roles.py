"""The decommission role over several hosts, through its playbook (ansible-playbook hybridops.ssm.decommission).

One registered host, and the sweep role, are integration targets (targets/role_decommission_hybrid_node,
targets/role_sweep_stale_hybrid_nodes). SSM calls go to the local endpoint; host steps run over the local
connection against a throwaway directory per host that stands in for `/`, with a fake `amazon-ssm-agent`
that records how it was called and clears its keys like the real one (leaving the registration file, as
agent v3 does). Every claim about calls is read from the endpoint's request log.
"""

import json

import pytest

from conftest import MODULE_PYTHON  # conftest also puts tests/ on sys.path, for hostroot
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
            # The cluster checks (on by default) cost two module runs per play: tests of other behaviours leave them
            # off; test_cluster_members.py and the role's ansible-test target run them.
            "vars": {
                "ansible_python_interpreter": MODULE_PYTHON,
                "decommission_hybrid_node_become": False,
                "decommission_hybrid_node_cluster_checks": False,
                "sweep_stale_hybrid_nodes_cluster_checks": False,
                **group_vars,
            },
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


# Lines of stdout a run of the playbook over the fleet below may print at default verbosity: a few per stage, one
# per host and task that runs per host, the summary and the recap (140 measured; 1.0.0 printed 210-odd), and with
# --check --diff the plan and the host steps' file diffs besides (208 measured; 1.0.0 printed 260-odd).
FLEET_LINES = 150
FLEET_DIFF_LINES = 220


@pytest.fixture
def fleet(control, endpoint, tmp_path):
    """Four hosts: gone (ID only) with a command in flight, reachable and registered, reachable but already
    deregistered, reachable and never registered; plus a bystander node running the same command. The
    decommission_hybrid_node integration target is one reachable registered host through the role alone."""
    gone_id, bystander_id, live_id = control.seed_nodes(count=3, name_prefix="store", ping_status="Online")["instance_ids"]
    command_id = send_long_command(endpoint.url, [gone_id, bystander_id])
    control.set_invocation(command_id, outcome="Success", duration_steps=1_000_000)  # in flight until cancelled, however slow the run
    # Invocations move a step every 0.1 s, so a cancel reaches Cancelled within a poll or two.
    control.set_clock(mode="realtime", step_interval=0.1)
    roots = {
        "node-b": make_host_root(tmp_path / "node-b", live_id),
        "node-c": make_host_root(tmp_path / "node-c", "mi-0000000000000dead"),
        "node-d": make_host_root(tmp_path / "node-d", None, agent=False),
    }
    hosts = {
        "node-gone": gone_host(decommission_hybrid_node_instance_id=gone_id),
        "node-b": local_host(roots["node-b"]),
        "node-c": local_host(roots["node-c"]),
        "node-d": local_host(roots["node-d"]),
    }
    inventory = write_inventory(tmp_path / "inventory.json", hosts, decommission_hybrid_node_command_poll_interval=0.3)
    return {"ids": {"node-gone": gone_id, "node-b": live_id, "bystander": bystander_id}, "command_id": command_id, "roots": roots, "inventory": inventory}


def test_decommission_check_mode_then_real_then_again(control, endpoint, ansible_env, fleet):
    roots, ids = fleet["roots"], fleet["ids"]
    listed_before = listed(endpoint.url)

    control.clear_log()
    check = playbook(ansible_env, "decommission", fleet["inventory"], "-e", "decommission_hosts=hybrid_nodes", "--check", "--diff")
    assert check.returncode == 0, check.stdout + check.stderr
    assert not mutating(control.log()), "check mode sent a mutating call"
    for root in (roots["node-b"], roots["node-c"]):
        assert (root / REGISTRATION).exists() and (root / KEY_FILES[0]).exists()
        assert not (root / AGENT_CALLS).exists()
    # every word of check mode says what would be done, none that it was
    assert "Cancelling" not in check.stdout and "cancel_requested" not in check.stdout, check.stdout
    assert "node-gone: host steps skipped: the host cannot be reached" in check.stdout
    assert f"would deregister; commands: would cancel {fleet['command_id']} (InProgress)" in check.stdout
    assert "node-b: would run the host steps;" in check.stdout
    # --diff: the plan a person reads - nodes to deregister, commands to cancel, files each host loses
    plan = [line for line in check.stdout.splitlines() if line.startswith(("-", "+"))]
    for line in (
        f"-node-gone: {ids['node-gone']} in the default region: registered",
        f"+node-gone: {ids['node-gone']} in the default region: absent",
        f"+node-b: {ids['node-b']} in us-east-1: absent",
        f"-node-gone: command {fleet['command_id']} on {ids['node-gone']}: InProgress",
        f"+node-gone: command {fleet['command_id']} on {ids['node-gone']}: cancelled",
    ):
        assert line in plan, (line, plan)
    assert f'"path": "{roots["node-b"] / REGISTRATION}",' in check.stdout and '+    "state": "absent"' in plan

    control.clear_log()
    real = playbook(ansible_env, "decommission", fleet["inventory"], "-e", "decommission_hosts=hybrid_nodes")
    assert real.returncode == 0, real.stdout + real.stderr
    log = mutating(control.log())
    assert sorted(e["params"]["InstanceId"] for e in log if e["operation"] == "DeregisterManagedInstance") == sorted([ids["node-gone"], ids["node-b"]])
    cancels = [entry for entry in log if entry["operation"] == "CancelCommand"]
    assert {i for entry in cancels for i in entry["params"]["InstanceIds"]} == {ids["node-gone"]}
    # cancelled before the node was deregistered
    assert max(e["seq"] for e in cancels) < min(e["seq"] for e in log if e["operation"] == "DeregisterManagedInstance")
    invocations = invocation_statuses(endpoint.url, fleet["command_id"])
    assert invocations[ids["node-gone"]] == "Cancelled"
    assert invocations[ids["bystander"]] == "InProgress"
    assert listed_before - listed(endpoint.url) == {ids["node-gone"], ids["node-b"]}

    # host side: a registration of a node SSM no longer knows is cleared all the same, the user's profile stays
    for root in (roots["node-b"], roots["node-c"]):
        assert (root / AGENT_CALLS).read_text().split("\n")[0] == "-register -clear"
    for root in (roots["node-b"], roots["node-c"], roots["node-d"]):
        assert not (root / REGISTRATION).exists()
        assert not any((root / key).exists() for key in KEY_FILES)
        assert (root / USER_PROFILE).read_text() == USER_PROFILE_TEXT
    assert "node-gone: host steps skipped: the host cannot be reached" in real.stdout
    assert "not a registered hybrid node, nothing to decommission" in real.stdout
    # the host that cannot be reached is a note in its summary, never an error line of a run that succeeds
    assert "UNREACHABLE" not in real.stdout and "[ERROR]" not in real.stdout + real.stderr, real.stdout
    assert len(real.stdout.splitlines()) <= FLEET_LINES, len(real.stdout.splitlines())
    assert len(check.stdout.splitlines()) <= FLEET_DIFF_LINES, len(check.stdout.splitlines())
    results = recap(real.stdout)
    assert results["node-gone"]["failed"] == 0 and results["node-gone"]["changed"] > 0

    control.clear_log()
    again = playbook(ansible_env, "decommission", fleet["inventory"], "-e", "decommission_hosts=hybrid_nodes")
    assert again.returncode == 0, again.stdout + again.stderr
    assert all(counts["changed"] == 0 for counts in recap(again.stdout).values()), again.stdout
    assert not mutating(control.log())
    assert (roots["node-c"] / AGENT_CALLS).read_text().count("-register -clear") == 1
