"""The decommission role's host steps through SSM Run Command (decommission_hybrid_node_host_steps ssm / auto).

Through ``ansible-playbook hybridops.ssm.decommission`` against the endpoint. Its Linux nodes seeded with a host
really run the AWS-RunShellScript the role sends (in their own mount namespaces, with stand-in agent, systemctl
and systemd-run: the hand-off unit starts on a later clock step); its Windows nodes parse the
AWS-RunPowerShellScript with tree-sitter and model its effect (tests/ssm_endpoint/README.md, "Hosts"). Every claim
about calls is read from the endpoint's request log, every claim about a host from ``EndpointControl.host(id)``.
"""

import json
import math
import os
import time

import pytest
from test_roles import gone_host
from test_roles import local_host
from test_roles import playbook
from test_roles import recap
from test_roles import write_inventory

from conftest import ssm_client
from hostroot import AGENT_CALLS
from hostroot import KEY_FILES
from hostroot import REGISTRATION
from hostroot import make_host_root

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="a simulated node's mount namespace needs root (CI is root)")

D = "decommission_hybrid_node_"
EAST = "us-east-1"
LINUX_REGISTRATION = "/" + REGISTRATION
LINUX_KEYS = ["/" + key for key in KEY_FILES]
WINDOWS_REGISTRATION = r"C:\ProgramData\Amazon\SSM\InstanceData\registration"


def sends(log):
    return [e for e in log if e["operation"] == "SendCommand" and e["status"] == 200]


def run(env, inventory, hosts, *extra):
    return playbook(env, "decommission", inventory, "-e", "decommission_hosts=hybrid_nodes", "-e", f"decommission_max_hosts={hosts}", *extra)


def let_units_run(control, nodes):
    """After the playbook: the hand-off units are due --on-active seconds later (endpoint time); start them and let each finish."""
    control.set_clock(mode="manual")
    control.advance(10)
    control.step()
    control.step()
    return {node: control.host(node, settle=5) for node in nodes}


def test_twenty_unreachable_hosts_are_cleaned_through_one_send_command(control, ansible_env, tmp_path):
    nodes = control.seed_nodes(count=20, name_prefix="far", host=True, region=EAST)["instance_ids"]
    report = tmp_path / "report.json"
    hosts = {f"far-{n}": gone_host(instance_id=node, region=EAST) for n, node in enumerate(nodes)}
    # no command is in flight on these nodes: no cancel step, to keep the test short
    settings = {D + "host_steps": "auto", D + "command_poll_interval": 0.3, D + "report_path": str(report), D + "cancel_commands": False}
    inventory = write_inventory(tmp_path / "inventory.json", hosts, **settings)
    control.set_clock(mode="realtime", step_interval=0.1)

    control.clear_log()
    first = run(ansible_env, inventory, 20)
    assert first.returncode == 0, first.stdout[-4000:]
    log = control.log()
    assert len(sends(log)) == math.ceil(20 / 50) == 1
    assert set(sends(log)[0]["params"]["InstanceIds"]) == set(nodes)
    assert sends(log)[0]["params"]["DocumentName"] == "AWS-RunShellScript"
    outcome = json.loads(report.read_text())["hosts"]
    assert {(o["deregistration"], o["host_steps"], o["host_steps_via"], o["host_command"]["response_code"]) for o in outcome.values()} == {
        ("deregistered", "ran", "ssm", 0)
    }
    assert "host steps ran through SSM (AWS-RunShellScript, command " in first.stdout

    states = let_units_run(control, nodes)
    for node, state in states.items():
        assert state["files"][LINUX_REGISTRATION] is None, node
        assert all(state["files"][key] is None for key in LINUX_KEYS), node
        assert state["agent_calls"] == [["-register", "-clear"]], node
        assert state["services"]["amazon-ssm-agent"] == {"active": "inactive", "enabled": "disabled"}, node
        assert state["files"]["/root/.aws/credentials"]  # a user's own profile stays

    control.set_clock(mode="realtime", step_interval=0.1)
    control.clear_log()
    again = run(ansible_env, inventory, 20)
    assert again.returncode == 0, again.stdout[-4000:]
    assert sends(control.log()) == []
    assert all(counts["changed"] == 0 for counts in recap(again.stdout).values()), recap(again.stdout)
    assert {o["deregistration"] for o in json.loads(report.read_text())["hosts"].values()} == {"already_absent"}


def remove_registration(control, endpoint, node):
    """Seed a host whose script's check fails: its registration file is gone (the agent runs on, with its keys)."""
    ssm = ssm_client(endpoint.url)
    command_id = ssm.send_command(InstanceIds=[node], DocumentName="AWS-RunShellScript", Parameters={"commands": ["rm -f " + LINUX_REGISTRATION]})["Command"][
        "CommandId"
    ]
    # The script runs on the simulated host in its own process: on a loaded machine it takes more than a few steps.
    deadline, status = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        control.step()
        status = ssm.get_command_invocation(CommandId=command_id, InstanceId=node)["Status"]
        if status == "Success":
            return
        time.sleep(0.05)
    raise AssertionError(f"the seeding command did not finish in 60 s: {status}")


