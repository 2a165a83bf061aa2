"""`make matrix`: the steps run in a built cell (sanity, units, the smoke run, the hostile data test) and what each one did."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from cells import BIN
from cells import CORES
from cells import HOSTILE_TEST
from cells import ROOT
from cells import STEP_TIMEOUT
from cells import WORK

SMOKE_PLAYBOOK = ROOT / "tests" / "smoke" / "smoke.yml"


@dataclass
class Outcome:
    """What one step of a cell did."""

    ok: bool
    seconds: float = 0.0
    cpu: float = 0.0
    detail: str = ""
    extra: dict = field(default_factory=dict)

    def add(self, other):
        self.seconds += other.seconds
        self.cpu += other.cpu


def run_timed(command, log, env, cwd, timeout=STEP_TIMEOUT):
    """Run ``command`` with stdout and stderr appended to ``log``; its outcome with wall and CPU seconds (wait4)."""
    started = time.monotonic()
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(str(c) for c in command)}\n")
        out.flush()
        offset = out.tell()
        process = subprocess.Popen([str(c) for c in command], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
    with open(log, encoding="utf-8") as out:
        out.seek(offset)
        text = out.read()
    outcome = Outcome(process.returncode == 0, time.monotonic() - started, usage.ru_utime + usage.ru_stime)
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"# exit {process.returncode}, {outcome.seconds:.1f}s wall, {outcome.cpu:.1f}s CPU\n")
    if process.returncode:
        outcome.detail = f"exit {process.returncode}"
    return outcome, text


def cell_env(cell):
    env = dict(os.environ)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(name, None)
    env.update(
        PATH=f"{cell.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        # ansible-test keeps its sanity virtualenvs and its pip bootstrap under ~/.ansible/test: one home per
        # ansible-core and Python, so that cells of different cores never build the same one at once.
        HOME=str(WORK / "home" / f"core{cell.core_version}-py{cell.python}"),
        PIP_CACHE_DIR=str(WORK / "pip-cache"),
        ANSIBLE_COLLECTIONS_PATH=str(cell.home / "collections"),
        ANSIBLE_LOCAL_TEMP=str(cell.home / "tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        ANSIBLE_PYTHON_INTERPRETER=str(cell.venv / "bin" / "python"),
        PY_COLORS="0",
    )
    Path(env["HOME"]).mkdir(parents=True, exist_ok=True)
    return env


def offline_pip_bootstrap(cell, env):
    """ansible-test bootstraps pip with a get-pip.py from a host this network may not reach; tools/get_pip_offline.py
    (the standard library's ensurepip, then pip) stands in, under the name this ansible-test looks for."""
    source = (cell.venv / "lib" / f"python{cell.python}" / "site-packages" / "ansible_test" / "_internal" / "python_requirements.py").read_text()
    cache = Path(env["HOME"]) / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    for version in set(re.findall(r"pip='([0-9.]+)'", source)):
        shutil.copy(ROOT / "tools" / "get_pip_offline.py", cache / f"get_pip_{version.replace('.', '_')}.py")


_sanity_locks = {core: threading.Lock() for core in CORES}


def sanity(cell, env, log):
    offline_pip_bootstrap(cell, env)
    with _sanity_locks[cell.core]:  # the two cells of one core share its sanity virtualenvs
        outcome, text = run_timed(["ansible-test", "sanity", "--venv", "--python", cell.python, "--color", "no"], log, env, cell.tree)
    outcome.detail = outcome.detail or f"{sum(1 for line in text.splitlines() if line.startswith('Running sanity test'))} tests"
    return outcome


PYTEST_SUMMARY = re.compile(r"=+ (.*\b(?:passed|failed|errors?)\b.*) in [\d.]+s")


def units(cell, env, log):
    # --python: with --local alone, ansible-test tries every Python version it supports that PATH offers.
    outcome, text = run_timed(["ansible-test", "units", "--local", "--python", cell.python, "--color", "no"], log, env, cell.tree)
    counts = PYTEST_SUMMARY.findall(text)
    outcome.detail = " + ".join(counts) or outcome.detail
    return outcome


def _plugins():
    """Every plugin (by type) and role of the collection, by fully qualified name."""
    names = {
        "module": sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__"),
        "inventory": sorted(p.stem for p in (ROOT / "plugins" / "inventory").glob("*.py") if p.stem != "__init__"),
        "role": sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists()),
    }
    return {kind: [f"hybridops.ssm.{n}" for n in found] for kind, found in names.items() if found}


