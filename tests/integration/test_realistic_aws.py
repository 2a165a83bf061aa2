"""The collection against the endpoint's realistic profile: dead agents, lag, rejected batches, sparse pages.

Each test sets the scene the way AWS behaves (the endpoint's default profile, with a knob turned up where
the scene needs a wider window than its default), runs the real ansible-playbook, and reads the endpoint's
request log. Each of these failed before the collection handled the behaviour.
"""

import json
import threading
import time

from test_roles import gone_host
from test_roles import local_host
from test_roles import mutating
from test_roles import playbook
from test_roles import write_inventory

from conftest import BIN
from conftest import invocation_statuses
from conftest import run_cli
from conftest import send_long_command
from conftest import ssm_client
from hostroot import AGENT_CALLS
from hostroot import REGISTRATION
from hostroot import make_host_root


def run_tasks(env, tmp_path, tasks, name="scene"):
    """One play of ``tasks`` on localhost; every registered result is written to ``tmp_path/NAME-results.json``."""
    results = tmp_path / f"{name}-results.json"
    registered = [t["register"] for t in tasks if "register" in t]
    save = {
        "name": "Save the results",
        "ansible.builtin.copy": {"content": "{{ {" + ", ".join(f"'{r}': {r}" for r in registered) + "} | to_json }}", "dest": str(results)},
    }
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [{"block": tasks, "always": [save]}]}]
    path = tmp_path / f"{name}.yml"
    path.write_text(json.dumps(play), encoding="utf-8")
    started = time.monotonic()
    result = run_cli(["ansible-playbook", "-i", "localhost,", "-c", "local", str(path)], env)
    elapsed = time.monotonic() - started
    print(f"===== {name}: rc {result.returncode} in {elapsed:.1f}s\n{result.stdout}\n{result.stderr}")
    return result, json.loads(results.read_text(encoding="utf-8")), elapsed


def reads_after_the_cancel(log, command_id):
    """The reads of the command's invocations after its (last) CancelCommand: one per poll of a wait."""
    cancelled = max(e["seq"] for e in log if e["operation"] == "CancelCommand" and e["params"]["CommandId"] == command_id)
    return [e for e in log if e["seq"] > cancelled and e["operation"] == "ListCommandInvocations" and e["params"].get("CommandId") == command_id]


def lost_nodes_with_a_command(control, url, count, **seed):
    """``count`` nodes that had a command in flight when their agent went away (PingStatus ConnectionLost)."""
    ids = control.seed_nodes(count=count, **seed)["instance_ids"]
    command_id = send_long_command(url, ids)
    control.set_invocation(command_id, outcome="Success", duration_steps=100000)
    control.step()  # delivered: InProgress
    control.set_ping(ids, "ConnectionLost", last_ping_days_ago=seed.get("last_ping_days_ago", 0))
    return ids, command_id


def test_decommission_of_a_dead_node_with_a_command_in_flight(control, endpoint, ansible_env, tmp_path):
    """(a) The host is gone, its node ConnectionLost with a command running: deregistered in well under a minute."""
    (node,), command_id = lost_nodes_with_a_command(control, endpoint.url, 1, name_prefix="dead")
    control.set_clock(mode="realtime", step_interval=0.2)
    inventory = write_inventory(tmp_path / "inventory.json", {"dead-host": gone_host(decommission_hybrid_node_instance_id=node)})
    control.clear_log()
    started = time.monotonic()
    # -v: the full outcome of each host (default verbosity shows one line per host)
    result = playbook(ansible_env, "decommission", inventory, "-e", "decommission_hosts=hybrid_nodes", "-v")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-6000:]
    log = control.log()
    # not waited for: the command is read once after the cancel (its status for the report), never polled
    # (the role's wait would poll every 2 s for up to its command wait timeout); the wall time is only printed,
    # a loaded machine stretches it
    assert len(reads_after_the_cancel(log, command_id)) == 1, f"the role took {elapsed:.0f}s"
    assert [e["params"]["InstanceId"] for e in mutating(log) if e["operation"] == "DeregisterManagedInstance"] == [node]
    assert [e["params"].get("InstanceIds") for e in mutating(log) if e["operation"] == "CancelCommand"] == [[node]]
    # the report names the command the dead agent could not finish cancelling
    report = result.stdout.split('"decommission_hybrid_node_result"', 1)[1]
    assert command_id in report and '"Cancelling"' in report and '"cancel_requested"' in report and "ConnectionLost" in report
    assert '"deregistration": "deregistered"' in report
    assert invocation_statuses(endpoint.url, command_id) == {node: "Cancelling"}  # the endpoint did not settle it


