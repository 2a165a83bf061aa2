# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The decommission role's cluster stage: a node that serves a cluster leaves it before SSM forgets the node.

On ECS Anywhere and EKS Hybrid Nodes the SSM agent supplies the node's AWS credentials: deregistering the managed
node cuts them while tasks or pods still run. The stage ``cluster`` runs after ``read`` and before anything is
changed (the cancel, the agent's stop, the deregistration), with two steps, each one call per region:

* ``cluster_read``: the batch's nodes tagged ``EKSClusterARN`` with their tags
  (hybridops.ssm.ssm_managed_instance_info, ``tag_keys`` and ``include_tags``): one listing of the region's nodes carrying the key (SSM's ``tag-key`` filter),
  matched against the batch, and one ListTagsForResource per member only - not a second listing of the batch by ID
  after the read stage's, nor a tag call per node. A node tagged ``EKSClusterARN`` (AWS recommends the tag on a
  hybrid cluster's activation; its nodes carry it) is an EKS Hybrid Node: it is refused - nothing is changed for
  it, its problem names the steps to take - unless ``decommission_hybrid_node_eks_node_drained`` states that it
  was drained. The Kubernetes API is not called.
* ``ecs``: the ECS Anywhere container instances of the nodes (hybridops.ssm.ecs_anywhere_instance, state absent):
  drained, waited for (``decommission_hybrid_node_drain_timeout``), deregistered from their cluster. A node whose
  tasks still run after the wait keeps its SSM registration - the host gets a problem saying why - unless
  ``decommission_hybrid_node_deregister_undrained`` (then the container instance is deregistered with force).

