"""Fault soak: bulk work under a steady mix of faults loses no node and handles none twice.

The endpoint throttles 30% of all SSM calls, answers InternalServerError to 5% and drops 1% of the
connections: half of those before the call is served (``drop``), half after it was served, so that
the answer is lost (``drop_after``: a deregistration happened, the module could not know). Under that
mix one ``ssm_managed_instance`` task deregisters 1,000 nodes and one ``ssm_command`` task cancels a
command on 500 nodes. Every claim is read from the endpoint's request log, not from the module's word.
A third test throttles a fixed set of nodes on every attempt: they are retried until the task's deadline,
the task fails naming exactly those, and a rerun finishes them.

Each test prints one line of figures (faults by kind, calls, retries, wall time) for
docs/reliability.md.
"""

import collections
import json
import re
import time

from conftest import ROOT
from conftest import invocation_statuses
from conftest import listed
from conftest import run_cli
from conftest import ssm_client

# The mix; drop_rate + drop_after_rate is the 1% of dropped connections.
FAULT_MIX = {"throttle_rate": 0.30, "server_error_rate": 0.05, "drop_rate": 0.005, "drop_after_rate": 0.005}
FAULT_KINDS = ("throttle", "server_error", "drop", "drop_after")
MUTATING = {"DeregisterManagedInstance", "CancelCommand", "UpdateManagedInstanceRole", "AddTagsToResource", "RemoveTagsFromResource"}
# Deregistering a node that is gone: what a retry sees after a lost answer.
GONE = (400, "InvalidInstanceId")
# The first run's deadline (the module option): a node throttled on every attempt is retried until it passes,
# then reported failed; the other nodes are served within seconds.
STUCK_DEADLINE = 30
# What the module says about a node whose deregister answer was lost (managed_instances.ANSWER_LOST_NOTE).
ANSWER_LOST = "the answer to a deregister request was lost"
# The cancel task calls SSM one call at a time, so one seed gives the same faults every run: with 223
# the CancelCommand calls meet a throttle, a dropped connection and a lost answer (drop_after).
CANCEL_SEED = 223


def run_task(env, tmp_path, name, module, args, variables):
    """One task in a playbook: ``args`` may template ``variables``, which go in a vars file (not the command line).

    Returns (the task's registered result, seconds the ansible-playbook run took).
    """
    out = tmp_path / f"{name}-result.json"
    playbook = [
        {
            "name": name,
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {"name": name, module: args, "register": "soak_result", "ignore_errors": True},
                {"name": "Keep the result", "ansible.builtin.copy": {"content": "{{ soak_result | to_json }}", "dest": str(out), "mode": "0600"}},
            ],
        }
    ]
    (tmp_path / f"{name}.yml").write_text(json.dumps(playbook))
    (tmp_path / f"{name}-vars.json").write_text(json.dumps(variables))
    started = time.monotonic()
    result = run_cli(["ansible-playbook", "-i", "localhost,", "-c", "local", str(tmp_path / f"{name}.yml"), "-e", f"@{tmp_path / f'{name}-vars.json'}"], env)
    seconds = time.monotonic() - started
    assert result.returncode == 0, f"{name}\nSTDOUT:\n{result.stdout[-6000:]}\nSTDERR:\n{result.stderr[-4000:]}"
    return json.loads(out.read_text()), seconds


def fault_counts(log):
    counts = collections.Counter(entry["fault"] for entry in log if entry["fault"])
    return {kind: counts.get(kind, 0) for kind in FAULT_KINDS}


def figures(name, log, seconds, **more):
    """One line of figures, shown in the test output and kept in build/soak/ for the docs."""
    faults = fault_counts(log)
    line = {
        "case": name,
        "wall_seconds": round(seconds, 1),
        "calls": len(log),
        "faults": faults,
        "faulted_calls": sum(faults.values()),
        "calls_by_operation": dict(collections.Counter(e["operation"] for e in log)),
        **more,
    }
    target = ROOT / "build" / "soak"
    target.mkdir(parents=True, exist_ok=True)
    (target / f"{name}.json").write_text(json.dumps(line, indent=2))
    return line


def deregister_attempts(log):
    """{instance_id: [log entries of its DeregisterManagedInstance calls, in order]}."""
    attempts = collections.defaultdict(list)
    for entry in log:
        if entry["operation"] == "DeregisterManagedInstance":
            attempts[entry["params"]["InstanceId"]].append(entry)
    return attempts


