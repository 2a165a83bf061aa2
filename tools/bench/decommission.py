"""`make bench`, the fleet case of the decommission role: ``hybridops.ssm.decommission`` over many hosts.

``decommission``: the collection's playbook over HOSTS (100) hosts decommissioned by ID alone (host steps off,
``decommission_max_hosts`` raised, the role's defaults otherwise: in-flight commands cancelled with wait,
deregistration with wait), against the same run over 1 host, in the same bench run against the same
endpoint (tidy profile, manual clock). Each host names its own seeded node (``decommission_hybrid_node_instance_id``);
every host is a local connection that is never used. One warm-up of each, then RUNS runs of each,
alternating; the medians are reported.

Per run, from the endpoint's request log and the playbook's output: wall time, DescribeInstanceInformation
and mutating calls, and the lines ansible-playbook printed at default verbosity (per host).
"""

import json
import math
import statistics
from pathlib import Path

BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"

HOSTS = 100
RUNS = 2
FORKS = 5  # ansible's default: the role must not need more to batch
DESCRIBE = "DescribeInstanceInformation"
MUTATING = ("DeregisterManagedInstance", "CancelCommand", "DeleteActivation")
TARGETS = {"wall_vs_one_host": 3.0, "lines_per_host": 15}
CASES = ("decommission",)


def _inventory(runner, instance_ids):
    hosts = {f"node-{n:03d}": {"decommission_hybrid_node_instance_id": node} for n, node in enumerate(instance_ids)}
    inventory = {"all": {"children": {"retiring": {"hosts": hosts}}, "vars": {"ansible_connection": "local"}}}
    # pylint: disable-next=protected-access
    return runner._vars_file(f"inventory-{len(instance_ids)}", inventory)


def _run(runner, count):
    """One decommission of ``count`` ID-only hosts from a fresh endpoint: the runner's figures plus output lines."""
    runner.reset()
    instance_ids = runner.seed(count)
    inventory = _inventory(runner, instance_ids)
    command = [
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
        "-e",
        "decommission_hybrid_node_host_steps=false",
    ]
    measured = runner.measure(command, keep_output=True)
    measured["lines"] = len(measured.pop("stdout").splitlines())
    measured["lines_per_host"] = round(measured["lines"] / count, 2)
    return measured


def run_case(runner, hosts=HOSTS, runs=RUNS):
    """Warm-up, then ``runs`` runs of the 1-host and the ``hosts``-host playbook, alternating; returns the samples."""
    samples = {"one": [], "fleet": []}
    for run in range(runs + 1):
        order = ("one", "fleet") if run % 2 else ("fleet", "one")
        measured = {side: _run(runner, 1 if side == "one" else hosts) for side in order}
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


def targets(samples, hosts=HOSTS):
    one, fleet = _median(samples["one"], "wall"), _median(samples["fleet"], "wall")
    describe = max(s["calls"].get(DESCRIBE, 0) for s in samples["fleet"])
    describe_limit = math.ceil(hosts / 50) + 2
    lines = max(s["lines_per_host"] for s in samples["fleet"])
    deregistered = min(s["calls"].get("DeregisterManagedInstance", 0) for s in samples["fleet"])
    return [
        {
            "target": f"decommission playbook, {hosts} ID-only hosts: wall <= {TARGETS['wall_vs_one_host']:g}x the 1-host run",
            "value": round(fleet / one, 3),
            "limit": TARGETS["wall_vs_one_host"],
            "ok": fleet / one <= TARGETS["wall_vs_one_host"],
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
            "target": f"decommission playbook, {hosts} hosts: <= {TARGETS['lines_per_host']} output lines per host at default verbosity",
            "value": lines,
            "limit": TARGETS["lines_per_host"],
            "ok": lines <= TARGETS["lines_per_host"],
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
