"""`make bench`, the decommission playbook at AWX's scale: 1,000 hosts in one run, and job slicing at the rate limit.

``decommission_1000``: the collection's playbook over FLEET (1,000) ID-only hosts against the same playbook over
1 host (as tools/bench/decommission.py does for 100; one warm-up of the 1-host run, then the 1-host run before and
after the 1,000-host one: their mean is the reference). Targets: wall <= 20x the 1-host run, <= 5 lines printed per
host, DescribeInstanceInformation <= ceil(1000/50) + 2.

``slices``: AWX job slicing (the same playbook in SLICES processes, each with its own share of the inventory, every
SLICES-th host as AWX splits it) - SLICES (4) ansible-playbook processes of ``hybridops.ssm.decommission`` started
at once, SLICE_HOSTS (250) ID-only hosts each, against one account whose every operation has a token bucket of RATE
(20) calls a second (burst 20; each operation its own bucket, as SSM keeps one per API) and every call held
tools/bench/paced.py's LATENCY_MS. Each process's pacer learns its share of the bucket on its own (plugins/module_utils/
_ssm/pacing.py). From the endpoint's request log and each slice's report: every node deregistered exactly once (no
slice touched another's hosts, none failed), throttled answers as a share of all calls (<= 5 %), and the span of the
served DeregisterManagedInstance calls - the operation the bucket binds - against N/rate (<= 1.2). One run.

``slices_capped``: the same, each slice capped at RATE / SLICES calls a second with ``max_calls_per_second`` in the
play's ``module_defaults`` (``group/hybridops.ssm.aws``), as docs/awx.md suggests for a sliced job: a copy of the
collection's playbook with that one key added, in the bench's work folder. Same figures and targets.
"""

import json
import re
import subprocess
import time
from collections import Counter

import decommission
import paced
import yaml
from runner import ROOT
from runner import WORK
from runner import BenchError

FLEET = 1000
FLEET_TARGETS = {"wall_vs_one_host": 20.0, "lines_per_host": 5}
SLICES = 4
SLICE_HOSTS = 250
RATE = 20.0
SLICE_TARGETS = {"span": 1.2, "throttled": 0.05}
CASES = ("decommission_1000", "slices", "slices_capped")
DECOMMISSION_PLAY = "Decommission AWS SSM hybrid nodes"


def fleet_case(runner, hosts=FLEET):
    """A warm-up 1-host run, then the 1-host run, the ``hosts``-host run, the 1-host run again; returns the samples."""
    decommission.run_one(runner, 1)
    samples = {"one": [], "fleet": []}
    for side, count in (("one", 1), ("fleet", hosts), ("one", 1)):
        samples[side].append(decommission.run_one(runner, count))
    fleet = samples["fleet"][0]
    print(f"  decommission_1000: 1 host {[s['wall'] for s in samples['one']]}s, {hosts} hosts {fleet['wall']:.1f}s, {fleet['lines_per_host']} lines/host")
    return samples


def fleet_targets(samples, hosts=FLEET):
    return decommission.targets(samples, hosts, FLEET_TARGETS)


def _slice_report(index):
    return WORK / f"slice-{index}-report.json"


def case_name(cap):
    """How a slices sample is named in its lines: by its cap, if any."""
    return f"slices capped at {cap:g}/s each" if cap else "slices"


def capped_playbook(cap):
    """The collection's decommission playbook with ``max_calls_per_second: cap`` in its decommission play's module_defaults."""
    plays = yaml.safe_load((ROOT / "playbooks" / "decommission.yml").read_text(encoding="utf-8"))
    (play,) = [play for play in plays if play["name"] == DECOMMISSION_PLAY]
    play["module_defaults"] = {"group/hybridops.ssm.aws": {"max_calls_per_second": cap}}
    path = WORK / "decommission-capped.yml"
    path.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
    return path