def test_sweep_of_twenty_dead_nodes_with_commands_in_flight(control, endpoint, ansible_env, tmp_path):
    """(b) The same through the sweep, for 20 nodes lost 40 days ago."""
    dead, command_id = lost_nodes_with_a_command(control, endpoint.url, 20, name_prefix="kiosk", last_ping_days_ago=40)
    alive = control.seed_nodes(count=5, name_prefix="till")["instance_ids"]
    control.set_clock(mode="realtime", step_interval=0.2)
    inventory = write_inventory(tmp_path / "inventory.json", {})
    control.clear_log()
    started = time.monotonic()
    result = playbook(ansible_env, "sweep_stale", inventory, "-e", "sweep_stale_hybrid_nodes_older_than=30d")
    assert result.returncode == 0, result.stdout[-6000:]
    log = control.log()
    assert len(reads_after_the_cancel(log, command_id)) == 1, f"the sweep took {time.monotonic() - started:.0f}s"  # no wait
    assert sorted(e["params"]["InstanceId"] for e in mutating(log) if e["operation"] == "DeregisterManagedInstance") == sorted(dead)
    assert sorted(i for e in mutating(log) if e["operation"] == "CancelCommand" for i in e["params"]["InstanceIds"]) == sorted(dead)
    assert set(invocation_statuses(endpoint.url, command_id).values()) == {"Cancelling"}
    assert not set(alive) & {e["params"].get("InstanceId") for e in log}


def test_wait_does_not_wait_for_offline_nodes(control, endpoint, ansible_env, tmp_path):
    """(c) wait: true on 10 nodes, 3 of them offline: the 7 are waited for, the 3 reported with why."""
    ids = control.seed_nodes(count=10, name_prefix="busy")["instance_ids"]
    command_id = send_long_command(endpoint.url, ids)
    control.set_invocation(command_id, outcome="Success", duration_steps=100000)
    control.step()
    offline = ids[2:5]
    control.set_ping(offline, "ConnectionLost")
    control.set_clock(mode="realtime", step_interval=0.2)
    task = {"hybridops.ssm.ssm_command": {"command_id": command_id, "wait": True, "wait_timeout": 240, "poll_interval": 0.5}, "register": "cancel"}
    result, results, elapsed = run_tasks(ansible_env, tmp_path, [task])
    assert result.returncode == 0, result.stdout[-6000:]
    outcomes = {o["instance_id"]: o for o in results["cancel"]["outcomes"]}
    assert {i for i, o in outcomes.items() if o["outcome"] == "cancelled"} == set(ids) - set(offline)
    for instance_id in offline:
        assert (outcomes[instance_id]["outcome"], outcomes[instance_id]["status"]) == ("cancel_requested", "Cancelling")
        assert outcomes[instance_id]["ping_status"] == "ConnectionLost" and "did not wait" in outcomes[instance_id]["msg"]
    assert results["cancel"]["timed_out"] == [], f"waited {elapsed:.0f}s"  # a wait for the offline nodes ends only at wait_timeout (240 s)


