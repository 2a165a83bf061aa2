"""`make bench`, the host cleanup through SSM: ``hybridops.ssm.decommission`` over hosts Ansible cannot reach.

``ssm_cleanup``: the collection's playbook over SSM_HOSTS (500) hosts with ``decommission_hybrid_node_host_steps:
auto``, none of which Ansible can reach (each is an ssh connection to port 1 of the loopback: refused at once), so
every host's steps go through SSM Run Command. Each host names its own node, seeded Online with a host
(``EndpointControl.seed_nodes(n, host=True)``, tests/ssm_endpoint/README.md "Hosts"): the AWS-RunShellScript the
role sends really runs there, as root, in the node's own mount namespace over overlays, and hands the work to a
``systemd-run`` unit that the endpoint starts a few (endpoint) seconds later. The role's defaults otherwise
(in-flight commands cancelled with wait, deregistration with wait), forks 5 (Ansible's default), the endpoint's
clock in realtime (a step every STEP_INTERVAL s) while the playbook runs. One run (the case is the fleet size, not a
median: a run builds and tears down 500 namespaces).

Measured: the playbook's wall time; every SSM call from the endpoint's request log (SendCommand must be at most
ceil(N/50)); each node's DeregisterManagedInstance and the nodes still listed afterwards; the role's report (every
host ``ran`` via ``ssm``); then, once the hand-off units ran (manual clock, time moved past their delay), every
host's state through ``EndpointControl.host(id)``: registration file and vault keys gone, ``amazon-ssm-agent
-register -clear`` called once, the service stopped and disabled, the user's own AWS profile kept. And what the
hosts cost the machine: the seeding time, the namespace holders (processes, their overlay mounts, resident memory),
the drop in MemAvailable, the layers on disk, and the teardown (the endpoint's reset) time.
"""

import json
import math
import os
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

from runner import BIN
from runner import REGION
from runner import WORK
from runner import BenchError

from ssm_endpoint import endpoint_client

SSM_HOSTS = 500
FORKS = 5
BATCH = 50  # nodes per SendCommand (SSM's limit on InstanceIds)
STEP_INTERVAL = 0.2  # realtime clock while the playbook runs
POLL_INTERVAL = 1.0  # decommission_hybrid_node_command_poll_interval
HOLDER_ARGV = ["sleep", "2147483647"]  # a node's namespace holder (tests/ssm_endpoint/linux_host.py)
CONTROL_TIMEOUT = 300  # stepping and tearing down 500 hosts takes longer than the control client's 30 s default
CASES = ("ssm_cleanup",)
D = "decommission_hybrid_node_"
REGISTRATION = "/var/lib/amazon/ssm/registration"
KEYS = ("/var/lib/amazon/ssm/Vault/Store/RegistrationKey", "/var/lib/amazon/ssm/Vault/Store/InstanceFingerprint")
PROFILE = "/root/.aws/credentials"


def _hosts(count):
    return [f"far-{n:03d}" for n in range(count)]


def _inventory(runner, instance_ids, report):
    # Nothing listens on port 1: the connection is refused at once, the host counts as unreachable (tests/integration/test_roles.py).
    gone = {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1, "ansible_user": "nobody"}
    hosts = {host: {**gone, D + "instance_id": node, D + "region": REGION} for host, node in zip(_hosts(len(instance_ids)), instance_ids)}
    group_vars = {
        "ansible_python_interpreter": str(BIN / "python"),
        D + "become": False,
        D + "host_steps": "auto",
        D + "command_poll_interval": POLL_INTERVAL,
        D + "report_path": str(report),
    }
    inventory = {"all": {"children": {"retiring": {"hosts": hosts}}, "vars": group_vars}}
    # pylint: disable-next=protected-access
    return runner._vars_file(f"inventory-ssm-{len(instance_ids)}", inventory)


def _command(inventory, count):
    return [
        str(BIN / "ansible-playbook"),
        "hybridops.ssm.decommission",
        "-i",
        str(inventory),
        "-f",
        str(FORKS),
        "-e",
        "decommission_hosts=retiring",
        "-e",
        f"decommission_max_hosts={count}",
    ]


