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

The floor of a playbook task is an ``ansible-playbook`` run of one
``ansible.builtin.ping`` task (what any playbook costs and no module can
change) plus the boto3 script as a process (python start-up, boto3 import,
client, calls). The ratio of the playbook to the script alone is reported
too; docs/performance.md explains both.

Every command of cases 1-4 runs once as a warm-up that is not counted, then
several times (3 by default, 1 for the loops); the medians are reported.
``--cases`` (``make bench CASES=...``) runs a subset: one_node, bulk, loops,
cancel, rate20, rate10, rate50, cap10, decommission. Prints a table with the performance targets and
PASS/MISS, and writes every sample to build/bench/results.json. No target is
asserted anywhere in the test suite.

``--latency-ms MS`` (off by default) makes the endpoint hold every SSM call that
long before answering (its fault-injection latency), to see the same cases at
something like AWS's own per-call latency instead of a loopback's.

Usage: bench.py [--cases A,B] [--runs N] [--loop-runs N] [--bulk N] [--loop N] [--cancel N] [--latency-ms MS] [--output FILE]
"""

import argparse
import datetime
import json
import math
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
BENCH = ROOT / "tools" / "bench"
WORK = ROOT / "build" / "bench"
sys.path.insert(0, str(ROOT / "tests"))

sys.path.insert(0, str(BENCH))

import decommission  # noqa: E402  pylint: disable=wrong-import-position,wrong-import-order
import paced  # noqa: E402  pylint: disable=wrong-import-position,wrong-import-order

from ssm_endpoint import EndpointControl  # noqa: E402  pylint: disable=wrong-import-position

CLASSIC_CASES = ("one_node", "bulk", "loops", "cancel")
ALL_CASES = CLASSIC_CASES + tuple(paced.CASES) + decommission.CASES

MUTATING = ("DeregisterManagedInstance", "CancelCommand", "UpdateManagedInstanceRole", "AddTagsToResource", "RemoveTagsFromResource")
DESCRIBE = "DescribeInstanceInformation"
CONCURRENCY = 4  # the module's default, used on both sides
CANCEL_STEP_INTERVAL = 0.2  # endpoint clock in the cancel case: Cancelling -> Cancelled within 0.2 s
CANCEL_POLL_INTERVAL = 0.5  # the task's poll_interval, and the floor's
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
REGION = "us-east-1"

TARGETS = {
    "bulk_vs_floor": 1.25,
    "loop_speedup": 50.0,
    "one_node_vs_floor": 1.2,
}


class BenchError(RuntimeError):
    """A measured command failed: the figures would mean nothing."""


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="tools/bench.py", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", default=",".join(ALL_CASES), help=f"comma-separated subset of {', '.join(ALL_CASES)} (make bench CASES=...); default: all")
    parser.add_argument("--runs", type=int, default=3, help="measured runs of the bulk, no-op, one-node and cancel cases (after one warm-up)")
    parser.add_argument("--loop-runs", type=int, default=1, help="measured runs of the two per-node loops (after a 3-node warm-up); each takes about a minute")
    parser.add_argument("--bulk", type=int, default=1000, help="nodes in the bulk and no-op cases")
    parser.add_argument("--loop", type=int, default=100, help="nodes in each per-node loop")
    parser.add_argument("--cancel", type=int, default=500, help="nodes the cancelled command runs on")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="hold every SSM call this long in the endpoint (0: off)")
    parser.add_argument("--output", type=Path, default=WORK / "results.json")
    args = parser.parse_args(argv)
    args.cases = [case.strip() for case in args.cases.split(",") if case.strip()]
    unknown = [case for case in args.cases if case not in ALL_CASES]
    if unknown or not args.cases:
        parser.error(f"--cases: {', '.join(unknown) or 'none given'}: choose from {', '.join(ALL_CASES)}")
    return args


# --- the endpoint, as a process ---------------------------------------------------------------


def start_endpoint(url_file):
    """``python -m ssm_endpoint`` with fixed settings; returns (process, url)."""
    url_file.unlink(missing_ok=True)
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        # tidy profile: the bench measures what calls cost; the realistic profile's deregistration lag would
        # make the no-op rerun (run at once after the bulk run) see gone nodes still listed and call again.
        [str(BIN / "python"), "-m", "ssm_endpoint", "--port", "0", "--port-file", str(url_file), "--profile", "tidy"],
        cwd=ROOT / "tests",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not url_file.exists() or not url_file.read_text(encoding="utf-8").strip():
        if process.poll() is not None or time.monotonic() > deadline:
            raise BenchError("the local SSM endpoint did not start")
        time.sleep(0.1)
    return process, url_file.read_text(encoding="utf-8").strip()


def process_cpu(pid):
    """CPU seconds (user + system) a running process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