def test_a_batch_rejected_for_one_id_fails_only_that_node(control, endpoint, ansible_env, tmp_path):
    """(d) 50 IDs, one of which makes every describe naming it fail: the other 49 are handled.

    SSM's answer for the one ID alone decides its outcome: ValidationException fails that node by name;
    InvalidInstanceId is what SSM answers for a node it does not know, so that one is not registered.
    """
    scenes = {}
    for code in ("ValidationException", "InvalidInstanceId"):
        retire = control.seed_nodes(count=50, name_prefix="retire")["instance_ids"]
        keep = control.seed_nodes(count=50, name_prefix="keep", iam_role="OldRole")["instance_ids"]
        scenes[code] = {"retire": retire, "keep": keep, "bad_retire": retire[17], "bad_keep": keep[33]}
    message = "1 validation error detected: Value at 'filters.1.member.values' failed to satisfy constraint"
    for code, scene in scenes.items():
        control.set_faults(
            operation="DescribeInstanceInformation",
            instance_ids=[scene["bad_retire"], scene["bad_keep"]],
            reject_rate=1.0,
            reject_code=code,
            reject_message=message,
        )
    control.clear_log()
    tasks = []
    for index, scene in enumerate(scenes.values()):
        tasks += [
            {"hybridops.ssm.ssm_managed_instance": {"instance_ids": scene["retire"], "state": "absent"}, "register": f"absent{index}"},
            {"hybridops.ssm.ssm_managed_instance": {"instance_ids": scene["keep"], "iam_role": "NewRole"}, "register": f"present{index}"},
            {"hybridops.ssm.ssm_managed_instance_info": {"instance_ids": scene["keep"]}, "register": f"info{index}"},
        ]
    tasks = [{**t, "ignore_errors": True} for t in tasks]
    result, results, _elapsed = run_tasks(ansible_env, tmp_path, tasks)
    assert result.returncode == 0, result.stdout[-6000:]
    log = control.log()
    deregistered = {e["params"]["InstanceId"] for e in mutating(log) if e["operation"] == "DeregisterManagedInstance"}
    updated = {e["params"]["InstanceId"] for e in mutating(log) if e["operation"] == "UpdateManagedInstanceRole"}

    # SSM rejects the ID on its own too: that node fails with SSM's code and message, the task fails naming it
    scene = scenes["ValidationException"]
    for name, ids, bad, done in (("absent0", scene["retire"], scene["bad_retire"], "deregistered"), ("present0", scene["keep"], scene["bad_keep"], "updated")):
        registered = results[name]
        assert registered["failed"] is True and bad in registered["msg"] and "ValidationException" in registered["msg"]
        outcomes = {o["instance_id"]: o for o in registered["outcomes"]}
        assert len(outcomes) == 50
        assert (outcomes[bad]["outcome"], outcomes[bad]["error_code"]) == ("failed", "ValidationException")
        assert message in outcomes[bad]["msg"]
        assert all(o["outcome"] == done for i, o in outcomes.items() if i != bad)
    assert set(scene["retire"]) & deregistered == set(scene["retire"]) - {scene["bad_retire"]}
    assert set(scene["keep"]) & updated == set(scene["keep"]) - {scene["bad_keep"]}
    # _info never answers a shorter list: it fails naming the node whose describe was rejected
    assert results["info0"]["failed"] is True and scene["bad_keep"] in results["info0"]["msg"]
    assert not results["info0"].get("instances")

    # SSM does not know the ID on its own: that node is not registered, every other one is handled, nothing fails
    scene = scenes["InvalidInstanceId"]
    absent = {o["instance_id"]: o["outcome"] for o in results["absent1"]["outcomes"]}
    assert results["absent1"]["changed"] is True and not results["absent1"].get("failed")
    assert absent.pop(scene["bad_retire"]) == "already_absent" and set(absent.values()) == {"deregistered"}
    assert set(scene["retire"]) & deregistered == set(scene["retire"]) - {scene["bad_retire"]}
    present = {o["instance_id"]: o for o in results["present1"]["outcomes"]}
    assert present.pop(scene["bad_keep"])["error_code"] == "NotRegistered"
    assert {o["outcome"] for o in present.values()} == {"updated"}
    assert sorted(n["instance_id"] for n in results["info1"]["instances"]) == sorted(set(scene["keep"]) - {scene["bad_keep"]})