# --- what the hosts cost the machine ------------------------------------------------------------


def _mem_available_kb():
    with open("/proc/meminfo", encoding="ascii") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("MemAvailable:"))


def _rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            return next((int(line.split()[1]) for line in handle if line.startswith("VmRSS:")), 0)
    except OSError:
        return 0


def _holders(endpoint_pid):
    """The endpoint's namespace holders: PIDs of its children that run HOLDER_ARGV."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                argv = handle.read().decode(errors="replace").split("\0")[:-1]
        except (OSError, IndexError, ValueError):
            continue
        if ppid == endpoint_pid and argv == HOLDER_ARGV:
            found.append(int(pid))
    return found


def _overlays(pid):
    try:
        with open(f"/proc/{pid}/mountinfo", encoding="utf-8") as handle:
            return sum(" - overlay hybridops-node " in line for line in handle)
    except OSError:
        return 0


def _disk_kb():
    """Blocks used by the endpoint's node layers (ssm-endpoint-nodes-* in the temp dir)."""
    blocks = 0
    for state in Path(tempfile.gettempdir()).glob("ssm-endpoint-nodes-*"):
        for folder, _dirs, files in os.walk(state):
            for name in files:
                try:
                    blocks += os.lstat(os.path.join(folder, name)).st_blocks
                except OSError:
                    pass
    return blocks // 2


def _processes():
    return sum(1 for pid in os.listdir("/proc") if pid.isdigit())


def cost(runner):
    """What the seeded hosts hold right now: holders, their overlays and memory, processes, disk."""
    holders = _holders(runner.endpoint_pid)
    return {
        "holders": len(holders),
        "overlay_mounts": sum(_overlays(pid) for pid in holders),
        "holders_rss_mb": round(sum(_rss_kb(pid) for pid in holders) / 1024, 1),
        "endpoint_rss_mb": round(_rss_kb(runner.endpoint_pid) / 1024, 1),
        "processes": _processes(),
        "mem_available_mb": round(_mem_available_kb() / 1024, 1),
        "disk_mb": round(_disk_kb() / 1024, 1),
    }


# --- the case ------------------------------------------------------------------------------------


def _host_cleaned(state):
    """Why a host is not clean ('' when it is)."""
    problems = []
    if state["files"].get(REGISTRATION) is not None:
        problems.append("registration file still there")
    if any(state["files"].get(key) is not None for key in KEYS):
        problems.append("vault keys still there")
    if state["agent_calls"] != [["-register", "-clear"]]:
        problems.append(f"agent calls {state['agent_calls']}")
    if state["services"].get("amazon-ssm-agent") != {"active": "inactive", "enabled": "disabled"}:
        problems.append(f"service {state['services'].get('amazon-ssm-agent')}")
    if not state["files"].get(PROFILE):
        problems.append("the user's own AWS profile is gone")
    return "; ".join(problems)


def _let_units_run(control, instance_ids):
    """The hand-off units are due --on-active seconds (endpoint time) after the script: start them, let each end."""
    control.set_clock(mode="manual")
    control.advance(10)
    control.step()  # starts every due unit
    control.step()  # reads the ones that ended
    paths = [REGISTRATION, *KEYS, PROFILE]
    return {node: control.host(node, paths=paths, settle=10) for node in instance_ids}


