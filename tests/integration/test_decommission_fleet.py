"""The decommission role at fleet scale: the SSM side batched across the play's hosts, each host its own outcome.

Twelve hosts decommissioned by ID alone over two regions, through ``ansible-playbook hybridops.ssm.decommission``
against the endpoint: one host's node refuses deregistration (the endpoint's ``reject`` fault), one host's
node is already gone. Every claim about calls is read from the endpoint's request log.
"""

import json
import shutil
import threading
import time
from collections import Counter

import boto3
import pytest
from test_roles import mutating
from test_roles import playbook
from test_roles import recap
from test_roles import write_inventory

from conftest import send_long_command

EAST, EU = "us-east-1", "eu-west-1"
ABSENT = "mi-00000000000000bee"  # never registered
DENIED = "User is not authorized to perform: ssm:DeregisterManagedInstance"


def calls(log, operation, region=None):
    return [e for e in log if e["operation"] == operation and (region is None or e["region"] == region)]


def filtered_ids(entry):
    return {value for f in entry["params"].get("Filters", []) if f["Key"] == "InstanceIds" for value in f["Values"]}


@pytest.fixture
def fleet(control, endpoint, tmp_path):
    east = control.seed_nodes(count=6, name_prefix="east", ping_status="Online", region=EAST)["instance_ids"]
    eu = control.seed_nodes(count=5, name_prefix="eu", ping_status="Online", region=EU)["instance_ids"]
    command_id = send_long_command(endpoint.url, east[:2])  # us-east-1
    control.set_invocation(command_id, outcome="Success", duration_steps=1_000_000)  # in flight until cancelled
    control.set_clock(mode="realtime", step_interval=0.1)
    nodes = {f"east-{n}": (node, EAST) for n, node in enumerate(east)}
    nodes |= {f"eu-{n}": (node, EU) for n, node in enumerate(eu)}
    nodes["east-absent"] = (ABSENT, EAST)
    hosts = {host: {"decommission_hybrid_node_instance_id": node, "decommission_hybrid_node_region": region} for host, (node, region) in nodes.items()}
    report = tmp_path / "report.json"
    inventory = write_inventory(
        tmp_path / "inventory.json",
        hosts,
        ansible_connection="local",
        decommission_hybrid_node_host_steps=False,
        decommission_hybrid_node_command_poll_interval=0.3,
        decommission_hybrid_node_report_path=str(report),
    )
    return {"nodes": nodes, "east": east, "eu": eu, "denied": "eu-2", "command_id": command_id, "inventory": inventory, "report": report}


def run(env, fleet, *extra):
    return playbook(env, "decommission", fleet["inventory"], "-e", "decommission_hosts=hybrid_nodes", "-e", "decommission_max_hosts=12", *extra)


