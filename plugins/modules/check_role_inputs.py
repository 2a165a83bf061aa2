#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: check_role_inputs
short_description: Internal to the roles and playbooks - checks their variables against the SSM rules
version_added: 1.0.0
description:
  - B(Internal:) used by the roles C(hybridops.ssm.decommission_hybrid_node) and C(hybridops.ssm.sweep_stale_hybrid_nodes)
    and the playbook C(hybridops.ssm.decommission) to check their inputs. Its scopes are this collection's own; its
    options and messages may change without notice. It is documented so that C(ansible-doc) can show it.
  - Runs on the controller only (an action plugin), before any connection or request, and changes nothing.
  - Checks each variable of the scope against its type (the role's C(meta/argument_specs.yml)) and against the
    rules that types cannot say - node IDs, region names, ranges, relative or absolute paths, service names,
    tags, activation IDs, ages - which are the same rules the modules apply to their options.
  - A list or dictionary given as a string (C("a,b"), C("k=v")) is refused, since the role's tasks read the
    variable as it was given.
  - Every variable named like the scope's (C(decommission_hybrid_node_*) for example) that the scope does not
    declare is refused as a typo. Values of variables whose names suggest a secret, and vaulted values, are not shown.
  - In the scope V(decommission), a C(decommission_hosts) that matches no host of the inventory (its C(groups),
    the whole inventory whatever C(--limit) says) is refused, naming the inventory's groups closest first,
    unless C(decommission_allow_no_hosts) is true. A play whose hosts match nothing is skipped and the run ends
    with rc 0, so the playbook runs this check in a play of its own, first.
  - Every problem is reported at once, each naming the variable, its value and the rule.
author:
  - hybridops maintainers (@hybridops)
options:
  scope:
    description:
      - Whose variables to check, V(decommission_hybrid_node), V(sweep_stale_hybrid_nodes) (the roles) or
        V(decommission) (the playbook's own C(decommission_*) variables).
      - Defaults to the role the task belongs to.
    type: str
  values:
    description:
      - Check these values (variable name to value) by the scope's rules instead of the scope's variables;
        undeclared variables are not looked for then.
    type: dict
  sources:
    description:
      - For O(values), words saying where a value came from (variable name to words), used in its message
        instead of the variable's name.
    type: dict
  context:
    description:
      - "Report the problems as one line, C(CONTEXT: problem; problem; nothing was changed.), rather than as a list.
        An empty string drops the C(CONTEXT: ) part."
    type: str
extends_documentation_fragment:
  - hybridops.ssm.role_check
notes:
  - The rules live in the collection's C(module_utils/_ssm/constraints.py), shared with the modules; which rule
    checks which variable is in C(plugin_utils/role_inputs.py).
"""

EXAMPLES = r"""
- name: Check the role's variables (the first task of the role)
  hybridops.ssm.check_role_inputs:

- name: Check values the role read from the host, saying where they came from
  hybridops.ssm.check_role_inputs:
    values:
      decommission_hybrid_node_instance_id: "{{ decommission_hybrid_node__id }}"
    sources:
      decommission_hybrid_node_instance_id: "the registration file names {{ decommission_hybrid_node__id }}"
    context: "{{ inventory_hostname }}"
"""

RETURN = r"""
problems:
  description: Every problem found, each naming the variable, its value and the rule; empty when all is valid.
  returned: always
  type: list
  elements: str
  sample:
    - "decommission_hybrid_node_region: 'EU-WEST-1' is not an AWS region name such as eu-west-1
      (or empty, to take it from the registration file or the controller)"
msg:
  description: The problems (a list, or one line with O(context)), or that all inputs are valid.
  returned: always
  type: raw
  sample: All inputs are valid.
"""
