# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The decisions of the role hybridops.ssm.sweep_stale_hybrid_nodes, as pure functions.

The role's YAML orders the steps (find, cancel, deregister, report, publish, refuse); what it decides
between them lives here: the guard against more nodes than sweep_stale_hybrid_nodes_max_nodes, the
selection in words, each node's and each command invocation's word in the report (in check mode what would
happen), the counts, the report's lines, its diff, and the summary published as the play's stats and
written as JSON. The action plugin of hybridops.ssm.sweep_stale_nodes applies these, through sweep_accounts.py; the
action hybridops.ssm.show_sweep_report shows what ``shown`` made of the report.

Outcome words are outcomes.py's constants, never literals.
"""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import ALREADY_ABSENT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import ALREADY_TERMINAL
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import CANCEL_REQUESTED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import CANCELLED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import CHECK_MODE_WORDS
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import DEREGISTERED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import FAILED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import MSG
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import NONE_IN_FLIGHT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import NOT_ATTEMPTED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import OUTCOME
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.sweep_plan import INCLUDE_CLUSTER_MEMBERS
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.sweep_plan import MAX_NODES
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.sweep_plan import cluster_words
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.sweep_plan import deregister_ids

# A selected node that got no outcome from the deregistration: the guard refused the sweep, or a step before
# the deregistration (the cancel) failed, so it was never asked for.
REFUSED_IN_CHECK_MODE = f"would deregister (refused: more than {MAX_NODES})"
REFUSED = f"not changed: more than {MAX_NODES}"
EARLIER_STEP_FAILED = "not attempted: an earlier step failed"
# A cluster member included whose container instance did not leave its cluster: SSM keeps it.
NOT_DRAINED = "not deregistered: its ECS container instance did not leave its cluster"

# Command invocations that needed no cancel: neither shown nor counted.
NOTHING_TO_CANCEL = (NONE_IN_FLIGHT, ALREADY_TERMINAL)

# A field the listing did not return, in a report line.
MISSING = "-"
SEPARATOR = "  "


def shown_word(outcome, check_mode):
    """An outcome as the report says it: in check mode what would happen."""
    return CHECK_MODE_WORDS.get(outcome, outcome) if check_mode else outcome


def node_word(instance_id, sweep_plan, outcomes_by_id, check_mode, held_back=()):
    """A selected node's word in the report."""
    if sweep_plan["refused"]:
        return REFUSED_IN_CHECK_MODE if check_mode else REFUSED
    if instance_id in held_back:
        return NOT_DRAINED
    if instance_id not in outcomes_by_id:
        return EARLIER_STEP_FAILED
    return shown_word(outcomes_by_id[instance_id][OUTCOME], check_mode)


def count(outcomes, *words):
    return sum(1 for o in outcomes if o[OUTCOME] in words)


def _outcomes(step):
    """The outcomes of a step's registered result; none when it was skipped or never ran."""
    return list((step or {}).get("outcomes") or [])


def headline(report, sweep_plan):
    """The report's first line: the selection, the guard, the counts, the cluster members left out (in check mode, what would be)."""
    check_mode = report["check_mode"]
    refused = f", more than {MAX_NODES} ({sweep_plan['max_nodes']}): refused, nothing changed" if report["refused"] else ""
    return (
        f"{'CHECK MODE, nothing changed: ' if check_mode else ''}{report['selected']} stale hybrid node(s) ({sweep_plan['filter']}){refused};"
        f" {report['deregistered']} {'would be ' if check_mode else ''}deregistered, {report['already_absent']} already absent,"
        f" {report['failed']} failed or not attempted; in-flight command invocations: {report['commands_cancelled']} cancelled,"
        f" {report['commands_cancel_requested']} {'would be cancelled' if check_mode else 'cancel requested'}"
        + (f"; {len(report['left_out'])} cluster member(s) left out ({INCLUDE_CLUSTER_MEMBERS} is false)" if report["left_out"] else "")
    )


def plan_diff(sweep_plan, nodes, cancels, outcomes_by_id, check_mode):
    """The sweep as a diff a person reads: each node registered (name, last ping) then absent, and each command
    invocation's status before and after the cancel. In check mode the after side is the prediction.

    A node that was not deregistered (failed, not attempted, refused) reads the same on both sides.
    """
    before, after = [], []
    for instance_id in sweep_plan["instance_ids"]:
        node = nodes.get(instance_id, {})
        name = node.get("name") or MISSING
        before.append(f"{instance_id}  {name}  registered, last ping {node.get('last_ping_date_time') or MISSING}")
        if outcomes_by_id.get(instance_id, {}).get(OUTCOME) in (DEREGISTERED, ALREADY_ABSENT):
            after.append(f"{instance_id}  {name}  absent")
        else:
            after.append(before[-1])
    for o in cancels:
        before.append(f"{o['instance_id']}  command {o['command_id']}  {o.get('status_before') or MISSING}")
        after.append(f"{o['instance_id']}  command {o['command_id']}  {o.get('status') or MISSING}")
    return {
        "before_header": "the stale hybrid nodes and their in-flight commands",
        "after_header": "as the sweep would leave them (check mode)" if check_mode else "as the sweep left them",
        "before": "".join(f"{line}\n" for line in before),
        "after": "".join(f"{line}\n" for line in after),
    }


def detail_lines(outcomes, cancels):
    """What -v adds to the report: the message of each node or invocation that carries one (why it failed, or a note)."""
    return [f"{o['instance_id']}{' command ' + o['command_id'] if 'command_id' in o else ''}  {o[OUTCOME]}: {o[MSG]}" for o in outcomes + cancels if o.get(MSG)]


