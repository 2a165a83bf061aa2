# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One report for a sweep over many accounts and regions (plugin_utils/sweep_accounts.py): the table, the
account-regions that fail the run, the totals and the summary; a sweep without accounts reads as it always did."""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import outcomes as words
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import sweep_plan as planning
from ansible_collections.hybridops.ssm.plugins.plugin_utils import sweep_accounts as accounts
from ansible_collections.hybridops.ssm.plugins.plugin_utils import sweep_report as sweep

PING = "2024-05-01T10:00:00+00:00"


def nodes(prefix, count):
    return [{"instance_id": f"mi-{prefix}{n:012x}", "name": f"kiosk-{n}", "last_ping_date_time": PING} for n in range(count)]


def swept(account, region, instances, outcome=words.DEREGISTERED, error=""):
    """One entry of sweep_stale_nodes' ``targets``: its nodes deregistered (``outcome``), or failed with ``error``."""
    target = {"account": account, "role_arn": f"arn:aws:iam::{account}:role/r", "region": region, "error": error, "error_code": "", "step": ""}
    target.update(instances=instances, memberships=[], commands={}, drained={}, deregistered={}, plan=None)
    if error:
        target.update(error_code="AccessDenied", step="find", instances=[])
        return target
    target["plan"] = planning.plan(instances, 25, "30d")
    outcomes = [{"instance_id": n["instance_id"], words.OUTCOME: outcome} for n in instances]
    target["deregistered"] = {"changed": outcome == words.DEREGISTERED, "outcomes": outcomes, "failed": outcome == words.FAILED}
    return target


def organisation():
    return {
        "targets": [
            swept("111111111111", "eu-west-1", nodes("1111a", 2)),
            swept("111111111111", "us-east-1", nodes("1111b", 1), outcome=words.FAILED),
            swept("333333333333", "eu-west-1", [], error="Failed to assume the account's role (AccessDenied)"),
        ],
        "refused": False,
    }


def test_the_table_has_a_row_per_account_region_with_its_error():
    report = accounts.sweep_report(organisation(), False)
    assert report["table"][0].split() == ["account", "region", "found", "deregistered", "cancelled", "left", "out", "error"]
    rows = [row.split(None, 6) for row in report["table"][1:]]
    assert rows[0] == ["111111111111", "eu-west-1", "2", "2", "0", "0", "-"]
    assert rows[1][:4] == ["111111111111", "us-east-1", "1", "0"] and rows[1][6] == "1 node(s) failed or not attempted"
    assert rows[2][:2] == ["333333333333", "eu-west-1"] and rows[2][6].startswith("find failed: Failed to assume the account's role")
    assert accounts.sweep_report(organisation(), True)["table"][0].split()[3:5] == ["would", "deregister"]


def test_every_failing_account_region_is_named_and_the_totals_add_up():
    report = accounts.sweep_report(organisation(), False)
    assert [line.split(":")[0] for line in report["failed_targets"]] == ["111111111111 us-east-1", "333333333333 eu-west-1"]
    assert (report["selected"], report["deregistered"], report["failed"]) == (3, 2, 1)
    assert report["headline"].startswith("3 account-region(s), 2 failed; 3 stale hybrid node(s)")
    assert report["lines"][-1] == "333333333333 eu-west-1: find failed: Failed to assume the account's role (AccessDenied)"
    assert {(o["account"], o["region"]) for o in report["outcomes"]} == {("111111111111", "eu-west-1"), ("111111111111", "us-east-1")}
    assert sweep.shown_lines(report, 0)[1:5] == report["table"]


def test_the_summary_carries_every_account_region():
    summary = accounts.sweep_summary(organisation(), False, "", "30d")
    assert [(a["account"], a["region"], a["counts"], a["error_code"]) for a in summary["accounts"]] == [
        ("111111111111", "eu-west-1", {words.DEREGISTERED: 2}, ""),
        ("111111111111", "us-east-1", {words.FAILED: 1}, ""),
        ("333333333333", "eu-west-1", {}, "AccessDenied"),
    ]
    assert summary["counts"] == {words.DEREGISTERED: 2, words.FAILED: 1} and len(summary["selected"]) == 3


def test_without_accounts_the_report_is_the_one_account_region_s_as_before():
    target = swept("current credentials", "us-east-1", nodes("0000a", 2))
    report = accounts.sweep_report({"targets": [target], "refused": False}, False, accounts_given=False)
    alone = sweep.report(target["plan"], target["instances"], {}, target["deregistered"], False, {})
    assert {key: report[key] for key in alone} == alone
    assert report["table"] == [] and report["failed_targets"] == []


def test_a_refused_run_keeps_its_refusal_for_the_guard_step():
    plans = [swept("1", "a", nodes("1111a", 2))["plan"], swept("1", "b", nodes("1111b", 2))["plan"]]
    assert planning.guard(plans, 3) is True
    assert all(p["refused"] and p["refusal"].startswith("4 nodes match") for p in plans)
    assert planning.guard(plans, 4) is False and all(p["refusal"] == "" for p in plans)


def test_the_task_s_result_is_the_report_the_summary_and_the_play_s_stats():
    target = swept("current credentials", "us-east-1", nodes("0000a", 2))
    target["deregistered"] = {}
    planning.guard([target["plan"]], 1)
    result = accounts.sweep_result({"targets": [target], "refused": True, "changed": False, "msg": "1 account-region(s)"}, {"older_than": "30d"}, True, 0)
    assert result["refused"] is True and result["changed"] is False and result["msg"] == "1 account-region(s)"
    assert result["report"]["refused"] is True and result["report"]["lines"][0].endswith(sweep.REFUSED_IN_CHECK_MODE)
    assert result["report"]["table"] == [] and result["summary"]["older_than"] == "30d" and result["summary"]["region"] == ""
    assert result["ansible_stats"] == {"data": {accounts.STATS_KEY: result["summary"]}, "per_host": False, "aggregate": False}
    # What the report step shows: the report's lines at the run's verbosity, nothing changed, the report's diff.
    assert result["shown"] == {"lines": sweep.shown_lines(result["report"], 0), "changed": False, "diff": result["report"]["diff"]}