def run_case(runner, hosts=SSM_HOSTS):
    """One run of the playbook over ``hosts`` unreachable hosts whose steps go through SSM; returns the sample."""
    if os.geteuid() != 0:
        raise BenchError("ssm_cleanup: a node's mount namespace needs root (the endpoint would refuse to run its scripts); run make bench as root")
    runner.control.timeout = CONTROL_TIMEOUT
    runner.reset()
    before = cost(runner)
    started = time.perf_counter()
    instance_ids = runner.seed(hosts, name_prefix="far", host=True, region=REGION)
    seed_s = time.perf_counter() - started
    report = WORK / "ssm-cleanup-report.json"
    report.unlink(missing_ok=True)  # a report left by an earlier run would hide a play that wrote none
    runner.control.set_clock(mode="realtime", step_interval=STEP_INTERVAL)
    measured = runner.measure_paced(_command(_inventory(runner, instance_ids, report), hosts))
    during = cost(runner)  # every namespace is up: the scripts ran, the units have not yet
    entries = measured["entries"]
    calls = dict(Counter(e["operation"] for e in entries if e["status"] == 200))
    errors = dict(Counter(f"{e['operation']} {e['status']}" for e in entries if e["status"] != 200))
    sends = [e for e in entries if e["operation"] == "SendCommand" and e["status"] == 200]
    sent_to = [i for e in sends for i in e["params"].get("InstanceIds") or []]
    run_command = [e["time"] for e in entries if e["operation"] in ("SendCommand", "ListCommandInvocations", "GetCommandInvocation")]
    deregistering = [e["time"] for e in entries if e["operation"] == "DeregisterManagedInstance"]
    deregistered = [e["params"]["InstanceId"] for e in entries if e["operation"] == "DeregisterManagedInstance" and e["status"] == 200]
    outcome = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {"hosts": {}, "failed_hosts": []}
    via_ssm = sum((o.get("deregistration"), o.get("host_steps"), o.get("host_steps_via")) == ("deregistered", "ran", "ssm") for o in outcome["hosts"].values())
    recap = re.findall(r"^(\S+)\s*:.*\bfailed=(\d+)", measured["stdout"].rpartition("PLAY RECAP")[2], re.M)
    failed = set(outcome.get("failed_hosts") or []) | {host for host, count in recap if int(count)}
    client = endpoint_client(runner.url, REGION, runner.env["AWS_ACCESS_KEY_ID"], runner.env["AWS_SECRET_ACCESS_KEY"])
    left = sum(len(page["InstanceInformationList"]) for page in client.get_paginator("describe_instance_information").paginate())

    started = time.perf_counter()
    states = _let_units_run(runner.control, instance_ids)
    units_s = time.perf_counter() - started
    unclean = {node: why for node, why in ((node, _host_cleaned(state)) for node, state in states.items()) if why}
    after = cost(runner)
    started = time.perf_counter()
    runner.reset()  # tears down every host: processes killed, overlays unmounted with their namespaces, layers removed
    teardown_s = time.perf_counter() - started
    gone = cost(runner)
    sample = {
        "hosts": hosts,
        "forks": FORKS,
        "wall": round(measured["wall"], 2),
        "returncode": measured["returncode"],
        "seed_s": round(seed_s, 2),
        # first SendCommand to the last read of a result; first to last DeregisterManagedInstance; the whole request log
        "run_command_span_s": round(run_command[-1] - run_command[0], 2) if run_command else 0.0,
        "deregister_span_s": round(deregistering[-1] - deregistering[0], 2) if deregistering else 0.0,
        "calls_span_s": round(entries[-1]["time"] - entries[0]["time"], 2) if entries else 0.0,
        "units_s": round(units_s, 2),
        "teardown_s": round(teardown_s, 2),
        "send_commands": len(sends),
        "send_limit": math.ceil(hosts / BATCH),
        "sent_once": sorted(sent_to) == sorted(instance_ids),
        "documents": sorted({e["params"].get("DocumentName") for e in sends}),
        "deregistered": len(deregistered),
        "deregistered_once": sorted(deregistered) == sorted(instance_ids),
        "left": left,
        "via_ssm": via_ssm,
        "failed": len(failed),
        "checked": len(states),
        "cleaned": len(states) - len(unclean),
        "unclean_examples": dict(list(unclean.items())[:3]),
        "calls": calls,
        "errors": errors,
        "cost": {"before": before, "during": during, "after_units": after, "after_teardown": gone},
        "stdout_tail": measured["stdout"][-2000:] if measured["returncode"] else "",
    }
    print(
        f"  ssm_cleanup: {hosts} hosts, wall {sample['wall']}s (seeding {sample['seed_s']}s), SendCommand {sample['send_commands']},"
        f" {sample['deregistered']} deregistered, {sample['left']} left, {sample['cleaned']} of {sample['checked']} hosts cleaned,"
        f" {sample['failed']} failed; {during['holders']} namespaces, {during['overlay_mounts']} overlays,"
        f" {during['holders_rss_mb']} MB in holders, MemAvailable -{round(before['mem_available_mb'] - during['mem_available_mb'])} MB",
        flush=True,
    )
    return sample


