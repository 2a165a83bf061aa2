"""hybridops.ssm.find_hybrid_node in the decommission playbook: one task per host checks the role's variables,
reads the registration file where host steps run and finds the node, and a batch decommissioned by ID alone
costs two tasks per host (the check, the outcome) - every other task runs once for the batch."""

import json

from test_roles import local_host
from test_roles import mutating
from test_roles import playbook
from test_roles import recap
from test_roles import write_inventory

from hostroot import AGENT_CALLS
from hostroot import REGISTRATION
from hostroot import make_host_root

D = "decommission_hybrid_node_"
TASK = "TASK [hybridops.ssm.decommission_hybrid_node : "


def decommission(env, inventory, count, *extra):
    return playbook(env, "decommission", inventory, "-e", "decommission_hosts=hybrid_nodes", "-e", f"decommission_max_hosts={count}", *extra)


def test_a_batch_decommissioned_by_id_costs_two_tasks_per_host(control, ansible_env, tmp_path):
    ids = control.seed_nodes(count=4, name_prefix="by-id")["instance_ids"]
    hosts = {f"node-{n}": {D + "instance_id": node} for n, node in enumerate(ids)}
    inventory = write_inventory(tmp_path / "inventory.json", hosts, ansible_connection="local", **{D + "host_steps": False})
    control.clear_log()
    result = decommission(ansible_env, inventory, len(hosts))
    assert result.returncode == 0, result.stdout[-4000:]
    assert sorted(e["params"]["InstanceId"] for e in mutating(control.log())) == sorted(ids)
    counts = recap(result.stdout)
    # The first host runs the batch's tasks (run_once); every other host only its check and its outcome, which
    # is changed by its own node. The final verdict is decided once: no host has a problem.
    for host in list(hosts)[1:]:
        assert counts[host] == {"ok": 2, "changed": 1, "unreachable": 0, "failed": 0, "skipped": 0, "rescued": 0, "ignored": 0}, (host, counts[host])
    # no task of the batch runs per host beyond these two: nothing is skipped host by host
    assert not [line for line in result.stdout.splitlines() if line.startswith(tuple(f"skipping: [{host}]" for host in list(hosts)[1:]))]
    assert f"{TASK}Validating arguments against arg spec" not in result.stdout


def test_hosts_with_and_without_host_steps_in_one_batch(control, ansible_env, tmp_path):
    """The registration file is read only on the hosts whose host steps run; both nodes go in one batched call; a Windows
    host, which fails before its file is read, takes part in no call and is left out of the report's hosts."""
    on_host, by_id, windows = control.seed_nodes(count=3, name_prefix="mixed")["instance_ids"]
    root = make_host_root(tmp_path / "node-a", on_host)
    hosts = {"node-a": local_host(root), "node-b": {"ansible_connection": "local", D + "host_steps": False, D + "instance_id": by_id}}
    hosts["node-w"] = {
        "ansible_connection": "ssh",
        "ansible_shell_type": "powershell",
        "ansible_host": "127.0.0.1",
        "ansible_port": 1,
        D + "instance_id": windows,
    }
    inventory = write_inventory(tmp_path / "inventory.json", hosts, **{D + "command_poll_interval": 0.3, D + "report_path": str(tmp_path / "report.json")})
    control.clear_log()
    result = decommission(ansible_env, inventory, 3)
    assert result.returncode != 0 and "fatal: [node-w]" in result.stdout, result.stdout[-4000:]
    deregistrations = [e for e in mutating(control.log()) if e["operation"] == "DeregisterManagedInstance"]
    assert sorted(e["params"]["InstanceId"] for e in deregistrations) == sorted([on_host, by_id])
    written = json.loads((tmp_path / "report.json").read_text())
    assert written["failed_hosts"] == ["node-w"] and sorted(written["hosts"]) == ["node-a", "node-b"]
    report = written["hosts"]
    assert (report["node-a"]["source"], report["node-a"]["host_steps"]) == ("registration file", "ran")
    assert (report["node-b"]["source"], report["node-b"]["host_steps"]) == ("variables", f"host steps skipped: {D}host_steps is false")
    assert not (root / REGISTRATION).exists() and (root / AGENT_CALLS).read_text().startswith("-register -clear")
    # the Windows host is refused by the check, before its registration file would be read
    check = result.stdout.split(TASK + "Check the arguments against the API's constraints]", 1)[1].split("TASK [", 1)[0]
    assert "fatal: [node-w]" in check and "is a Windows host" in check
    counts = recap(result.stdout)
    assert counts["node-a"]["changed"] > 0 and counts["node-b"]["changed"] == 1 and not counts["node-b"]["failed"], counts
    assert (counts["node-w"]["failed"], counts["node-w"]["changed"]) == (1, 0), counts


def test_the_playbook_refuses_a_variable_of_the_wrong_type_before_any_request(control, ansible_env, tmp_path):
    """The playbook leaves Ansible's argument-spec task out: the role's own check names the type, the value and the rule."""
    ids = control.seed_nodes(count=1, name_prefix="typed")["instance_ids"]
    inventory = write_inventory(tmp_path / "inventory.json", {"node-0": {"ansible_connection": "local", D + "instance_id": ids[0]}})
    control.clear_log()
    result = decommission(ansible_env, inventory, 1, "-e", json.dumps({D + "host_steps": "maybe", D + "command_wait_timeout": "soon"}))
    assert result.returncode != 0
    for fragment in (f"{D}host_steps: 'maybe' is not one of ssh, ssm, auto, none", f"argument '{D}command_wait_timeout' is of type", "'soon'"):
        assert fragment in result.stdout, fragment
    assert "fatal: [node-0]" in result.stdout.split(TASK + "Check the arguments against the API's constraints]", 1)[1].split("TASK [", 1)[0]
    assert control.log() == []
