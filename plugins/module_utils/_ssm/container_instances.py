# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The container instances of hybrid nodes (ECS Anywhere): found, drained, waited for, deregistered.

On an ECS Anywhere node the SSM agent supplies the ECS agent's credentials: deregistering the managed node while
tasks run cuts them. AWS's order to retire one is drain, DeregisterContainerInstance, DeregisterManagedInstance.
This file does the ECS part, for the modules hybridops.ssm.ecs_anywhere_instance and its _info module:

* **find**: the clusters of the region, listed once (ListClusters, every page); in each, the container instances
  whose ``ec2InstanceId`` is one of the nodes (ListContainerInstances with a cluster query, ECS_FILTER_IDS_MAX
  nodes per call; INACTIVE ones are not listed), described in batches of ECS_DESCRIBE_MAX.
* **drain**: UpdateContainerInstancesState DRAINING for the ACTIVE ones, ECS_UPDATE_STATE_MAX per call; then, every
  ``poll_interval`` seconds until ``drain_timeout`` passes, one DescribeContainerInstances per cluster and 100 for
  those with tasks left (their ``runningTasksCount``); last, ListTasks (desired status RUNNING) of each, which
  decides: a container instance is drained when it has no running task (the check AWS's documentation names).
  Service tasks are stopped and replaced elsewhere by ECS; tasks of no service run until someone stops them.
* **deregister** (state absent): DeregisterContainerInstance of each drained one; one whose tasks still run only
  with ``force`` (the tasks are left running, no longer accounted for), otherwise it is left DRAINING and the node
  is reported ``drain_timed_out`` with the tasks that still run.

Check mode reads only: the drain and the deregistration are predicted from what runs now, nothing is waited for.
Plain values in, ``(changed, nodes)`` out; ``clock``/``sleep`` are injectable for the unit tests.
"""

import time

from .constraints import DRAIN_SECONDS
from .constraints import ECS_DESCRIBE_MAX
from .constraints import ECS_FILTER_IDS_MAX
from .constraints import ECS_UPDATE_STATE_MAX
from .constraints import HYBRID_NODE_ID
from .constraints import POLL_SECONDS
from .constraints import check_list
from .constraints import check_number
from .constraints import check_range
from .ecs import deregister_container_instance
from .ecs import describe_container_instances
from .ecs import list_clusters
from .ecs import list_container_instances
from .ecs import list_tasks
from .ecs import update_container_instances_state
from .errors import AnsibleSSMError
from .node_tags import read_node_tags
from .outcomes import ABSENT
from .outcomes import ALREADY_DRAINED
from .outcomes import DEREGISTERED
from .outcomes import DRAIN_TIMED_OUT
from .outcomes import DRAINED
from .outcomes import FAILED
from .outcomes import MSG
from .outcomes import NOT_A_MEMBER
from .outcomes import OUTCOME
from .outcomes import error_message

# The states the module takes: drained (drain and wait), absent (then deregister the container instance).
DRAINED_STATE = "drained"
STATES = (DRAINED_STATE, ABSENT)
ACTIVE = "ACTIVE"
DRAINING = "DRAINING"
INACTIVE = "INACTIVE"


def _chunks(items, size):
    return [items[start : start + size] for start in range(0, len(items), size)]


def cluster_name(cluster_arn):
    """The cluster's name from its ARN (``arn:aws:ecs:REGION:ACCOUNT:cluster/NAME``)."""
    return str(cluster_arn).rsplit("/", 1)[-1]


def _member(cluster_arn, described):
    return {
        "cluster_arn": cluster_arn,
        "cluster": cluster_name(cluster_arn),
        "container_instance_arn": described["containerInstanceArn"],
        "status": described.get("status", ""),
        "running_tasks_count": described.get("runningTasksCount", 0),
        "agent_connected": bool(described.get("agentConnected", False)),
        "running_tasks": [],
        "drain_sent": False,
        "deregistered": False,
    }


def find_memberships(client, instance_ids):
    """``{instance_id: [container instance]}`` for every node of ``instance_ids`` (an empty list: no member).

    One ListClusters listing, then per cluster ceil(n / ECS_FILTER_IDS_MAX) ListContainerInstances and
    ceil(found / ECS_DESCRIBE_MAX) DescribeContainerInstances. A listing that fails raises: it never reads as
    "not a member". A container instance INACTIVE (deregistered) is not a membership.
    """
    instance_ids = check_list("instance_ids", instance_ids, HYBRID_NODE_ID)
    found = {instance_id: [] for instance_id in instance_ids}
    if not instance_ids:
        return found
    for cluster_arn in list_clusters(client):
        arns = []
        for batch in _chunks(instance_ids, ECS_FILTER_IDS_MAX):
            arns += [arn for arn in list_container_instances(client, cluster_arn, batch) if arn not in arns]
        for batch in _chunks(arns, ECS_DESCRIBE_MAX):
            described, _missing = describe_container_instances(client, cluster_arn, batch)
            for instance in described:
                node = instance.get("ec2InstanceId")
                if node in found and instance.get("status") != INACTIVE:
                    found[node].append(_member(cluster_arn, instance))
    return found


def add_running_tasks(client, memberships):
    """Each container instance's running tasks (ListTasks, desired status RUNNING), in place."""
    for members in memberships.values():
        for member in members:
            member["running_tasks"] = list_tasks(client, member["cluster_arn"], member["container_instance_arn"])
            member["running_tasks_count"] = len(member["running_tasks"])
    return memberships


def _by_cluster(members):
    grouped = {}
    for member in members:
        grouped.setdefault(member["cluster_arn"], []).append(member)
    return grouped


def _fail(member, error):
    member.update({"failed": True, MSG: error_message(error), "error_code": error.code})


def _send_drain(client, members):
    """UpdateContainerInstancesState DRAINING for ``members`` (ACTIVE ones), ECS_UPDATE_STATE_MAX per call."""
    for cluster_arn, of_cluster in _by_cluster(members).items():
        for batch in _chunks(of_cluster, ECS_UPDATE_STATE_MAX):
            by_arn = {m["container_instance_arn"]: m for m in batch}
            try:
                updated, failures = update_container_instances_state(client, cluster_arn, list(by_arn), DRAINING)
            except AnsibleSSMError as error:
                for member in batch:
                    _fail(member, error)
                continue
            for instance in updated:
                if instance.get("containerInstanceArn") in by_arn:
                    by_arn[instance["containerInstanceArn"]].update(drain_sent=True)
            for failure in failures:
                member = by_arn.get(failure.get("arn"))
                if member is not None:
                    member.update({"failed": True, MSG: f"ECS did not drain it: {failure.get('reason')} {failure.get('detail') or ''}".strip()})


def _still_running(client, members):
    """The members with tasks left, by their runningTasksCount (one DescribeContainerInstances per cluster and 100)."""
    left = []
    for cluster_arn, of_cluster in _by_cluster(members).items():
        for batch in _chunks(of_cluster, ECS_DESCRIBE_MAX):
            by_arn = {m["container_instance_arn"]: m for m in batch}
            described, _missing = describe_container_instances(client, cluster_arn, list(by_arn))
            for instance in described:
                if instance.get("runningTasksCount", 0) > 0 and instance["containerInstanceArn"] in by_arn:
                    left.append(by_arn[instance["containerInstanceArn"]])
    return left


def wait_drained(client, members, drain_timeout, poll_interval, clock=time.monotonic, sleep=time.sleep):
    """Wait until no member has a running task, at most ``drain_timeout`` seconds; the seconds waited."""
    started = clock()
    pending = [m for m in members if not m.get("failed")]
    while pending:
        try:
            pending = _still_running(client, pending)
        except AnsibleSSMError:
            break  # ListTasks below decides; a failing describe must not end the wait as "drained"
        if not pending or clock() - started + poll_interval > drain_timeout:
            break
        sleep(poll_interval)
    return round(clock() - started, 1)


def _deregister(client, member, force):
    try:
        deregister_container_instance(client, member["cluster_arn"], member["container_instance_arn"], force=force)
    except AnsibleSSMError as error:
        _fail(member, error)
    else:
        member["deregistered"] = True
        member["forced"] = bool(force and member["running_tasks"])


def _tasks_words(members):
    left = [m for m in members if m["running_tasks"]]
    return "; ".join(f"{len(m['running_tasks'])} task(s) still run on {m['container_instance_arn']} (cluster {m['cluster']})" for m in left)


def _node_outcome(instance_id, members, state, check_mode, drain_timeout):
    """The node's entry: its outcome word, its container instances and, where needed, why."""
    record = {"instance_id": instance_id, "container_instances": members}
    failed = [m for m in members if m.get("failed")]
    left = [m for m in members if m["running_tasks"] and not m["deregistered"]]
    if not members:
        record[OUTCOME] = NOT_A_MEMBER
    elif failed:
        record.update({OUTCOME: FAILED, MSG: "; ".join(f"{m['container_instance_arn']}: {m[MSG]}" for m in failed)})
        codes = [m["error_code"] for m in failed if m.get("error_code")]
        if codes:
            record["error_code"] = codes[0]
    elif left and not check_mode:
        record.update(
            {
                OUTCOME: DRAIN_TIMED_OUT,
                MSG: f"{_tasks_words(left)} after drain_timeout ({drain_timeout}s): tasks that belong to no service run until"
                " someone stops them; the container instance was left DRAINING"
                + (" and not deregistered (force: true deregisters it anyway, leaving the tasks running)" if state == ABSENT else ""),
            }
        )
    elif state == ABSENT:
        record[OUTCOME] = DEREGISTERED
    else:
        record[OUTCOME] = DRAINED if any(m["drain_sent"] or m["status"] == ACTIVE for m in members) else ALREADY_DRAINED
    if check_mode and left and record[OUTCOME] in (DRAINED, DEREGISTERED):
        record[MSG] = f"check mode, nothing was waited for: {_tasks_words(left)} now; whether they stop within drain_timeout shows in a real run"
    return record


def ensure_cluster_state(client, instance_ids, state, check_mode, drain_timeout=300, poll_interval=5.0, force=False, clock=time.monotonic, sleep=time.sleep):
    """Drain (``state: drained``) or drain and deregister (``state: absent``) the container instances of the nodes.

    Returns (changed, nodes): one entry per node, in the order given, ``{instance_id, outcome,
    container_instances}`` plus ``msg`` (and ``error_code``) where there is something to say. Bad input raises
    SSMValidationError before any request; a failing listing raises.
    """
    instance_ids = check_list("instance_ids", instance_ids, HYBRID_NODE_ID)
    check_range("drain_timeout", drain_timeout, DRAIN_SECONDS)
    check_number("poll_interval", poll_interval, POLL_SECONDS, "seconds")
    memberships = find_memberships(client, instance_ids)
    members = [m for ms in memberships.values() for m in ms]
    active = [m for m in members if m["status"] == ACTIVE]
    if check_mode:
        add_running_tasks(client, memberships)
    else:
        _send_drain(client, active)
        if members:
            wait_drained(client, members, drain_timeout, poll_interval, clock=clock, sleep=sleep)
        for member in members:
            if not member.get("failed"):
                try:
                    member["running_tasks"] = list_tasks(client, member["cluster_arn"], member["container_instance_arn"])
                except AnsibleSSMError as error:
                    _fail(member, error)
            member["running_tasks_count"] = len(member["running_tasks"])
        if state == ABSENT:
            for member in members:
                if not member.get("failed") and (not member["running_tasks"] or force):
                    _deregister(client, member, force)
    nodes = [_node_outcome(instance_id, memberships[instance_id], state, check_mode, drain_timeout) for instance_id in instance_ids]
    if check_mode:
        changed = bool(active) or (state == ABSENT and bool(members))
    else:
        changed = any(m["drain_sent"] or m["deregistered"] for m in members)
    return changed, nodes


def membership_diff(nodes, state, check_mode):
    """(before, after) dictionaries ``{instance_id: [cluster/arn status]}`` for a diff (after as predicted in check mode)."""
    before, after = {}, {}
    for node in nodes:
        for member in node["container_instances"]:
            name = f"{member['cluster']}/{member['container_instance_arn'].rsplit('/', 1)[-1]}"
            was = member["status"]
            if member["deregistered"] or (check_mode and state == ABSENT and node[OUTCOME] == DEREGISTERED):
                now = INACTIVE
            elif member["drain_sent"] or (check_mode and was == ACTIVE):
                now = DRAINING
            else:
                now = was
            before.setdefault(node["instance_id"], []).append(f"{name}: {was}")
            after.setdefault(node["instance_id"], []).append(f"{name}: {now}")
    return before, after


# The tag AWS recommends on an EKS Hybrid Nodes activation; the nodes registered with it carry it.
EKS_CLUSTER_TAG = "EKSClusterARN"


def cluster_memberships(client, instance_ids, eks_tags=None):
    """Each node's cluster membership, for the _info module: ``[{instance_id, ecs_member, container_instances,
    eks_cluster_arn}]`` in the order given; ``eks_tags`` ({instance_id: tags}) when the node tags were read, else
    ``eks_cluster_arn`` is left out."""
    memberships = add_running_tasks(client, find_memberships(client, instance_ids))
    nodes = []
    for instance_id, members in memberships.items():
        node = {"instance_id": instance_id, "ecs_member": bool(members), "container_instances": members}
        for member in members:
            for key in ("drain_sent", "deregistered"):
                member.pop(key, None)
        if eks_tags is not None:
            node["eks_cluster_arn"] = (eks_tags.get(instance_id) or {}).get(EKS_CLUSTER_TAG, "")
        nodes.append(node)
    return nodes


def node_memberships(ecs, ssm, instance_ids, region, include_eks=False):
    """cluster_memberships of ``instance_ids``; with ``include_eks``, their EKSClusterARN tags read first through
    ``ssm`` (raises when a read failed: a node whose tags are unknown could be a member taken for none)."""
    eks_tags = None
    if include_eks:
        read = read_node_tags(ssm, instance_ids)
        failure = read.failure(region)
        if failure is not None:
            raise failure
        eks_tags = read.tags
    return cluster_memberships(ecs, instance_ids, eks_tags)
