# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One report for a sweep over many accounts and regions, from the targets the module hybridops.ssm.sweep_stale_nodes
returns, and the result its action plugin returns (sweep_result).

Each account-region's report is sweep_report.report of its plan and steps; this puts them together: the totals,
the summary table (account, region, found, deregistered, cancelled, left out, error), each account-region's
headline and lines, the diff, and the summary published as the play's stats. A sweep of the task's own account (no
sweep_stale_hybrid_nodes_accounts) reads as it always did: its one report, with the per-account keys added.
"""

from ansible_collections.hybridops.ssm.plugins.plugin_utils.sweep_report import by_outcome
from ansible_collections.hybridops.ssm.plugins.plugin_utils.sweep_report import report
from ansible_collections.hybridops.ssm.plugins.plugin_utils.sweep_report import shown
from ansible_collections.hybridops.ssm.plugins.plugin_utils.sweep_report import summary

# The plan of an account-region whose nodes could not be found: nothing selected, nothing to do.
NO_PLAN = {
    "instance_ids": [],
    "command_instance_ids": [],
    "ecs_instance_ids": [],
    "cluster_members": {},
    "left_out": [],
    "refused": False,
    "max_nodes": 0,
    "filter": "",
    "refusal": "",
}
TABLE_HEADER = ("account", "region", "found", "deregistered", "cancelled", "left out", "error")
CHECK_MODE_HEADER = ("account", "region", "found", "would deregister", "would cancel", "left out", "error")
# The name the summary is published under as the play's stats (AWX's artifacts, the next workflow node's variable).
STATS_KEY = "sweep_stale_hybrid_nodes"
# The counts a whole run adds up from its account-regions' reports.
TOTALS = ("selected", "deregistered", "already_absent", "failed", "commands_cancelled", "commands_cancel_requested")


def target_report(target, check_mode):
    """One account-region's report (sweep_report.report), from its entry in the module's ``targets``."""
    return report(target["plan"] or NO_PLAN, target["instances"], target["commands"], target["deregistered"], check_mode, target["drained"])


def target_failure(target, one_report):
    """Why an account-region fails the run, in words; empty when it does not. Its own error (the role not
    assumed, the region not enabled, a call that failed), a failed cancel, or nodes that failed."""
    if target["error"]:
        return f"{target['step'] or 'sweep'} failed: {target['error']}"
    if (target["commands"] or {}).get("failed"):
        return f"cancel failed: {target['commands']['msg']}"
    if one_report["failed"]:
        return f"{one_report['failed']} node(s) failed or not attempted"
    return ""


def where(target):
    return f"{target['account']} {target['region']}"


def table(rows, check_mode):
    """The summary table, one line per account-region, columns aligned."""
    header = CHECK_MODE_HEADER if check_mode else TABLE_HEADER
    cells = [header] + [tuple(str(cell) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    return ["  ".join([*(row[i].ljust(widths[i]) for i in range(len(widths))), row[-1]]).rstrip() for row in cells]


def _row(target, one_report, failure):
    cancelled = one_report["commands_cancelled"] + one_report["commands_cancel_requested"]
    return (target["account"], target["region"], len(target["instances"]), one_report["deregistered"], cancelled, len(one_report["left_out"]), failure or "-")


def _diff(targets, reports):
    """The account-regions' diffs as one, each under a line naming its account and region."""
    diff = dict(reports[0]["diff"])
    for side in ("before", "after"):
        diff[side] = "".join(f"# {where(t)}\n{r['diff'][side]}" for t, r in zip(targets, reports) if r["diff"]["before"])
    return diff


