"""Run the project's checks, print each one's output whole, its counts, and a summary.

Usage: run_checks.py [--jobs N] all | lint | sanity | units | endpoint | integration | importer | smoke | format

Every check runs even when another one failed, so one run shows every
problem; the exit status is non-zero if any check failed (pytest's "no tests
ran", exit status 5, is a failure too).

Checks run side by side (``--jobs``, default 2, or the CHECKS_JOBS variable):
the integration tests spend much of their time waiting on the modules'
backoff sleeps and on polls, which the CPU-bound checks (lint, sanity,
units, importer) fill. Longest first, so the long integration run starts at
once. The two ansible-test checks share one collection tree and its
tests/output/, so they never run at the same time. Each check's output is
kept and printed whole when it ends, so outputs never interleave; the
summary gives every check's wall and CPU seconds (its processes' user plus
system time, from wait4).
"""

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
TREE = ROOT / "build" / "collections" / "ansible_collections" / "hybridops" / "ssm"
DIST = ROOT / "build" / "dist"
# Automation Hub's checks on: version 1.0.0 or later, a required tag (tools/galaxy-importer.cfg)
IMPORTER_CONFIG = str(ROOT / "tools" / "galaxy-importer.cfg")
IMPORTER_FINDING = re.compile(r"^(WARNING|ERROR|CRITICAL): ")
PYTEST_SUMMARY = re.compile(r"=+ (.*\b(passed|failed|error|errors|skipped|no tests ran)\b.*) in [\d.]+s")
# pytest-xdist: one worker per CPU; the tests wait on the endpoint a good deal, so never fewer than two.
PYTEST_WORKERS = str(max(2, os.cpu_count() or 1))
# The integration tests wait about half their time (backoff sleeps against faults, polls, lags, the 60 s
# circuit of the outage test): two workers per CPU fill those waits (on 2 CPUs, a clean clone's make test:
# integration 412 s wall with 3 workers, 372 s with 4). INTEGRATION_WORKERS overrides.
INTEGRATION_WORKERS = os.environ.get("INTEGRATION_WORKERS") or str(max(4, 2 * (os.cpu_count() or 1)))

_print_lock = threading.Lock()
_tree_lock = threading.Lock()  # sanity and units: one ansible-test at a time in TREE


def _env():
    env = dict(os.environ)
    if not env.get("PATH", "").startswith(str(BIN)):
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / "build" / "collections")
    env.setdefault("ANSIBLE_LOCAL_TEMP", str(ROOT / "build" / "tmp"))
    env["ANSIBLE_NOCOLOR"] = "1"
    # integration targets include their helper role (setup_endpoint) by name
    env["ANSIBLE_ROLES_PATH"] = str(ROOT / "tests" / "integration" / "targets")
    env["PY_COLORS"] = "0"
    return env


