"""Every supported ansible-core with the oldest and newest supported amazon.aws: sanity, units and a smoke run.

Usage: matrix.py [--cells CELL,...] [--steps sanity,units,smoke] [--jobs N] [--output FILE]

A cell is one ansible-core release with one amazon.aws release (and the boto3/botocore the project pins,
or the floor it declares). For each cell this builds, once and cached under build/matrix/:
- a virtualenv (uv: about a second from its cache, where pip took tens of seconds and byte-compiled
  everything) with that ansible-core, boto3/botocore and ansible-test's unit-test requirements, on the
  Python that ansible-core supports (3.12 for 2.20 and later, found under pyenv when not on PATH);
- amazon.aws taken from the `ansible` package release that bundles that version (the only registry that
  carries amazon.aws is PyPI's `ansible`; only ansible_collections/amazon/aws is extracted from its wheel);
- a collection tree with a copy of this working tree as hybridops.ssm and that amazon.aws beside it.
Then it runs, in the cell: ``ansible-test sanity --venv`` (sanity pins its own tools per ansible-core),
``ansible-test units --local`` (in the cell's virtualenv) and the smoke: ``ansible-doc`` of every plugin and
role of the collection, and tests/smoke/smoke.yml (one module call, one role run) against the local SSM
endpoint, checked against the endpoint's request log.

Cells run side by side (--jobs, default 2). The table gives pass/fail and seconds per step; the same goes
to build/matrix/results.json (or --output). The exit status is non-zero if any step of any cell failed.
Each step's output is in build/matrix/logs/CELL/STEP.log, and a failed step's last lines are printed.
"""

import argparse
import datetime
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
# MATRIX_DIR: another build directory, for a second run side by side with one in build/matrix.
WORK = Path(os.environ.get("MATRIX_DIR", ROOT / "build" / "matrix")).resolve()
SMOKE_PLAYBOOK = ROOT / "tests" / "smoke" / "smoke.yml"

# ansible-core minor: (the newest patch release on PyPI when the matrix was last updated, the Python to run it on).
# ansible-core 2.20 and later need Python >= 3.12 on the controller.
CORES = {
    "2.17": ("2.17.14", "3.11"),
    "2.18": ("2.18.19", "3.11"),
    "2.19": ("2.19.14", "3.11"),
    "2.20": ("2.20.10", "3.12"),
    "2.21": ("2.21.5", "3.12"),
}
# amazon.aws release: the `ansible` package release that bundles it. 10.1.1 is the oldest 10.x any `ansible`
# release bundles (ansible 12.0.0); no release bundles 10.0.0.
AMAZON_AWS = {"10.1.1": "12.0.0", "11.4.0": "14.5.0"}


def _boto_floor():
    """The boto3/botocore floor the collection declares (requirements.txt), tested in one cell of its own."""
    floors = set(re.findall(r"^(?:boto3|botocore)>=([0-9.]+)", (ROOT / "requirements.txt").read_text(), re.MULTILINE))
    if len(floors) != 1:
        raise SystemExit(f"requirements.txt: boto3 and botocore should share one floor, found {sorted(floors) or 'none'}")
    return floors.pop()


STEPS = ("sanity", "units", "smoke")
# A step still running after an hour is stopped (exit -9); a sanity run on a busy 2-CPU machine took 15-30 minutes.
STEP_TIMEOUT = 3600

_print_lock = threading.Lock()


def _pinned(name):
    """The version tests/constraints.txt pins for ``name``."""
    for line in (ROOT / "tests" / "constraints.txt").read_text().splitlines():
        if line.lower().startswith(f"{name}=="):
            return line.split("==", 1)[1].strip()
    raise SystemExit(f"tests/constraints.txt pins no {name}")


@dataclass
class Cell:
    """One ansible-core x amazon.aws (x boto) combination and the steps it runs."""

    core: str
    aws: str
    boto: str = ""
    steps: tuple = STEPS
    results: dict = field(default_factory=dict)

    @property
    def name(self):
        return f"{self.core}-aws{self.aws}" + (f"-boto{self.boto}" if self.boto else "")

    @property
    def core_version(self):
        return CORES[self.core][0]

    @property
    def python(self):
        return CORES[self.core][1]

    @property
    def boto_version(self):
        return self.boto or _pinned("boto3")

    @property
    def home(self):
        return WORK / "cells" / self.name

    @property
    def tree(self):
        return self.home / "collections" / "ansible_collections" / "hybridops" / "ssm"

    @property
    def venv(self):
        return WORK / "venvs" / f"core{self.core_version}-py{self.python}-boto{self.boto_version}"


