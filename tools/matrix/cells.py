"""`make matrix`: the cells (ansible-core x amazon.aws x boto3/botocore) and the versions they pin."""

import os
import re
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = ROOT / ".venv" / "bin"
# MATRIX_DIR: another build directory, for a second run side by side with one in build/matrix.
WORK = Path(os.environ.get("MATRIX_DIR", ROOT / "build" / "matrix")).resolve()
SMOKE_PLAYBOOK = ROOT / "tests" / "smoke" / "smoke.yml"
HOSTILE_TEST = ROOT / "tests" / "integration" / "test_hybrid_nodes_hostile_data.py"

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


STEPS = ("sanity", "units", "smoke", "hostile")
# A step still running after an hour is stopped (exit -9); a sanity run on a busy 2-CPU machine took 15-30 minutes.
STEP_TIMEOUT = 3600


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
    cells.append(Cell("2.19", "11.4.0", boto=_boto_floor(), steps=("units", "smoke", "hostile")))
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