def _endpoint_control():
    """tests/ssm_endpoint/control.py's EndpointControl (standard library only), without importing the endpoint."""
    spec = importlib.util.spec_from_file_location("hybridops_endpoint_control", ROOT / "tests" / "ssm_endpoint" / "control.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EndpointControl


def _launch():
    """tests/ssm_endpoint/launch.py (standard library only), without importing the endpoint."""
    spec = importlib.util.spec_from_file_location("hybridops_endpoint_launch", ROOT / "tests" / "ssm_endpoint" / "launch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def start_endpoint(cell):
    """The endpoint as a process (its port file in a folder of its own); its output goes to the cell's endpoint.log."""
    log = open(cell.home / "endpoint.log", "w", encoding="utf-8")  # pylint: disable=consider-using-with  # closed by stop_endpoint
    try:
        # Manual clock: the smoke run sends no command, and nothing should move on its own.
        endpoint = _launch().start(BIN / "python", "--profile", "tidy", "--manual-clock", stdout=log, stderr=subprocess.STDOUT)
    except RuntimeError as error:
        log.close()
        raise RuntimeError(f"{error}: see {cell.home / 'endpoint.log'}") from error
    return endpoint, log, endpoint.url


def stop_endpoint(endpoint, log):
    endpoint.stop()
    log.close()


def smoke(cell, env, log):
    """ansible-doc of every plugin and role, then one module call and one role run against the endpoint."""
    total = Outcome(True)
    warnings = 0
    for kind, names in _plugins().items():
        outcome, text = run_timed(["ansible-doc", "--json", "-t", kind, *names], log, env, cell.home)
        total.add(outcome)
        documented = _documented(text)
        missing = [n for n in names if n not in documented]
        if not outcome.ok or missing:
            total.ok = False
            total.detail = f"ansible-doc -t {kind}: {outcome.detail or 'no documentation for ' + ', '.join(missing)}"
            return total
    process, endpoint_log, url = start_endpoint(cell)
    try:
        control = _endpoint_control()(url)
        control.reset()
        module_node = control.seed_nodes(1, name_prefix="smoke-module", ping_status="ConnectionLost", last_ping_days_ago=45)["instance_ids"][0]
        stale = control.seed_nodes(2, name_prefix="smoke-stale", ping_status="ConnectionLost", last_ping_days_ago=45, tags={"Site": "smoke"})["instance_ids"]
        online = control.seed_nodes(1, name_prefix="smoke-online", ping_status="Online", tags={"Site": "smoke"})["instance_ids"]
        control.clear_log()
        play_env = dict(
            env,
            AWS_ACCESS_KEY_ID="AKIDHYBRIDOPSTEST",
            AWS_SECRET_ACCESS_KEY="hybridops-test-secret",
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_URL=url,
        )
        extra = json.dumps({"smoke_module_node": module_node, "smoke_stale_nodes": stale})
        outcome, text = run_timed(["ansible-playbook", "-i", "localhost,", SMOKE_PLAYBOOK, "-e", extra], log, play_env, cell.home)
        total.add(outcome)
        warnings = text.count("[DEPRECATION WARNING]")
        deregistered = sorted(e["params"]["InstanceId"] for e in control.log() if e["operation"] == "DeregisterManagedInstance")
    finally:
        stop_endpoint(process, endpoint_log)
    total.extra["deprecation_warnings"] = warnings
    if not outcome.ok:
        total.ok, total.detail = False, f"smoke.yml: {outcome.detail}"
    elif deregistered != sorted([module_node, *stale]):
        total.ok, total.detail = False, f"request log: deregistered {deregistered}, expected {sorted([module_node, *stale])} (never {online})"
    else:
        total.detail = f"{len(deregistered)} deregistered as expected" + (f"; {warnings} deprecation warnings" if warnings else "")
    return total


def hostile(cell, env, log):
    """The hostile node data test (Jinja, unicode, 5 KB names in what nodes report) with the cell's ansible-core.

    Templating of inventory data differs between cores (2.19 trusts no inventory string; 2.17 and 2.18
    render what is not marked unsafe), so this runs on each. pytest and the endpoint are the project's
    (.venv); the test runs ansible-inventory, ansible and ansible-playbook from the cell's virtualenv on the
    cell's collection tree.
    """
    test_env = dict(env, HYBRIDOPS_TEST_ANSIBLE_BIN=str(cell.venv / "bin"), HYBRIDOPS_TEST_COLLECTIONS=str(cell.home / "collections"))
    basetemp = cell.home / "pytest"
    shutil.rmtree(basetemp, ignore_errors=True)
    command = [BIN / "python", "-m", "pytest", "-p", "no:cacheprovider", "--basetemp", basetemp, HOSTILE_TEST]
    outcome, text = run_timed(command, log, test_env, ROOT)
    outcome.detail = " + ".join(PYTEST_SUMMARY.findall(text)) or outcome.detail
    return outcome


def _documented(text):
    """The names ansible-doc --json documented (its JSON is the output's first line that starts with "{")."""
    start = text.find("\n{")
    start = 0 if text.startswith("{") else start + 1
    try:
        data = json.loads(text[start : text.rindex("}") + 1]) if start >= 0 else {}
    except ValueError:
        return set()
    return {name for name, entry in data.items() if entry and (entry.get("doc") or entry.get("entry_points"))}


STEP_FUNCTIONS = {"sanity": sanity, "units": units, "smoke": smoke, "hostile": hostile}
