"""windows_host.py and powershell.py: AWS-RunPowerShellScript is parsed (tree-sitter) and modelled on a Windows host."""

import base64

import pytest
from endpoint_helpers import fixture_lines
from endpoint_helpers import run_command

from ssm_endpoint.powershell import ParserError
from ssm_endpoint.powershell import parse
from ssm_endpoint.windows_host import KEY_FILES
from ssm_endpoint.windows_host import REGISTRATION
from ssm_endpoint.windows_host import WindowsHost

DOC = "AWS-RunPowerShellScript"


@pytest.fixture(name="node")
def fixture_node(control):
    """One Online node with a Windows host (registration, vault keys, AmazonSSMAgent running)."""
    return control.seed_nodes(1, platform_type="Windows", host=True)["instance_ids"][0]


def test_seeded_windows_node(control, node):
    state = control.host(node)
    assert (state["platform"], state["executed"], state["agent_running"]) == ("Windows", False, True)
    assert node in state["files"][REGISTRATION] and all(state["files"][k] for k in KEY_FILES)
    assert state["services"]["AmazonSSMAgent"] == {"status": "Running", "start_type": "Automatic"}


def test_syntax_error_fails_as_a_parser_error(ssm, control, node):
    answer = run_command(ssm, control, node, ["$x = 1", "if ($x) { Write-Output 'one'"], document=DOC)
    assert (answer["Status"], answer["ResponseCode"]) == ("Failed", 1)
    assert "ParserError" in answer["StandardErrorContent"] and "Missing closing '}'" in answer["StandardErrorContent"]
    assert control.host(node)["agent_calls"] == []


@pytest.mark.parametrize("script", ["Write-Output 'unterminated", "Stop-Service -Name (AmazonSSMAgent", "function f { "])
def test_parser_errors(script):
    with pytest.raises(ParserError, match="ParserError"):
        parse(script)


def test_cleanup_script_hands_off_and_clears_the_node(ssm, control, node):
    answer = run_command(ssm, control, node, fixture_lines("cleanup_windows.ps1"), document=DOC)
    assert (answer["Status"], answer["ResponseCode"], answer["StandardErrorContent"]) == ("Success", 0, "")
    # The script returned (and was reported) first: the task it registered ran on a later step, outside the agent,
    # so stopping the agent there killed nothing.
    state = control.host(node)
    assert [(t["name"], t["state"], t["result"]["exit_code"]) for t in state["tasks"]] == [("hybridops-ssm-cleanup", "Ran", 0)]
    assert state["services"]["AmazonSSMAgent"] == {"status": "Stopped", "start_type": "Disabled"}
    assert state["agent_calls"] == [["-register", "-clear"]]
    assert state["files"][REGISTRATION] is None and all(state["files"][k] is None for k in KEY_FILES)
    assert state["files"][r"C:\Users\Administrator\.aws\credentials"]  # a user's own profile stays
    assert not state["agent_running"]
    control.step()
    control.advance(300)
    control.step()
    assert control.host(node)["ping_status"] == "ConnectionLost"


def test_stopping_the_agent_inline_kills_the_script_unreported(ssm, control, node):
    script = ["Stop-Service AmazonSSMAgent -Force", 'Remove-Item -Path "$env:ProgramData\\Amazon\\SSM\\InstanceData\\registration"']
    answer = run_command(ssm, control, node, script, document=DOC, max_steps=4)
    assert answer["Status"] == "InProgress"
    state = control.host(node)
    assert state["services"]["AmazonSSMAgent"]["status"] == "Stopped" and state["files"][REGISTRATION]


def test_shell_script_on_windows_is_an_invalid_platform(ssm, control, node):
    answer = run_command(ssm, control, node, ["echo hi"])
    assert (answer["Status"], answer["StatusDetails"]) == ("Failed", "InvalidPlatform")


def test_model_forms_of_the_same_cleanup():
    """Piped Get-Service, sc.exe, Start-Process, schtasks with an encoded command, wildcards: the model reads them all."""
    host = WindowsHost("mi-0123456789abcdef0", "us-east-1")
    inner = "Get-Service AmazonSSMAgent | Stop-Service -Force\nsc.exe config AmazonSSMAgent start= disabled\n"
    inner += "Start-Process -FilePath \"$env:ProgramFiles\\Amazon\\SSM\\amazon-ssm-agent.exe\" -ArgumentList '-register','-clear' -Wait\n"
    inner += 'Remove-Item "$env:ProgramData\\Amazon\\SSM\\InstanceData\\*" -Recurse -Force\n'
    encoded = base64.b64encode(inner.encode("utf-16-le")).decode()
    script = f'schtasks /create /tn cleanup /tr "powershell.exe -NoProfile -EncodedCommand {encoded}" /sc once /st 00:00 /ru SYSTEM /f\n'
    script += "schtasks /run /tn cleanup\n"
    assert host.run_script(script)[0::3] == (0, True)
    assert host.agent_running()  # handed off: nothing happened yet
    host.step(0)  # the step that queued it
    host.step(2)
    state = host.state()
    assert state["services"]["AmazonSSMAgent"] == {"status": "Stopped", "start_type": "Disabled"}
    assert state["agent_calls"] == [["-register", "-clear"]]
    assert state["files"][REGISTRATION] is None and all(state["files"][k] is None for k in KEY_FILES)


def test_missing_file_is_a_non_terminating_error():
    host = WindowsHost("mi-0123456789abcdef0", "us-east-1")
    code, _out, err, reported = host.run_script("Remove-Item C:\\nowhere\\x\nRemove-Item C:\\nowhere\\y -ErrorAction SilentlyContinue\n")
    assert (code, reported) == (0, True)
    assert err.count("Cannot find path") == 1
