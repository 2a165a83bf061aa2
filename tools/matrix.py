"""Every supported ansible-core with the oldest and newest supported amazon.aws: sanity, units, a smoke run and the hostile data test.

Usage: matrix.py [--cells CELL,...] [--steps sanity,units,smoke,hostile] [--jobs N] [--output FILE]

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
endpoint, checked against the endpoint's request log; and ``hostile``: tests/integration/test_hybrid_nodes_hostile_data.py
(node data holding Jinja, unicode, 5 KB names, through the inventory, an ad hoc task and the decommission
playbook) with the cell's ansible-core, since whether inventory data is templated depends on the core.

Cells run side by side (--jobs, default 2). The table gives pass/fail and seconds per step; the same goes
to build/matrix/results.json (or --output). The exit status is non-zero if any step of any cell failed.
Each step's output is in build/matrix/logs/CELL/STEP.log, and a failed step's last lines are printed.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "matrix"))

# pylint: disable=wrong-import-position
from cells import OLDEST_NEWEST  # noqa: E402
from cells import STEPS  # noqa: E402
from cells import WORK  # noqa: E402
from cells import all_cells  # noqa: E402
from cells import select  # noqa: E402
from steps import STEP_FUNCTIONS  # noqa: E402
from steps import Outcome  # noqa: E402
from steps import cell_env  # noqa: E402
from venvs import amazon_aws  # noqa: E402
from venvs import build_tree  # noqa: E402
from venvs import build_venv  # noqa: E402

_print_lock = threading.Lock()


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