def test_a_rerun_inside_the_deregistration_lag_changes_nothing(control, endpoint, ansible_env, tmp_path):
    """(e) 120 nodes deregistered, then the same task at once while SSM still lists them."""
    control.set_realism(deregister_lag_s=3600)  # wider than the default, so both runs fall inside it however slow the machine
    ids = control.seed_nodes(count=120, name_prefix="retire")["instance_ids"]
    control.clear_log()
    task = {"hybridops.ssm.ssm_managed_instance": {"instance_ids": ids, "state": "absent"}}
    result, results, _elapsed = run_tasks(ansible_env, tmp_path, [{**task, "register": "first"}, {**task, "register": "second"}])
    assert result.returncode == 0, result.stdout[-6000:]
    assert results["first"]["changed"] is True and results["second"]["changed"] is False
    assert {o["outcome"] for o in results["second"]["outcomes"]} == {"already_absent"}
    log = control.log()
    deregisters = [e for e in log if e["operation"] == "DeregisterManagedInstance"]
    assert len([e for e in deregisters if e["status"] == 200]) == 120  # all of them from the first run
    assert len(mutating(log)) == 120
    # the second run found the nodes still listed and SSM answering InvalidInstanceId for each
    assert len([e for e in deregisters if e["error"] == "InvalidInstanceId"]) == 120
    listed = {n["InstanceId"] for p in ssm_client(endpoint.url).get_paginator("describe_instance_information").paginate() for n in p["InstanceInformationList"]}
    assert set(ids) <= listed  # still inside the lag: the scene was what the test says


def test_decommission_waits_out_a_three_minute_listing_window_on_the_endpoint_clock(control, endpoint, ansible_env, tmp_path):
    """(e2) The node keeps listing for 180 s after its deregistration (eks-hybrid's e2e waits up to 3 minutes): the
    role does not clean the host while SSM still lists the node. The test moves the endpoint's clock past the
    window once the role has polled it a few times, so nothing waits three real minutes. The role handled this
    already (it waits with ssm_managed_instance's wait); the test keeps it so at a window of minutes."""
    control.set_realism(deregister_lag_s=180)
    node = control.seed_nodes(count=1, name_prefix="edge")["instance_ids"][0]
    root = make_host_root(tmp_path / "edge", node)
    inventory = write_inventory(tmp_path / "inventory.json", {"edge": local_host(root)})
    control.clear_log()
    seen = {}
    stop = threading.Event()

    def polls_while_listed():
        """Describes naming the node after its deregistration that still found it (the role's wait)."""
        log = control.log()
        gone = next((e["seq"] for e in log if e["operation"] == "DeregisterManagedInstance" and e["status"] == 200), None)
        return (
            [] if gone is None else [e for e in log if e["seq"] > gone and e["operation"] == "DescribeInstanceInformation" and node in json.dumps(e["params"])]
        )

    def end_the_window_after_three_polls():
        while not stop.wait(0.2):
            if len(polls_while_listed()) >= 3:
                # what the host looked like while SSM still listed the node
                seen.update(registration=(root / REGISTRATION).exists(), agent_calls=(root / AGENT_CALLS).read_text() if (root / AGENT_CALLS).exists() else "")
                seen["polls"] = len(polls_while_listed())
                control.advance(180)
                return

    watcher = threading.Thread(target=end_the_window_after_three_polls, daemon=True)
    watcher.start()
    started = time.monotonic()
    try:
        result = playbook(ansible_env, "decommission", inventory, "-e", "decommission_hosts=hybrid_nodes", "-v")
    finally:
        stop.set()
        watcher.join()
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-6000:]
    assert seen, "the role never polled the listing three times after deregistering"
    assert seen["registration"] is True and "-register -clear" not in seen["agent_calls"]  # not cleaned while listed
    assert not (root / REGISTRATION).exists() and "-register -clear" in (root / AGENT_CALLS).read_text()
    assert [e["params"]["InstanceId"] for e in mutating(control.log()) if e["operation"] == "DeregisterManagedInstance"] == [node]
    report = result.stdout.split('"decommission_hybrid_node_result"', 1)[1]
    assert '"deregistration": "deregistered"' in report
    # the window ended because the test moved the clock: a few polls after the advance, not 90 of them
    assert len(polls_while_listed()) <= seen["polls"] + 3 and elapsed < 180, f"{len(polls_while_listed())} polls in {elapsed:.0f}s"