# --- one measured command ---------------------------------------------------------------------


class Runner:
    """Runs commands against the endpoint and measures each: wall time, CPU on both sides, API calls."""

    def __init__(self, url, endpoint_pid, latency_ms=0.0):
        self.url = url
        self.latency_ms = latency_ms
        self.endpoint_pid = endpoint_pid
        self.control = EndpointControl(url)
        self.env = self._environment()

    def _environment(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_", "BOTO_"))}
        env.update(
            AWS_ACCESS_KEY_ID="AKIDHYBRIDOPSBENCH",
            AWS_SECRET_ACCESS_KEY="hybridops-bench-secret",
            AWS_REGION=REGION,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_URL=self.url,
            ANSIBLE_COLLECTIONS_PATH=str(ROOT / "build" / "collections"),
            ANSIBLE_LOCAL_TEMP=str(WORK / "tmp"),
            ANSIBLE_REMOTE_TMP=str(WORK / "tmp"),
            ANSIBLE_PYTHON_INTERPRETER=str(BIN / "python"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_LOCALHOST_WARNING="False",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        return env

    def reset(self, clock=None):
        """A clean endpoint (nodes, commands, log); ``clock`` = (mode, step_interval) to change it after."""
        self.control.reset()
        if clock:
            self.control.set_clock(*clock)
        if self.latency_ms:
            self.control.set_faults(operation="*", latency_ms=self.latency_ms)

    def seed(self, count, **kwargs):
        return self.control.seed_nodes(count, **kwargs)["instance_ids"]

    def measure(self, command, keep_output=False):
        """Run ``command``; return its wall time, CPU time (client side, endpoint) and the SSM calls it made (and its stdout)."""
        self.control.clear_log()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        endpoint_cpu = process_cpu(self.endpoint_pid)
        started = time.perf_counter()
        result = subprocess.run(command, env=self.env, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        endpoint_cpu = process_cpu(self.endpoint_pid) - endpoint_cpu
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            raise BenchError(f"{' '.join(map(str, command[:3]))} ... exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        entries = self.control.log()
        failed = [e for e in entries if e["status"] != 200]
        if failed:
            raise BenchError(f"{len(failed)} SSM call(s) failed, e.g. {failed[0]}")
        span = entries[-1]["time"] - entries[0]["time"] if entries else 0.0
        return {
            **({"stdout": result.stdout} if keep_output else {}),
            "wall": round(wall, 4),
            "client_cpu": round(after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime, 3),
            "endpoint_cpu": round(endpoint_cpu, 3),
            "calls_span": round(span, 4),
            "calls": dict(Counter(e["operation"] for e in entries)),
        }

    def measure_paced(self, command):
        """Run ``command`` against the rate-limited endpoint: throttled calls and failed nodes are what is measured.

        A non-zero exit is expected when nodes failed; without any failure in the log it is a broken bench.
        """
        self.control.clear_log()
        started = time.perf_counter()
        result = subprocess.run(command, env=self.env, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        entries = self.control.log()
        if result.returncode != 0 and not any(e["status"] != 200 for e in entries):
            raise BenchError(f"{' '.join(map(str, command[:3]))} ... exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return {"wall": wall, "entries": entries}

    def playbook_command(self, name, extra):
        return [str(BIN / "ansible-playbook"), str(BENCH / name), "-e", f"@{self._vars_file('vars', extra)}"]

    def script_command(self, name, instance_ids, *args):
        return [str(BIN / "python"), str(BENCH / name), self.url, str(self._vars_file("ids", instance_ids)), *map(str, args)]

    def cli_loop_command(self, instance_ids, keep_going=False):
        return [str(BENCH / "cli_loop.sh"), *(["--keep-going"] if keep_going else []), self.url, *instance_ids]

    # the commands -----------------------------------------------------------------------------

    def _vars_file(self, name, data):
        path = WORK / f"{name}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    def playbook(self, name, extra=None):
        command = [str(BIN / "ansible-playbook"), str(BENCH / name)]
        if extra is not None:
            command += ["-e", f"@{self._vars_file('vars', extra)}"]
        return self.measure(command)

    def floor(self, action, *args):
        return self.measure([str(BIN / "python"), str(BENCH / "floor.py"), self.url, action, *map(str, args)])

    def floor_ids(self, action, instance_ids, *args):
        return self.floor(action, self._vars_file("ids", instance_ids), *args)

    def cli_loop(self, instance_ids):
        return self.measure([str(BENCH / "cli_loop.sh"), self.url, *instance_ids])

    def send_command(self, tag_value):
        """SendCommand to every node tagged Bench=tag_value (not measured); returns the command ID."""
        client = boto3.client(
            "ssm",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
        )
        command = client.send_command(
            DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag:Bench", "Values": [tag_value]}], Parameters={"commands": ["sleep 3600"]}
        )
        return command["Command"]["CommandId"]


# --- the cases --------------------------------------------------------------------------------


def one_node(runner, runs):
    """A one-node task against an empty playbook plus the boto3 script for that node."""
    samples = {"ping": [], "task": [], "floor": []}
    for run in range(runs + 1):
        runner.reset()
        first, second = runner.seed(2)
        measured = {
            "ping": runner.playbook("ping.yml"),
            "task": runner.playbook("deregister.yml", {"ids": [first]}),
            "floor": runner.floor_ids("deregister", [second], CONCURRENCY),
        }
        if run:  # run 0 is the warm-up
            for key, value in measured.items():
                samples[key].append(value)
    return samples


def bulk(runner, runs, count):
    """The bulk task, its no-op rerun, the boto3 floor of both, and the empty playbook, interleaved."""
    samples = {"ping": [], "task": [], "noop": [], "floor": [], "floor_noop": []}
    for run in range(runs + 1):
        measured = {}
        # alternate which side goes first so a drift in machine load hits both alike
        for side in ("task", "floor") if run % 2 else ("floor", "task"):
            runner.reset()
            instance_ids = runner.seed(count)
            if side == "task":
                measured["task"] = runner.playbook("deregister.yml", {"ids": instance_ids})
                measured["noop"] = runner.playbook("deregister.yml", {"ids": instance_ids})
            else:
                measured["floor"] = runner.floor_ids("deregister", instance_ids, CONCURRENCY)
                measured["floor_noop"] = runner.floor_ids("describe", instance_ids)
        measured["ping"] = runner.playbook("ping.yml")
        if run:
            for key, value in measured.items():
                samples[key].append(value)
    return samples


def per_node_loops(runner, runs, count):
    """A loop: over the module and an aws CLI shell loop, each N nodes; the warm-up is a 3-node run of each."""
    samples = {"module_loop": [], "cli_loop": []}
    for run in range(runs + 1):
        size = count if run else 3
        runner.reset()
        instance_ids = runner.seed(size)
        module_loop = runner.playbook("deregister_loop.yml", {"ids": instance_ids})
        runner.reset()
        instance_ids = runner.seed(size)
        cli_loop = runner.cli_loop(instance_ids)
        if run:
            samples["module_loop"].append(module_loop)
            samples["cli_loop"].append(cli_loop)
    return samples


def cancel(runner, runs, count):
    """Cancel one command on ``count`` nodes with wait, against the boto3 script making the same calls."""
    samples = {"task": [], "floor": []}
    for run in range(runs + 1):
        measured = {}
        for side in ("task", "floor") if run % 2 else ("floor", "task"):
            runner.reset(clock=("realtime", CANCEL_STEP_INTERVAL))
            runner.control.set_command_defaults(duration_steps=1_000_000)  # running until cancelled
            runner.seed(count, tags={"Bench": "cancel"})
            command_id = runner.send_command("cancel")
            time.sleep(3 * CANCEL_STEP_INTERVAL)  # delivered: every invocation InProgress
            if side == "task":
                measured["task"] = runner.playbook("cancel.yml", {"command_id": command_id, "poll_interval": CANCEL_POLL_INTERVAL})
            else:
                measured["floor"] = runner.floor("cancel", command_id, CANCEL_POLL_INTERVAL)
        if run:
            for key, value in measured.items():
                samples[key].append(value)
    runner.reset()
    return samples


# --- summary ----------------------------------------------------------------------------------


def median(samples, key="wall"):
    return statistics.median(s[key] for s in samples)


def calls_of(samples):
    """The calls of the median run by wall time (the runs make the same calls; the cancel polls may differ by one round)."""
    ordered = sorted(samples, key=lambda s: s["wall"])
    return ordered[len(ordered) // 2]["calls"]


def row(label, nodes, samples, note=""):
    calls = calls_of(samples)
    total = sum(calls.values())
    return {
        "case": label,
        "nodes": nodes,
        "runs": len(samples),
        "median_s": round(median(samples), 3),
        "min_s": round(min(s["wall"] for s in samples), 3),
        "max_s": round(max(s["wall"] for s in samples), 3),
        "per_node_ms": round(1000 * median(samples) / nodes, 2),
        "client_cpu_s": round(median(samples, "client_cpu"), 3),
        "endpoint_cpu_s": round(median(samples, "endpoint_cpu"), 3),
        "calls": calls,
        "calls_per_node": round(total / nodes, 3),
        "note": note,
    }


def summarize(args, samples):
    """Rows of the table and the targets of the classic cases that ran (``samples``: case -> its samples)."""
    one, big, loops, cancelled = (samples.get(case) for case in CLASSIC_CASES)
    rows, targets, info = [], [], {}
    if one:
        rows += [
            row("one-node task (ansible-playbook)", 1, one["task"]),
            row("  floor: ping playbook", 1, one["ping"]),
            row("  floor: boto3 script, 1 node", 1, one["floor"]),
        ]
    if big:
        rows += [
            row(f"bulk task, concurrency {CONCURRENCY}", args.bulk, big["task"]),
            row("  floor: boto3 script, same calls", args.bulk, big["floor"]),
            row("  ping playbook (same runs)", args.bulk, big["ping"], note="per-node figures not meaningful"),
        ]
    if loops:
        rows += [row("loop: over the module", args.loop, loops["module_loop"]), row("aws CLI shell loop", args.loop, loops["cli_loop"])]
    if big:
        rows += [row("no-op rerun (nodes already gone)", args.bulk, big["noop"]), row("  floor: boto3 script, describe only", args.bulk, big["floor_noop"])]
    if cancelled:
        rows += [
            row("cancel 1 command, wait", args.cancel, cancelled["task"], note=f"poll_interval {CANCEL_POLL_INTERVAL}s"),
            row("  floor: boto3 script, same calls", args.cancel, cancelled["floor"]),
        ]
    if big:
        ping, task, floor = median(big["ping"]), median(big["task"]), median(big["floor"])
        same_calls = all(s["calls"] == big["floor"][0]["calls"] for s in big["task"] + big["floor"])
        noop_calls = calls_of(big["noop"])
        noop_mutating = max(sum(s["calls"].get(op, 0) for op in MUTATING) for s in big["noop"])
        noop_describe = max(s["calls"].get(DESCRIBE, 0) for s in big["noop"])
        describe_limit = math.ceil(args.bulk / 50)
        targets.append(
            {
                "target": f"bulk task <= {TARGETS['bulk_vs_floor']}x floor (ping playbook + boto3 script)",
                "value": round(task / (ping + floor), 3),
                "limit": TARGETS["bulk_vs_floor"],
                "ok": task / (ping + floor) <= TARGETS["bulk_vs_floor"],
                "detail": f"{task:.2f}s vs {ping:.2f}s + {floor:.2f}s; same calls on both sides: {same_calls}",
            }
        )
        if loops:
            loop_per_node, bulk_per_node = median(loops["module_loop"]) / args.loop, task / args.bulk
            targets.append(
                {
                    "target": f">= {TARGETS['loop_speedup']:.0f}x faster per node than a loop over the module",
                    "value": round(loop_per_node / bulk_per_node, 1),
                    "limit": TARGETS["loop_speedup"],
                    "ok": loop_per_node / bulk_per_node >= TARGETS["loop_speedup"],
                    "detail": f"{1000 * bulk_per_node:.2f} ms vs {1000 * loop_per_node:.0f} ms per node",
                }
            )
        targets.append(
            {
                "target": f"no-op rerun: 0 mutating calls, <= ceil(N/50) = {describe_limit} describe calls",
                "value": {"mutating": noop_mutating, "describe": noop_describe},
                "limit": {"mutating": 0, "describe": describe_limit},
                "ok": noop_mutating == 0 and noop_describe <= describe_limit,
                "detail": f"{median(big['noop']):.2f}s, calls {noop_calls}",
            }
        )
        info.update(
            bulk_task_vs_script_alone=round(task / floor, 3),
            bulk_task_minus_ping_vs_script=round((task - ping) / floor, 3),
            bulk_calls_span_task_vs_script=round(median(big["task"], "calls_span") / median(big["floor"], "calls_span"), 3),
        )
    if one:
        ping_one, task_one, floor_one = median(one["ping"]), median(one["task"]), median(one["floor"])
        targets.append(
            {
                "target": f"one-node task <= {TARGETS['one_node_vs_floor']}x (ping playbook + boto3 script)",
                "value": round(task_one / (ping_one + floor_one), 3),
                "limit": TARGETS["one_node_vs_floor"],
                "ok": task_one / (ping_one + floor_one) <= TARGETS["one_node_vs_floor"],
                "detail": f"{task_one:.2f}s vs {ping_one:.2f}s + {floor_one:.2f}s",
            }
        )
    if cancelled:
        info["cancel_task_vs_script_alone"] = round(median(cancelled["task"]) / median(cancelled["floor"]), 3)
    if loops:
        info["aws_cli_vs_module_loop_per_node"] = round(median(loops["cli_loop"]) / median(loops["module_loop"]), 3)
    return rows, targets, info


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
    print("\ntargets (the fleet targets, then the rate-limited ones, then the decommission playbook's)")
    for target in results["targets"] + results["paced_targets"] + results["fleet_targets"]:
        value = target["value"]
        shown = value if isinstance(value, dict) else f"{value}"
        print(f"  {'PASS' if target['ok'] else 'MISS'}  {target['target']}: {shown}  ({target['detail']})")
    info = results["info"]
    if info:
        print(f"\nfor the record: {json.dumps(info)}")
    print(f"results: {results['output']}")


def main(argv):
    args = parse_args(argv[1:])
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "tmp").mkdir(exist_ok=True)
    started = time.monotonic()
    results = {
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "cases": args.cases,
            "runs": args.runs,
            "loop_runs": args.loop_runs,
            "bulk_nodes": args.bulk,
            "loop_nodes": args.loop,
            "cancel_nodes": args.cancel,
            "concurrency": CONCURRENCY,
            "latency_ms": args.latency_ms,
            "cancel_step_interval": CANCEL_STEP_INTERVAL,
            "cancel_poll_interval": CANCEL_POLL_INTERVAL,
            "warm_up": "one run of every command before the measured ones (3 nodes for the loops), not counted",
        },
        "load_before": list(os.getloadavg()),
        "output": str(args.output),
    }
    process, url = start_endpoint(WORK / "endpoint.url")
    samples, paced_rows, fleet_samples = {}, [], None
    try:
        runner = Runner(url, process.pid, args.latency_ms)
        print(f"endpoint {url} (pid {process.pid}); cases {', '.join(args.cases)}", flush=True)
        classic = {
            "one_node": ("one-node case", lambda: one_node(runner, args.runs)),
            "bulk": (f"bulk and no-op rerun, {args.bulk} nodes", lambda: bulk(runner, args.runs, args.bulk)),
            "loops": (f"per-node loops, {args.loop} nodes", lambda: per_node_loops(runner, args.loop_runs, args.loop)),
            "cancel": (f"cancel with wait, {args.cancel} nodes", lambda: cancel(runner, args.runs, args.cancel)),
        }
        for case in args.cases:
            if case in decommission.CASES:
                print(f"decommission playbook, {decommission.HOSTS} hosts against 1 ...", flush=True)
                fleet_samples = decommission.run_case(runner)
            elif case in classic:
                print(f"{classic[case][0]} ...", flush=True)
                samples[case] = classic[case][1]()
            else:
                print(f"rate-limited case {case} ...", flush=True)
                paced_rows += paced.run_case(runner, case)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    rows, targets, info = summarize(args, samples)
    results.update(
        load_after=list(os.getloadavg()),
        seconds=round(time.monotonic() - started, 1),
        rows=rows,
        targets=targets,
        info=info,
        paced_rows=paced_rows,
        paced_targets=paced.targets(paced_rows),
        fleet_rows=decommission.rows(fleet_samples) if fleet_samples else [],
        fleet_targets=decommission.targets(fleet_samples) if fleet_samples else [],
        samples=samples,
        fleet_samples=fleet_samples,
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print_table(results)
    print(f"bench took {results['seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