def test_one_batched_call_per_region_and_each_host_its_own_outcome(control, endpoint, ansible_env, fleet):
    nodes, denied = fleet["nodes"], fleet["denied"]
    control.set_faults(
        operation="DeregisterManagedInstance", instance_ids=[nodes[denied][0]], reject_rate=1.0, reject_code="AccessDeniedException", reject_message=DENIED
    )

    control.clear_log()
    check = run(ansible_env, fleet, "--check")
    assert check.returncode == 0, check.stdout[-4000:]
    assert not [e for e in control.log() if e["operation"] in ("DeregisterManagedInstance", "CancelCommand")], "check mode sent a mutating call"
    assert json.loads(fleet["report"].read_text())["hosts"][denied]["deregistration"] == "deregistered"  # what would be done

    control.clear_log()
    real = run(ansible_env, fleet)
    assert real.returncode != 0
    log = control.log()
    results = recap(real.stdout)
    assert {host for host, counts in results.items() if counts["failed"]} == {denied}, "only the host whose node failed fails"
    assert all(results[host]["changed"] > 0 for host in nodes if host not in (denied, "east-absent"))
    assert results["east-absent"]["changed"] == 0

    report = json.loads(fleet["report"].read_text())
    assert report["failed_hosts"] == [denied]
    outcomes = {host: (entry["instance_id"], entry["region"], entry["deregistration"]) for host, entry in report["hosts"].items()}
    assert outcomes == {
        host: (node, region, "failed" if host == denied else "already_absent" if node == ABSENT else "deregistered") for host, (node, region) in nodes.items()
    }
    assert "(AccessDeniedException)" in report["hosts"][denied]["error"] and f"fatal: [{denied}]" in real.stdout
    cancelled = {host: [(c["command_id"], c["outcome"]) for c in entry["commands"] if c["command_id"]] for host, entry in report["hosts"].items()}
    assert cancelled == {host: ([(fleet["command_id"], "cancelled")] if nodes[host][0] in fleet["east"][:2] else []) for host in nodes}

    # batched: per region one read of the in-flight commands, one CancelCommand per command, and the
    # deregistration's own describes (its lookup and its wait), each over every node of the region
    in_flight_reads = [e for e in calls(log, "ListCommands") if "CommandId" not in e["params"]]  # the others poll the cancelled command
    assert Counter(e["region"] for e in in_flight_reads) == {EAST: 1, EU: 1}
    assert [(e["region"], sorted(e["params"]["InstanceIds"])) for e in calls(log, "CancelCommand")] == [(EAST, sorted(fleet["east"][:2]))]
    for region, ids in ((EAST, set(fleet["east"]) | {ABSENT}), (EU, set(fleet["eu"]))):
        deregistered = calls(log, "DeregisterManagedInstance", region)
        assert sorted(e["params"]["InstanceId"] for e in deregistered) == sorted(ids - {ABSENT})
        first_deregistration = deregistered[0]["seq"]
        before = [filtered_ids(e) for e in calls(log, "DescribeInstanceInformation", region) if e["seq"] < first_deregistration]
        assert before.count(ids) == 1, "one lookup per region, over all its nodes"
        # and no lookup per host: the others read the ping status of the nodes whose cancel the role waits for
        assert all(filtered == ids or filtered <= set(fleet["east"][:2]) for filtered in before), before
        # nodes decommissioned by ID alone: no host is cleaned, so nothing waits for SSM to stop listing them
        assert not [e for e in calls(log, "DescribeInstanceInformation", region) if e["seq"] > first_deregistration]
    assert [e["status"] for e in calls(log, "DeregisterManagedInstance") if e["params"]["InstanceId"] == nodes[denied][0]] == [400]

    # a deregistered node lists a while longer, as in SSM: the endpoint's clock moves past that lag
    control.advance(control.realism()["deregister_lag_s"] + 1)
    gone = {r: {n["InstanceId"] for n in client(endpoint.url, r).describe_instance_information()["InstanceInformationList"]} for r in (EAST, EU)}
    assert gone == {EAST: set(), EU: {nodes[denied][0]}}

    # the refusal lifted, a rerun deregisters only what is left; then nothing is left to do
    control.clear_faults()
    control.clear_log()
    again = run(ansible_env, fleet)
    assert again.returncode == 0, again.stdout[-4000:]
    assert {host for host, counts in recap(again.stdout).items() if counts["changed"]} == {denied}
    assert [(e["operation"], e["params"].get("InstanceId")) for e in mutating(control.log())] == [("DeregisterManagedInstance", nodes[denied][0])]

    for extra in ([], ["--check"]):
        control.clear_log()
        idle = run(ansible_env, fleet, *extra)
        assert idle.returncode == 0, idle.stdout[-4000:]
        assert all(counts["changed"] == 0 for counts in recap(idle.stdout).values()), idle.stdout[-4000:]
        assert not [e for e in control.log() if e["operation"] in ("DeregisterManagedInstance", "CancelCommand", "DeleteActivation")]


def client(url, region):
    return boto3.client("ssm", endpoint_url=url, region_name=region, aws_access_key_id="AKIDHYBRIDOPSTEST", aws_secret_access_key="x")


# More throttled answers than a fixed count of 24 (8 attempts of the retry layer x botocore's 3) allowed the one
# batched ListCommands, and few enough to keep the test under a minute: the retry layer's sleeps (up to 4 s) and the
# pacer (at its floor of 2 calls a second) space a call SSM keeps throttling (26 answers over about 30 s).
THROTTLED_BURST = 26
# A hundred hosts by ID alone: the burst is met once for all of them, and the output stays readable.
HOSTS = 100
# Lines of stdout per host (its check, its outcome, its summary line, its PLAY RECAP line), and for the play: its
# guards, one line per stage task and the summary's frame (470 measured for 100 hosts; 1.0.0 printed 500).
LINES_PER_HOST = 4
LINES_PER_PLAY = 80


