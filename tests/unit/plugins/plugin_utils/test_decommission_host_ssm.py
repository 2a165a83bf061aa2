# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The host steps through SSM (plugin_utils/decommission_host_ssm.py): which path each node takes, the batched calls
per platform and region, host_not_cleaned, and what a failed script does to its node."""

import pytest

from ansible_collections.hybridops.ssm.plugins.plugin_utils import decommission_report as report
from ansible_collections.hybridops.ssm.plugins.plugin_utils import decommission_stages as stages
from ansible_collections.hybridops.ssm.plugins.plugin_utils import node_sources
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_host_scripts import commands

D = "decommission_hybrid_node_"
EAST, EU = "us-east-1", "eu-west-1"


def node_id(n):
    return f"mi-{n:017x}"


def variables(**overrides):
    values = {
        D + "instance_id": "",
        D + "region": "",
        D + "host_steps": "ssh",
        D + "root": "/",
        D + "registration_file": "var/lib/amazon/ssm/registration",
        D + "cancel_commands": True,
        D + "delete_activation": False,
        D + "remove_package": False,
        D + "deregister_on_host_failure": False,
    }
    values.update({D + k: v for k, v in overrides.items()})
    return values


def found(host, mode, unreachable="", windows_connection=False, registration=None, **overrides):
    return node_sources.find_node(
        host, variables(host_steps=mode, **overrides), registration=registration, unreachable=unreachable, windows_connection=windows_connection
    )


@pytest.mark.parametrize(
    "given, mode",
    [(True, "ssh"), (False, "none"), ("true", "ssh"), ("no", "none"), ("SSM", "ssm"), ("auto", "auto"), ("none", "none"), ("maybe", None), (2, None)],
)
def test_host_steps_modes_and_the_old_booleans(given, mode):
    assert node_sources.host_steps_mode(given) == mode


def test_path_choice_before_ssm_is_read():
    by_id = {"instance_id": node_id(1), "region": EAST}
    reached = found("a", "auto", registration={"id": node_id(1), "region": EAST})
    gone = found("b", "auto", unreachable="Connection refused", **by_id)
    windows = found("c", "auto", windows_connection=True, **by_id)
    ssm = found("d", "ssm", **by_id)
    ssh_gone = found("e", "ssh", unreachable="Connection refused", **by_id)
    none = found("f", "none", **by_id)
    assert (reached["on_host"], reached["via_ssm"]) == (True, False)
    assert (gone["on_host"], gone["via_ssm"]) == (False, True) and "cannot be reached (Connection refused)" in gone["host_note"]
    assert (windows["on_host"], windows["via_ssm"]) == (False, True)
    assert (ssm["on_host"], ssm["via_ssm"]) == (False, True)
    assert (ssh_gone["on_host"], ssh_gone["via_ssm"]) == (False, False)
    assert (none["on_host"], none["via_ssm"], none["host_note"]) == (False, False, f"host steps skipped: {D}host_steps is none")
    assert found("g", False, **by_id)["host_note"] == f"host steps skipped: {D}host_steps is false"
    # through SSM the registration file is not read: the ID must come from a variable or the inventory
    assert "cannot be identified" in found("h", "ssm")["refusal"]


def fleet_of(nodes):
    return stages.start(list(nodes), {host: {"found": True, "node": n} for host, n in nodes.items()}, {})


def listing(*instances):
    return {"instances": [{"instance_id": i, "ping_status": p, "platform_type": t} for i, p, t in instances]}


def ssm_node(n, region=EAST, **overrides):
    return found(f"h{n}", "auto", unreachable="Connection refused", instance_id=node_id(n), region=region, **overrides)


def test_read_decides_each_path_and_calls_go_per_platform_and_region():
    nodes = {f"h{n}": ssm_node(n) for n in range(60)}  # 60 Online Linux nodes in us-east-1
    nodes["win"] = ssm_node(100)
    nodes["lost"] = ssm_node(101)
    nodes["gone"] = ssm_node(102)
    nodes["eu"] = ssm_node(103, region=EU)
    nodes["pkg"] = ssm_node(104, remove_package=True)
    fleet = fleet_of(nodes)
    answer = listing(*[(node_id(n), "Online", "Linux") for n in range(60)], (node_id(100), "Online", "Windows"), (node_id(101), "ConnectionLost", "Linux"))
    answer["instances"] += listing((node_id(104), "Online", "Linux"))["instances"]
    fleet = stages.apply(stages.READ, fleet, list(fleet), {EAST: answer, EU: listing((node_id(103), "Online", "Ubuntu"))})
    assert fleet["h0"]["ssm_host"]["path"] == "AWS-RunShellScript" and fleet["win"]["ssm_host"]["path"] == "AWS-RunPowerShellScript"
    assert fleet["lost"]["ssm_host"]["word"] == "host_not_cleaned" and "ConnectionLost" in fleet["lost"]["ssm_host"]["reason"]
    assert fleet["gone"]["ssm_host"]["path"] == "" and "not registered" in fleet["gone"]["ssm_host"]["reason"]

    made = stages.calls(stages.HOST_SSM, fleet, list(fleet), {"command_wait_timeout": 60, "command_poll_interval": 1})
    keys = [key for key, _args in made]
    assert keys == [(EAST, "Linux", False), (EAST, "Windows", False), (EU, "Linux", False), (EAST, "Linux", True)]
    linux = made[0][1]
    # one ssm_command call for the 60 Linux nodes of the region: it sends them in ceil(60/50) = 2 SendCommand calls
    assert len(linux["instance_ids"]) == 60 and linux["document_name"] == "AWS-RunShellScript" and linux["region"] == EAST
    assert (linux["wait"], linux["wait_timeout"], linux["timeout_seconds"], linux["fail_on_failed"]) == (True, 60, 60, False)
    assert linux["parameters"] == {"commands": commands("Linux")} and made[3][1]["parameters"] == {"commands": commands("Linux", True)}
    assert "remove_package=yes" in made[3][1]["parameters"]["commands"]
    assert made[1][1]["instance_ids"] == [node_id(100)] and made[1][1]["document_name"] == "AWS-RunPowerShellScript"
    # nothing from SSM is in the script: the node IDs are not, whatever the node
    assert not any(node_id(n) in line for _key, args in made for line in args["parameters"]["commands"] for n in range(105))


def test_ssh_mode_still_refuses_a_windows_node_and_auto_sends_it_through_ssm():
    nodes = {
        "ssh": found("ssh", "ssh", registration={"id": node_id(1), "region": EAST}),
        "auto": found("auto", "auto", registration={"id": node_id(2), "region": EAST}),
    }
    fleet = fleet_of(nodes)
    fleet = stages.apply(stages.READ, fleet, list(fleet), {EAST: listing((node_id(1), "Online", "Windows"), (node_id(2), "Online", "Windows"))})
    assert "is a Windows node" in fleet["ssh"]["problem"]
    assert fleet["auto"]["problem"] == "" and fleet["auto"]["node"]["on_host"] is False
    assert fleet["auto"]["ssm_host"]["path"] == "AWS-RunPowerShellScript"
    assert not stages.runs_host_steps(fleet["auto"], "stop_agent")


def after_run(record, check_mode=False, **overrides):
    fleet = fleet_of({"h": ssm_node(1, **overrides)})
    fleet = stages.apply(stages.READ, fleet, ["h"], {EAST: listing((node_id(1), "Online", "Linux"))})
    answer = {"outcomes": [{"instance_id": node_id(1), "command_id": "c" * 36, "sent": True, **record}], "timed_out": []}
    return stages.apply(stages.HOST_SSM, fleet, ["h"], {(EAST, "Linux", False): answer}, check_mode)["h"]


def test_success_lets_the_node_be_deregistered():
    state = after_run({"outcome": "succeeded", "status": "Success", "response_code": 0, "stdout": "handed off"})
    assert state["problem"] == "" and stages.takes_part(stages.DEREGISTER, state)
    state = {**state, "deregistration": "deregistered"}
    result = report.host_result(state, False)
    assert (result["host_steps"], result["host_steps_via"], result["host_command"]["response_code"]) == ("ran", "ssm", 0)
    assert stages.changed(state)
    assert "host steps ran through SSM (AWS-RunShellScript, command " in report.summary("h", state, False)


def test_a_failed_script_keeps_the_node_registered_and_explains():
    state = after_run(
        {"outcome": "run_failed", "status": "Failed", "response_code": 1, "stderr": "hybridops: no registration file at /var/lib/amazon/ssm/registration"}
    )
    assert not stages.takes_part(stages.DEREGISTER, state)
    assert "exit code 1" in state["problem"] and "no registration file" in state["problem"] and f"{D}deregister_on_host_failure=true" in state["problem"]
    result = report.host_result(state, False)
    assert (result["host_steps"], result["deregistration"]) == ("failed", "not_attempted")


def test_a_failed_script_with_deregister_on_host_failure_is_host_not_cleaned():
    state = after_run({"outcome": "run_failed", "status": "Failed", "response_code": 1, "stderr": "boom"}, deregister_on_host_failure=True)
    assert state["problem"] == "" and stages.takes_part(stages.DEREGISTER, state)
    assert report.host_steps(state) == "host_not_cleaned" and "deregistered anyway" in state["ssm_host"]["reason"]


def test_a_node_gone_offline_before_its_script_is_host_not_cleaned():
    state = after_run({"outcome": "skipped_offline", "ping_status": "ConnectionLost", "sent": False, "msg": "the node is ConnectionLost"})
    assert state["problem"] == "" and report.host_steps(state) == "host_not_cleaned"


def test_not_finished_in_time_keeps_the_node():
    state = after_run({"outcome": "sent", "status": "InProgress"})
    assert "command_wait_timeout ran out" in state["problem"]


def test_check_mode_says_what_would_run():
    state = after_run({"outcome": "sent", "status": None, "command_id": None}, check_mode=True)
    assert state["problem"] == "" and report.summary("h", state, True).startswith("h: would run the host steps through SSM (AWS-RunShellScript)")
    diff = report.stage_diff(stages.STAGES["cancel"], {"h": state}, ["h"], True)
    assert "hands off" in diff["after"] and "check mode: nothing was sent" in diff["after"]


def test_a_node_that_is_not_online_gets_no_command_and_is_deregistered():
    fleet = fleet_of({"h": ssm_node(1)})
    fleet = stages.apply(stages.READ, fleet, ["h"], {EAST: listing((node_id(1), "ConnectionLost", "Linux"))})
    assert stages.calls(stages.HOST_SSM, fleet, ["h"]) == []
    assert stages.takes_part(stages.DEREGISTER, fleet["h"])
    state = {**fleet["h"], "deregistration": "deregistered"}
    result = report.host_result(state, False)
    assert (result["host_steps"], result["deregistration"], result["host_steps_via"]) == ("host_not_cleaned", "deregistered", "")
    assert "ConnectionLost" in result["host_steps_reason"]