def test_each_node_of_a_mixed_batch_takes_its_own_path(control, endpoint, ansible_env, tmp_path):
    linux, failing = control.seed_nodes(count=2, name_prefix="lin", host=True, region=EAST)["instance_ids"]
    windows = control.seed_nodes(count=1, name_prefix="win", platform_type="Windows", host=True, region=EAST)["instance_ids"][0]
    lost = control.seed_nodes(count=1, name_prefix="lost", ping_status="ConnectionLost", region=EAST)["instance_ids"][0]
    reached = control.seed_nodes(count=1, name_prefix="near", region=EAST)["instance_ids"][0]
    remove_registration(control, endpoint, failing)
    root = make_host_root(tmp_path / "near", reached, region=EAST)
    report = tmp_path / "report.json"
    hosts = {
        "lin": gone_host(instance_id=linux, region=EAST),
        "failing": gone_host(instance_id=failing, region=EAST),
        "win": gone_host(instance_id=windows, region=EAST),
        "lost": gone_host(instance_id=lost, region=EAST),
        "near": local_host(root),
    }
    settings = {D + "host_steps": "auto", D + "command_poll_interval": 0.3, D + "report_path": str(report), D + "cancel_commands": False}
    inventory = write_inventory(tmp_path / "inventory.json", hosts, **settings)
    control.set_clock(mode="realtime", step_interval=0.1)

    control.clear_log()
    check = run(ansible_env, inventory, 5, "--check", "--diff")
    assert check.returncode == 0, check.stdout[-4000:]
    assert sends(control.log()) == [] and not [e for e in control.log() if e["operation"] == "DeregisterManagedInstance"]
    assert "lin: would run the host steps through SSM (AWS-RunShellScript)" in check.stdout
    assert "win: would run the host steps through SSM (AWS-RunPowerShellScript)" in check.stdout
    assert f"lin: {linux}: AWS-RunShellScript hands off" in check.stdout  # the --diff of the plan

    control.clear_log()
    real = run(ansible_env, inventory, 5)
    assert real.returncode != 0  # the host whose script failed
    log = control.log()
    by_document = {e["params"]["DocumentName"]: sorted(e["params"]["InstanceIds"]) for e in sends(log)}
    assert by_document == {"AWS-RunShellScript": sorted([linux, failing]), "AWS-RunPowerShellScript": [windows]}
    deregistered = {e["params"]["InstanceId"] for e in log if e["operation"] == "DeregisterManagedInstance" and e["status"] == 200}
    assert deregistered == {linux, windows, lost, reached}  # not the failing one
    outcome = json.loads(report.read_text())
    hosts = outcome["hosts"]
    assert outcome["failed_hosts"] == ["failing"]
    assert (hosts["lin"]["host_steps"], hosts["lin"]["host_steps_via"]) == ("ran", "ssm")
    assert (hosts["win"]["host_steps"], hosts["win"]["host_steps_via"]) == ("ran", "ssm")
    assert (hosts["near"]["host_steps"], hosts["near"]["host_steps_via"]) == ("ran", "ssh")
    assert (hosts["lost"]["host_steps"], hosts["lost"]["deregistration"]) == ("host_not_cleaned", "deregistered")
    assert "ConnectionLost" in hosts["lost"]["host_steps_reason"]
    failed = hosts["failing"]
    assert (failed["host_steps"], failed["deregistration"], failed["host_command"]["response_code"]) == ("failed", "not_attempted", 1)
    assert "no registration file" in failed["error"] and f"{D}deregister_on_host_failure=true" in failed["error"]
    counts = recap(real.stdout)
    assert counts["failing"]["failed"] == 1 and not any(counts[h]["failed"] for h in ("lin", "win", "lost", "near")), counts

    states = let_units_run(control, [linux, windows])
    assert states[linux]["files"][LINUX_REGISTRATION] is None and states[linux]["agent_calls"] == [["-register", "-clear"]]
    assert states[windows]["files"][WINDOWS_REGISTRATION] is None and states[windows]["agent_calls"] == [["-register", "-clear"]]
    assert not (root / REGISTRATION).exists() and (root / AGENT_CALLS).read_text().strip() == "-register -clear"
    assert control.host(failing)["agent_running"]  # the failing node's host was left alone: still registered with SSM
    assert failing in {n["InstanceId"] for n in ssm_client(endpoint.url).describe_instance_information()["InstanceInformationList"]}
