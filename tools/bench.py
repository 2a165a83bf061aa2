"""`make bench`: what decommissioning a fleet costs, against what its API calls cost.

Starts the local SSM endpoint as its own process (fixed settings: manual clock
after every reset, except the cancel case which switches it to realtime, 0.2 s
per step), then measures, each case in its own freshly reset and seeded
endpoint state:

1. bulk: one ``ssm_managed_instance`` task deregistering N = 1,000 nodes in an
   ``ansible-playbook`` run, against the floor: tools/bench/floor.py, a plain
   boto3 script making the same calls (20 DescribeInstanceInformation, then
   1,000 DeregisterManagedInstance) with the same concurrency (4, the module's
   default), in the same run, interleaved with the playbook.
2. per node, what users do today: a ``loop:`` over the module and an
   ``aws ssm deregister-managed-instance`` shell loop (N = 100 each).
3. the no-op rerun of the bulk task on the same (already gone) 1,000 nodes.
4. cancelling one command on 500 nodes in one task, with ``wait``.
5. API calls per node in every case, from the endpoint's request log.
6. the rate-limited cases (tools/bench/paced.py): the same deregistration
   against a token bucket per operation (10, 20 or 50 calls/s, burst 20) with
   every call held 20 ms, for the module at its defaults, a boto3 script in
   botocore's standard and in its adaptive retry mode, the AWS CLI loop, and
   the module capped by ``max_calls_per_second``; one run each (30-50 s).
7. the decommission playbook over 100 hosts decommissioned by ID against the
   same playbook over 1 host (tools/bench/decommission.py).
8. the decommission playbook over 200 hosts decommissioned by ID through a
   burst of 60 throttled answers to its one batched ListCommands (burst, one
   run of 2-3 minutes): every node deregistered once, no host failed.
9. the decommission playbook over 1,000 ID-only hosts against 1 host, and AWX job slicing: 4 concurrent
   playbook processes of 250 hosts each against one 20/s bucket, by the pacer alone and each capped at 5/s with
   max_calls_per_second (tools/bench/slices.py; decommission_1000, slices, slices_capped: a few minutes each).
10. the decommission playbook's host steps through SSM over 500 hosts Ansible cannot reach
   (tools/bench/host_cleanup.py; ssm_cleanup, one run of a few minutes, root only): Online nodes whose
   hosts really run AWS-RunShellScript in mount namespaces of their own; SendCommand calls (<= 10), every
   node deregistered, every host cleaned, and what the 500 namespaces cost the machine.
10. the sweep role over 10 accounts x 2 regions x 200 stale nodes, each account-region with its own 20/s bucket
   (tools/bench/org_sweep.py; org_sweep, one run): its span against the slowest account-region's N/rate
   (parallel, not the sum), throttled share, every node deregistered once.

The floor of a playbook task is an ``ansible-playbook`` run of one
``ansible.builtin.ping`` task (what any playbook costs and no module can
change) plus the boto3 script as a process (python start-up, boto3 import,
client, calls). The ratio of the playbook to the script alone is reported
too; docs/performance.md explains both.

Every command of cases 1-4 runs once as a warm-up that is not counted, then
several times (3 by default, 1 for the loops); the medians are reported.
``--cases`` (``make bench CASES=...``) runs a subset: one_node, bulk, loops,
cancel, rate20, rate10, rate50, cap10, decommission, burst, decommission_1000, slices, slices_capped,
ssm_cleanup, org_sweep. Prints a table with the performance targets and
PASS/MISS, and writes every sample to build/bench/results.json. No target is
asserted anywhere in the test suite.

``--latency-ms MS`` (off by default) makes the endpoint hold every SSM call that
long before answering (its fault-injection latency), to see the same cases at
something like AWS's own per-call latency instead of a loopback's.

Usage: bench.py [--cases A,B] [--runs N] [--loop-runs N] [--bulk N] [--loop N] [--cancel N] [--ssm-hosts N] [--latency-ms MS]
       [--output FILE]
"""

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools" / "bench"))

