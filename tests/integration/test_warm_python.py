"""The warm Python (warm_python.py) runs a file as the real Python does, and a module run gives the same result."""

import json
import subprocess

import pytest

from conftest import ANSIBLE_BIN
from conftest import MODULE_PYTHON
from conftest import adhoc

SCRIPT = """
import os, sys
print("out", sys.argv[1:], os.getcwd(), os.environ.get("WARM_PYTHON_PROBE"), oct(os.umask(0o22)))
print("err", file=sys.stderr)
sys.exit(int(sys.argv[1]))
"""

pytestmark = pytest.mark.skipif(MODULE_PYTHON == str(ANSIBLE_BIN / "python"), reason="the warm Python is off (HYBRIDOPS_TEST_COLD_PYTHON)")


def run(python, args, cwd, env):
    return subprocess.run(["/bin/sh", "-c", f"umask 027; exec {python} {args}"], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=60)


@pytest.mark.parametrize("code", [0, 7])
def test_a_file_runs_as_the_real_python_runs_it(code, tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "WARM_PYTHON_PROBE": "from-the-caller"}
    warm = run(MODULE_PYTHON, f"{script} {code} two", tmp_path, env)
    cold = run(ANSIBLE_BIN / "python", f"{script} {code} two", tmp_path, env)
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert warm.returncode == code
    assert warm.stdout == f"out ['{code}', 'two'] {tmp_path} from-the-caller 0o27\n"


def test_anything_else_goes_to_the_real_python(tmp_path):
    done = run(MODULE_PYTHON, "-c 'import sys; print(sys.executable); sys.exit(3)'", tmp_path, {"PATH": "/usr/bin:/bin"})
    assert done.returncode == 3
    assert done.stdout.strip() == str(ANSIBLE_BIN / "python")


def test_a_module_run_gives_what_a_cold_run_gives(control, ansible_env):
    control.seed_nodes(count=2)
    results = {}
    for side, python in (("warm", MODULE_PYTHON), ("cold", str(ANSIBLE_BIN / "python"))):
        env = {**ansible_env, "ANSIBLE_PYTHON_INTERPRETER": python}
        listed, status, result = adhoc(env, "hybridops.ssm.ssm_managed_instance_info", "region=us-east-1")
        refused, refused_status, refusal = adhoc(env, "hybridops.ssm.ssm_managed_instance", "instance_id=mi-1 state=absent")
        results[side] = (status, result, listed.returncode, refused_status, refusal, refused.returncode)
    assert results["warm"] == results["cold"]
    status, result, returncode, refused_status, refusal, refused_code = results["warm"]
    assert (status, returncode, len(result["instances"])) == ("SUCCESS", 0, 2), json.dumps(result)[:2000]
    assert (refused_status, refused_code) == ("FAILED!", 2) and "instance_id" in refusal["msg"], refusal
