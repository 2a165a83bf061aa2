#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ssm_activation
short_description: Delete SSM hybrid activations, by default only when no node is registered with them
version_added: 1.0.0
description:
  - Deletes AWS Systems Manager hybrid activations (DeleteActivation), the activation IDs and codes that
    on-premises servers, VMs and edge devices use to register as managed nodes (C(mi-...)).
  - Everything is read first. The activations are looked up with DescribeActivations; one that does not
    exist is reported as V(already_absent), not as an error. For each one that exists, the nodes still
    registered with it are listed (DescribeInstanceInformation with the filter C(ActivationIds)).
  - With O(only_if_unused=true) (the default) an activation that nodes are still registered with is kept
    and reported as V(kept_in_use), with the number of those nodes and some of their IDs. Deregister the
    nodes first (M(hybridops.ssm.ssm_managed_instance) with O(hybridops.ssm.ssm_managed_instance#module:state=absent)).
  - A DeleteActivation is sent only for an activation that exists and may be deleted, so a second run
    reports RV(ignore:changed=false) and makes no DeleteActivation.
  - Every activation gets an outcome in RV(activations). The task fails only after every activation was
    tried, naming the activations that failed.
  - Creating activations is out of scope; CreateActivation returns the activation code, a secret that
    lets any machine register into the account, which does not belong in task results and logs.
author:
  - hybridops maintainers (@hybridops)
options:
  activation_ids:
    description:
      - The IDs of the activations, lower-case UUIDs such as C(0a1b2c3d-0000-4000-8000-000000000000).
      - Each ID may appear once. A comma-separated string is split and each ID stripped of spaces.
      - An empty list is nothing to do (RV(ignore:changed=false), empty RV(activations), no request).
      - Every bad ID is named in one message, grouped by what is wrong.
    type: list
    elements: str
    required: true
    aliases: [activation_id]
  state:
    description:
      - V(absent) deletes the activations. It is the only state.
    type: str
    choices: [absent]
    default: absent
  only_if_unused:
    description:
      - V(true) keeps an activation that nodes are still registered with (outcome V(kept_in_use)).
      - V(false) deletes it anyway. Deleting an activation does B(not) deregister its nodes; they stay
        managed nodes, only new registrations with the activation stop working. A warning names the
        activations deleted while nodes were still registered with them.
    type: bool
    default: true
extends_documentation_fragment:
  - hybridops.ssm.pacing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode (only reads are made; the outcome V(deleted) is predicted) and diff mode (the
    activation IDs that exist before and after).
  - The IAM actions used are C(ssm:DescribeActivations), C(ssm:DescribeInstanceInformation) and
    C(ssm:DeleteActivation).
seealso:
  - module: hybridops.ssm.ssm_managed_instance
  - module: hybridops.ssm.ssm_managed_instance_info
"""

EXAMPLES = r"""
- name: Delete an activation once no node is registered with it any more
  hybridops.ssm.ssm_activation:
    activation_id: 0a1b2c3d-0000-4000-8000-000000000000
    state: absent

- name: Delete the node's activation only when asked and only when no registrations remain on it
  hybridops.ssm.ssm_activation:
    activation_ids:
      - "{{ node_info.instances[0].activation_id }}"
  when: delete_activation | default(false) | bool

- name: Delete activations even though nodes are still registered with them (the nodes stay registered)
  hybridops.ssm.ssm_activation:
    activation_ids: "{{ retired_activations }}"
    only_if_unused: false
  register: deleted

- name: Show the activations that were kept because nodes still use them
  ansible.builtin.debug:
    msg: "{{ deleted.activations | selectattr('outcome', 'equalto', 'kept_in_use') | map(attribute='activation_id') | list }}"
"""

RETURN = r"""
activations:
  description: One entry per ID in O(activation_ids), in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    activation_id:
      description: The activation's ID.
      type: str
      sample: 0a1b2c3d-0000-4000-8000-000000000000
    outcome:
      description:
        - V(deleted) the activation was deleted (in check mode, would be deleted).
        - V(already_absent) no such activation exists (already deleted, or another account or region).
        - V(kept_in_use) nodes are still registered with it and O(only_if_unused=true); nothing was sent.
        - V(failed) a call for this activation failed; see RV(activations[].msg).
      type: str
      sample: deleted
    registered_nodes:
      description:
        - How many managed nodes are still registered with the activation.
        - V(null) for an activation that does not exist (its nodes are not looked up) or whose nodes could not be listed.
      type: int
      sample: 0
    node_ids:
      description: Up to 5 IDs of the nodes still registered with the activation.
      type: list
      elements: str
      returned: when RV(activations[].registered_nodes) is greater than 0
      sample: [mi-0123456789abcdef0]
    msg:
      description: What went wrong for a failed activation and what to do (the key every module uses per item).
      type: str
      returned: when outcome is failed
    error:
      description:
        - The same text as RV(activations[].msg), kept as an alias for playbooks written before RV(activations[].msg).
        - Deprecated, to be removed in version 2.0.0; use RV(activations[].msg).
      type: str
      returned: when outcome is failed
    error_code:
      description: The AWS error code of a failed activation.
      type: str
      returned: when outcome is failed
      sample: AccessDeniedException
msg:
  description:
    - On success, one line counting the activations by outcome.
    - On failure, a summary under 2,000 characters; each activation's message is in RV(activations).
  returned: always
  type: str
  sample: "1 activation(s): 1 deleted"
"""

from ansible.module_utils.common.warnings import warn

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.activation_cleanup import ensure_activations_absent
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.activation_cleanup import present_before_after
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.budget import start_task
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.client import ssm_client
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import ACTIVATION_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_list
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import ABSENT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import DELETED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import OUTCOME
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import failed_outcomes
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import failure_summary
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import success_summary
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import check_deadline
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import run_task


def run(module):
    params = module.params
    # Every check on the options, before any request.
    params["activation_ids"] = check_list("activation_ids", params["activation_ids"], ACTIVATION_ID)
    check_deadline(params["deadline"])
    if not params["activation_ids"]:
        # An empty list (no activation known for the nodes) is nothing to do, not an error.
        module.exit_json(changed=False, activations=[], msg=success_summary([], "activation", module.check_mode))
    client = ssm_client(module)
    start_task(deadline=params["deadline"])
    changed, outcomes = ensure_activations_absent(client, params["activation_ids"], module.check_mode, only_if_unused=params["only_if_unused"])

    output = {"changed": changed, "activations": outcomes}
    if module._diff:
        before, after = present_before_after(outcomes)
        output["diff"] = {"before": {"activation_ids": before}, "after": {"activation_ids": after}}
    still_used = [o for o in outcomes if o[OUTCOME] == DELETED and o["registered_nodes"]]
    if still_used:
        verb = ("would be " if module.check_mode else "") + DELETED
        detail = ", ".join(f"{o['activation_id']} ({o['registered_nodes']} node(s))" for o in still_used)
        # Not module.warn: amazon.aws 10 then passes warnings= to exit_json, which ansible-core 2.19 deprecates.
        warn(f"only_if_unused=false: activations {verb} while nodes are still registered with them; the nodes stay registered: {detail}")
    if failed_outcomes(outcomes):
        module.fail_json(msg=failure_summary(outcomes, "activation_id", "activation"), **output)
    module.exit_json(msg=success_summary(outcomes, "activation", module.check_mode), **output)


def main():
    argument_spec = dict(
        activation_ids=dict(type="list", elements="str", required=True, aliases=["activation_id"]),
        state=dict(type="str", choices=[ABSENT], default=ABSENT),
        only_if_unused=dict(type="bool", default=True),
    )
    run_task(argument_spec, run)


if __name__ == "__main__":
    main()