def test_a_throttled_burst_on_the_one_batched_listing_does_not_decide_the_fleet(control, ansible_env, tmp_path):
    """Throttling is SSM asking for a slower pace: the one ListCommands of the play is retried through the burst,
    however long it lasts within the task's bounds, and every host's node is deregistered."""
    nodes = control.seed_nodes(count=HOSTS, name_prefix="burst", ping_status="Online")["instance_ids"]
    hosts = {f"burst-{n:02d}": {"decommission_hybrid_node_instance_id": node} for n, node in enumerate(nodes)}
    # The burst is met by the batched listing of the deregistration; the cluster checks (a tag read per node, their
    # own test: test_cluster_members.py) would add a hundred calls that this test is not about.
    inventory = write_inventory(
        tmp_path / "inventory.json", hosts, ansible_connection="local", decommission_hybrid_node_host_steps=False, decommission_hybrid_node_cluster_checks=False
    )
    control.set_faults(operation="ListCommands", throttle_next=THROTTLED_BURST)
    control.clear_log()
    started = time.monotonic()
    result = playbook(ansible_env, "decommission", inventory, "-e", "decommission_hosts=hybrid_nodes", "-e", f"decommission_max_hosts={len(nodes)}")
    wall = time.monotonic() - started
    log = control.log()
    listings = calls(log, "ListCommands")
    span = listings[-1]["time"] - listings[0]["time"]
    print(f"burst: {len(listings)} ListCommands ({sum(e['fault'] == 'throttle' for e in listings)} throttled) over {span:.1f}s, playbook {wall:.1f}s")
    assert [e["fault"] for e in listings] == ["throttle"] * THROTTLED_BURST + [None], "the burst was not met whole, or not outlasted"
    assert result.returncode == 0, result.stdout[-4000:]
    assert sorted(e["params"]["InstanceId"] for e in mutating(log)) == sorted(nodes)
    results = recap(result.stdout)
    assert all(results[host]["changed"] > 0 and results[host]["failed"] == 0 for host in hosts)
    assert len(result.stdout.splitlines()) <= LINES_PER_HOST * HOSTS + LINES_PER_PLAY, len(result.stdout.splitlines())


def test_a_report_lost_after_the_changes_fails_the_run_not_the_hosts(control, ansible_env, tmp_path):
    """The report's folder is checked before any change; one removed afterwards (here, once the one ListCommands
    came in, with each deregistration held 1.5 s by the endpoint) fails the run on localhost, and each host keeps
    its true outcome: its node was deregistered."""
    nodes = control.seed_nodes(count=2, name_prefix="report", ping_status="Online")["instance_ids"]
    folder = tmp_path / "reports"
    folder.mkdir()
    report = folder / "report.json"
    hosts = {f"report-{n}": {"decommission_hybrid_node_instance_id": node} for n, node in enumerate(nodes)}
    inventory = write_inventory(
        tmp_path / "inventory.json",
        hosts,
        ansible_connection="local",
        decommission_hybrid_node_host_steps=False,
        decommission_hybrid_node_report_path=str(report),
    )
    control.set_faults(operation="DeregisterManagedInstance", latency_ms=1500)
    control.clear_log()
    done = threading.Event()

    def remove_the_folder_once_listed():
        while not done.is_set():
            if calls(control.log(), "ListCommands"):
                shutil.rmtree(folder)
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=remove_the_folder_once_listed, daemon=True)
    watcher.start()
    try:
        result = playbook(ansible_env, "decommission", inventory, "-e", "decommission_hosts=hybrid_nodes")
    finally:
        done.set()
        watcher.join()
    assert not folder.exists(), "the folder was not removed during the run: the test proved nothing"
    assert result.returncode != 0
    assert f"decommission_hybrid_node_report_path: '{report}' could not be written on the controller after the changes" in result.stdout
    results = recap(result.stdout)
    assert results["localhost"]["failed"] == 1
    assert all(results[host]["failed"] == 0 and results[host]["changed"] > 0 for host in hosts)
    assert sorted(e["params"]["InstanceId"] for e in mutating(control.log())) == sorted(nodes)
