"""`make bench`, the fleet case of the decommission role: ``hybridops.ssm.decommission`` over many hosts.

``decommission``: the collection's playbook over HOSTS (100) hosts decommissioned by ID alone (host steps off,
``decommission_max_hosts`` raised, the role's defaults otherwise: in-flight commands cancelled with wait,
deregistration with wait), against the same run over 1 host, in the same bench run against the same
endpoint (tidy profile, manual clock). Each host names its own seeded node (``decommission_hybrid_node_instance_id``);
every host is a local connection that is never used. One warm-up of each, then RUNS runs of each,
alternating; the medians are reported.

Per run, from the endpoint's request log and the playbook's output: wall time, DescribeInstanceInformation
and mutating calls, and the lines ansible-playbook printed at default verbosity (per host).

``burst``: the same playbook over BURST_HOSTS (200) ID-only hosts while the endpoint answers the next
BURST (60) ListCommands calls with ThrottlingException (its ``throttle_next`` fault). The role makes one
batched ListCommands per region for the in-flight commands of every host, so the burst meets the whole
play at once; the retry layer retries a throttled call for as long as the task allows, so the play must
come through it. One run: wall time, throttled answers served, each node's DeregisterManagedInstance
(from the request log), the nodes still listed afterwards, and the hosts failed or not attempted (from
the role's report and the PLAY RECAP).
"""

import json
import math
import re
import statistics
from collections import Counter

from runner import BIN
from runner import REGION
from runner import WORK

from ssm_endpoint import endpoint_client

HOSTS = 100
RUNS = 2
FORKS = 5  # ansible's default: the role must not need more to batch
DESCRIBE = "DescribeInstanceInformation"
MUTATING = ("DeregisterManagedInstance", "CancelCommand", "DeleteActivation")
TARGETS = {"wall_vs_one_host": 3.0, "lines_per_host": 15}
BURST_HOSTS = 200
# More than twice the 24 answers a fixed count of attempts allowed the one ListCommands; the retry layer's sleeps
# (up to 4 s) and the pacer (at its floor of 2 calls a second) space a call SSM keeps throttling, so the play waits
# a minute or two on it.
BURST = 60
CASES = ("decommission", "burst")


def host_names(count):
    return [f"node-{n:03d}" for n in range(count)]


def inventory(runner, instance_ids, name=None):
    """An inventory file of one ID-only host per node, in the group ``retiring``."""
    hosts = {host: {"decommission_hybrid_node_instance_id": node} for host, node in zip(host_names(len(instance_ids)), instance_ids)}
    content = {"all": {"children": {"retiring": {"hosts": hosts}}, "vars": {"ansible_connection": "local"}}}
    # pylint: disable-next=protected-access
    return runner._vars_file(name or f"inventory-{len(instance_ids)}", content)


def command(inventory_file, count, *extra):
    return [
        str(BIN / "ansible-playbook"),
        "hybridops.ssm.decommission",
        "-i",
        str(inventory_file),
        "-f",
        str(FORKS),
        "-e",
        "decommission_hosts=retiring",
        "-e",
        f"decommission_max_hosts={count}",
        "-e",
        "decommission_hybrid_node_host_steps=false",
        *extra,
    ]


def run_one(runner, count):
    """One decommission of ``count`` ID-only hosts from a fresh endpoint: the runner's figures plus output lines."""
    runner.reset()
    instance_ids = runner.seed(count)
    measured = runner.measure(command(inventory(runner, instance_ids), count), keep_output=True)
    measured["lines"] = len(measured.pop("stdout").splitlines())
    measured["lines_per_host"] = round(measured["lines"] / count, 2)
    return measured


