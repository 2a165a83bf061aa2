"""`make bench`, the organisation case: the sweep role over many accounts and regions at once.

``org_sweep``: ACCOUNTS accounts x the REGIONS, NODES stale nodes in each account-region, each with its own token
bucket of RATE calls a second per operation (the endpoint keeps a bucket per account and region, as AWS does),
every call held LATENCY_MS. One run of ``ansible-playbook hybridops.ssm.sweep_stale`` with the accounts (one role
each, assumed with the bench's own keys), cluster checks off, concurrency at its default.

From the endpoint's request log: the sweep's span (first to last SSM call) against the slowest account-region's
N/rate (NODES / RATE: its deregistrations alone need that long at its bucket's pace; parallel account-regions should
take about that, not the sum), the throttled share of all calls, and every node deregistered exactly once. The
playbook's whole wall time is held to the same 1.3x: it adds ansible-playbook's start, the role's checks, the
module's start before the first call, and the result, the facts and the report after the last.
"""

import json

from runner import BIN
from runner import WORK

ACCOUNTS = 10
REGIONS = ("eu-west-1", "us-east-1")
NODES = 200
RATE = 20.0
BURST = 20.0
LATENCY_MS = 20.0
MUTATING = "DeregisterManagedInstance"
CASES = ("org_sweep",)
TARGETS = {"span": 1.3, "throttled": 0.05, "wall": 1.3}


def account(n):
    return f"{n + 1:012d}"


def run_case(runner):
    """Seed the organisation, sweep it once; returns the sample (figures per account-region and in total)."""
    runner.control.reset()
    runner.control.set_faults(operation="*", latency_ms=LATENCY_MS)
    runner.control.set_rate_limit("*", rate=RATE, burst=BURST)
    accounts, seeded = [], {}
    for n in range(ACCOUNTS):
        role_arn = runner.control.add_role(account(n), "HybridOpsSweep")
        accounts.append({"role_arn": role_arn, "regions": list(REGIONS)})
        for region in REGIONS:
            ids = runner.control.seed_nodes(NODES, account=account(n), region=region, ping_status="ConnectionLost", last_ping_days_ago=45)["instance_ids"]
            seeded[(account(n), region)] = ids
    variables = {
        "sweep_stale_hybrid_nodes_accounts": accounts,
        "sweep_stale_hybrid_nodes_cluster_checks": False,
        "sweep_stale_hybrid_nodes_max_nodes": ACCOUNTS * len(REGIONS) * NODES,
    }
    path = WORK / "org_sweep.json"
    path.write_text(json.dumps(variables), encoding="utf-8")
    measured = runner.measure_paced([str(BIN / "ansible-playbook"), "hybridops.ssm.sweep_stale", "-i", "localhost,", "-e", f"@{path}"])
    return figures(measured, seeded)


def figures(measured, seeded):
    entries = [e for e in measured["entries"] if e.get("service") != "sts"]
    served = [e for e in entries if e["operation"] == MUTATING and e["status"] == 200]
    per_node = {}
    for e in served:
        per_node[e["params"]["InstanceId"]] = per_node.get(e["params"]["InstanceId"], 0) + 1
    every = [i for ids in seeded.values() for i in ids]
    times = [e["time"] for e in entries]
    span = max(times) - min(times) if times else 0.0
    throttled = sum(1 for e in entries if e["error"] == "ThrottlingException")
    targets = {}
    for key in seeded:
        mine = [e for e in entries if (e["account"], e["region"]) == key]
        spans = [e["time"] for e in mine]
        targets[f"{key[0]} {key[1]}"] = {
            "calls": len(mine),
            "throttled": sum(1 for e in mine if e["error"] == "ThrottlingException"),
            "span": round(max(spans) - min(spans), 2) if spans else 0.0,
        }
    slowest = NODES / RATE
    return {
        "accounts": ACCOUNTS,
        "regions": len(REGIONS),
        "nodes_per_target": NODES,
        "rate": RATE,
        "wall": round(measured["wall"], 2),
        "returncode": measured["returncode"],
        "span": round(span, 2),
        "slowest_n_over_rate": slowest,
        "span_vs_slowest": round(span / slowest, 3),
        "wall_vs_slowest": round(measured["wall"] / slowest, 3),
        "calls": len(entries),
        "assume_role_calls": sum(1 for e in measured["entries"] if e["operation"] == "AssumeRole"),
        "throttled": throttled,
        "throttled_share": round(throttled / max(1, len(entries)), 4),
        "deregistered_once": sum(1 for i in every if per_node.get(i) == 1),
        "deregistered_twice_or_more": sum(1 for i in every if per_node.get(i, 0) > 1),
        "not_deregistered": sum(1 for i in every if i not in per_node),
        "per_target": targets,
    }


def targets(sample):
    """The issue's targets: span within 1.3x the slowest account-region's N/rate, throttled <= 5 %, every node once;
    and the playbook's whole wall time within the same 1.3x."""
    ok = (
        sample["span_vs_slowest"] <= TARGETS["span"]
        and sample["throttled_share"] <= TARGETS["throttled"]
        and sample["not_deregistered"] == 0
        and sample["deregistered_twice_or_more"] == 0
        and sample["returncode"] == 0
    )
    return [
        {
            "target": (
                f"org sweep, {sample['accounts']} accounts x {sample['regions']} regions x {sample['nodes_per_target']} nodes, {sample['rate']:g}/s each:"
                f" span <= {TARGETS['span']}x the slowest account-region's N/rate, throttled <= 5 %, every node once"
            ),
            "value": {
                "span_vs_slowest": sample["span_vs_slowest"],
                "throttled_share": sample["throttled_share"],
                "not_deregistered": sample["not_deregistered"],
            },
            "ok": ok,
            "detail": (
                f"span {sample['span']}s, wall {sample['wall']}s ({sample['wall_vs_slowest']}x), {sample['calls']} calls,"
                f" {sample['assume_role_calls']} AssumeRole"
            ),
        },
        {
            "target": (
                f"org sweep, the same: the playbook's whole wall time (its start, the checks, the sweep task, the facts and"
                f" the report) <= {TARGETS['wall']}x the slowest account-region's N/rate"
            ),
            "value": {"wall_vs_slowest": sample["wall_vs_slowest"]},
            "ok": sample["wall_vs_slowest"] <= TARGETS["wall"] and sample["returncode"] == 0,
            "detail": f"wall {sample['wall']}s, N/rate {sample['slowest_n_over_rate']:g}s",
        },
    ]


def print_sample(sample):
    print(
        f"{sample['accounts']} accounts x {sample['regions']} regions x {sample['nodes_per_target']} nodes, {sample['rate']:g}/s per account-region:"
        f" span {sample['span']}s ({sample['span_vs_slowest']}x N/rate {sample['slowest_n_over_rate']:g}s), wall {sample['wall']}s,"
        f" throttled {sample['throttled_share']:.1%} of {sample['calls']} calls, {sample['deregistered_once']} deregistered once,"
        f" {sample['not_deregistered']} not, {sample['deregistered_twice_or_more']} more than once; {sample['assume_role_calls']} AssumeRole"
    )
    slowest = max(sample["per_target"].items(), key=lambda item: item[1]["span"])
    print(f"slowest account-region: {slowest[0]}, span {slowest[1]['span']}s, {slowest[1]['calls']} calls, {slowest[1]['throttled']} throttled")