def test_bulk_deregister_of_1000_nodes_under_faults(control, endpoint, ansible_env, tmp_path, capsys):
    nodes = control.seed_nodes(1000)["instance_ids"]
    control.set_faults(operation="*", seed=7, **FAULT_MIX)
    result, seconds = run_task(
        ansible_env,
        tmp_path,
        "soak-deregister",
        "hybridops.ssm.ssm_managed_instance",
        {"instance_ids": "{{ soak_instance_ids }}", "state": "absent", "concurrency": 20},
        {"soak_instance_ids": nodes},
    )
    log = control.log()
    control.clear_faults()

    # The endpoint served exactly one deregistration per node: 1,000 distinct, none twice.
    served = collections.Counter(e["params"]["InstanceId"] for e in log if e["operation"] == "DeregisterManagedInstance" and e["status"] == 200)
    assert len(served) == 1000 and set(served) == set(nodes)
    assert max(served.values()) == 1, [i for i, n in served.items() if n > 1]
    assert not [e for e in log if e["operation"] in MUTATING - {"DeregisterManagedInstance"}]

    # Faults of every kind really happened, on the deregistrations and on the listing.
    faults = fault_counts(log)
    assert all(faults[kind] > 0 for kind in FAULT_KINDS), faults
    assert any(e["fault"] for e in log if e["operation"] == "DescribeInstanceInformation")

    # Per node: every attempt but the last was faulted (each fault was retried, nothing else was),
    # and the last one is a success, or "gone" right after a served attempt whose answer was lost.
    attempts = deregister_attempts(log)
    answer_lost = set()
    for instance_id in nodes:
        entries = attempts[instance_id]
        *earlier, last = entries
        assert all(e["fault"] for e in earlier) and last["fault"] is None, (instance_id, entries)
        served_earlier = [e for e in earlier if e["status"] == 200]
        if (last["status"], last["error"]) == GONE:
            assert [e["fault"] for e in served_earlier] == ["drop_after"], (instance_id, entries)
            answer_lost.add(instance_id)
        else:
            assert last["status"] == 200 and not served_earlier, (instance_id, entries)
    assert answer_lost, "no lost answer on a deregistration (about 8 expected)"

    # The module reported every node once: deregistered, the lost answers said as such; nothing else.
    assert result.get("failed") is not True and result["changed"] is True, result.get("msg")
    outcomes = result["outcomes"]
    assert [o["instance_id"] for o in outcomes] == nodes
    assert {o["outcome"] for o in outcomes} == {"deregistered"}
    assert {o["instance_id"] for o in outcomes if ANSWER_LOST in o.get("msg", "")} == answer_lost
    assert all(set(o) == {"instance_id", "outcome"} for o in outcomes if o["instance_id"] not in answer_lost)

    # And the nodes no longer list, once SSM's deregistration lag has passed.
    control.advance(60)
    assert listed(endpoint.url) == set()

    line = figures(
        "deregister-1000",
        log,
        seconds,
        nodes=1000,
        deregistered=len(served),
        handled_twice=0,
        lost=0,
        retries=sum(faults.values()),
        answers_lost_then_gone=len(answer_lost),
    )
    with capsys.disabled():
        print(f"\nsoak: {json.dumps(line)}")


def test_cancel_on_500_nodes_under_faults(control, endpoint, ansible_env, tmp_path, capsys):
    nodes = control.seed_nodes(500, tags={"Soak": "cancel"})["instance_ids"]
    # SendCommand names at most 50 nodes; 500 are reached by a tag, as a fleet-wide command would be.
    command_id = ssm_client(endpoint.url).send_command(
        Targets=[{"Key": "tag:Soak", "Values": ["cancel"]}], DocumentName="AWS-RunShellScript", Parameters={"commands": ["sleep 600"]}
    )["Command"]["CommandId"]
    control.set_invocation(command_id, outcome="Success", duration_steps=100000)  # runs until cancelled
    control.set_clock(mode="realtime", step_interval=0.1)  # Pending -> InProgress, Cancelling -> Cancelled, on their own
    control.clear_log()
    control.set_faults(operation="*", seed=CANCEL_SEED, **FAULT_MIX)
    result, seconds = run_task(
        ansible_env,
        tmp_path,
        "soak-cancel",
        "hybridops.ssm.ssm_command",
        {"command_id": command_id, "instance_ids": "{{ soak_instance_ids }}", "wait": True, "poll_interval": 0.5, "wait_timeout": 300},
        {"soak_instance_ids": nodes},
    )
    log = control.log()
    control.clear_faults()
    control.set_clock(mode="manual")

    # Every node has exactly one outcome, cancelled.
    assert result.get("failed") is not True and result["changed"] is True, result.get("msg")
    outcomes = result["outcomes"]
    assert sorted(o["instance_id"] for o in outcomes) == sorted(nodes)
    assert {(o["outcome"], o["status"], o["cancel_sent"]) for o in outcomes} == {("cancelled", "Cancelled", True)}
    assert result["timed_out"] == []

    # CancelCommand: at most 50 nodes a call; each node in exactly one call whose answer reached the module.
    # A call the endpoint served but whose answer was lost (drop_after) is retried with the same nodes.
    cancels = [e for e in log if e["operation"] == "CancelCommand"]
    assert all(e["params"]["CommandId"] == command_id and 1 <= len(e["params"]["InstanceIds"]) <= 50 for e in cancels)
    answered = [e for e in cancels if e["status"] == 200 and e["fault"] is None]
    per_node = collections.Counter(i for e in answered for i in e["params"]["InstanceIds"])
    assert set(per_node) == set(nodes) and set(per_node.values()) == {1}
    assert len(answered) == 10
    served_unanswered = [e for e in cancels if e["status"] == 200 and e["fault"] is not None]
    assert all(e["fault"] == "drop_after" for e in served_unanswered)
    for lost in served_unanswered:
        assert any(e["seq"] > lost["seq"] and e["params"]["InstanceIds"] == lost["params"]["InstanceIds"] for e in answered)
    assert not [e for e in log if e["operation"] in MUTATING - {"CancelCommand"}]

    faults = fault_counts(log)
    assert faults["throttle"] > 0 and faults["server_error"] > 0, faults
    assert {"throttle", "drop", "drop_after"} <= {e["fault"] for e in cancels}, "CANCEL_SEED no longer puts these faults on CancelCommand"
    assert served_unanswered

    # Every invocation ended Cancelled.
    assert set(invocation_statuses(endpoint.url, command_id).values()) == {"Cancelled"}

    line = figures(
        "cancel-500",
        log,
        seconds,
        nodes=500,
        cancel_calls_answered=len(answered),
        cancel_answers_lost=len(served_unanswered),
        handled_twice=0,
        lost=0,
        retries=sum(faults.values()),
    )
    with capsys.disabled():
        print(f"\nsoak: {json.dumps(line)}")