def sweep_report(swept, check_mode, accounts_given=True):
    """The report of the whole sweep (the fact sweep_stale_hybrid_nodes_report) from the module's registered result.

    The keys of sweep_report.report hold the whole run's totals and lines; ``targets`` has one entry per
    account-region (account, region, error, its counts), ``table`` the summary table, ``failed_targets`` one line
    per account-region that fails the run.
    """
    check_mode = bool(check_mode)
    targets = swept["targets"]
    reports = [target_report(t, check_mode) for t in targets]
    failures = [target_failure(t, r) for t, r in zip(targets, reports)]
    failed_targets = [f"{where(t)}: {f}" for t, f in zip(targets, failures) if f]
    common = {
        "targets": [_target_entry(t, r, f) for t, r, f in zip(targets, reports, failures)],
        "failed_targets": failed_targets,
        "refusal": next((t["plan"]["refusal"] for t in targets if t["plan"] and t["plan"]["refusal"]), ""),
        "drain_msg": "; ".join(t["drained"].get("msg", "") for t, r in zip(targets, reports) if r["not_drained"]),
    }
    if not accounts_given and len(targets) == 1:
        result = dict(reports[0], table=[], **common)
        if targets[0]["error"]:
            result["lines"] = [*result["lines"], f"{targets[0]['region']}: {failures[0]}"]
        return result
    rows = [_row(t, r, f) for t, r, f in zip(targets, reports, failures)]
    totals = {key: sum(r[key] for r in reports) for key in TOTALS}
    result = {
        "check_mode": check_mode,
        "refused": bool(swept.get("refused")),
        **totals,
        "outcomes": [dict(o, account=t["account"], region=t["region"]) for t, r in zip(targets, reports) for o in r["outcomes"]],
        "left_out": [i for r in reports for i in r["left_out"]],
        "not_drained": [i for r in reports for i in r["not_drained"]],
        "ecs": [e for r in reports for e in r["ecs"]],
        "lines": [line for t, r, f in zip(targets, reports, failures) for line in [f"{where(t)}: {f if t['error'] else r['headline']}", *r["lines"]]],
        "command_lines": [f"{where(t)}  {line}" for t, r in zip(targets, reports) for line in r["command_lines"]],
        "cluster_lines": [f"{where(t)}  {line}" for t, r in zip(targets, reports) for line in r["cluster_lines"]],
        "detail": [f"{where(t)}  {line}" for t, r in zip(targets, reports) for line in r["detail"]],
        "changed": any(r["changed"] for r in reports),
        "diff": _diff(targets, reports),
        "table": table(rows, check_mode),
        **common,
    }
    result["headline"] = (
        f"{'CHECK MODE, nothing changed: ' if check_mode else ''}{len(targets)} account-region(s), {len(failed_targets)} failed;"
        f" {totals['selected']} stale hybrid node(s){', refused, nothing changed' if result['refused'] else ''};"
        f" {totals['deregistered']} {'would be ' if check_mode else ''}deregistered, {totals['already_absent']} already absent,"
        f" {totals['failed']} failed or not attempted"
    )
    return result


def _target_entry(target, one_report, failure):
    return {
        "account": target["account"],
        "region": target["region"],
        "role_arn": target["role_arn"],
        "found": len(target["instances"]),
        "selected": one_report["selected"],
        "deregistered": one_report["deregistered"],
        "already_absent": one_report["already_absent"],
        "failed": one_report["failed"],
        "commands_cancelled": one_report["commands_cancelled"],
        "commands_cancel_requested": one_report["commands_cancel_requested"],
        "left_out": len(one_report["left_out"]),
        "error": target["error"],
        "error_code": target["error_code"],
        "step": target["step"] if target["error"] else "",
        "failure": failure,
    }


def sweep_summary(swept, check_mode, region, older_than):
    """The summary published with set_stats and written as JSON: the whole run's selected IDs, counts and IDs by
    outcome (sweep_report.summary's keys), and ``accounts``: per account-region its counts, IDs by outcome and error."""
    targets = swept["targets"]
    per_target = [summary(t["plan"] or NO_PLAN, t["deregistered"], check_mode, t["region"], older_than) for t in targets]
    outcomes = [dict(o, account=t["account"], region=t["region"]) for t, s in zip(targets, per_target) for o in s["outcomes"]]
    return {
        "check_mode": bool(check_mode),
        "region": region,
        "older_than": older_than,
        "selected": [i for s in per_target for i in s["selected"]],
        **by_outcome(outcomes),
        "outcomes": outcomes,
        "cluster_members_left_out": {i: words_ for s in per_target for i, words_ in s["cluster_members_left_out"].items()},
        "refused": bool(swept.get("refused")),
        "accounts": [
            {
                "account": t["account"],
                "region": t["region"],
                "role_arn": t["role_arn"],
                "found": len(t["instances"]),
                "selected": s["selected"],
                "counts": s["counts"],
                "instance_ids": s["instance_ids"],
                "error": t["error"],
                "error_code": t["error_code"],
                "step": t["step"] if t["error"] else "",
            }
            for t, s in zip(targets, per_target)
        ],
    }


def sweep_result(swept, options, check_mode, verbosity):
    """The result of the task hybridops.ssm.sweep_stale_nodes, from its module's (``targets`` decoded) and its
    options: ``changed``, ``refused`` and ``msg`` as the module said; the ``report`` and the ``summary``; what the
    report step shows at ``verbosity`` (``shown``); and the summary published as the play's stats under STATS_KEY,
    as the role's set_stats step did."""
    summary = sweep_summary(swept, check_mode, options.get("region") or "", options.get("older_than"))
    the_report = sweep_report(swept, check_mode, bool(options.get("accounts")))
    return {
        "changed": bool(swept["changed"]),
        "refused": bool(swept.get("refused")),
        "msg": swept["msg"],
        "report": the_report,
        "shown": shown(the_report, verbosity),
        "summary": summary,
        # per_host false: AWX keeps the play's global stats as the job's artifacts.
        "ansible_stats": {"data": {STATS_KEY: summary}, "per_host": False, "aggregate": False},
    }