# pylint: disable=wrong-import-position,wrong-import-order
import classic  # noqa: E402
import decommission  # noqa: E402
import host_cleanup  # noqa: E402
import org_sweep  # noqa: E402
import paced  # noqa: E402
import report  # noqa: E402
import slices  # noqa: E402
from classic import CANCEL_POLL_INTERVAL  # noqa: E402
from classic import CANCEL_STEP_INTERVAL  # noqa: E402
from classic import CLASSIC_CASES  # noqa: E402
from classic import CONCURRENCY  # noqa: E402
from runner import WORK  # noqa: E402
from runner import Runner  # noqa: E402
from runner import start_endpoint  # noqa: E402

ALL_CASES = CLASSIC_CASES + tuple(paced.CASES) + decommission.CASES + slices.CASES + host_cleanup.CASES + org_sweep.CASES


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="tools/bench.py", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", default=",".join(ALL_CASES), help=f"comma-separated subset of {', '.join(ALL_CASES)} (make bench CASES=...); default: all")
    parser.add_argument("--runs", type=int, default=3, help="measured runs of the bulk, no-op, one-node and cancel cases (after one warm-up)")
    parser.add_argument("--loop-runs", type=int, default=1, help="measured runs of the two per-node loops (after a 3-node warm-up); each takes about a minute")
    parser.add_argument("--bulk", type=int, default=1000, help="nodes in the bulk and no-op cases")
    parser.add_argument("--loop", type=int, default=100, help="nodes in each per-node loop")
    parser.add_argument("--cancel", type=int, default=500, help="nodes the cancelled command runs on")
    parser.add_argument("--ssm-hosts", type=int, default=host_cleanup.SSM_HOSTS, help="hosts of the ssm_cleanup case (each a namespaced node)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="hold every SSM call this long in the endpoint (0: off)")
    parser.add_argument("--output", type=Path, default=WORK / "results.json")
    args = parser.parse_args(argv)
    args.cases = [case.strip() for case in args.cases.split(",") if case.strip()]
    unknown = [case for case in args.cases if case not in ALL_CASES]
    if unknown or not args.cases:
        parser.error(f"--cases: {', '.join(unknown) or 'none given'}: choose from {', '.join(ALL_CASES)}")
    return args


def main(argv):
    args = parse_args(argv[1:])
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "tmp").mkdir(exist_ok=True)
    started = time.monotonic()
    results = {
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": report.machine(),
        "settings": {
            "cases": args.cases,
            "runs": args.runs,
            "loop_runs": args.loop_runs,
            "bulk_nodes": args.bulk,
            "loop_nodes": args.loop,
            "cancel_nodes": args.cancel,
            "ssm_cleanup_hosts": args.ssm_hosts,
            "concurrency": CONCURRENCY,
            "latency_ms": args.latency_ms,
            "cancel_step_interval": CANCEL_STEP_INTERVAL,
            "cancel_poll_interval": CANCEL_POLL_INTERVAL,
            "warm_up": "one run of every command before the measured ones (3 nodes for the loops), not counted",
        },
        "load_before": list(os.getloadavg()),
        "output": str(args.output),
    }
    endpoint = start_endpoint()
    process, url = endpoint.process, endpoint.url
    samples, paced_rows, sampled = {}, [], {}
    try:
        runner = Runner(url, process.pid, args.latency_ms)
        print(f"endpoint {url} (pid {process.pid}); cases {', '.join(args.cases)}", flush=True)
        classic_cases = {
            "one_node": ("one-node case", lambda: classic.one_node(runner, args.runs)),
            "bulk": (f"bulk and no-op rerun, {args.bulk} nodes", lambda: classic.bulk(runner, args.runs, args.bulk)),
            "loops": (f"per-node loops, {args.loop} nodes", lambda: classic.per_node_loops(runner, args.loop_runs, args.loop)),
            "cancel": (f"cancel with wait, {args.cancel} nodes", lambda: classic.cancel(runner, args.runs, args.cancel)),
        }
        # the decommission playbook's cases, each one sample
        fleet_cases = {
            "decommission": (f"decommission playbook, {decommission.HOSTS} hosts against 1", lambda: decommission.run_case(runner)),
            "burst": (
                f"decommission playbook, {decommission.BURST_HOSTS} hosts through {decommission.BURST} throttled ListCommands",
                lambda: decommission.burst(runner),
            ),
            "decommission_1000": (f"decommission playbook, {slices.FLEET} hosts against 1", lambda: slices.fleet_case(runner)),
            "slices": (
                f"job slicing: {slices.SLICES} decommission playbooks x {slices.SLICE_HOSTS} hosts against one {slices.RATE:g}/s bucket",
                lambda: slices.slices_case(runner),
            ),
            "slices_capped": (
                f"job slicing, each slice capped at {slices.RATE / slices.SLICES:g}/s: {slices.SLICES} decommission playbooks x {slices.SLICE_HOSTS} hosts",
                lambda: slices.slices_case(runner, cap=slices.RATE / slices.SLICES),
            ),
            "ssm_cleanup": (
                f"decommission playbook, host steps through SSM on {args.ssm_hosts} unreachable hosts (namespaced nodes)",
                lambda: host_cleanup.run_case(runner, args.ssm_hosts),
            ),
            "org_sweep": (
                f"sweep role, {org_sweep.ACCOUNTS} accounts x {len(org_sweep.REGIONS)} regions x {org_sweep.NODES} stale nodes",
                lambda: org_sweep.run_case(runner),
            ),
        }
        for case in args.cases:
            if case in fleet_cases:
                print(f"{fleet_cases[case][0]} ...", flush=True)
                sampled[case] = fleet_cases[case][1]()
            elif case in classic_cases:
                print(f"{classic_cases[case][0]} ...", flush=True)
                samples[case] = classic_cases[case][1]()
            else:
                print(f"rate-limited case {case} ...", flush=True)
                paced_rows += paced.run_case(runner, case)
    finally:
        endpoint.stop(timeout=10)
    fleet_samples, burst_sample, cleanup_sample = sampled.get("decommission"), sampled.get("burst"), sampled.get("ssm_cleanup")
    large_samples, slices_sample, org_sample = sampled.get("decommission_1000"), sampled.get("slices"), sampled.get("org_sweep")
    capped_sample = sampled.get("slices_capped")
    rows, targets, info = classic.summarize(args, samples)
    results.update(
        load_after=list(os.getloadavg()),
        seconds=round(time.monotonic() - started, 1),
        rows=rows,
        targets=targets,
        info=info,
        paced_rows=paced_rows,
        paced_targets=paced.targets(paced_rows),
        fleet_rows=(decommission.rows(fleet_samples) if fleet_samples else []) + (decommission.rows(large_samples, slices.FLEET) if large_samples else []),
        fleet_targets=(decommission.targets(fleet_samples) if fleet_samples else []) + (slices.fleet_targets(large_samples) if large_samples else []),
        slices_targets=(slices.slices_targets(slices_sample) if slices_sample else []) + (slices.slices_targets(capped_sample) if capped_sample else []),
        slices_sample=slices_sample,
        slices_capped_sample=capped_sample,
        burst_targets=decommission.burst_targets(burst_sample) if burst_sample else [],
        cleanup_targets=host_cleanup.targets(cleanup_sample) if cleanup_sample else [],
        org_targets=org_sweep.targets(org_sample) if org_sample else [],
        org_sample=org_sample,
        samples=samples,
        fleet_samples=fleet_samples,
        burst_sample=burst_sample,
        cleanup_sample=cleanup_sample,
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    report.print_table(results)
    print(f"bench took {results['seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