def test_retries_run_out_then_a_rerun_finishes_the_nodes_left(control, endpoint, ansible_env, tmp_path, capsys):
    nodes = control.seed_nodes(30)["instance_ids"]
    stuck = [nodes[2], nodes[11], nodes[23]]
    # These three are throttled on every attempt, whatever the retries; the other 27 are served.
    control.set_faults(operation="DeregisterManagedInstance", instance_ids=stuck, throttle_rate=1.0)
    # the default concurrency, 4; a deadline, since a throttled call is retried until the task's deadline
    task = {"instance_ids": "{{ soak_instance_ids }}", "state": "absent", "deadline": STUCK_DEADLINE}
    variables = {"soak_instance_ids": nodes}

    first, first_seconds = run_task(ansible_env, tmp_path, "soak-exhausted", "hybridops.ssm.ssm_managed_instance", task, variables)
    log = control.log()
    assert first["failed"] is True and first["changed"] is True
    assert first["msg"].startswith("3 of 30 node(s) failed, every other node was handled: ")
    assert set(re.findall(r"mi-[0-9a-f]{17}", first["msg"])) == set(stuck)
    failed = [o for o in first["outcomes"] if o["outcome"] == "failed"]
    assert [o["instance_id"] for o in failed] == stuck
    assert {o["error_code"] for o in failed} == {"ThrottlingException"}
    # each says it was throttled until the task's deadline: no count of attempts ended it, nor the circuit
    assert all(f"until the task's deadline of {STUCK_DEADLINE}s passed" in o["msg"] for o in failed), failed
    assert [o["instance_id"] for o in first["outcomes"]] == nodes
    assert {o["instance_id"] for o in first["outcomes"] if o["outcome"] == "deregistered"} == set(nodes) - set(stuck)
    attempts = deregister_attempts(log)
    started = min(e["time"] for e in log)
    for instance_id in stuck:
        made = [(e["status"], e["fault"]) for e in attempts[instance_id]]
        assert made == [(400, "throttle")] * len(made)
        # retried for most of the deadline (the retry sleeps and the pacer space them, at its floor of 2 calls a second)
        assert attempts[instance_id][-1]["time"] - started >= STUCK_DEADLINE - 10, (instance_id, len(made))
    for instance_id in set(nodes) - set(stuck):
        assert [(e["status"], e["fault"]) for e in attempts[instance_id]] == [(200, None)]
    assert listed(endpoint.url) == set(stuck)

    control.clear_faults()
    control.clear_log()
    task.pop("deadline")
    second, second_seconds = run_task(ansible_env, tmp_path, "soak-rerun", "hybridops.ssm.ssm_managed_instance", task, variables)
    assert second.get("failed") is not True and second["changed"] is True, second.get("msg")
    assert {o["instance_id"] for o in second["outcomes"] if o["outcome"] == "deregistered"} == set(stuck)
    assert {o["instance_id"] for o in second["outcomes"] if o["outcome"] == "already_absent"} == set(nodes) - set(stuck)
    assert sorted(e["params"]["InstanceId"] for e in control.log() if e["operation"] in MUTATING) == sorted(stuck)
    assert all(e["status"] == 200 for e in control.log())
    control.advance(60)  # past SSM's deregistration lag
    assert listed(endpoint.url) == set()

    control.clear_log()
    third, third_seconds = run_task(ansible_env, tmp_path, "soak-third", "hybridops.ssm.ssm_managed_instance", task, variables)
    assert third.get("failed") is not True and third["changed"] is False
    assert {o["outcome"] for o in third["outcomes"]} == {"already_absent"}
    assert not [e for e in control.log() if e["operation"] in MUTATING]

    line = figures(
        "exhausted-30",
        log,
        first_seconds,
        nodes=30,
        stuck=3,
        deadline=STUCK_DEADLINE,
        rerun_wall_seconds=round(second_seconds, 1),
        third_run_wall_seconds=round(third_seconds, 1),
    )
    with capsys.disabled():
        print(f"\nsoak: {json.dumps(line)}")