class Step:
    """One command of a check: its output lines, exit status, wall and CPU seconds."""

    def __init__(self, command, cwd, env=None):
        self.command = [str(c) for c in command]
        self.cwd = cwd
        self.env = env or {}
        self.lines = []
        self.code = None
        self.seconds = 0.0
        self.cpu = 0.0

    def run(self):
        started = time.monotonic()
        with subprocess.Popen(self.command, cwd=self.cwd, env={**_env(), **self.env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
            for line in process.stdout:
                self.lines.append(line.rstrip("\n"))
            # wait4, not wait(): it also gives the CPU time of the process and of the descendants it waited for
            _pid, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            self.code = process.returncode
        self.seconds = time.monotonic() - started
        self.cpu = usage.ru_utime + usage.ru_stime
        return self.code == 0


class Result:
    def __init__(self, name, ok, counts, steps):
        self.name = name
        self.ok = ok
        self.counts = counts
        self.seconds = sum(s.seconds for s in steps)
        self.cpu = sum(s.cpu for s in steps)
        self.steps = steps


def _counts(name, lines):
    # ansible-test units runs one pytest per group (modules, module_utils): report each.
    summaries = [match.group(1) for match in map(PYTEST_SUMMARY.search, lines) if match]
    if summaries:
        return " + ".join(summaries)
    if name == "sanity":
        ran = [line for line in lines if line.startswith("Running sanity test")]
        return f"{len(ran)} sanity tests run"
    if name == "smoke":
        return next((line for line in reversed(lines) if line.startswith("wall ")), "")
    if name == "lint":
        for line in reversed(lines):
            if "Passed:" in line or "Failed:" in line:
                return line.strip()
    return ""


def _single(name, command, cwd, lock=None):
    step = Step(command, cwd)
    if lock:
        with lock:
            ok = step.run()
    else:
        ok = step.run()
    return Result(name, ok, _counts(name, step.lines), [step])


def _pytest(name, path, workers=PYTEST_WORKERS, options=()):
    # --dist loadgroup: tests that share a module-scoped fixture run on one worker (tests/conftest.py)
    return _single(name, [BIN / "python", "-m", "pytest", "-p", "no:cacheprovider", "-n", workers, "--dist", "loadgroup", *options, path], ROOT)


def lint():
    return _single("lint", [BIN / "ansible-lint", "--offline"], ROOT)


def sanity():
    return _single("sanity", [BIN / "ansible-test", "sanity", "--venv", "--python", "3.11", "--color", "no"], TREE, _tree_lock)


def units():
    return _single("units", [BIN / "ansible-test", "units", "--venv", "--python", "3.11", "--color", "no", "--requirements"], TREE, _tree_lock)


def endpoint():
    return _pytest("endpoint", "tests/endpoint")


# The hostile node data test runs in the smoke check instead, on the oldest and the newest ansible-core: 2.17
# renders inventory strings not marked unsafe, 2.21 trusts none, as 2.19 here does; a third run here would only
# lengthen the longest check.
HOSTILE_TEST = "tests/integration/test_hybrid_nodes_hostile_data.py"


def integration():
    return _pytest("integration", "tests/integration", INTEGRATION_WORKERS, ("--ignore", HOSTILE_TEST))


def importer():
    DIST.mkdir(parents=True, exist_ok=True)
    for old in DIST.glob("*.tar.gz"):
        old.unlink()
    build = Step([BIN / "ansible-galaxy", "collection", "build", "--force", "--output-path", DIST], TREE)
    if not build.run():
        return Result("importer", False, "build failed", [build])
    tarball = next(DIST.glob("hybridops-ssm-*.tar.gz"))
    check = Step([BIN / "python", "-m", "galaxy_importer.main", tarball], ROOT, {"GALAXY_IMPORTER_CONFIG": IMPORTER_CONFIG})
    ok = check.run()
    # galaxy-importer exits 0 after logging warnings (ansible-lint findings, a missing changelog): clean means none
    findings = [line for line in check.lines if IMPORTER_FINDING.match(line)]
    return Result("importer", ok and not findings, f"{len(findings)} warnings or errors", [build, check])


def smoke():
    """The smoke run and the hostile data test (tools/matrix.py) on the oldest and the newest supported ansible-core x amazon.aws.

    The integration run's ansible-core (2.19) trusts no inventory string whatever the plugin does: only a core
    before 2.19 shows whether the inventory still marks node data unsafe.
    """
    return _single(
        "smoke",
        [
            BIN / "python",
            ROOT / "tools" / "matrix.py",
            "--oldest-newest",
            "--steps",
            "smoke,hostile",
            "--jobs",
            "1",
            "--output",
            ROOT / "build" / "matrix" / "smoke.json",
        ],
        ROOT,
    )


def format_():
    """What ruff (ruff.toml) would change: import order, then formatting. ``make format`` applies it."""
    paths = ["plugins", "tests", "tools"]
    imports = Step([BIN / "ruff", "check", "--no-cache", *paths], ROOT)
    layout = Step([BIN / "ruff", "format", "--no-cache", "--check", *paths], ROOT)
    ok = imports.run()
    ok = layout.run() and ok
    return Result("format", ok, "", [imports, layout])


# In the order they start: longest first.
CHECKS = {
    "integration": integration,
    "sanity": sanity,
    "lint": lint,
    "endpoint": endpoint,
    "importer": importer,
    "smoke": smoke,
    "units": units,
    "format": format_,
}
# What "all" runs: every check.
ALL = ("integration", "sanity", "lint", "endpoint", "importer", "smoke", "units", "format")
# The order of the summary (and of the usage line).
ORDER = ("format", "lint", "sanity", "units", "endpoint", "integration", "importer", "smoke")


def _report(result):
    with _print_lock:
        for step in result.steps:
            print(f"\n=== {result.name}: {' '.join(step.command)}")
            print("\n".join(step.lines))
        print(f"=== {result.name}: {'PASS' if result.ok else 'FAIL'} in {result.seconds:.1f}s (cpu {result.cpu:.1f}s)", flush=True)


def _run_check(name):
    try:
        result = CHECKS[name]()
    except Exception as error:  # pylint: disable=broad-exception-caught  # one broken check must not hide the others
        result = Result(name, False, f"{type(error).__name__}: {error}", [])
    _report(result)
    return result


def main(argv):
    parser = argparse.ArgumentParser(description="Run the project's checks.")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("CHECKS_JOBS", "2")), help="checks run side by side (default 2)")
    parser.add_argument("checks", nargs="*", metavar="check", help=f"all (default), or some of: {', '.join(ORDER)}")
    args = parser.parse_args(argv[1:])
    names = list(ALL) if args.checks in ([], ["all"]) else args.checks
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        print(f"unknown check(s): {', '.join(unknown)}; choose from all, {', '.join(ORDER)}", file=sys.stderr)
        return 2
    names = [n for n in CHECKS if n in names]  # longest first
    print(f"checks: {', '.join(names)}; {max(1, args.jobs)} at a time, each one's output shown when it ends", flush=True)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = {r.name: r for r in pool.map(_run_check, names)}
    wall = time.monotonic() - started
    print("\n=== summary")
    ordered = [results[n] for n in ORDER if n in results]
    for r in ordered:
        print(f"{'PASS' if r.ok else 'FAIL'}  {r.name:<12} {r.seconds:6.1f}s  cpu {r.cpu:6.1f}s  {r.counts}")
    print(f"wall {wall:.1f}s, cpu {sum(r.cpu for r in ordered):.1f}s")
    passed = sum(1 for r in ordered if r.ok)
    print(f"checks: {passed} passed, {len(ordered) - passed} failed")
    return 0 if passed == len(ordered) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
