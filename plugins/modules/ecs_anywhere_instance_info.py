#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_anywhere_instance_info
short_description: The cluster membership of hybrid nodes (ECS Anywhere container instances, EKS Hybrid Nodes)
version_added: 2.0.0
description:
  - For each hybrid node (C(mi-)), its ECS Anywhere container instances (cluster, container instance ARN, status,
    running tasks) and, with O(include_eks=true), the EKS cluster it belongs to as an EKS Hybrid Node (the node's
    C(EKSClusterARN) tag, which AWS recommends on the activation of a hybrid cluster's nodes and which the nodes
    carry).
  - The clusters of the region are listed once (ListClusters); in each, ListContainerInstances with the cluster query
    C(ec2InstanceId in [...]) takes 10 nodes per call, DescribeContainerInstances 100 container instances per
    call, and ListTasks (desired status RUNNING) lists each container instance's tasks.
  - The Kubernetes API is not called; whether pods still run on an EKS Hybrid Node is not known here.
author:
  - hybridops maintainers (@hybridops)
options:
  instance_ids:
    description:
      - The hybrid nodes, C(mi-) followed by 17 lower-case hex digits. A comma-separated string is split.
      - An empty list is nothing to do (empty RV(nodes), no request).
    type: list
    elements: str
    required: true
    aliases: [instance_id]
  include_eks:
    description:
      - Read each node's tags (one SSM ListTagsForResource per node) for its C(EKSClusterARN) tag.
    type: bool
    default: false
extends_documentation_fragment:
  - hybridops.ssm.pacing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Makes no change; check mode runs it as in a real run.
  - The IAM actions used are C(ecs:ListClusters), C(ecs:ListContainerInstances), C(ecs:DescribeContainerInstances),
    C(ecs:ListTasks); with O(include_eks=true) C(ssm:ListTagsForResource).
seealso:
  - module: hybridops.ssm.ecs_anywhere_instance
  - module: hybridops.ssm.ssm_managed_instance_info
"""

EXAMPLES = r"""
- name: Which clusters do these nodes serve?
  hybridops.ssm.ecs_anywhere_instance_info:
    instance_ids: [mi-0123456789abcdef0, mi-0123456789abcdef1]
    include_eks: true
  register: membership

- name: Nodes that still run ECS tasks
  ansible.builtin.debug:
    msg: "{{ membership.nodes | selectattr('ecs_member') | map(attribute='instance_id') | list }}"
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
    ecs_member:
      description: Whether a container instance of some cluster of the region is this node (INACTIVE ones are not).
      type: bool
    container_instances:
      description: The node's container instances.
      type: list
      elements: dict
      contains:
        cluster_arn:
          description: The cluster's ARN.
          type: str
        cluster:
          description: The cluster's name.
          type: str
        container_instance_arn:
          description: The container instance's ARN.
          type: str
        status:
          description: Its status (V(ACTIVE), V(DRAINING), ...).
          type: str
        running_tasks:
          description: The ARNs of the tasks whose desired status is RUNNING on it.
          type: list
          elements: str
        running_tasks_count:
          description: How many.
          type: int
        agent_connected:
          description: Whether its ECS agent is connected.
          type: bool
    eks_cluster_arn:
      description: The node's C(EKSClusterARN) tag; empty when it has none (or is not registered).
      type: str
      returned: with O(include_eks=true)
      sample: arn:aws:eks:us-east-1:123456789012:cluster/hybrid
msg:
  description: One line counting the nodes that are cluster members.
  returned: always
  type: str
"""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.budget import start_task
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.client import ecs_client
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.client import ssm_client
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import HYBRID_NODE_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_list
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.container_instances import node_memberships
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import check_deadline
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import run_task


def run(module):
    params = module.params
    params["instance_ids"] = check_list("instance_ids", params["instance_ids"], HYBRID_NODE_ID)
    check_deadline(params["deadline"])
    if not params["instance_ids"]:
        module.exit_json(changed=False, nodes=[], msg="no node given: nothing to do")
    client = ecs_client(module)
    start_task(deadline=params["deadline"])
    ssm = ssm_client(module) if params["include_eks"] else None
    nodes = node_memberships(client, ssm, params["instance_ids"], module.region, include_eks=params["include_eks"])
    ecs = sum(1 for n in nodes if n["ecs_member"])
    eks = sum(1 for n in nodes if n.get("eks_cluster_arn"))
    msg = f"{len(nodes)} node(s): {ecs} ECS container instance(s)" + (f", {eks} EKS Hybrid Node(s)" if params["include_eks"] else "")
    module.exit_json(changed=False, nodes=nodes, msg=msg)


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str", required=True, aliases=["instance_id"]),
        include_eks=dict(type="bool", default=False),
    )
    run_task(argument_spec, run)


if __name__ == "__main__":
    main()