def targets(sample):
    hosts, limit = sample["hosts"], sample["send_limit"]
    return [
        {
            "target": f"ssm_cleanup, {hosts} unreachable hosts through SSM: SendCommand <= ceil({hosts}/{BATCH}) = {limit}, each node sent once",
            "value": sample["send_commands"],
            "limit": limit,
            "ok": sample["send_commands"] <= limit and sample["sent_once"],
            "detail": f"{', '.join(sample['documents'])}; {json.dumps(sample['calls'], sort_keys=True)}",
        },
        {
            "target": f"ssm_cleanup, {hosts} hosts: every node deregistered exactly once, none left, no host failed",
            "value": sample["deregistered"],
            "limit": hosts,
            "ok": sample["deregistered_once"] and sample["left"] == 0 and sample["failed"] == 0 and sample["returncode"] == 0,
            "detail": f"rc {sample['returncode']}, {sample['left']} listed afterwards, {sample['failed']} failed,"
            f" {sample['via_ssm']} reported ran via ssm, wall {sample['wall']}s",
        },
        {
            "target": f"ssm_cleanup, {hosts} hosts: every host cleaned (EndpointControl.host: registration and keys gone,"
            " -register -clear once, agent stopped and disabled, user profile kept)",
            "value": sample["cleaned"],
            "limit": hosts,
            "ok": sample["cleaned"] == sample["checked"] == hosts,
            "detail": f"{sample['checked']} hosts read; {json.dumps(sample['unclean_examples']) if sample['unclean_examples'] else 'none unclean'}",
        },
    ]


def print_sample(sample):
    header = (
        f"{'hosts':>6} {'wall s':>7} {'seed s':>7} {'SendCommand':>11} {'deregistered':>12} {'left':>5} {'failed':>6}"
        f" {'cleaned':>8} {'units s':>8} {'teardown s':>10}"
    )
    print(header)
    print("-" * len(header))
    print(
        f"{sample['hosts']:>6} {sample['wall']:>7.1f} {sample['seed_s']:>7.1f} {sample['send_commands']:>11} {sample['deregistered']:>12}"
        f" {sample['left']:>5} {sample['failed']:>6} {sample['cleaned']:>8} {sample['units_s']:>8.1f} {sample['teardown_s']:>10.1f}"
    )
    print(
        f"spans: Run Command (first SendCommand to the last result read) {sample['run_command_span_s']:.1f}s, DeregisterManagedInstance"
        f" {sample['deregister_span_s']:.1f}s, first to last SSM call {sample['calls_span_s']:.1f}s of the {sample['wall']:.1f}s"
    )
    calls = ", ".join(f"{op} {n}" for op, n in sorted(sample["calls"].items()))
    print(f"calls: {calls}" + (f"; not 200: {sample['errors']}" if sample["errors"] else ""))
    before, during = sample["cost"]["before"], sample["cost"]["during"]
    print(
        f"what the {sample['hosts']} hosts held while the playbook ran: {during['holders']} namespace holders, {during['overlay_mounts']} overlay mounts,"
        f" {during['holders_rss_mb']} MB resident in the holders, {during['processes'] - before['processes']} processes more,"
        f" MemAvailable {before['mem_available_mb']:.0f} -> {during['mem_available_mb']:.0f} MB, endpoint {before['endpoint_rss_mb']}"
        f" -> {during['endpoint_rss_mb']} MB, layers {during['disk_mb']} MB on disk"
    )
