# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The sweep of stale hybrid nodes over many accounts and regions, in one process.

SSM's rate limits are per account and region, so account-regions are worked concurrently (at most
TARGETS_AT_ONCE at a time), each with its own clients and so its own pace (pacing.py), while the steps within one
account-region keep their order: find the stale nodes and their cluster memberships, then - once every
account-region was found and the guard, counted over the whole run, allows it - cancel their in-flight commands,
drain and deregister the included ECS members' container instances, and deregister the nodes. Each step is the
module_utils function the step's own module calls (ssm_managed_instance_info, ecs_anywhere_instance_info,
ssm_command, ecs_anywhere_instance, ssm_managed_instance).

An account-region that fails (its role cannot be assumed, its region is not enabled, a step's call failed) keeps
its error and the steps it finished; the others go on. The results are plain data for the role's report
(plugin_utils/sweep_report.py): no client, no credential.
"""

import json

from .bulk import MAX_CONCURRENCY
from .bulk import run_per_item
from .command_cancel import ensure_node_commands_cancelled
from .constraints import is_eks_connector_id
from .container_instances import ensure_cluster_state
from .container_instances import node_memberships
from .managed_instances import deregister_listed
from .managed_instances import node_to_ansible
from .outcomes import ABSENT
from .outcomes import DEREGISTERED
from .outcomes import OUTCOME
from .outcomes import failed_outcomes
from .outcomes import failure_summary
from .outcomes import success_summary
from .selection import select_nodes
from .sweep_plan import deregister_ids
from .sweep_plan import guard
from .sweep_plan import plan

# Account-regions worked at once: each has its own rate limit, so more at once costs no throttling, only threads
# (each runs up to ``concurrency`` per-node calls) and connections.
TARGETS_AT_ONCE = MAX_CONCURRENCY

# The steps, as a failed account-region's report names the one that failed.
FIND, CANCEL, DRAIN, DEREGISTER = "find", "cancel", "drain", "deregister"


def _step(changed, outcomes, noun, check_mode, key="outcomes"):
    """A step's result as the step's module would have returned it: changed, its outcomes, failed, msg."""
    failed = bool(failed_outcomes(outcomes))
    msg = failure_summary(outcomes, "instance_id", noun) if failed else success_summary(outcomes, noun, check_mode)
    return {"changed": bool(changed), key: outcomes, "failed": failed, "msg": msg}


# What the report says of a node; the rest of what SSM lists (agent, platform, IP, association status) stays out
# of the result, which an organisation's sweep would otherwise fill with every field of thousands of nodes.
SHOWN_FIELDS = ("instance_id", "name", "computer_name", "last_ping_date_time", "activation_id", "ping_status", "resource_type")


def shown(node):
    return {key: node[key] for key in SHOWN_FIELDS if key in node}


def find(clients, criteria, cluster_checks, region):
    """The stale nodes of one account-region and, with ``cluster_checks``, their cluster memberships. ``clients`` is
    (ssm, ecs), ``ecs`` a function that makes the ECS client when first asked."""
    ssm, ecs = clients
    instances = [shown(node_to_ansible(n)) for n in select_nodes(ssm, criteria)]
    ids = [n["instance_id"] for n in instances if not is_eks_connector_id(n["instance_id"])]
    memberships = node_memberships(ecs(), ssm, ids, region, include_eks=True) if cluster_checks and ids else []
    return instances, memberships


def act(clients, result, options, check_mode):
    """Cancel, drain, deregister in one account-region, after its plan (``result["plan"]``); each step's result is
    put in ``result`` as soon as it is known, so a step that raises leaves the earlier ones in the report. A failed
    cancel stops the account-region before any deregistration (a node is not deregistered under a running command)."""
    ssm, ecs = clients
    sweep_plan = result["plan"]
    if options["cancel_commands"] and sweep_plan["command_instance_ids"]:
        result["step"] = CANCEL
        changed, cancelled = ensure_node_commands_cancelled(ssm, sweep_plan["command_instance_ids"], check_mode)
        result["commands"] = _step(changed, cancelled["outcomes"], "node", check_mode)
        if result["commands"]["failed"]:
            return
    if sweep_plan["ecs_instance_ids"]:
        result["step"] = DRAIN
        changed, nodes = ensure_cluster_state(ecs(), sweep_plan["ecs_instance_ids"], ABSENT, check_mode, drain_timeout=options["drain_timeout"])
        result["drained"] = _step(changed, nodes, "node", check_mode, key="nodes")
    ids = deregister_ids(sweep_plan, result["drained"])
    if ids:
        result["step"] = DEREGISTER
        # The find has just listed these nodes: no describe again (a node gone since answers that it is).
        deregistered = deregister_listed(ssm, ids, check_mode, options["concurrency"])
        outcomes = [deregistered[i] for i in ids]
        result["deregistered"] = _step(any(o[OUTCOME] == DEREGISTERED for o in outcomes), outcomes, "node", check_mode)
    result["step"] = ""


def sweep(make_clients, targets, criteria, options, check_mode, error_words, at_once=TARGETS_AT_ONCE):
    """Sweep every target (``{account, role_arn, region}``); one result per target, in their order.

    ``make_clients(target)`` returns its SSM client and a function that returns its ECS client (made only when a
    step needs ECS), or raises AnsibleSSMError (the role not assumed);
    ``options`` holds the role's selection words and switches (max_nodes, older_than, tags, activation_ids,
    include_eks_connector_agents, cluster_checks, include_cluster_members, cancel_commands, drain_timeout,
    concurrency). Returns (results, refused).
    """
    results = [
        dict(target, error="", error_code="", step=FIND, instances=[], memberships=[], plan=None, commands={}, drained={}, deregistered={})
        for target in targets
    ]
    clients = {}

    def failed(index, error):
        results[index].update(error=error_words(error), error_code=error.code or "")

    # Every target's clients before any find: they are made one at a time (a boto3 session is not thread-safe), and
    # made while other targets' finds held the CPU, the last of twenty started finding 1.3-1.7 s after the first.
    for index, (made, error) in run_per_item(range(len(targets)), lambda index: make_clients(targets[index]), at_once).items():
        if error is not None:
            failed(index, error)
        else:
            clients[index] = made

    def found(index):
        return find(clients[index], criteria, options["cluster_checks"], targets[index]["region"])

    for index, (answer, error) in run_per_item(list(clients), found, at_once).items():
        if error is not None:
            failed(index, error)
            continue
        result = results[index]
        result["instances"], result["memberships"] = answer
        result["plan"] = plan(
            result["instances"],
            options["max_nodes"],
            options["older_than"],
            tags=options["tags"],
            activation_ids=options["activation_ids"],
            include_eks_connector_agents=options["include_eks_connector_agents"],
            memberships=result["memberships"],
            include_cluster_members=options["include_cluster_members"],
        )
        result["step"] = ""
    planned = [index for index, result in enumerate(results) if result["plan"] is not None]
    refused = guard([results[index]["plan"] for index in planned], options["max_nodes"])
    if not refused:
        acted = run_per_item(planned, lambda index: act(clients[index], results[index], options, check_mode), at_once)
        for index, (_none, error) in acted.items():
            if error is not None:
                failed(index, error)
    return results, refused


def transferable(results, masked):
    """The account-regions as the module returns them: as JSON text, one value, which ansible-core decodes at once
    where it decodes a list element by element (about 7 us each in 2.19; 4,000 nodes' plans and steps are some
    80,000); the list itself where a value Ansible masks (``masked``, the module's no_log values: an account's external
    ID, the assumed credentials) occurs in that text. exit_json masks such a value wherever it occurs in a string,
    and in JSON text that may be a key or a number; in the list only values are masked, as in any module's result.
    Not ASCII-escaped, so a masked value reads in the text exactly as given."""
    text = json.dumps(results, ensure_ascii=False)
    return results if any(value and value in text for value in masked) else text
