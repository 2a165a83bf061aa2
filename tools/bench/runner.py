"""`make bench`: the local SSM endpoint as a process, and the Runner that measures one command against it
(wall time, CPU on both sides, the SSM calls from the endpoint's request log)."""

import json
import os
import resource
import subprocess
import time
from collections import Counter
from pathlib import Path

from ssm_endpoint import EndpointControl  # tests/ is on sys.path (tools/bench.py puts it there)
from ssm_endpoint import endpoint_client
from ssm_endpoint import launch

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = ROOT / ".venv" / "bin"
BENCH = ROOT / "tools" / "bench"
WORK = ROOT / "build" / "bench"
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
REGION = "us-east-1"


class BenchError(RuntimeError):
    """A measured command failed: the figures would mean nothing."""


def start_endpoint():
    """``python -m ssm_endpoint`` with fixed settings, its port file in a folder of its own; returns the EndpointProcess."""
    try:
        # tidy profile: the bench measures what calls cost; the realistic profile's deregistration lag would
        # make the no-op rerun (run at once after the bulk run) see gone nodes still listed and call again.
        # Manual clock: commands move only when a case steps them, so every run sees the same states.
        return launch.start(BIN / "python", "--profile", "tidy", "--manual-clock", timeout=30, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except RuntimeError as error:
        raise BenchError(str(error)) from error


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
        return {"wall": wall, "entries": entries, "returncode": result.returncode, "stdout": result.stdout}

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
        client = endpoint_client(self.url, REGION, self.env["AWS_ACCESS_KEY_ID"], self.env["AWS_SECRET_ACCESS_KEY"])
        command = client.send_command(
            DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag:Bench", "Values": [tag_value]}], Parameters={"commands": ["sleep 3600"]}
        )
        return command["Command"]["CommandId"]
