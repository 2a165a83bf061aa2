"""Run the project's checks in order, print each one's counts, and a summary.

Usage: run_checks.py all | lint | sanity | units | endpoint | integration | importer

Every check runs even when an earlier one failed, so one run shows every
problem; the exit status is non-zero if any check failed.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
TREE = ROOT / "build" / "collections" / "ansible_collections" / "hybridops" / "ssm"
DIST = ROOT / "build" / "dist"
PYTEST_SUMMARY = re.compile(r"=+ (.*\b(passed|failed|error|errors|skipped|no tests ran)\b.*) in [\d.]+s")


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


def _run(name, command, cwd):
    """Run one check with its output streamed; return (ok, counts text, seconds)."""
    print(f"\n=== {name}: {' '.join(str(c) for c in command)}", flush=True)
    started = time.monotonic()
    lines = []
    with subprocess.Popen(command, cwd=cwd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        for line in process.stdout:
            sys.stdout.write(line)
            lines.append(line.rstrip("\n"))
        code = process.wait()
    seconds = time.monotonic() - started
    return code == 0, _counts(name, lines), seconds


def _counts(name, lines):
    # ansible-test units runs one pytest per group (modules, module_utils): report each.
    summaries = [match.group(1) for match in map(PYTEST_SUMMARY.search, lines) if match]
    if summaries:
        return " + ".join(summaries)
    if name == "sanity":
        failed = [line for line in lines if line.startswith("Running sanity test")]
        return f"{len(failed)} sanity tests run"
    if name == "lint":
        for line in reversed(lines):
            if "Passed:" in line or "Failed:" in line:
                return line.strip()
    return ""


def lint():
    return _run("lint", [BIN / "ansible-lint", "--offline"], ROOT)


def sanity():
    return _run("sanity", [BIN / "ansible-test", "sanity", "--venv", "--python", "3.11", "--color", "no"], TREE)


def units():
    return _run("units", [BIN / "ansible-test", "units", "--venv", "--python", "3.11", "--color", "no", "--requirements"], TREE)


def endpoint():
    return _run("endpoint", [BIN / "python", "-m", "pytest", "-p", "no:cacheprovider", "tests/endpoint"], ROOT)


def integration():
    return _run("integration", [BIN / "python", "-m", "pytest", "-p", "no:cacheprovider", "tests/integration"], ROOT)


def importer():
    DIST.mkdir(parents=True, exist_ok=True)
    for old in DIST.glob("*.tar.gz"):
        old.unlink()
    ok, _counts_text, seconds = _run("build", [BIN / "ansible-galaxy", "collection", "build", "--force", "--output-path", DIST], TREE)
    if not ok:
        return ok, "build failed", seconds
    tarball = next(DIST.glob("hybridops-ssm-*.tar.gz"))
    ok, _counts_text, more = _run("importer", [BIN / "python", "-m", "galaxy_importer.main", tarball], ROOT)
    return ok, "", seconds + more


CHECKS = {"lint": lint, "sanity": sanity, "units": units, "endpoint": endpoint, "integration": integration, "importer": importer}


def main(argv):
    names = list(CHECKS) if argv[1:] in ([], ["all"]) else argv[1:]
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        print(f"unknown check(s): {', '.join(unknown)}; choose from all, {', '.join(CHECKS)}", file=sys.stderr)
        return 2
    results = []
    for name in names:
        ok, counts, seconds = CHECKS[name]()
        results.append((name, ok, counts, seconds))
    print("\n=== summary")
    for name, ok, counts, seconds in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name:<12} {seconds:6.1f}s  {counts}")
    passed = sum(1 for _n, ok, _c, _s in results if ok)
    print(f"checks: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