def test_info_finds_every_match_across_short_and_empty_pages(control, endpoint, ansible_env, tmp_path):
    """(f) 300 nodes, 37 lost ones in two clusters: most filtered pages come back empty with a NextToken."""
    control.seed_nodes(count=120, name_prefix="a")
    lost = control.seed_nodes(count=12, name_prefix="lost-a", ping_status="ConnectionLost", last_ping_days_ago=3)["instance_ids"]
    control.seed_nodes(count=100, name_prefix="b")
    lost += control.seed_nodes(count=25, name_prefix="lost-b", ping_status="ConnectionLost", last_ping_days_ago=3)["instance_ids"]
    control.seed_nodes(count=43, name_prefix="c")
    control.clear_log()
    task = {"hybridops.ssm.ssm_managed_instance_info": {"ping_status": "ConnectionLost"}, "register": "info"}
    result, results, _elapsed = run_tasks(ansible_env, tmp_path, [task])
    assert result.returncode == 0, result.stdout[-6000:]
    assert sorted(n["instance_id"] for n in results["info"]["instances"]) == sorted(lost)
    pages = [e for e in control.log() if e["operation"] == "DescribeInstanceInformation"]
    assert len(pages) == 6  # 300 nodes read 50 at a time: four of the six pages held no match
    assert sum(1 for e in pages if e["params"].get("NextToken")) == 5


SEND_COMMAND = (
    "import os, sys, boto3; client = boto3.client('ssm', endpoint_url=os.environ['AWS_URL']);"
    " print(client.send_command(InstanceIds=sys.argv[1:], DocumentName='AWS-RunShellScript',"
    " Parameters={'commands': ['sleep 600']})['Command']['CommandId'])"
)


def test_cancel_by_id_right_after_send_command(control, endpoint, ansible_env, tmp_path):
    """(g) The command is not listed yet when the task first reads it: the task reads again and cancels it."""
    # The command stays invisible until the task has read it once: a lag far longer than the task's re-read
    # window, cut short by moving the endpoint's clock past it as soon as the first read shows in the request
    # log. So the first read falls inside the lag however slowly the task starts, and a later one finds it.
    control.set_realism(command_visibility_lag_s=600)
    ids = control.seed_nodes(count=3, name_prefix="busy")["instance_ids"]
    control.clear_log()
    stop = threading.Event()

    def end_the_lag_after_the_first_read():
        while not stop.wait(0.1):
            if any(e["operation"] == "ListCommands" and e["params"].get("CommandId") for e in control.log()):
                control.advance(601)
                return

    watcher = threading.Thread(target=end_the_lag_after_the_first_read, daemon=True)
    watcher.start()
    tasks = [
        {"ansible.builtin.command": {"argv": [str(BIN / "python"), "-c", SEND_COMMAND, *ids]}, "register": "sent", "changed_when": True},
        {"hybridops.ssm.ssm_command": {"command_id": "{{ sent.stdout }}"}, "register": "cancel"},
    ]
    try:
        result, results, _elapsed = run_tasks(ansible_env, tmp_path, tasks)
    finally:
        stop.set()
        watcher.join()
    assert result.returncode == 0, result.stdout[-6000:]
    command_id = results["sent"]["stdout"]
    assert results["cancel"]["changed"] is True
    assert {o["outcome"] for o in results["cancel"]["outcomes"]} == {"cancel_requested"}
    log = control.log()
    reads = [e for e in log if e["operation"] == "ListCommands" and e["params"].get("CommandId") == command_id]
    cancel = next(e for e in log if e["operation"] == "CancelCommand")
    assert cancel["status"] == 200 and cancel["params"]["CommandId"] == command_id
    assert len([e for e in reads if e["seq"] < cancel["seq"]]) >= 2  # the first read found nothing yet
