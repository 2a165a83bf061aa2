#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_anywhere_instance
short_description: Drain and deregister the ECS Anywhere container instances of hybrid nodes
version_added: 2.0.0
description:
  - On an ECS Anywhere node (an external container instance) the SSM agent supplies the ECS agent's AWS
    credentials. Deregistering the managed node while tasks run cuts them. AWS's order to retire such a node
    is drain, deregister the container instance, then deregister the managed node
    (M(hybridops.ssm.ssm_managed_instance)); this module does the first two.
  - The node's container instances are found by their C(ec2InstanceId), which is the node's C(mi-) ID. The
    clusters of the region are listed once (ListClusters); in each, ListContainerInstances with the cluster query
    C(ec2InstanceId in [...]) takes 10 nodes per call, and DescribeContainerInstances 100 container instances per
    call. A deregistered (C(INACTIVE)) container instance is no membership.
  - O(state=drained) sets the ACTIVE ones C(DRAINING) (UpdateContainerInstancesState, 10 per call) and waits, at
    most O(drain_timeout) seconds, until no task runs on them (DescribeContainerInstances every O(poll_interval)
    seconds, then ListTasks of each, which decides). ECS stops the tasks of a service and starts them elsewhere;
    tasks of no service (RunTask, StartTask) run until someone stops them, and the node is then reported
    V(drain_timed_out) with the tasks that still run.
  - O(state=absent) drains as above, then deregisters each drained container instance
    (DeregisterContainerInstance). One whose tasks still run is left C(DRAINING) and not deregistered, unless
    O(force=true).
  - Idempotent. A second run finds the container instances already C(DRAINING) with no task (V(already_drained))
    or deregistered (V(not_a_member)), reports RV(ignore:changed=false) and sends no UpdateContainerInstancesState
    and no DeregisterContainerInstance.
  - Every node gets an outcome in RV(nodes); the task fails only after every node was handled, naming those that
    failed. A node whose drain timed out is not a failure of the task; its outcome says so.
author:
  - hybridops maintainers (@hybridops)
options:
  instance_ids:
    description:
      - The hybrid nodes, C(mi-) followed by 17 lower-case hex digits. A comma-separated string is split.
      - An empty list is nothing to do (RV(ignore:changed=false), empty RV(nodes), no request).
    type: list
    elements: str
    required: true
    aliases: [instance_id]
  state:
    description:
      - V(drained) drains the container instances and waits for their tasks.
      - V(absent) drains them, waits, then deregisters them from their clusters.
    type: str
    choices: [drained, absent]
    default: absent
  drain_timeout:
    description: Seconds to wait, at most, until no task runs on the drained container instances (1 to 86400).
    type: int
    default: 300
  poll_interval:
    description: Seconds between two looks while waiting (0.1 to 300).
    type: float
    default: 5
  force:
    description:
      - With O(state=absent), deregister a container instance even when tasks still run on it after
        O(drain_timeout). ECS leaves those tasks running, no longer accounted for; once the managed node is
        deregistered they lose their credentials.
    type: bool
    default: false