def slices_case(runner, slices=SLICES, per_slice=SLICE_HOSTS, rate=RATE, cap=None):
    """One run of ``slices`` concurrent playbook processes, ``per_slice`` hosts each, against one ``rate``/s bucket.

    ``cap``: each slice's ``max_calls_per_second`` (through a copy of the playbook); None: the pacer alone.
    """
    runner.control.reset()
    runner.control.set_faults(operation="*", latency_ms=paced.LATENCY_MS)
    runner.control.set_rate_limit("*", rate=rate, burst=paced.BURST)
    instance_ids = runner.seed(slices * per_slice)
    hosts = decommission.host_names(len(instance_ids))
    inventory = decommission.inventory(runner, instance_ids, name="inventory-slices")
    runner.control.clear_log()
    processes = []
    playbook = capped_playbook(cap) if cap else None
    started = time.perf_counter()
    for index in range(slices):
        _slice_report(index).unlink(missing_ok=True)
        # AWX's slice k of n runs the same playbook on every n-th host of the inventory, starting at host k
        limit = ",".join(hosts[index::slices])
        command = decommission.command(inventory, per_slice, "--limit", limit, "-e", f"decommission_hybrid_node_report_path={_slice_report(index)}")
        if cap:
            command[1] = str(playbook)
        out = (WORK / f"slice-{index}.out").open("w", encoding="utf-8")
        processes.append((subprocess.Popen(command, env=runner.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True), out))
    codes = []
    for process, out in processes:
        codes.append(process.wait())
        out.close()
    wall = time.perf_counter() - started
    entries = runner.control.log()
    sample = {**paced.figures(entries, len(instance_ids), rate, wall), "slices": slices, "per_slice": per_slice, "returncodes": codes, "cap": cap}
    calls = Counter(e["params"]["InstanceId"] for e in entries if e["operation"] == paced.MUTATING)
    served = Counter(e["params"]["InstanceId"] for e in entries if e["operation"] == paced.MUTATING and e["status"] == 200)
    sample["deregistered_once"] = sorted(served) == sorted(instance_ids) and set(served.values()) == {1}
    sample["deregister_calls_per_node"] = dict(Counter(calls.values()))
    sample["failed_hosts"] = _failed_hosts(slices)
    sample["operations"] = dict(Counter(e["operation"] for e in entries))
    sample["throttled_by_operation"] = dict(Counter(e["operation"] for e in entries if e["error"] == "ThrottlingException"))
    # served and throttled DeregisterManagedInstance per 5 s from the first call: where the throttled ones fell
    start = entries[0]["time"] if entries else 0.0
    timeline = Counter((int((e["time"] - start) // 5) * 5, e["status"] == 200) for e in entries if e["operation"] == paced.MUTATING)
    sample["timeline"] = [[second, timeline[(second, True)], timeline[(second, False)]] for second in sorted({s for s, _ok in timeline})]
    if not all(_slice_report(index).exists() for index in range(slices)):
        raise BenchError(f"a slice wrote no report; see {WORK}/slice-*.out")
    name = case_name(cap)
    print(
        f"  {name}: {slices} x {per_slice} hosts at {rate:g}/s: span {sample['span']}s ({sample['span_vs_n_over_rate']}x N/rate), throttled"
        f" {sample['throttled_share']:.1%} of {sample['calls']} calls, deregistered once {sample['deregistered_once']}, failed hosts"
        f" {sample['failed_hosts']}, rc {codes}, wall {sample['wall']}s",
        flush=True,
    )
    return sample


def _failed_hosts(slices):
    """Hosts failed in any slice: its report's failed hosts and its PLAY RECAP's."""
    failed = set()
    for index in range(slices):
        report = _slice_report(index)
        if report.exists():
            failed |= set(json.loads(report.read_text(encoding="utf-8")).get("failed_hosts") or [])
        recap = (WORK / f"slice-{index}.out").read_text(encoding="utf-8").rpartition("PLAY RECAP")[2]
        failed |= {host for host, count in re.findall(r"^(\S+)\s*:.*\bfailed=(\d+)", recap, re.M) if int(count)}
    return len(failed)


def slices_targets(sample):
    nodes, rate = sample["nodes"], sample["rate"]
    name = case_name(sample.get("cap"))
    return [
        {
            "target": f"{name}, {sample['slices']} playbooks x {sample['per_slice']} hosts: every node deregistered exactly once, no host failed",
            "value": {"failed_hosts": sample["failed_hosts"], "not_deregistered": sample["failed"]},
            "ok": sample["deregistered_once"] and sample["failed_hosts"] == 0 and set(sample["returncodes"]) == {0},
            "detail": f"DeregisterManagedInstance calls per node {sample['deregister_calls_per_node']}, rc {sample['returncodes']}",
        },
        {
            "target": f"{name}, one {rate:g}/s bucket: throttled <= {SLICE_TARGETS['throttled']:.0%} of calls, span <= {SLICE_TARGETS['span']}x N/rate",
            "value": {"throttled_share": sample["throttled_share"], "span_vs_n_over_rate": sample["span_vs_n_over_rate"]},
            "ok": sample["throttled_share"] <= SLICE_TARGETS["throttled"] and sample["span_vs_n_over_rate"] <= SLICE_TARGETS["span"],
            "detail": f"span {sample['span']}s vs N/rate {nodes / rate:g}s; {sample['throttled']} of {sample['calls']} calls throttled"
            f" ({json.dumps(sample['throttled_by_operation'], sort_keys=True)}); wall {sample['wall']}s",
        },
    ]


def print_slices(sample):
    header = f"{'slices':>6} {'hosts':>6} {'rate':>5} {'calls':>6} {'throttled':>10} {'span s':>7} {'xN/rate':>8} {'failed':>6} {'wall s':>7}"
    print(header)
    print("-" * len(header))
    print(
        f"{sample['slices']:>6} {sample['nodes']:>6} {sample['rate']:>5g} {sample['calls']:>6} {sample['throttled_share']:>9.1%} {sample['span']:>7.1f}"
        f" {sample['span_vs_n_over_rate']:>8.3f} {sample['failed_hosts']:>6} {sample['wall']:>7.1f}"
    )
