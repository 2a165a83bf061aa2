# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the decommission role reports (plugin_utils/decommission_report.py): the outcome in the modules' words,
the summary line that says ``would`` in check mode, the plan as a diff, and the JSON report of the play."""

from ansible_collections.hybridops.ssm.plugins.plugin_utils import decommission_report as report
from ansible_collections.hybridops.ssm.plugins.plugin_utils import decommission_stages as stages

from .test_decommission_stages import A
from .test_decommission_stages import fleet_of
from .test_decommission_stages import node

CANCEL_ANSWER = {
    "outcomes": [
        {"instance_id": A, "command_id": "c1", "status_before": "InProgress", "status": "Cancelling", "outcome": "cancel_requested", "cancel_sent": True}
    ]
}


def decommissioned(**given):
    fleet = fleet_of(a=node(A, on_host=True, **given))
    fleet = stages.apply(stages.CANCEL, fleet, ["a"], {"us-east-1": CANCEL_ANSWER})
    deregistered = {"outcomes": [{"instance_id": A, "outcome": "deregistered"}], "instances": [{"instance_id": A, "activation_id": "act-1"}]}
    return stages.apply(stages.DEREGISTER, fleet, ["a"], {"us-east-1": deregistered})


def test_check_mode_words_say_would_and_the_outcome_keeps_the_modules_words():
    fleet = decommissioned()
    line = report.summary("a", fleet["a"], check_mode=True)
    assert line == f"a: would run the host steps; {A} in us-east-1: would deregister; commands: would cancel c1 (InProgress); activation: not_requested"
    assert "Cancelling" not in line and "cancel_requested" not in line
    result = report.host_result(fleet["a"], check_mode=True)
    assert (result["deregistration"], result["activation"], result["host_steps"], result["check_mode"]) == ("deregistered", "not_requested", "ran", True)
    assert report.summary("a", fleet["a"], check_mode=False).startswith(
        f"a: host steps ran; {A} in us-east-1: deregistered; commands: c1 Cancelling (cancel_requested)"
    )


def test_the_activation_words():
    assert report.activation(decommissioned()["a"]) == "not_requested"
    # asked, but the run stopped before (a problem) or SSM did not list the node: nothing was sent
    asked = fleet_of(a=node(A, delete_activation=True), b=node(A, delete_activation=True, refusal="b: refused"))
    assert report.activation(asked["a"]) == "not_known" and report.activation(asked["b"]) == "not_attempted"
    fleet = decommissioned(delete_activation=True)
    fleet = stages.apply(stages.ACTIVATION, fleet, ["a"], {"us-east-1": {"activations": [{"activation_id": "act-1", "outcome": "deleted"}]}})
    assert report.activation(fleet["a"]) == "deleted" and report.summary("a", fleet["a"], True).endswith("activation: would delete act-1")


def test_a_host_that_failed_reports_not_attempted_and_why():
    fleet = stages.apply(stages.DEREGISTER, fleet_of(a=node(A)), ["a"], {"us-east-1": {"failed": True, "msg": "denied"}})
    result = report.host_result(fleet["a"], check_mode=False)
    assert result["deregistration"] == "not_attempted" and result["error"].endswith("denied")
    assert result["host_steps"] == f"host steps skipped: {stages.D}host_steps is false"
    assert "; FAILED: a: deregistering" in report.summary("a", fleet["a"], False)


def test_the_plan_is_a_diff_of_one_line_per_host_and_thing():
    fleet = decommissioned()
    cancel = report.stage_diff(stages.STAGES["cancel"], fleet, ["a"], check_mode=True)
    assert (cancel["before"], cancel["after"]) == (f"a: command c1 on {A}: InProgress\n", f"a: command c1 on {A}: cancelled\n")
    deregister = report.stage_diff(stages.STAGES["deregister"], fleet, ["a"], check_mode=True)
    assert (deregister["before"], deregister["after"]) == (f"a: {A} in us-east-1: registered\n", f"a: {A} in us-east-1: absent\n")
    assert "check mode" in deregister["after_header"]
    assert report.stage_diff(stages.STAGES["activation"], fleet, ["a"], check_mode=True) is None


def test_the_play_report_names_every_host_and_those_that_failed():
    fleet = fleet_of(a=node(A), b=node(A, refusal="b: refused"))
    written = report.play_report(fleet, ["a", "b", "c"], ["a", "b"], check_mode=False)
    assert sorted(written["hosts"]) == ["a", "b"] and written["failed_hosts"] == ["b", "c"]