def run_case(runner, hosts=HOSTS, runs=RUNS):
    """Warm-up, then ``runs`` runs of the 1-host and the ``hosts``-host playbook, alternating; returns the samples."""
    samples = {"one": [], "fleet": []}
    for run in range(runs + 1):
        order = ("one", "fleet") if run % 2 else ("fleet", "one")
        measured = {side: run_one(runner, 1 if side == "one" else hosts) for side in order}
        if run:
            for side, value in measured.items():
                samples[side].append(value)
        print(
            f"  decommission run {run}{' (warm-up)' if not run else ''}: 1 host {measured['one']['wall']:.1f}s,"
            f" {hosts} hosts {measured['fleet']['wall']:.1f}s, {measured['fleet']['lines_per_host']} lines/host",
            flush=True,
        )
    return samples


def _median(samples, key):
    return statistics.median(s[key] for s in samples)


def rows(samples, hosts=HOSTS):
    out = []
    for side, count in (("one", 1), ("fleet", hosts)):
        runs = samples[side]
        ordered = sorted(runs, key=lambda s: s["wall"])
        out.append(
            {
                "case": f"decommission playbook, {count} host(s)",
                "hosts": count,
                "runs": len(runs),
                "median_s": round(_median(runs, "wall"), 2),
                "min_s": min(s["wall"] for s in runs),
                "max_s": max(s["wall"] for s in runs),
                "lines": ordered[len(ordered) // 2]["lines"],
                "lines_per_host": ordered[len(ordered) // 2]["lines_per_host"],
                "calls": ordered[len(ordered) // 2]["calls"],
            }
        )
    return out


def targets(samples, hosts=HOSTS, limits=None):
    """The case's targets: wall against the 1-host run and lines per host within ``limits`` (TARGETS by default)."""
    limits = {**TARGETS, **(limits or {})}
    one, fleet = _median(samples["one"], "wall"), _median(samples["fleet"], "wall")
    describe = max(s["calls"].get(DESCRIBE, 0) for s in samples["fleet"])
    describe_limit = math.ceil(hosts / 50) + 2
    lines = max(s["lines_per_host"] for s in samples["fleet"])
    deregistered = min(s["calls"].get("DeregisterManagedInstance", 0) for s in samples["fleet"])
    return [
        {
            "target": f"decommission playbook, {hosts} ID-only hosts: wall <= {limits['wall_vs_one_host']:g}x the 1-host run",
            "value": round(fleet / one, 3),
            "limit": limits["wall_vs_one_host"],
            "ok": fleet / one <= limits["wall_vs_one_host"],
            "detail": f"{fleet:.1f}s vs {one:.1f}s; {deregistered} of {hosts} nodes deregistered",
        },
        {
            "target": f"decommission playbook, {hosts} hosts: DescribeInstanceInformation <= ceil({hosts}/50)+2 = {describe_limit}",
            "value": describe,
            "limit": describe_limit,
            "ok": describe <= describe_limit and deregistered == hosts,
            "detail": json.dumps(samples["fleet"][0]["calls"], sort_keys=True),
        },
        {
            "target": f"decommission playbook, {hosts} hosts: <= {limits['lines_per_host']} output lines per host at default verbosity",
            "value": lines,
            "limit": limits["lines_per_host"],
            "ok": lines <= limits["lines_per_host"],
            "detail": f"{max(s['lines'] for s in samples['fleet'])} lines in all",
        },
    ]


def print_rows(table):
    header = f"{'case':<38} {'hosts':>6} {'median s':>9} {'min-max s':>13} {'lines':>6} {'lines/host':>10}  calls"
    print(header)
    print("-" * len(header))
    for r in table:
        calls = ", ".join(f"{op} {n}" for op, n in sorted(r["calls"].items()))
        print(
            f"{r['case']:<38} {r['hosts']:>6} {r['median_s']:>9.2f} {r['min_s']:.2f}-{r['max_s']:.2f}".ljust(70)
            + f" {r['lines']:>6} {r['lines_per_host']:>10.2f}  {calls}"
        )


def burst(runner, hosts=BURST_HOSTS, throttled=BURST):
    """One run of the playbook over ``hosts`` ID-only hosts through ``throttled`` throttled ListCommands answers."""
    runner.reset()
    instance_ids = runner.seed(hosts)
    report = WORK / "burst-report.json"
    report.unlink(missing_ok=True)  # a report left by an earlier run would hide a play that wrote none
    runner.control.set_faults(operation="ListCommands", throttle_next=throttled)
    # measure_paced: the throttled answers are the case, not a broken bench (measure stops at any non-200 call)
    measured = runner.measure_paced(command(inventory(runner, instance_ids), hosts, "-e", f"decommission_hybrid_node_report_path={report}"))
    entries = measured["entries"]
    listings = [e for e in entries if e["operation"] == "ListCommands"]
    served = [e["params"]["InstanceId"] for e in entries if e["operation"] == "DeregisterManagedInstance" and e["status"] == 200]
    outcome = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {"hosts": {}, "failed_hosts": []}
    recap = re.findall(r"^(\S+)\s*:.*\bfailed=(\d+)", measured["stdout"].rpartition("PLAY RECAP")[2], re.M)
    failed = set(outcome["failed_hosts"]) | {host for host, count in recap if int(count)}
    client = endpoint_client(runner.url, REGION, runner.env["AWS_ACCESS_KEY_ID"], runner.env["AWS_SECRET_ACCESS_KEY"])
    left = sum(len(page["InstanceInformationList"]) for page in client.get_paginator("describe_instance_information").paginate())
    sample = {
        "hosts": hosts,
        "burst": throttled,
        "wall": round(measured["wall"], 2),
        "returncode": measured["returncode"],
        "throttled": sum(e["fault"] == "throttle" for e in listings),
        "listings": len(listings),
        "listings_span": round(listings[-1]["time"] - listings[0]["time"], 1) if listings else 0.0,
        "deregistered": len(served),
        "deregistered_once": sorted(served) == sorted(instance_ids),
        "left": left,
        # a host the report misses got no outcome at all: as good as not attempted
        "not_attempted": sum(outcome["hosts"].get(host, {}).get("deregistration", "not_attempted") == "not_attempted" for host in host_names(hosts)),
        "failed": len(failed),
        "calls": dict(Counter(e["operation"] for e in entries)),
    }
    print(
        f"  burst: {sample['throttled']} throttled ListCommands answers over {sample['listings_span']}s, {sample['deregistered']} deregistered,"
        f" {sample['failed']} failed, {sample['not_attempted']} not attempted, wall {sample['wall']}s",
        flush=True,
    )
    return sample


def burst_targets(sample):
    hosts, burst_size = sample["hosts"], sample["burst"]
    return [
        {
            "target": f"burst, {hosts} ID-only hosts through {burst_size} throttled ListCommands: every node deregistered exactly once, none left",
            "value": sample["deregistered"],
            "limit": hosts,
            # a burst not met whole (fewer throttled answers) would prove nothing
            "ok": sample["deregistered_once"] and sample["left"] == 0 and sample["throttled"] == burst_size,
            "detail": f"DeregisterManagedInstance {sample['deregistered']} answered 200, {sample['left']} nodes listed afterwards,"
            f" {sample['throttled']} throttled answers served",
        },
        {
            "target": f"burst, {hosts} hosts: 0 hosts failed or not_attempted",
            "value": {"failed": sample["failed"], "not_attempted": sample["not_attempted"]},
            "ok": sample["failed"] == 0 and sample["not_attempted"] == 0 and sample["returncode"] == 0,
            "detail": f"rc {sample['returncode']}, wall {sample['wall']}s",
        },
    ]


def print_burst(sample):
    header = (
        f"{'hosts':>6} {'throttled':>9} {'ListCommands':>12} {'span s':>7} {'deregistered':>12} {'left':>5} {'failed':>6} {'not attempted':>13} {'wall s':>7}"
    )
    print(header)
    print("-" * len(header))
    print(
        f"{sample['hosts']:>6} {sample['throttled']:>9} {sample['listings']:>12} {sample['listings_span']:>7.1f} {sample['deregistered']:>12}"
        f" {sample['left']:>5} {sample['failed']:>6} {sample['not_attempted']:>13} {sample['wall']:>7.1f}"
    )
