#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ssm_managed_instance
short_description: Deregister hybrid managed nodes, or manage their IAM role and tags
version_added: 1.0.0
description:
  - Manages AWS Systems Manager hybrid managed nodes (on-premises servers, VMs and edge devices
    registered with an activation, C(mi-...) IDs, EKS Hybrid Nodes among them, and EKS Connector
    agents, C(eks_c:...) IDs).
  - O(state=absent) deregisters the nodes (DeregisterManagedInstance). Nodes that are not registered
    are reported as already absent, not as errors.
  - O(state=present) sets the IAM role (UpdateManagedInstanceRole) and tags of registered nodes where they
    differ. Registering a node is done on the host by the SSM agent with an activation, not by this module.
  - Takes one node or many. Nodes are looked up first with one DescribeInstanceInformation call per
    50 IDs (a call SSM rejects as a whole is split until the IDs it objects to are found; each of those
    fails on its own with SSM's error, never read as not registered); a mutating call is made only for a
    node that differs from what was asked, so a second run reports RV(ignore:changed=false) and makes no mutating call.
  - Every node gets an outcome in RV(outcomes). The task fails only after every node was tried,
    naming the nodes that failed.
  - Deregistering changes nothing on the host; the agent keeps its registration files until they are
    cleaned (see the C(hybridops.ssm.decommission_hybrid_node) role).
author:
  - hybridops maintainers (@hybridops)
options:
  instance_ids:
    description:
      - The IDs of the nodes, C(mi-) followed by 17 lower-case hex digits, or C(eks_c:...) IDs.
      - EC2 instance IDs (C(i-...)) are refused; they cannot be deregistered.
      - Each ID may appear once.
      - A comma-separated string is split and each ID stripped of spaces (V(mi-a, mi-b) works).
      - An empty list is nothing to do - RV(ignore:changed=false), empty RV(outcomes), no request - so the result of
        M(hybridops.ssm.ssm_managed_instance_info) can be passed as it is, also when it matched nothing.
      - Every bad ID is named in one message, grouped by what is wrong (EC2 IDs, bad patterns, duplicates).
    type: list
    elements: str
    required: true
    aliases: [instance_id]
  state:
    description:
      - V(absent) deregisters the nodes.
      - V(present) requires the nodes to be registered and manages O(iam_role) and O(tags).
    type: str
    choices: [absent, present]
    default: present
  iam_role:
    description:
      - The IAM role name (not an ARN, at most 64 characters) the nodes should use. Only with O(state=present).
    type: str
  wait:
    description:
      - With O(state=absent), wait until the deregistered nodes no longer list. Only with O(state=absent).
    type: bool
    default: false
  wait_timeout:
    description:
      - How many seconds to wait with O(wait=true).
    type: int
    default: 300
  concurrency:
    description:
      - How many per-node calls run at once (1-20). SSM publishes no rate limits for these calls;
        the calls share one pace (see O(max_calls_per_second)) and throttled calls are retried with jittered backoff.
    type: int
    default: 4
extends_documentation_fragment:
  - hybridops.ssm.pacing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - O(tags) and O(purge_tags) apply only with O(state=present); O(purge_tags) keeps tags starting with C(aws:).
  - O(tags) applies only to C(mi-) nodes. SSM's tag calls refuse an EKS Connector agent's C(eks_c:) ID, so
    O(tags) with such an ID in O(instance_ids) is refused before any request (O(iam_role) alone is not).
  - SSM's tag reads lag its tag writes. After changing nodes' tags the module reads them back
    (ListTagsForResource), all the changed nodes together, until SSM shows the change, for at most 10 seconds
    in all, so a task run right after it sees the new tags and changes nothing.
    A node carries at most 50 tags, so more than 50 in O(tags) are refused before any request.
  - Supports check mode (no mutating call is made) and diff mode.
"""

EXAMPLES = r"""
- name: Deregister a decommissioned server
  hybridops.ssm.ssm_managed_instance:
    instance_id: mi-0123456789abcdef0
    state: absent

- name: Deregister many nodes and wait until they no longer list
  hybridops.ssm.ssm_managed_instance:
    instance_ids: "{{ retired_nodes }}"
    state: absent
    wait: true
    concurrency: 8

- name: Deregister a large fleet at no more than 10 calls a second, leaving the account's other SSM clients headroom
  hybridops.ssm.ssm_managed_instance:
    instance_ids: "{{ retired_nodes }}"
    state: absent
    concurrency: 8
    max_calls_per_second: 10

- name: Give registered nodes a role and exactly these tags
  hybridops.ssm.ssm_managed_instance:
    instance_ids:
      - mi-0123456789abcdef0
      - mi-0fedcba9876543210
    iam_role: SSMServiceRoleForHybrid
    tags:
      Environment: production
      Owner: platform
    purge_tags: true
"""

RETURN = r"""
instances:
  description:
    - The registered nodes among O(instance_ids) as they were before the task, in snake_case.
    - C(tags) is included with O(state=present) when O(tags) is given.
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The node's ID.
      type: str
      sample: mi-0123456789abcdef0
    ping_status:
      description: Online, ConnectionLost or Inactive.
      type: str
      sample: ConnectionLost
    last_ping_date_time:
      description: When the agent last reached SSM.
      type: str
      sample: "2026-10-01T12:00:00+00:00"
    iam_role:
      description: The IAM role the node uses.
      type: str
      sample: SSMServiceRoleForHybrid
    activation_id:
      description: The activation the node registered with.
      type: str
      sample: 0a1b2c3d-0000-4000-8000-000000000000
    registration_date:
      description: When the node registered.
      type: str
    resource_type:
      description: ManagedInstance for hybrid nodes.
      type: str
    name:
      description: The node's name in SSM.
      type: str
    computer_name:
      description: The host name the agent reported.
      type: str
    ip_address:
      description: The IP address the agent reported.
      type: str
    platform_type:
      description: Linux, Windows or MacOS.
      type: str
    agent_version:
      description: The SSM agent version.
      type: str
    is_latest_version:
      description: Whether the agent is the latest version.
      type: bool
    platform_name:
      description: The operating system's name.
      type: str
    platform_version:
      description: The operating system's version.
      type: str
    association_status:
      description: The status of the node's State Manager associations, when it has any.
      type: str
    last_association_execution_date:
      description: When an association last ran on the node.
      type: str
    last_successful_association_execution_date:
      description: When an association last ran successfully on the node.
      type: str
    association_overview:
      description: Counts of the node's associations by status.
      type: dict
    source_id:
      description: The ID of the source resource.
      type: str
    source_type:
      description: The type of the source resource.
      type: str
    tags:
      description: The node's tags as a dictionary.
      type: dict
      returned: with O(state=present) and O(tags)
outcomes:
  description: One entry per ID in O(instance_ids), in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The node's ID.
      type: str
    outcome:
      description:
        - V(deregistered), V(already_absent), V(updated), V(unchanged), V(failed) or V(not_attempted).
        - V(already_absent) means not registered in RV(outcomes[].region), the region this task looked in.
        - V(not_attempted) means no call was sent for the node, because the O(deadline) passed or the endpoint failed
          every call for a minute. Run the task again.
        - In check mode, what would happen.
      type: str
    region:
      description: The region the task looked in, for a V(already_absent) node.
      type: str
      returned: when outcome is already_absent
      sample: us-east-1
    error_code:
      description: The AWS error code (or C(NotRegistered)) of a failed node; C(NotAttempted) for a node not attempted.
      type: str
      returned: when outcome is failed or not_attempted
    msg:
      description:
        - What went wrong for a failed node and what to do.
        - For a V(deregistered) node, that the answer to its deregister request was lost (connection closed
          or server error) and the retry found it no longer registered; it was registered when the task began.
        - For an V(already_absent) node, the region looked in.
      type: str
      returned: when outcome is failed, not_attempted or already_absent, or deregistered after a lost answer
timed_out:
  description: Deregistered nodes still listed when O(wait_timeout) ran out (always empty with O(state=present)).
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The node's ID.
      type: str
msg:
  description:
    - On success, one line counting the nodes by outcome.
    - On failure, a summary under 2,000 characters - counts by error code, the first few IDs of each, one advice
      per code; every node's own message is in RV(outcomes).
  returned: always
  type: str
  sample: "3 node(s): 2 deregistered, 1 already_absent"
"""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.budget import start_task
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.bulk import MAX_CONCURRENCY
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.client import ssm_client
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import IAM_ROLE
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import MANAGED_INSTANCE_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import TAGGABLE_INSTANCE_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import TAGS_PER_NODE_MAX
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import WAIT_SECONDS
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_list
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_range
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_string
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_tags
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import string_problem
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.managed_instances import ensure_absent
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.managed_instances import ensure_present
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import ABSENT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import DEREGISTERED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import OUTCOME
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import PRESENT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import failed_outcomes
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import failure_summary
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import shown_ids
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import success_summary
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import check_deadline
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import run_task


def validate(params):
    """Every check on the options, before any request."""
    params["instance_ids"] = check_list("instance_ids", params["instance_ids"], MANAGED_INSTANCE_ID, refuse_ec2=True)
    if params["state"] == ABSENT:
        given = [name for name in ("iam_role", "tags") if params[name] is not None]
        if given:
            values = ", ".join(f"{name}={params[name]!r}" for name in given)
            raise SSMValidationError(
                f"{' and '.join(given)}: only apply with state=present, not with state=absent (given: {values}); state=absent deregisters the nodes.",
                parameter=given[0],
                value=params[given[0]],
            )
    elif params["wait"]:
        raise SSMValidationError(
            "wait: true only applies with state=absent (it waits until deregistered nodes no longer list); state=present does not wait.",
            parameter="wait",
            value=True,
        )
    if params["iam_role"] is not None:
        check_string("iam_role", params["iam_role"], IAM_ROLE)
    check_tags("tags", params["tags"], max_items=TAGS_PER_NODE_MAX)
    if params["tags"] is not None:
        untaggable = [i for i in params["instance_ids"] if string_problem(TAGGABLE_INSTANCE_ID, i)]
        if untaggable:
            raise SSMValidationError(
                f"tags: cannot be set on {shown_ids(untaggable)}: each {TAGGABLE_INSTANCE_ID.name}"
                f" {string_problem(TAGGABLE_INSTANCE_ID, untaggable[0])}; leave these nodes out of instance_ids, or give no tags.",
                parameter="tags",
                value=untaggable,
            )
    check_range("concurrency", params["concurrency"], (1, MAX_CONCURRENCY))
    check_range("wait_timeout", params["wait_timeout"], WAIT_SECONDS)
    check_deadline(params["deadline"])


def run(module):
    params = module.params
    validate(params)
    if not params["instance_ids"]:
        # An empty list (a filter that matched nothing, a rerun on a clean fleet) is nothing to do, not an error.
        module.exit_json(changed=False, instances=[], outcomes=[], timed_out=[], msg=success_summary([], "node", module.check_mode))
    client = ssm_client(module)
    start_task(deadline=params["deadline"])
    if params["state"] == ABSENT:
        changed, result = ensure_absent(
            client, params["instance_ids"], module.check_mode, params["concurrency"], wait=params["wait"], wait_timeout=params["wait_timeout"]
        )
        registered = [n["instance_id"] for n in result["instances"]]
        gone = {o["instance_id"] for o in result["outcomes"] if o[OUTCOME] == DEREGISTERED}
        diff = {"before": {"registered": registered}, "after": {"registered": [i for i in registered if i not in gone]}}
    else:
        changed, result = ensure_present(
            client, params["instance_ids"], params["iam_role"], params["tags"], params["purge_tags"], module.check_mode, params["concurrency"]
        )
        diff = result.pop("diff")
        result["timed_out"] = []

    output = {"changed": changed, **result}
    if module._diff:
        output["diff"] = diff
    if failed_outcomes(result["outcomes"]):
        module.fail_json(msg=failure_summary(result["outcomes"], "instance_id", "node"), **output)
    if result["timed_out"]:
        still_listed = [t["instance_id"] for t in result["timed_out"]]
        module.fail_json(msg=f"wait_timeout: {len(still_listed)} node(s) still listed after {params['wait_timeout']}s: {shown_ids(still_listed)}", **output)
    module.exit_json(msg=success_summary(result["outcomes"], "node", module.check_mode), **output)


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str", required=True, aliases=["instance_id"]),
        state=dict(type="str", choices=[ABSENT, PRESENT], default=PRESENT),
        iam_role=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
        concurrency=dict(type="int", default=4),
    )
    run_task(argument_spec, run)


if __name__ == "__main__":
    main()