def held_back(sweep_plan, drained):
    """The ECS members included whose container instances did not leave their cluster, when the drain step ran."""
    if not drained or drained.get("skipped") or sweep_plan["refused"]:
        return []
    kept = set(deregister_ids(sweep_plan, drained))
    return [i for i in sweep_plan.get("ecs_instance_ids") or [] if i not in kept]


def cluster_lines(sweep_plan, nodes):
    """One line per cluster member left out of the sweep: its ID, name, last ping and clusters."""
    members = sweep_plan.get("cluster_members") or {}
    return [
        SEPARATOR.join(
            [
                i,
                nodes.get(i, {}).get("name") or MISSING,
                nodes.get(i, {}).get("last_ping_date_time") or MISSING,
                f"left out, a cluster member: {cluster_words(members[i])} ({INCLUDE_CLUSTER_MEMBERS}=true includes it)",
            ]
        )
        for i in sweep_plan.get("left_out") or []
    ]


def drain_detail(drained):
    """What -v adds for the ECS step: each node's message (why its container instance stayed, or a note)."""
    return [f"{o['instance_id']}  ECS {o[OUTCOME]}: {o[MSG]}" for o in (drained or {}).get("nodes") or [] if o.get(MSG)]


def report(sweep_plan, instances, commands, deregistered, check_mode, drained=None):
    """The report of the sweep (the fact sweep_stale_hybrid_nodes_report), from the plan and the steps' results.

    ``commands``, ``deregistered`` and ``drained`` are the registered results of the cancel, deregistration and
    ECS drain steps, empty or skipped when a step did not run. The keys before ``headline`` are the counts and
    outcomes tests and playbooks read; ``lines`` has one line per selected node, ``command_lines`` one per
    invocation cancelled, ``cluster_lines`` one per cluster member left out.
    """
    check_mode = bool(check_mode)
    kept_back = held_back(sweep_plan, drained)
    outcomes = _outcomes(deregistered)
    outcomes_by_id = {o["instance_id"]: o for o in outcomes}
    cancels = [o for o in _outcomes(commands) if o[OUTCOME] not in NOTHING_TO_CANCEL]
    nodes = {node["instance_id"]: node for node in instances}
    result = {
        "check_mode": check_mode,
        "refused": sweep_plan["refused"],
        "selected": len(sweep_plan["instance_ids"]),
        "deregistered": count(outcomes, DEREGISTERED),
        "already_absent": count(outcomes, ALREADY_ABSENT),
        "failed": count(outcomes, FAILED, NOT_ATTEMPTED) + len(kept_back),
        "commands_cancelled": count(cancels, CANCELLED),
        "commands_cancel_requested": count(cancels, CANCEL_REQUESTED),
        "outcomes": outcomes,
        "left_out": list(sweep_plan.get("left_out") or []),
        "not_drained": kept_back,
        "ecs": [{"instance_id": o["instance_id"], OUTCOME: o.get(OUTCOME)} for o in (drained or {}).get("nodes") or []],
        "lines": [
            SEPARATOR.join(
                [
                    i,
                    nodes.get(i, {}).get("name") or MISSING,
                    nodes.get(i, {}).get("last_ping_date_time") or MISSING,
                    node_word(i, sweep_plan, outcomes_by_id, check_mode, kept_back),
                ]
            )
            for i in sweep_plan["instance_ids"]
        ],
        "command_lines": [SEPARATOR.join([o["instance_id"], f"command {o['command_id']}", shown_word(o[OUTCOME], check_mode)]) for o in cancels],
        "cluster_lines": cluster_lines(sweep_plan, nodes),
        "detail": detail_lines(outcomes, cancels) + drain_detail(drained),
        "changed": bool((commands or {}).get("changed") or (deregistered or {}).get("changed") or (drained or {}).get("changed")),
        "diff": plan_diff(sweep_plan, nodes, cancels, outcomes_by_id, check_mode),
    }
    result["headline"] = headline(result, sweep_plan)
    return result


def by_outcome(outcomes):
    """The summary's ``counts`` and ``instance_ids``: per outcome word (sorted), how many nodes and which."""
    ids = {}
    for o in outcomes:
        ids.setdefault(o[OUTCOME], []).append(o["instance_id"])
    words = sorted(ids)
    return {"counts": {word: len(ids[word]) for word in words}, "instance_ids": {word: ids[word] for word in words}}


def summary(sweep_plan, deregistered, check_mode, region, older_than):
    """The summary published with set_stats and written as JSON: the selected IDs, and counts and IDs by outcome."""
    outcomes = _outcomes(deregistered)
    return {
        "check_mode": bool(check_mode),
        "region": region,
        "older_than": older_than,
        "selected": list(sweep_plan["instance_ids"]),
        **by_outcome(outcomes),
        "outcomes": outcomes,
        "cluster_members_left_out": {i: cluster_words(sweep_plan["cluster_members"][i]) for i in sweep_plan.get("left_out") or []},
    }


def shown_lines(sweep_report, verbosity):
    """What the report step shows: the headline, the table of account-regions (many accounts), one line per node and
    per invocation cancelled; from -v, the detail."""
    lines = [
        sweep_report["headline"],
        *sweep_report.get("table", []),
        *sweep_report["lines"],
        *sweep_report["command_lines"],
        *sweep_report.get("cluster_lines", []),
    ]
    return lines + sweep_report["detail"] if verbosity > 0 else lines


def shown(sweep_report, verbosity):
    """What the report step is handed: the lines it shows at ``verbosity``, whether the sweep changed anything and
    the diff. Templating a task's argument costs ansible-core about 7 us an element; the whole report of 4,000
    nodes is some 24,000 of them, these about 4,000."""
    return {"lines": shown_lines(sweep_report, verbosity), "changed": bool(sweep_report["changed"]), "diff": sweep_report["diff"]}