def all_cells():
    cells = [Cell(core, aws) for core in CORES for aws in AMAZON_AWS]
    # The boto3/botocore floor with the amazon.aws that asks the most of it (11.x warns below botocore 1.35).
    # Sanity runs in ansible-test's own virtualenvs and never sees the cell's boto3, so it is not repeated here.
    cells.append(Cell("2.19", "11.4.0", boto=_boto_floor(), steps=("units", "smoke")))
    return cells


OLDEST_NEWEST = ("2.17-aws10.1.1", "2.21-aws11.4.0")


def select(cells, wanted):
    """Cells named in ``wanted`` (exact names, or an ansible-core minor for all of its cells), in matrix order."""
    if not wanted:
        return cells
    chosen = [c for c in cells if any(w in (c.name, c.core) for w in wanted)]
    unknown = [w for w in wanted if not any(w in (c.name, c.core) for c in cells)]
    if unknown:
        raise SystemExit(f"unknown cell(s): {', '.join(unknown)}; choose from {', '.join(c.name for c in cells)} or a core minor")
    return chosen


# --- building a cell ---------------------------------------------------------------------------------------


def find_python(minor):
    """The path of a real Python ``minor`` interpreter: this one, one on PATH, or pyenv's (whose shims refuse
    without PYENV_VERSION, so the interpreter itself is used)."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == minor:
        base = getattr(sys, "_base_executable", sys.executable)
        if base and Path(base).exists():
            return base
    on_path = shutil.which(f"python{minor}")
    if on_path and "shims" not in on_path:
        return on_path
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted(pyenv_root.glob(f"versions/{minor}.*/bin/python{minor}"), key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.parent.name)])
    if found:
        return str(found[-1])
    raise SystemExit(f"Python {minor} not found (PATH or {pyenv_root}/versions): ansible-core needs it; install it, e.g. `pyenv install {minor}`")


def _uv_env():
    env = dict(os.environ)
    env.update(UV_CACHE_DIR=str(WORK / "uv-cache"), UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    return env


def _run(command, log, env=None, cwd=ROOT):
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(str(c) for c in command)}\n")
        out.flush()
        return subprocess.run([str(c) for c in command], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode == 0


def build_venv(cell, log):
    """The cell's virtualenv (shared by the cells of one ansible-core, Python and boto), rebuilt when its spec changes."""
    uv = BIN / "uv"
    python = find_python(cell.python)
    spec = [f"ansible-core=={cell.core_version}", f"boto3=={cell.boto_version}", f"botocore=={cell.boto_version}"]
    stamp = cell.venv / ".matrix-spec"
    want = hashlib.sha256(json.dumps([python, spec, (ROOT / "tests" / "unit" / "requirements.txt").read_text()]).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return True
    shutil.rmtree(cell.venv, ignore_errors=True)
    env = _uv_env()
    venv_python = cell.venv / "bin" / "python"
    if not (
        _run([uv, "venv", "--quiet", "--python", python, cell.venv], log, env)
        and _run([uv, "pip", "install", "--quiet", "--python", venv_python, *spec], log, env)
    ):
        return False
    # ansible-test units --local runs in this virtualenv: its own unit-test requirements (and constraints) and ours.
    data = Path(subprocess.check_output([venv_python, "-c", "import ansible_test, os; print(os.path.dirname(ansible_test.__file__))"], text=True).strip())
    requirements = data / "_data" / "requirements"
    if not _run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            venv_python,
            *spec,
            "-r",
            requirements / "units.txt",
            "-r",
            ROOT / "tests" / "unit" / "requirements.txt",
            "-c",
            requirements / "constraints.txt",
        ],
        log,
        env,
    ):
        return False
    stamp.write_text(want)
    return True


def amazon_aws(version, log):
    """ansible_collections/amazon/aws of ``version``, extracted from the `ansible` wheel that bundles it."""
    target = WORK / "amazon.aws" / version
    done = target / ".extracted"
    if done.exists():
        return target / "ansible_collections" / "amazon"
    wheels = WORK / "wheels"
    wheel = wheels / f"ansible-{AMAZON_AWS[version]}-py3-none-any.whl"
    if not wheel.exists():
        # pip is the only client that downloads a wheel without installing it; the release may need a newer
        # Python than this one, which does not matter for the files taken from it.
        if not _run([BIN / "pip", "download", "--quiet", "--no-deps", "--ignore-requires-python", "-d", wheels, f"ansible=={AMAZON_AWS[version]}"], log):
            return None
    shutil.rmtree(target, ignore_errors=True)
    prefix = "ansible_collections/amazon/aws/"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target, [n for n in archive.namelist() if n.startswith(prefix)])
    manifest = json.loads((target / prefix / "MANIFEST.json").read_text())
    found = manifest["collection_info"]["version"]
    if found != version:
        raise SystemExit(f"ansible {AMAZON_AWS[version]} bundles amazon.aws {found}, not {version}: update AMAZON_AWS in tools/matrix.py")
    done.write_text(version)
    return target / "ansible_collections" / "amazon"