A host's cluster findings are kept under ``state["cluster"]``: ``eks_cluster_arn``, ``ecs`` (its container
instances as the module reports them), ``ecs_outcome`` (the module's word) and ``checked``.
"""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.container_instances import EKS_CLUSTER_TAG
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import NO_REGION
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import DEREGISTERED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import DRAIN_TIMED_OUT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import MSG
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import NOT_A_MEMBER
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import OUTCOME
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import D
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import no_region

CLUSTER = "cluster"  # the role's stage
CLUSTER_READ = "cluster_read"  # the nodes' tags: EKS Hybrid Nodes
ECS = "ecs"  # the nodes' ECS Anywhere container instances: drained, waited for, deregistered
CLUSTER_STEPS = (CLUSTER_READ, ECS)
CLUSTER_MODULES = {CLUSTER_READ: "hybridops.ssm.ssm_managed_instance_info", ECS: "hybridops.ssm.ecs_anywhere_instance"}
# The batch's options of the stage (a batched call takes one value for all its hosts).
CLUSTER_OPTIONS = ("drain_timeout", "drain_poll_interval", "deregister_undrained")

# What the role says an EKS Hybrid Node needs before SSM may forget it (AWS's order for EKS Hybrid Nodes).
EKS_STEPS = "kubectl drain {node} --ignore-daemonsets --delete-emptydir-data; nodeadm uninstall (on the node); kubectl delete node {node}"


def cluster_of(state):
    """The host's cluster findings (empty before the stage ran, or with the checks off)."""
    return state.get("cluster") or {}


def cluster_takes_part(step, state):
    """Whether the host's node goes into the step's calls (the caller has checked it has no problem and an ID)."""
    del step
    return bool(state["node"].get("cluster_checks", True))


def cluster_args(step, items, options):
    """A call's module arguments for ``items`` (node IDs of one region)."""
    if step == CLUSTER_READ:
        return {"instance_ids": items, "tag_keys": [EKS_CLUSTER_TAG], "include_tags": True}
    return {
        "instance_ids": items,
        "state": "absent",
        "drain_timeout": int(options.get("drain_timeout", 300)),
        "poll_interval": float(options.get("drain_poll_interval", 5)),
        "force": bool(options.get("deregister_undrained", False)),
    }


def _failed(host, state, answer, key, doing):
    if key in answer:
        return ""
    node = state["node"]
    if answer.get("error_code") == NO_REGION and not node["region"]:
        return no_region(host, state)
    return f"{host}: {doing} {node['id']} failed, so nothing was changed for it: {answer.get('msg') or 'no answer'}"


def eks_refusal(host, node_id, cluster_arn):
    return (
        f"{host}: {node_id} is an EKS Hybrid Node of {cluster_arn} (its {EKS_CLUSTER_TAG} tag): deregistering it cuts the credentials"
        f" of the kubelet and its pods, so nothing was changed. First: {EKS_STEPS.format(node=node_id)}. `nodeadm uninstall` deregisters"
        f" the node itself; to let this role deregister it instead, once it is drained, set {D}eks_node_drained=true"
        " (with the host steps, the role then runs nodeadm uninstall on the host first where it is installed)"
    )


def _cluster_read(host, state, answer):
    problem = _failed(host, state, answer, "instances", "reading the tags of")
    if problem:
        return {"problem": problem}
    node = state["node"]
    # The answer holds the batch's nodes that carry the tag key: a node missing from it is no EKS Hybrid Node.
    listed = next((i for i in answer["instances"] if i.get("instance_id") == node["id"]), {})
    arn = str((listed.get("tags") or {}).get(EKS_CLUSTER_TAG) or "")
    change = {"cluster": {**cluster_of(state), "checked": True, "eks_cluster_arn": arn}}
    if arn and not node.get("eks_node_drained"):
        change["problem"] = eks_refusal(host, node["id"], arn)
    return change


def _ecs_problem(host, node_id, record):
    members = record.get("container_instances") or []
    left = [m for m in members if m.get("running_tasks")]
    tasks = "; ".join(
        f"{len(m['running_tasks'])} task(s) on {m['container_instance_arn']} in cluster {m['cluster']}: {', '.join(m['running_tasks'][:5])}" for m in left
    )
    return (
        f"{host}: {node_id} is an ECS Anywhere container instance whose tasks did not stop within {D}drain_timeout: {tasks}."
        " Its SSM agent supplies the credentials these tasks run with, so the node was NOT deregistered from SSM (the container instance"
        f" is left DRAINING). Stop those tasks (tasks of no service are not drained by ECS), or set {D}deregister_undrained=true"
        " to deregister the container instance (forced: its tasks are left running) and the node anyway"
    )


def _ecs(host, state, answer):
    node = state["node"]
    problem = _failed(host, state, answer, "nodes", "draining the ECS container instance of")
    if problem:
        return {"problem": problem}
    record = next((n for n in answer["nodes"] if n.get("instance_id") == node["id"]), {})
    outcome = record.get(OUTCOME, "")
    change = {"cluster": {**cluster_of(state), "checked": True, "ecs": record.get("container_instances") or [], "ecs_outcome": outcome}}
    if outcome == DRAIN_TIMED_OUT:
        change["problem"] = _ecs_problem(host, node["id"], record)
    elif outcome not in (DEREGISTERED, NOT_A_MEMBER):
        change["problem"] = (
            f"{host}: draining or deregistering the ECS container instance of {node['id']} failed, so the node was not deregistered from SSM:"
            f" {record.get(MSG) or answer.get('msg') or 'no answer'}"
        )
    return change


CLUSTER_APPLY = {CLUSTER_READ: _cluster_read, ECS: _ecs}


def cluster_result(state):
    """The host's ``cluster`` entry of its outcome: what the cluster stage found and did, in the modules' words."""
    found = cluster_of(state)
    if not state["node"].get("cluster_checks", True):
        return {"checked": False}
    result = {"checked": bool(found.get("checked")), "eks_cluster_arn": found.get("eks_cluster_arn", ""), "ecs": found.get("ecs_outcome", "")}
    members = found.get("ecs") or []
    if members:
        result["container_instances"] = [
            {
                "cluster": m.get("cluster"),
                "container_instance_arn": m.get("container_instance_arn"),
                "running_tasks": m.get("running_tasks") or [],
                "forced": bool(m.get("forced")),
            }
            for m in members
        ]
    return result


def cluster_words(state, check_mode):
    """The cluster part of the host's summary line, or '' for a node that serves no cluster."""
    found = cluster_of(state)
    words = []
    if found.get("eks_cluster_arn"):
        words.append(f"EKS Hybrid Node of {found['eks_cluster_arn']}" + ("" if state["problem"] else f" (stated drained: {D}eks_node_drained)"))
    members = found.get("ecs") or []
    outcome = found.get("ecs_outcome", "")
    if members:
        verb = f"would drain and deregister (now {sum(len(m.get('running_tasks') or []) for m in members)} running task(s))" if check_mode else outcome
        if outcome == DEREGISTERED and not check_mode:
            verb = "drained and deregistered" + (" (forced, tasks left running)" if any(m.get("forced") for m in members) else "")
        where = ", ".join(f"{m['cluster']}/{m['container_instance_arn'].rsplit('/', 1)[-1]}" for m in members)
        words.append(f"ECS container instance {where}: {verb}")
    return "; ".join(words)


def cluster_plan_lines(host, state, check_mode):
    """(before, after) lines of the host for the stage's diff, or None."""
    found = cluster_of(state)
    members = found.get("ecs") or []
    if not members or found.get("ecs_outcome") != DEREGISTERED:
        return None
    before = [f"{host}: ECS container instance {m['container_instance_arn']} (cluster {m['cluster']}): {m.get('status')}" for m in members]
    after = [f"{host}: ECS container instance {m['container_instance_arn']} (cluster {m['cluster']}): INACTIVE (deregistered)" for m in members]
    return before, after
