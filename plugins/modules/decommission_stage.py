#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: decommission_stage
short_description: Internal to the decommission role - runs one of its batched SSM stages
version_added: 2.0.0
description:
  - B(Internal:) used by the role C(hybridops.ssm.decommission_hybrid_node), inside it only; its options and
    result may change without notice. It is documented so that C(ansible-doc) can show it.
  - An action plugin run once for the hosts of the play batch (C(run_once), C(delegate_to) the controller). It
    makes the stage's module calls itself, one per region with the nodes of that region, with the task's
    C(module_defaults) applied (C(group/hybridops.ssm.aws), a region), and works out every host's new state
    from their results.
  - Stages, in the role's order - V(read) (the nodes whose host steps run, as SSM lists them,
    M(hybridops.ssm.ssm_managed_instance_info)), V(cluster) (the nodes' tags, an EKS Hybrid Node refused unless stated
    drained, and their ECS Anywhere container instances drained and deregistered, M(hybridops.ssm.ecs_anywhere_instance)),
    V(cancel) (every in-flight command, M(hybridops.ssm.ssm_command)),
    V(deregister) (M(hybridops.ssm.ssm_managed_instance), then nodes found already absent looked for in the region
    of their host's registration file), V(activation) (M(hybridops.ssm.ssm_activation)).
  - A host takes part in a stage only while it has no problem; a failed call is a problem for each of its hosts.
  - The decisions live in the collection's C(plugin_utils/decommission_stages.py) and C(plugin_utils/decommission_report.py).
author:
  - hybridops maintainers (@hybridops)
options:
  stage:
    description: The stage to run.
    type: str
    required: true
    choices: [read, cluster, cancel, deregister, activation]
  fleet:
    description:
      - Every host's state after the previous stage (its RV(fleet)); empty before the first.
    type: dict
    default: {}
  command_wait_timeout:
    description: Seconds the V(cancel) stage waits for the cancelled commands.
    type: int
    default: 300
  command_poll_interval:
    description: Seconds between the V(cancel) stage's polls.
    type: float
    default: 5
  deregister_wait_timeout:
    description: Seconds the V(deregister) stage waits until the nodes no longer list.
    type: int
    default: 300
  drain_timeout:
    description: Seconds the V(cluster) stage waits until no task runs on the drained container instances.
    type: int
    default: 300
  drain_poll_interval:
    description: Seconds between the V(cluster) stage's looks at the draining container instances.
    type: float
    default: 5
  deregister_undrained:
    description: Deregister a container instance whose tasks still run after O(drain_timeout) (forced), and then its node.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: The module calls predict in check mode; the words of RV(summaries) say V(would).
  diff_mode:
    support: full
    description: The stage's plan or change as a diff, one line per host and thing changed.
notes:
  - With C(--diff), a stage that changes (or would change) something is reported C(changed), so that Ansible shows its diff.
"""

EXAMPLES = r"""
- name: Read the nodes whose host steps run from SSM, one call per region
  hybridops.ssm.decommission_stage:
    stage: read
  run_once: true
  delegate_to: localhost
  register: decommission_hybrid_node__view
"""

RETURN = r"""
fleet:
  description: Every host's state, by host name (hosts of earlier serial batches included, for the report).
  returned: always
  type: dict
calls:
  description: The module calls made, one per region.
  returned: always
  type: list
  elements: dict
stop_agent:
  description: The hosts of the batch whose agent is stopped next.
  returned: always
  type: list
  elements: str
clean:
  description: The hosts of the batch whose registration is cleared next.
  returned: always
  type: list
  elements: str
failing:
  description: The hosts of the batch that fail at the end, after the report.
  returned: always
  type: list
  elements: str
summaries:
  description: One line per host of the batch.
  returned: always
  type: list
  elements: str
results:
  description: Each batch host's outcome (the fact C(decommission_hybrid_node_result)).
  returned: always
  type: dict
report:
  description: The JSON report of the play (C(check_mode), C(hosts), C(failed_hosts)).
  returned: always
  type: dict
"""
