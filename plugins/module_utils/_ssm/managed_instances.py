# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Desired state of hybrid managed nodes: deregistered (absent) or role and tags (present).

Both take plain values and ``check_mode``, look every node up first with
ceil(n/50) describe calls, and make a mutating call only where the node
differs from what was asked. Every node gets an outcome; a failure on one
never stops or hides the others.
"""

import time

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict

from .budget import task_budget
from .bulk import run_per_item
from .instances import add_instance_tags
from .instances import deregister_managed_instance
from .instances import describe_instances_by_id
from .instances import list_instance_tags
from .instances import remove_instance_tags
from .instances import update_managed_instance_role
from .outcomes import ALREADY_ABSENT
from .outcomes import DEREGISTERED
from .outcomes import FAILED
from .outcomes import MSG
from .outcomes import OUTCOME
from .outcomes import UNCHANGED
from .outcomes import UPDATED
from .outcomes import failure_record

ANSWER_LOST_NOTE = (
    "the answer to a deregister request was lost (connection closed or server error) and the retry found the node"
    " no longer registered: it was registered when this task began, so this task's request deregistered it"
)

NOT_REGISTERED_ADVICE = (
    "the node is not registered in this account and region; registration is done on the host by the SSM agent"
    " with an activation code and ID (amazon-ssm-agent -register), not by this module"
)


# Top-level key name -> its snake_case name, as camel_dict_to_snake_dict makes it.
_SNAKE_KEYS = {}


def _snake_key(key):
    name = _SNAKE_KEYS.get(key)
    if name is None:
        name = _SNAKE_KEYS[key] = next(iter(camel_dict_to_snake_dict({key: None})))
    return name


def _plain(value):
    """A scalar, or a dict of plain values (AssociationOverview and its counts by status)."""
    if isinstance(value, dict):
        return all(_plain(item) for item in value.values())
    return not isinstance(value, list)


def _converted(value):
    if isinstance(value, dict):
        return {_snake_key(key): _converted(item) for key, item in value.items()}
    return value.isoformat() if hasattr(value, "isoformat") else value


def node_to_ansible(node, tags=None):
    """A described node in snake_case; ``tags`` (a dict) when they were read.

    The same as boto3_resource_to_ansible_dict(node, force_tags=False): keys in
    snake_case (nested ones too), dates as ISO 8601 strings. A node of scalars
    and nested dicts (what DescribeInstanceInformation returns: AssociationOverview
    is a structure holding a map of counts) skips the generic path's deep copy,
    JSON round trip and per-key regular expressions: each key name is converted
    once per process, which on 1,000 nodes saves a good part of the module's own
    CPU time (docs/performance.md). Lists (a Tags list) take the generic path.
    """
    if _plain(node):
        result = _converted(node)
    else:
        result = boto3_resource_to_ansible_dict(node, force_tags=False)
    if tags is not None:
        result["tags"] = tags
    return result


def absent_record(instance_id, region):
    """The outcome of a node that is not registered in ``region``, the region this task looked in."""
    return {
        "instance_id": instance_id,
        OUTCOME: ALREADY_ABSENT,
        "region": region,
        MSG: f"not registered in {region or 'the default region'} (the region looked in); a node registered in another region is not seen here",
    }


def deregister_outcome(client, instance_id):
    """Deregister one node that was listed; its outcome record.

    ``already_absent`` only when SSM answered every attempt and the node was
    not registered any more (it vanished between the describe and the
    deregister). When an earlier attempt may have been served but its answer
    was lost, the node is gone because of this task: ``deregistered``, with a
    ``msg`` saying so. Raises AnsibleSSMError when every attempt failed.
    """
    deregistered, unanswered = deregister_managed_instance(client, instance_id)
    if deregistered:
        return {"instance_id": instance_id, OUTCOME: DEREGISTERED}
    if unanswered:
        return {"instance_id": instance_id, OUTCOME: DEREGISTERED, MSG: ANSWER_LOST_NOTE}
    return absent_record(instance_id, getattr(client.meta, "region_name", None))


def deregister_listed(client, instance_ids, check_mode, concurrency):
    """Deregister nodes a describe has just listed: {instance_id: outcome record}, one per ID.

    For a caller that listed them itself (the sweep's find): no describe again. A node gone since is
    ``already_absent`` only when SSM answered that it is not registered (deregister_outcome).
    """
    if check_mode:
        return {instance_id: {"instance_id": instance_id, OUTCOME: DEREGISTERED} for instance_id in instance_ids}
    answers = run_per_item(instance_ids, lambda i: deregister_outcome(client, i), concurrency)
    return {instance_id: failure_record(instance_id, error) if error is not None else record for instance_id, (record, error) in answers.items()}


def ensure_absent(client, instance_ids, check_mode, concurrency, wait=False, wait_timeout=300, poll_interval=2):
    """Deregister the registered nodes among ``instance_ids``.

    Returns (changed, result) where result has ``instances`` (the registered
    nodes as they were), ``outcomes`` (one per ID, in the order given) and
    ``timed_out`` (``{instance_id}`` of each node still listed when ``wait`` ran out).
    """
    registered, unreadable = describe_instances_by_id(client, instance_ids)
    to_deregister = [i for i in instance_ids if i in registered]
    region = getattr(client.meta, "region_name", None)
    outcomes = {i: failure_record(i, error) for i, error in unreadable.items()}
    outcomes.update((i, absent_record(i, region)) for i in instance_ids if i not in registered and i not in unreadable)
    outcomes.update(deregister_listed(client, to_deregister, check_mode, concurrency))

    done = [i for i in to_deregister if outcomes[i][OUTCOME] == DEREGISTERED]
    timed_out = []
    if wait and done and not check_mode and task_budget().stopped() is None:
        timed_out = [{"instance_id": i} for i in wait_until_unlisted(client, done, wait_timeout, poll_interval)]

    result = {
        "instances": [node_to_ansible(registered[i]) for i in to_deregister],
        "outcomes": [outcomes[i] for i in instance_ids],
        "timed_out": timed_out,
    }
    return bool(done), result


def wait_until_unlisted(client, instance_ids, timeout, poll_interval, clock=time.monotonic, sleep=time.sleep):
    """Poll until no node of ``instance_ids`` lists any more; return those still listed at the deadline.

    SSM keeps listing a deregistered node for a while (minutes, at times). A
    node whose describe is rejected counts as still listed: it is not known
    to be gone. A describe that fails as a whole raises (AnsibleSSMError).
    """
    deadline = clock() + timeout
    remaining = list(instance_ids)
    while remaining:
        listed, unreadable = describe_instances_by_id(client, remaining)
        remaining = [i for i in remaining if i in listed or i in unreadable]
        if not remaining or clock() >= deadline:
            break
        sleep(min(poll_interval, max(0.0, deadline - clock())))
    return remaining


def _plan_present(node, current_tags, iam_role, tags, purge_tags):
    """What to change on one node: (new role or None, tags to set, tag keys to unset)."""
    role_change = iam_role if iam_role is not None and node.get("IamRole") != iam_role else None
    tags_to_set, tags_to_unset = {}, []
    if tags is not None:
        tags_to_set, tags_to_unset = compare_aws_tags(current_tags or {}, tags, purge_tags)
    return role_change, tags_to_set, tags_to_unset


# SSM's tag reads lag its tag writes (tagging is eventually consistent), so
# a task run right after this one could read the old tags and change them
# again. After changing nodes' tags, read them back until SSM shows the
# change, for at most this many seconds; past that the task goes on. The
# nodes are read back together, one pause a round for all of them: a pause
# per node would make 120 nodes wait 120 lags (30 s at 4 at a time).
TAG_SETTLE_WAIT = 10.0
TAG_SETTLE_POLL = 0.5


def wait_for_tags(client, expected, concurrency, settle=TAG_SETTLE_WAIT, clock=time.monotonic, sleep=time.sleep):
    """Read each node's tags until they are ``expected[node]`` or ``settle`` seconds passed.

    Returns the nodes whose tags SSM did not show in time. A failed read is not
    a failed node (its change was made): the node is read again next round.
    """
    deadline = clock() + settle
    pending = dict(expected)
    while pending:
        read = run_per_item(list(pending), lambda i: list_instance_tags(client, i), concurrency)
        pending = {i: tags for i, tags in pending.items() if read[i][0] != tags}
        if not pending or clock() >= deadline or task_budget().stopped() is not None:
            break
        sleep(min(TAG_SETTLE_POLL, max(0.0, deadline - clock())))
    return sorted(pending)


def _converge_node(client, node, iam_role, tags, purge_tags, check_mode):
    instance_id = node["InstanceId"]
    current_tags = list_instance_tags(client, instance_id) if tags is not None else None
    role_change, tags_to_set, tags_to_unset = _plan_present(node, current_tags, iam_role, tags, purge_tags)
    changed = bool(role_change or tags_to_set or tags_to_unset)
    if changed and not check_mode:
        if role_change:
            update_managed_instance_role(client, instance_id, role_change)
        if tags_to_unset:
            remove_instance_tags(client, instance_id, tags_to_unset)
        if tags_to_set:
            add_instance_tags(client, instance_id, tags_to_set)
    after_tags = None
    if current_tags is not None:
        after_tags = {k: v for k, v in current_tags.items() if k not in tags_to_unset}
        after_tags.update(tags_to_set)
    return {
        "changed": changed,
        "tags_changed": bool(tags_to_set or tags_to_unset) and not check_mode,
        "before": node_to_ansible(node, current_tags),
        "after_role": role_change or node.get("IamRole"),
        "after_tags": after_tags,
    }


def ensure_present(client, instance_ids, iam_role, tags, purge_tags, check_mode, concurrency):
    """Give registered nodes ``iam_role`` and ``tags`` where they differ.

    Returns (changed, result) with ``instances`` (as they were), ``outcomes``
    and ``diff`` ({before, after}: role and tags per node).
    """
    registered, unreadable = describe_instances_by_id(client, instance_ids)
    outcomes = {i: failure_record(i, error) for i, error in unreadable.items()}
    for instance_id in instance_ids:
        if instance_id not in registered and instance_id not in unreadable:
            outcomes[instance_id] = {"instance_id": instance_id, OUTCOME: FAILED, "error_code": "NotRegistered", MSG: NOT_REGISTERED_ADVICE}

    found = [i for i in instance_ids if i in registered]
    converged = run_per_item(found, lambda i: _converge_node(client, registered[i], iam_role, tags, purge_tags, check_mode), concurrency)
    retagged = {i: state["after_tags"] for i, (state, error) in converged.items() if error is None and state["tags_changed"]}
    if retagged:
        wait_for_tags(client, retagged, concurrency)
    instances, before, after = [], {}, {}
    for instance_id in found:
        state, error = converged[instance_id]
        if error is not None:
            outcomes[instance_id] = failure_record(instance_id, error)
            instances.append(node_to_ansible(registered[instance_id]))
            continue
        outcomes[instance_id] = {"instance_id": instance_id, OUTCOME: UPDATED if state["changed"] else UNCHANGED}
        instances.append(state["before"])
        before[instance_id] = {"iam_role": state["before"].get("iam_role")}
        after[instance_id] = {"iam_role": state["after_role"]}
        if state["after_tags"] is not None:
            before[instance_id]["tags"] = state["before"]["tags"]
            after[instance_id]["tags"] = state["after_tags"]

    changed = any(o[OUTCOME] == UPDATED for o in outcomes.values())
    result = {"instances": instances, "outcomes": [outcomes[i] for i in instance_ids], "diff": {"before": before, "after": after}}
    return changed, result