def _ignored(directory, names):
    """What a copy of the working tree leaves out: virtualenvs, build outputs, git, caches."""
    top = Path(directory) == ROOT
    return [
        n
        for n in names
        if n in {"__pycache__", ".pytest_cache", ".ansible"}
        or n.endswith(".tar.gz")
        or (top and n in {".venv", "build", ".git"})
        or (Path(directory) == ROOT / "tests" and n == "output")
    ]


def build_tree(cell, amazon):
    """A copy of the working tree as hybridops.ssm (ansible-test resolves links, so a copy), amazon.aws beside it."""
    shutil.rmtree(cell.home / "collections", ignore_errors=True)
    shutil.copytree(ROOT, cell.tree, symlinks=True, ignore=_ignored)
    # ansible-test lists a collection's files with git when it sits in a work tree: make the copy one.
    subprocess.run(["git", "init", "-q", str(cell.tree)], check=True)
    (cell.tree.parent.parent / "amazon").symlink_to(amazon, target_is_directory=True)


# --- running a step ----------------------------------------------------------------------------------------


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


def start_endpoint(cell):
    port_file = cell.home / "endpoint.url"
    port_file.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tests"))
    log = open(cell.home / "endpoint.log", "w", encoding="utf-8")  # pylint: disable=consider-using-with  # closed by stop_endpoint
    process = subprocess.Popen(
        [BIN / "python", "-m", "ssm_endpoint", "--port", "0", "--port-file", port_file, "--profile", "tidy"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if port_file.exists() and port_file.read_text().strip():
            return process, log, port_file.read_text().strip()
        time.sleep(0.1)
    stop_endpoint(process, log)
    raise RuntimeError(f"the SSM endpoint did not start: see {cell.home / 'endpoint.log'}")


def stop_endpoint(process, log):
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
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


def _documented(text):
    """The names ansible-doc --json documented (its JSON is the output's first line that starts with "{")."""
    start = text.find("\n{")
    start = 0 if text.startswith("{") else start + 1
    try:
        data = json.loads(text[start : text.rindex("}") + 1]) if start >= 0 else {}
    except ValueError:
        return set()
    return {name for name, entry in data.items() if entry and (entry.get("doc") or entry.get("entry_points"))}


STEP_FUNCTIONS = {"sanity": sanity, "units": units, "smoke": smoke}


def run_cell(cell, steps):
    """Build the cell (once per run) and run those of ``steps`` it has; print what it did."""
    logs = WORK / "logs" / cell.name
    if "build" not in cell.results:
        shutil.rmtree(logs, ignore_errors=True)
        logs.mkdir(parents=True)
        started = time.monotonic()
        try:
            amazon = amazon_aws(cell.aws, logs / "build.log")
            ok = amazon is not None and build_venv(cell, logs / "build.log")
            if ok:
                build_tree(cell, amazon)
        except (OSError, subprocess.SubprocessError, RuntimeError) as error:
            ok = False
            with open(logs / "build.log", "a", encoding="utf-8") as out:
                out.write(f"{type(error).__name__}: {error}\n")
        cell.results["build"] = Outcome(ok, time.monotonic() - started, detail="" if ok else f"see {logs / 'build.log'}")
    ok = cell.results["build"].ok
    env = cell_env(cell)
    ran = []
    for step in steps:
        if step not in cell.steps:
            continue
        ran.append(step)
        if not ok:
            cell.results[step] = Outcome(False, detail="not run: the cell did not build")
            continue
        try:
            cell.results[step] = STEP_FUNCTIONS[step](cell, env, logs / f"{step}.log")
        except (OSError, subprocess.SubprocessError, RuntimeError, ValueError) as error:
            cell.results[step] = Outcome(False, detail=f"{type(error).__name__}: {error}")
    _report(cell, logs, ran)
    return cell


def _report(cell, logs, ran):
    with _print_lock:
        marks = ", ".join(f"{step} {'PASS' if r.ok else 'FAIL'} {r.seconds:.0f}s" for step, r in cell.results.items() if step in ran)
        print(f"=== {cell.name}: {marks}", flush=True)
        for step, result in cell.results.items():
            if step not in ran:
                continue
            if not result.ok:
                print(f"--- {cell.name} {step}: {result.detail}")
                log = logs / f"{step}.log"
                if log.exists():
                    print("\n".join(log.read_text(errors="replace").splitlines()[-40:]), flush=True)


def table(cells, steps):
    shown = ["build", *steps]
    header = f"{'cell':<28} {'python':<7}" + "".join(f" {s:<14}" for s in shown)
    lines = [header, "-" * len(header)]
    for cell in cells:
        row = f"{cell.name:<28} {cell.python:<7}"
        for step in shown:
            result = cell.results.get(step)
            row += f" {('-' if result is None else ('pass' if result.ok else 'FAIL') + f' {result.seconds:5.0f}s'):<14}"
        lines.append(row)
    return "\n".join(lines)


def _document(cells, jobs, wall):
    """results.json: the run, and every cell that has run."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "jobs": jobs,
        "wall_seconds": round(wall, 1),
        "cells": [
            {
                "cell": c.name,
                "ansible_core": c.core_version,
                "amazon_aws": c.aws,
                "python": c.python,
                "boto3_botocore": c.boto_version,
                "steps": {
                    step: {"ok": r.ok, "seconds": round(r.seconds, 1), "cpu_seconds": round(r.cpu, 1), "detail": r.detail, **r.extra}
                    for step, r in c.results.items()
                },
            }
            for c in cells
            if c.results
        ],
    }


def main(argv):
    parser = argparse.ArgumentParser(description="Sanity, units and a smoke run on every supported ansible-core x amazon.aws.")
    parser.add_argument("--cells", default=os.environ.get("CELLS", ""), help="comma-separated cells or core minors (default: all)")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, of {', '.join(STEPS)}")
    parser.add_argument("--oldest-newest", action="store_true", help=f"only {' and '.join(OLDEST_NEWEST)}")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MATRIX_JOBS", "2")), help="cells side by side (default 2)")
    parser.add_argument("--output", default=str(WORK / "results.json"))
    args = parser.parse_args(argv[1:])
    steps = [s for s in args.steps.split(",") if s]
    if any(s not in STEPS for s in steps):
        raise SystemExit(f"--steps: choose from {', '.join(STEPS)}")
    wanted = list(OLDEST_NEWEST) if args.oldest_newest else [w for w in re.split(r"[,\s]+", args.cells) if w]
    cells = [c for c in select(all_cells(), wanted) if any(s in c.steps for s in steps)]
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"matrix: {len(cells)} cell(s), steps {', '.join(steps)}, {args.jobs} at a time; logs in {WORK / 'logs'}", flush=True)
    started = time.monotonic()
    # Each amazon.aws is extracted once, before the cells that share it start side by side.
    for version in sorted({c.aws for c in cells}):
        (WORK / "logs").mkdir(parents=True, exist_ok=True)
        amazon_aws(version, WORK / "logs" / "amazon.aws.log")
    # Started interleaved (every core's first cell, then every core's second): the cells of one core wait
    # for each other's sanity, so side by side cells should be of different cores.
    rank = {c.name: [d.core for d in cells[:i]].count(c.core) for i, c in enumerate(cells)}
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_lock = threading.Lock()

    def run_and_record(cell, phase):
        run_cell(cell, phase)
        with write_lock:  # after every cell, so an interrupted run keeps what it found
            output.write_text(json.dumps(_document(cells, args.jobs, time.monotonic() - started), indent=2) + "\n")

    # The quick steps of every cell first, then sanity (minutes a cell): an early look at every cell.
    phases = [[s for s in steps if s != "sanity"], [s for s in steps if s == "sanity"]]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for phase in [p for p in phases if p]:
            list(pool.map(lambda c, phase=phase: run_and_record(c, phase), sorted(cells, key=lambda c: rank[c.name])))
    wall = time.monotonic() - started
    print("\n" + table(cells, steps))
    failed = [c.name for c in cells if not all(r.ok for r in c.results.values())]
    print(f"wall {wall:.0f}s; cells: {len(cells) - len(failed)} passed, {len(failed)} failed" + (f" ({', '.join(failed)})" if failed else ""))
    output.write_text(json.dumps(_document(cells, args.jobs, wall), indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
