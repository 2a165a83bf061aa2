#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: find_hybrid_node
short_description: Internal to the decommission role - checks its variables and finds the host's hybrid node
version_added: 1.0.0
description:
  - B(Internal:) used by the role C(hybridops.ssm.decommission_hybrid_node), inside it only; its options and
    result may change without notice. It is documented so that C(ansible-doc) can show it.
  - Runs on the controller only (an action plugin), before any connection or request, and changes nothing.
  - Checks the role's variables as M(hybridops.ssm.check_role_inputs) does (types from the role's
    C(meta/argument_specs.yml), the SSM rules, misspelt variables), every problem at once.
  - Then finds the node's ID and region from, in this order, the role's variables, the host variables
    C(instance_id) and C(region) (set by the inventory plugin C(hybridops.ssm.hybrid_nodes); not read with
    C(decommission_hybrid_node_read_host_vars=false)) and the host's registration file; every source present
    must agree with the first, otherwise RV(node.refusal) says which disagree. The ID and region found are
    checked by the same rules, each problem naming where the value came from.
  - Where the host steps run over the host's connection (C(decommission_hybrid_node_host_steps) V(ssh), or V(auto)),
    the registration file is read through it; with V(ssm), or V(auto) and a host that cannot be reached, the host steps
    go through SSM and the file is not read.
author:
  - hybridops maintainers (@hybridops)
options:
  registration:
    description:
      - The host's registration file as read (its C(ManagedInstanceID) and C(Region)), or V({}) when the
        host holds none or cannot be reached. Omitted before the file was read.
    type: dict
  unreachable:
    description:
      - Why the host cannot be reached; empty when it can.
    type: str
    default: ""
extends_documentation_fragment:
  - hybridops.ssm.role_check
notes:
  - The rules live in the collection's C(module_utils/_ssm/constraints.py), shared with the modules; which rule
    checks which variable is in C(plugin_utils/role_inputs.py), where the node is looked for in
    C(plugin_utils/node_sources.py).
"""

EXAMPLES = r"""
- name: Check the role's variables, and find the node where no host steps run
  hybridops.ssm.find_hybrid_node:
  register: decommission_hybrid_node__inputs_check

- name: Find the node once the host's registration file was read
  hybridops.ssm.find_hybrid_node:
    registration: "{{ decommission_hybrid_node__registration_raw.content | b64decode | from_json }}"
  register: decommission_hybrid_node__inputs_check
"""

RETURN = r"""
problems:
  description: Every problem found with the variables, or else with the node's ID and region; empty when all is valid.
  returned: always
  type: list
  elements: str
  sample:
    - "decommission_hybrid_node_region: 'EU-WEST-1' is not an AWS region name such as eu-west-1
      (or empty, to take it from the registration file or the controller)"
found:
  description: Whether the node was looked for (RV(node) is set).
  returned: always
  type: bool
node:
  description: Where the host's node is, as the role's batched steps take it.
  returned: when found
  type: dict
  contains:
    id:
      description: The node's ID, empty when no source gives one.
      type: str
    region:
      description: The node's region, empty for the controller's default.
      type: str
    id_source:
      description: Which source gave the ID, V(variables), V(host variables) or V(registration file).
      type: str
    on_host:
      description: Whether the host steps run on this host.
      type: bool
    host_note:
      description: Why the host steps are skipped (or that they go through SSM), empty when they run over the connection.
      type: str
    host_steps_mode:
      description: Where the host steps run, C(decommission_hybrid_node_host_steps) as a mode, V(ssh), V(ssm), V(auto) or V(none).
      type: str
    via_ssm:
      description: Whether the host steps go through SSM Run Command once SSM lists the node V(Online).
      type: bool
    refusal:
      description: Why the host is refused (sources that disagree, or no ID for a host without host steps); empty otherwise.
      type: str
  sample:
    id: mi-0123456789abcdef0
    region: eu-west-1
    id_source: host variables
    on_host: false
    host_note: "host steps skipped: decommission_hybrid_node_host_steps is false"
    refusal: ""
msg:
  description: The problems (a list for the variables, one line for the node), or what was found.
  returned: always
  type: raw
"""
