#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ssm_managed_instance_info
short_description: List SSM managed nodes by ID, status, activation, role, tags, name and age
version_added: 1.0.0
description:
  - Lists AWS Systems Manager managed nodes (DescribeInstanceInformation), every page, and returns
    them as one list. Changes nothing.
  - Criteria combine with AND. O(ping_status), O(resource_type), O(activation_ids) and O(iam_role) are
    filtered by SSM; with O(tags) or O(tag_keys) they are applied to the result instead, since SSM does not
    combine tag filters with other filters (so are O(instance_ids), matched against the tagged nodes listed).
    O(name), O(computer_name), O(last_ping_before) and O(registered_before) are always applied to the result,
    and so are O(ping_status) and O(resource_type) again, so that a node of another status or type is never
    returned, whatever SSM answered.
  - For example, hybrid nodes that lost their connection more than 30 days ago are
    O(ping_status=ConnectionLost), O(resource_type=ManagedInstance), O(last_ping_before=30d).
  - EKS Connector agents (C(eks_c:...) IDs) register like hybrid nodes (an activation, resource type
    C(ManagedInstance)), so every criterion above matches them too; O(include_eks_connector_agents=false)
    leaves them out.
author:
  - hybridops maintainers (@hybridops)
options:
  instance_ids:
    description:
      - Only these node IDs (C(mi-...), C(eks_c:...) or C(i-...)).
      - A comma-separated string is split and each ID stripped of spaces; every bad ID is named in one message.
      - An empty list matches no node (RV(instances) is empty and no request is made).
    type: list
    elements: str
    aliases: [instance_id]
  ping_status:
    description: Only nodes with this ping status.
    type: str
    choices: [Online, ConnectionLost, Inactive]
  resource_type:
    description: V(ManagedInstance) for hybrid nodes, V(EC2Instance) for EC2 instances.
    type: str
    choices: [ManagedInstance, EC2Instance]
  activation_ids:
    description:
      - Only nodes registered with one of these activations.
      - An empty list matches no node (no request is made).
    type: list
    elements: str
  iam_role:
    description: Only nodes using this IAM role (name).
    type: str
  tags:
    description:
      - Only nodes carrying every one of these tags with these values.
      - A value may also be a list of up to 5 values, any of which matches (SSM's limit per tag filter).
    type: dict
  tag_keys:
    description:
      - Only nodes carrying at least one of these tag keys (1 to 5), whatever its value (SSM's C(tag-key) filter).
      - With O(instance_ids), one listing of the region's nodes carrying the keys is matched against the IDs,
        however many IDs are given; with O(include_tags=true), the tags of the matching nodes alone are read.
        The role P(hybridops.ssm.decommission_hybrid_node#role) finds its batch's EKS Hybrid Nodes (tag C(EKSClusterARN)) so.
    type: list
    elements: str
  name:
    description: Only nodes whose SSM name matches this shell-style pattern (C(*), C(?), C([...])).
    type: str
  computer_name:
    description: Only nodes whose host name matches this shell-style pattern.
    type: str
  last_ping_before:
    description:
      - Only nodes whose agent last reached SSM before this time.
      - An age counted back from now (V(30d), V(12h), V(90m), V(45s), V(2w)) or an ISO 8601 time
        (V(2026-10-01T00:00:00Z)).
    type: str
  registered_before:
    description: Only nodes registered before this time; the same forms as O(last_ping_before).
    type: str
  include_eks_connector_agents:
    description:
      - Whether EKS Connector agents (C(eks_c:) IDs) are returned. V(false) leaves them out, whatever else
        matches; SSM has no filter for them, so they are told by their ID in what SSM returns.
      - An EKS Connector agent belongs to a cluster connected to Amazon EKS and is removed by deregistering
        that cluster from EKS (C(aws eks deregister-cluster)), not as a hybrid node; the role
        P(hybridops.ssm.sweep_stale_hybrid_nodes#role) sets V(false) unless told otherwise.
      - The default V(true) returns every node SSM lists.
    type: bool
    default: true
  include_tags:
    description:
      - Return each hybrid node's tags in RV(instances[].tags) (one ListTagsForResource per node, C(ssm:ListTagsForResource)).
      - Only C(mi-) nodes carry a C(tags) key. SSM's tag calls refuse every other ID, so the tags of EKS Connector
        agents (C(eks_c:...)) are not read; RV(msg) names those nodes. EC2 instances carry no C(tags) key either;
        their tags belong to EC2.
    type: bool
    default: false
extends_documentation_fragment:
  - hybridops.ssm.pacing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode; it never changes anything.
"""

EXAMPLES = r"""
- name: Hybrid nodes that lost their connection more than 30 days ago
  hybridops.ssm.ssm_managed_instance_info:
    ping_status: ConnectionLost
    resource_type: ManagedInstance
    last_ping_before: 30d
    include_eks_connector_agents: false  # an EKS Connector agent goes with its cluster's EKS deregistration
  register: stale

- name: Deregister them
  hybridops.ssm.ssm_managed_instance:
    instance_ids: "{{ stale.instances | map(attribute='instance_id') | list }}"
    state: absent
  when: stale.instances | length > 0

- name: Edge devices of one activation, by name
  hybridops.ssm.ssm_managed_instance_info:
    activation_ids:
      - 0a1b2c3d-0000-4000-8000-000000000000
    name: "edge-*"

- name: Which of these nodes are EKS Hybrid Nodes (tagged EKSClusterARN), with their tags
  hybridops.ssm.ssm_managed_instance_info:
    instance_ids: "{{ retiring_ids }}"
    tag_keys: [EKSClusterARN]
    include_tags: true

- name: Nodes tagged for retirement, with all their tags
  hybridops.ssm.ssm_managed_instance_info:
    tags:
      Lifecycle: retire
    include_tags: true
"""

RETURN = r"""
instances:
  description: The matching nodes, in snake_case; an empty list when none match.
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
    last_ping_date_time:
      description: When the agent last reached SSM.
      type: str
    registration_date:
      description: When the node registered.
      type: str
    activation_id:
      description: The activation the node registered with.
      type: str
    iam_role:
      description: The IAM role the node uses.
      type: str
    resource_type:
      description: ManagedInstance or EC2Instance.
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
      description: The ID of the source resource (for nodes of other sources).
      type: str
    source_type:
      description: The type of the source resource.
      type: str
    tags:
      description: The node's tags as a dictionary.
      type: dict
      returned: with O(include_tags=true), for C(mi-) nodes (not EKS Connector agents, not EC2 instances)
      sample: {"Environment": "lab"}
msg:
  description:
    - One line saying how many nodes matched.
    - With O(include_tags=true), it also names the EKS Connector agents (C(eks_c:...)) whose tags were not read.
  returned: always
  type: str
  sample: "3 node(s) matched; tags not read for 1 EKS Connector agent(s), whose IDs SSM's tag calls refuse: eks_c:lab_0123456789abcdef0"
"""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.budget import start_task
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.client import ssm_client
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import ACTIVATION_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import ANY_INSTANCE_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import PING_STATUSES
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import RESOURCE_TYPES
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_list
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import is_eks_connector_id
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.managed_instances import node_to_ansible
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.node_tags import read_node_tags
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import shown_ids
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import select_nodes
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import selection_criteria
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import check_deadline
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import run_task


def criteria_from(params):
    """Check every option (before any request) and turn them into selection criteria; None for an empty list of IDs.

    The ID lists come back with their items stripped of spaces. An empty list
    of IDs names no node: nothing can match, so nothing is asked.
    """
    for option, rule in (("instance_ids", ANY_INSTANCE_ID), ("activation_ids", ACTIVATION_ID)):
        if params[option] is not None:
            params[option] = check_list(option, params[option], rule)
    if params["instance_ids"] == [] or params["activation_ids"] == []:
        return None
    return selection_criteria(params)


def run(module):
    params = module.params
    criteria = criteria_from(params)
    check_deadline(params["deadline"])
    if criteria is None:
        module.exit_json(changed=False, instances=[], msg="0 node(s) matched (an empty list of IDs names no node)")
    client = ssm_client(module)
    start_task(deadline=params["deadline"])
    nodes = select_nodes(client, criteria, params["instance_ids"])
    instances = [node_to_ansible(n) for n in nodes]
    msg = f"{len(instances)} node(s) matched"
    if params["include_tags"]:
        add_tags(client, instances, module.region)
        agents = [n["instance_id"] for n in instances if is_eks_connector_id(n["instance_id"])]
        if agents:
            msg += f"; tags not read for {len(agents)} EKS Connector agent(s), whose IDs SSM's tag calls refuse: {shown_ids(agents)}"
    module.exit_json(changed=False, instances=instances, msg=msg)


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str", aliases=["instance_id"]),
        ping_status=dict(type="str", choices=list(PING_STATUSES)),
        resource_type=dict(type="str", choices=list(RESOURCE_TYPES)),
        activation_ids=dict(type="list", elements="str"),
        iam_role=dict(type="str"),
        tags=dict(type="dict"),
        tag_keys=dict(type="list", elements="str", no_log=False),
        name=dict(type="str"),
        computer_name=dict(type="str"),
        last_ping_before=dict(type="str"),
        registered_before=dict(type="str"),
        include_eks_connector_agents=dict(type="bool", default=True),
        include_tags=dict(type="bool", default=False),
    )
    run_task(argument_spec, run)


def add_tags(client, instances, region):
    """Give every node the tag calls take its ``tags`` (a dict); raises if any read failed, since a partial answer would mislead."""
    read = read_node_tags(client, [n["instance_id"] for n in instances])
    failure = read.failure(region)
    if failure is not None:
        raise failure
    untaggable = set(read.untaggable)
    for node in instances:
        if node["instance_id"] not in untaggable:
            node["tags"] = read.tags.get(node["instance_id"], {})  # {} for a node deregistered since the listing


if __name__ == "__main__":
    main()
