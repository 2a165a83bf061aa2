#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ssm_managed_instance_info
short_description: List SSM managed nodes by ID, status, activation, role, tags, name and age
version_added: 0.1.0
description:
  - Lists AWS Systems Manager managed nodes (DescribeInstanceInformation), every page, and returns
    them as one list. Changes nothing.
  - Criteria combine with AND. O(ping_status), O(resource_type), O(activation_ids) and O(iam_role) are
    filtered by SSM; with O(tags) they are applied to the result instead, since SSM does not combine tag
    filters with other filters. O(name), O(computer_name), O(last_ping_before) and O(registered_before)
    are always applied to the result.
  - For example, hybrid nodes that lost their connection more than 30 days ago are
    O(ping_status=ConnectionLost), O(resource_type=ManagedInstance), O(last_ping_before=30d).
author:
  - hybridops maintainers (@hybridops)
options:
  instance_ids:
    description: Only these node IDs (C(mi-...), C(eks_c:...) or C(i-...)).
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
    description: Only nodes registered with one of these activations.
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
extends_documentation_fragment:
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

- name: Nodes tagged for retirement
  hybridops.ssm.ssm_managed_instance_info:
    tags:
      Lifecycle: retire
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
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.client import ssm_client
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.managed_instances import node_to_ansible
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import select_nodes
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import selection_criteria


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str", aliases=["instance_id"]),
        ping_status=dict(type="str", choices=["Online", "ConnectionLost", "Inactive"]),
        resource_type=dict(type="str", choices=["ManagedInstance", "EC2Instance"]),
        activation_ids=dict(type="list", elements="str"),
        iam_role=dict(type="str"),
        tags=dict(type="dict"),
        name=dict(type="str"),
        computer_name=dict(type="str"),
        last_ping_before=dict(type="str"),
        registered_before=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        criteria = selection_criteria(module.params)
        nodes = select_nodes(ssm_client(module), criteria, module.params["instance_ids"])
    except AnsibleSSMError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, instances=[node_to_ansible(n) for n in nodes])


if __name__ == "__main__":
    main()