extends_documentation_fragment:
  - hybridops.ssm.pacing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode (only reads are made, nothing is waited for; the outcomes V(drained) and V(deregistered)
    are predicted from what runs now) and diff mode (each container instance's status before and after).
  - The IAM actions used are C(ecs:ListClusters), C(ecs:ListContainerInstances), C(ecs:DescribeContainerInstances),
    C(ecs:ListTasks), and outside check mode C(ecs:UpdateContainerInstancesState) and, with O(state=absent),
    C(ecs:DeregisterContainerInstance).
seealso:
  - module: hybridops.ssm.ecs_anywhere_instance_info
  - module: hybridops.ssm.ssm_managed_instance
"""

EXAMPLES = r"""
- name: Drain the node's container instance, wait up to 10 minutes, deregister it from its cluster
  hybridops.ssm.ecs_anywhere_instance:
    instance_ids: [mi-0123456789abcdef0]
    state: absent
    drain_timeout: 600
  register: ecs

- name: Then deregister the managed node, only when its container instance is gone
  hybridops.ssm.ssm_managed_instance:
    instance_ids: "{{ ecs.nodes | rejectattr('outcome', 'equalto', 'drain_timed_out') | map(attribute='instance_id') | list }}"
    state: absent

- name: Only drain (the tasks of services move to other container instances)
  hybridops.ssm.ecs_anywhere_instance:
    instance_ids: "{{ retiring }}"
    state: drained
"""

RETURN = r"""
nodes:
  description: One entry per node of O(instance_ids), in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The node's ID.
      type: str
      sample: mi-0123456789abcdef0
    outcome:
      description:
        - V(not_a_member) no container instance of any cluster of the region is this node (or it was deregistered).
        - V(drained) set C(DRAINING) by this task and no task runs on it (in check mode, would be).
        - V(already_drained) already C(DRAINING) and no task runs on it; nothing was sent.
        - V(deregistered) with O(state=absent), its container instances were deregistered (in check mode, would be).
        - V(drain_timed_out) tasks still ran when O(drain_timeout) passed; RV(nodes[].container_instances[].running_tasks)
          names them; the container instance was left C(DRAINING) (and not deregistered unless O(force=true)).
        - V(failed) a call for this node failed; see RV(nodes[].msg).
      type: str
      sample: deregistered
    container_instances:
      description: The node's container instances (one per cluster it joined; usually one).
      type: list
      elements: dict
      contains:
        cluster_arn:
          description: The cluster's ARN.
          type: str
          sample: arn:aws:ecs:us-east-1:123456789012:cluster/edge
        cluster:
          description: The cluster's name.
          type: str
          sample: edge
        container_instance_arn:
          description: The container instance's ARN.
          type: str
        status:
          description: Its status when this task found it (V(ACTIVE), V(DRAINING), ...).
          type: str
          sample: ACTIVE
        running_tasks:
          description: The ARNs of the tasks still running on it after the wait (in check mode, now).
          type: list
          elements: str
        running_tasks_count:
          description: How many tasks still run on it.
          type: int
        agent_connected:
          description: Whether its ECS agent was connected.
          type: bool
        drain_sent:
          description: Whether this task set it C(DRAINING).
          type: bool
        deregistered:
          description: Whether this task deregistered it.
          type: bool
        forced:
          description: Deregistered with O(force=true) while tasks still ran.
          type: bool
          returned: when deregistered
    msg:
      description: Why a node failed or timed out, or what check mode could not tell.
      type: str
      returned: when there is something to say
    error_code:
      description: The AWS error code of a failed node.
      type: str
      returned: when an AWS call failed
msg:
  description: One line counting the nodes by outcome; on failure a summary under 2,000 characters.
  returned: always
  type: str
  sample: "1 node(s): 1 deregistered"
"""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.budget import start_task
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.client import ecs_client
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import DRAIN_SECONDS
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import HYBRID_NODE_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import POLL_SECONDS
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_list
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_number
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_range
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.container_instances import STATES
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.container_instances import ensure_cluster_state
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.container_instances import membership_diff
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import ABSENT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import failed_outcomes
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import failure_summary
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import success_summary
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import check_deadline
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import run_task


def run(module):
    params = module.params
    # Every check on the options, before any request.
    params["instance_ids"] = check_list("instance_ids", params["instance_ids"], HYBRID_NODE_ID)
    check_range("drain_timeout", params["drain_timeout"], DRAIN_SECONDS)
    check_number("poll_interval", params["poll_interval"], POLL_SECONDS, "seconds")
    check_deadline(params["deadline"])
    if not params["instance_ids"]:
        module.exit_json(changed=False, nodes=[], msg=success_summary([], "node", module.check_mode))
    client = ecs_client(module)
    start_task(deadline=params["deadline"])
    changed, nodes = ensure_cluster_state(
        client,
        params["instance_ids"],
        params["state"],
        module.check_mode,
        drain_timeout=params["drain_timeout"],
        poll_interval=params["poll_interval"],
        force=params["force"],
    )
    output = {"changed": changed, "nodes": nodes}
    if module._diff:
        before, after = membership_diff(nodes, params["state"], module.check_mode)
        output["diff"] = {"before": {"container_instances": before}, "after": {"container_instances": after}}
    if failed_outcomes(nodes):
        module.fail_json(msg=failure_summary(nodes, "instance_id", "node"), **output)
    module.exit_json(msg=success_summary(nodes, "node", module.check_mode), **output)


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str", required=True, aliases=["instance_id"]),
        state=dict(type="str", choices=list(STATES), default=ABSENT),
        drain_timeout=dict(type="int", default=300),
        poll_interval=dict(type="float", default=5.0),
        force=dict(type="bool", default=False),
    )
    run_task(argument_spec, run)


if __name__ == "__main__":
    main()
