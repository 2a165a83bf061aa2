"""`make bench`: the machine it ran on, and the table it prints."""

import json
import os
import platform
import subprocess

import decommission
import host_cleanup
import org_sweep
import paced
import slices
from runner import BIN


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        pass
    versions = {}
    for name in ("ansible-core", "ansible", "boto3", "botocore", "awscli", "moto", "werkzeug"):
        try:
            versions[name] = subprocess.run(
                [str(BIN / "python"), "-c", f"import importlib.metadata as m; print(m.version({name!r}))"], capture_output=True, text=True, check=True
            ).stdout.strip()
        except subprocess.CalledProcessError:
            versions[name] = None
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def print_table(results):
    latency = results["settings"]["latency_ms"]
    latency = f"; the endpoint holds every call {latency:g} ms" if latency else ""
    print()
    print(
        f"hybridops.ssm bench, {results['started']}: {results['machine']['cpus']} CPUs ({results['machine']['cpu_model']}),"
        f" load average {results['load_before'][0]:.1f} before, {results['load_after'][0]:.1f} after; cases {', '.join(results['settings']['cases'])}"
    )
    if results["rows"]:
        print(
            f"medians of {results['settings']['runs']} runs ({results['settings']['loop_runs']} for the loops), warm-up excluded;"
            f" wall seconds; calls from the endpoint's log{latency}\n"
        )
        header = f"{'case':<38} {'nodes':>6} {'median s':>9} {'min-max s':>13} {'ms/node':>9} {'calls/node':>10}  calls"
        print(header)
        print("-" * len(header))
        for item in results["rows"]:
            spread = f"{item['min_s']:.2f}-{item['max_s']:.2f}"
            per_node = "" if item["note"].startswith("per-node") else f"{item['per_node_ms']:.2f}"
            calls = ", ".join(f"{op} {n}" for op, n in sorted(item["calls"].items()))
            print(f"{item['case']:<38} {item['nodes']:>6} {item['median_s']:>9.2f} {spread:>13} {per_node:>9} {item['calls_per_node']:>10.3f}  {calls}")
    if results["paced_rows"]:
        print(
            f"\nrate-limited cases: token bucket per operation (burst {paced.BURST:g}), every call held {paced.LATENCY_MS:g} ms, one run each;"
            " span = first to last served DeregisterManagedInstance\n"
        )
        paced.print_rows(results["paced_rows"])
    if results["fleet_rows"]:
        print(
            f"\nthe decommission playbook, hosts decommissioned by ID (host steps off), forks {decommission.FORKS}; medians of"
            f" {decommission.RUNS} runs; lines printed at default verbosity\n"
        )
        decommission.print_rows(results["fleet_rows"])
    if results["burst_sample"]:
        print(
            f"\nthe decommission playbook through a throttled burst: hosts decommissioned by ID, the next {results['burst_sample']['burst']} ListCommands"
            " answered ThrottlingException; one run; span = first to last ListCommands\n"
        )
        decommission.print_burst(results["burst_sample"])
    for key in ("slices_sample", "slices_capped_sample"):
        if not results.get(key):
            continue
        sample = results[key]
        capped = f", each capped at {sample['cap']:g} calls/s (max_calls_per_second)" if sample.get("cap") else ""
        print(
            f"\nAWX job slicing: the decommission playbook in {sample['slices']} processes at once, each its own hosts"
            f" (ID only){capped}, one token bucket per operation for all, every call held {paced.LATENCY_MS:g} ms; one run;"
            " span = first to last served DeregisterManagedInstance\n"
        )
        slices.print_slices(sample)
    if results.get("cleanup_sample"):
        print(
            f"\nthe decommission playbook's host steps through SSM: hosts Ansible cannot reach (host_steps auto), Online nodes whose"
            f" hosts run AWS-RunShellScript in their own mount namespaces; forks {host_cleanup.FORKS}; one run\n"
        )
        host_cleanup.print_sample(results["cleanup_sample"])
    if results.get("org_sample"):
        print(f"\nthe sweep role over many accounts and regions: every call held {org_sweep.LATENCY_MS:g} ms, one run; span = first to last SSM call\n")
        org_sweep.print_sample(results["org_sample"])
    print("\ntargets (the fleet targets, then the rate-limited ones, then the decommission playbook's, then the organisation sweep's)")
    every = results["targets"] + results["paced_targets"] + results["fleet_targets"] + results["burst_targets"] + results.get("slices_targets", [])
    every += results.get("cleanup_targets", []) + results.get("org_targets", [])
    for target in every:
        value = target["value"]
        shown = value if isinstance(value, dict) else f"{value}"
        print(f"  {'PASS' if target['ok'] else 'MISS'}  {target['target']}: {shown}  ({target['detail']})")
    info = results["info"]
    if info:
        print(f"\nfor the record: {json.dumps(info)}")
    print(f"results: {results['output']}")
