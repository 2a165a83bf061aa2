# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the sweep (the role hybridops.ssm.sweep_stale_hybrid_nodes) decides before any change, as pure functions.

The plan of one account and region (which nodes, which of them are cluster members left out, which ECS container
instances to drain), the guard against more nodes than sweep_stale_hybrid_nodes_max_nodes, counted over the whole
run, and which nodes the deregistration takes after the drain. They live in module_utils because the module
hybridops.ssm.sweep_stale_nodes decides with them between finding and acting (in one process, so that each account
is assumed once); plugin_utils/sweep_report.py builds the report from the same plans.
"""

from .constraints import is_eks_connector_id
from .outcomes import DEREGISTERED
from .outcomes import NOT_A_MEMBER
from .outcomes import OUTCOME

MAX_NODES = "sweep_stale_hybrid_nodes_max_nodes"
INCLUDE_CLUSTER_MEMBERS = "sweep_stale_hybrid_nodes_include_cluster_members"


def over_limit(selected, max_nodes):
    """The guard: True when more nodes are selected than one run may deregister (the limit itself is allowed)."""
    return selected > int(max_nodes)


def selection_words(older_than, tags=None, activation_ids=None, include_eks_connector_agents=False):
    """The selection in words, for the report and the guard's refusal: only the filters given."""
    words = [f"ConnectionLost, last ping before {older_than}"]
    if tags:
        words.append("tags " + " ".join(f"{key}={value}" for key, value in tags.items()))
    if activation_ids:
        words.append("activations " + " ".join(activation_ids))
    if include_eks_connector_agents:
        words.append("EKS Connector agents included")
    return ", ".join(words)


def cluster_members(memberships):
    """The cluster members among the nodes, from hybridops.ssm.ecs_anywhere_instance_info (``include_eks``):
    ``{instance_id: {"ecs_clusters": [names], "eks_cluster_arn": arn}}``, only the nodes that serve a cluster."""
    members = {}
    for node in memberships or []:
        clusters = sorted({m.get("cluster") for m in node.get("container_instances") or [] if m.get("cluster")})
        eks = node.get("eks_cluster_arn") or ""
        if clusters or eks:
            members[node["instance_id"]] = {"ecs_clusters": clusters, "eks_cluster_arn": eks}
    return members


def cluster_words(member):
    """A cluster member's clusters in words: ``ECS cluster edge`` and/or ``EKS cluster ARN``."""
    words = [f"ECS cluster {name}" for name in member["ecs_clusters"]]
    if member["eks_cluster_arn"]:
        words.append(f"EKS cluster {member['eks_cluster_arn']}")
    return ", ".join(words)


def plan(instances, max_nodes, older_than, tags=None, activation_ids=None, include_eks_connector_agents=False, memberships=None, include_cluster_members=False):
    """What the sweep is to do with the nodes ssm_managed_instance_info found, decided before any change.

    ``command_instance_ids`` leaves EKS Connector agents out: SSM's command APIs (ListCommands,
    CancelCommand) take mi- and i- IDs only, so they have nothing to list or cancel.

    ``memberships`` (hybridops.ssm.ecs_anywhere_instance_info's ``nodes``): a node that is an ECS Anywhere container
    instance or tagged EKSClusterARN serves a cluster whose work its SSM agent's credentials carry. It is left out
    (``left_out``, with its clusters) unless ``include_cluster_members``; included, its ECS container instances are
    drained and deregistered first (``ecs_instance_ids``). The guard counts the nodes to deregister.
    """
    members = cluster_members(memberships)
    left_out = [] if include_cluster_members else [node["instance_id"] for node in instances if node["instance_id"] in members]
    instance_ids = [node["instance_id"] for node in instances if node["instance_id"] not in left_out]
    words = selection_words(older_than, tags, activation_ids, include_eks_connector_agents)
    refused = over_limit(len(instance_ids), max_nodes)
    return {
        "instance_ids": instance_ids,
        "command_instance_ids": [i for i in instance_ids if not is_eks_connector_id(i)],
        "ecs_instance_ids": [i for i in instance_ids if members.get(i, {}).get("ecs_clusters")],
        "cluster_members": members,
        "left_out": left_out,
        "refused": refused,
        "max_nodes": int(max_nodes),
        "filter": words,
        "refusal": refusal(len(instance_ids), words, int(max_nodes)) if refused else "",
    }


def deregister_ids(sweep_plan, drained):
    """The nodes the deregistration takes: the plan's, less the ECS members whose container instances did not leave
    their cluster. ``drained`` is the registered result of hybridops.ssm.ecs_anywhere_instance (state absent); a
    result without a node's outcome - the call failed, or was skipped - holds the node back: never read as absence."""
    left = {o["instance_id"]: o.get(OUTCOME) for o in (drained or {}).get("nodes") or []}
    ecs = set(sweep_plan.get("ecs_instance_ids") or [])
    return [i for i in sweep_plan["instance_ids"] if i not in ecs or left.get(i) in (DEREGISTERED, NOT_A_MEMBER)]


def refusal(selected, words, max_nodes):
    """The guard's message: the count, the selection in words and what to do."""
    return (
        f"{selected} nodes match ({words}), more than {MAX_NODES} ({max_nodes}); nothing was changed."
        f" Read the list above and raise {MAX_NODES} if these are really all stale."
    )


def guard(plans, max_nodes):
    """The guard over a whole run: every plan refused when the plans together select more than ``max_nodes``.

    It counts across every account and region: a filter that is wrong is wrong everywhere, and an organisation
    is protected only by a limit on the whole run. Each plan is updated in place (``refused``, ``refusal``);
    returns whether the run is refused.
    """
    selected = sum(len(p["instance_ids"]) for p in plans)
    refused = over_limit(selected, max_nodes)
    words = plans[0]["filter"] if plans else ""
    for p in plans:
        p["refused"] = refused
        p["refusal"] = refusal(selected, words, int(max_nodes)) if refused else ""
    return refused
