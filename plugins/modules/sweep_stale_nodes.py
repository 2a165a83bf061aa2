#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: sweep_stale_nodes
short_description: Internal to the role sweep_stale_hybrid_nodes - sweep stale hybrid nodes in many accounts and regions
version_added: 2.0.0
description:
  - B(Internal:) the sweeping step of the role C(hybridops.ssm.sweep_stale_hybrid_nodes); its options and result may
    change without notice. It is documented so that C(ansible-doc) can show it. Use the role.
  - For each account and region (a target), finds the hybrid nodes whose connection was lost before O(older_than)
    (as M(hybridops.ssm.ssm_managed_instance_info) with C(resource_type=ManagedInstance), C(ping_status=ConnectionLost)),
    and their cluster memberships (as M(hybridops.ssm.ecs_anywhere_instance_info) with C(include_eks=true)); then,
    unless more than O(max_nodes) nodes were found over all targets together, cancels their in-flight commands
    (as M(hybridops.ssm.ssm_command) C(state=cancelled)), drains and deregisters the container instances of the
    included ECS members (as M(hybridops.ssm.ecs_anywhere_instance) C(state=absent)) and deregisters the nodes
    (as M(hybridops.ssm.ssm_managed_instance) C(state=absent)).
  - Targets are worked concurrently (at most 20 at once), each with its own clients and so its own pace, since SSM's
    rate limits are per account and region; the steps of one target keep their order.
  - Each account's role is assumed once (STS AssumeRole, with the task's own credentials), its credentials reused
    for each of its regions. Without O(accounts), the task's own credentials in its region are the one target.
  - A target that fails (its role cannot be assumed, its region is not enabled, a call failed) keeps its error and
    the steps it finished; the others go on. The task itself fails only on bad options (before any call); the role
    fails the run after its report when any target failed.
  - An action plugin of the same name makes the role's report, the lines its report step shows and the summary from
    the targets, on the controller, and publishes the summary as the play's stats (as C(ansible.builtin.set_stats)
    with C(per_host=false) does); the task returns those, not the targets. The module hands it the targets as JSON
    text, in one value (as a list where a no_log value, such as an external ID, occurs in that text).
author:
  - hybridops maintainers (@hybridops)
options:
  accounts:
    description:
      - The accounts to sweep; empty sweeps the task's own account in its region.
    type: list
    elements: dict
    default: []
    suboptions:
      role_arn:
        description: The IAM role to assume in the account (C(arn:aws:iam::ACCOUNT:role/NAME)).
        type: str
        required: true
      external_id:
        description: The external ID the role's trust policy asks for; never shown.
        type: str
      session_name:
        description: The role session name (2-64 characters); C(hybridops-ssm-sweep) when not given.
        type: str
      regions:
        description: The account's regions; empty takes the task's region.
        type: list
        elements: str
        default: []
  older_than:
    description: How long ago the last ping must be (V(30d), V(12h), V(90m), V(2w)) or an ISO 8601 time.
    type: str
    required: true
  tags:
    description: Only nodes carrying all of these tags.
    type: dict
  activation_ids:
    description: Only nodes registered with one of these activations.
    type: list
    elements: str
  include_eks_connector_agents:
    description: Sweep EKS Connector agents (C(eks_c:) IDs) too.
    type: bool
    default: false
  cluster_checks:
    description: Look up the nodes' cluster memberships (ECS container instances, C(EKSClusterARN) tags).
    type: bool
    default: true
  include_cluster_members:
    description: Sweep cluster members too (their ECS container instances drained and deregistered first).
    type: bool
    default: false
  cancel_commands:
    description: Cancel the nodes' in-flight commands first.
    type: bool
    default: true
  drain_timeout:
    description: Seconds to wait for an included ECS member's tasks to stop.
    type: int
    default: 300
  concurrency:
    description: Nodes deregistered at once in each target (1-20).
    type: int
    default: 4
  max_nodes:
    description: The most nodes the whole run may deregister, over all targets together (1-10000).
    type: int
    default: 25
extends_documentation_fragment:
  - hybridops.ssm.pacing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - The pace (O(max_calls_per_second)) applies to each target's clients; O(deadline) to the whole task.
  - What the sweep decides between finding and acting lives in the collection's C(module_utils/_ssm/sweep_plan.py).
"""

EXAMPLES = r"""
- name: The role's step
  hybridops.ssm.sweep_stale_nodes:
    accounts:
      - role_arn: arn:aws:iam::111111111111:role/ssm-sweeper
        regions: [eu-west-1, us-east-1]
    older_than: 30d
  register: swept

- name: Its report, for later tasks
  ansible.builtin.set_fact:
    report: "{{ swept.report }}"
"""

RETURN = r"""
report:
  description:
    - The report of the whole sweep, the role's fact C(sweep_stale_hybrid_nodes_report), whose keys the role's
      documentation gives - the counts, each account-region's (C(targets)), the summary table (C(table)), the lines
      shown, the account-regions that fail the run (C(failed_targets)) and the diff.
    - In check mode its words say what would be done (C(would deregister), C(would cancel)).
  returned: when the sweep ran
  type: dict
shown:
  description:
    - What the role's report step (M(hybridops.ssm.show_sweep_report)) shows - the report's headline, the summary
      table and its lines, with their messages from C(-v) on (at the verbosity of this run), whether the sweep
      changed anything, and the diff.
  returned: when the sweep ran
  type: dict
  contains:
    lines:
      description: The lines shown.
      type: list
      elements: str
    changed:
      description: Whether the sweep changed anything (in check mode, would have).
      type: bool
    diff:
      description: The sweep as a diff, shown with C(--diff).
      type: dict
summary:
  description:
    - The summary, the role's fact C(sweep_stale_hybrid_nodes_summary) and its JSON file - the selected IDs, counts and
      IDs by outcome, every outcome, and per account-region (C(accounts)) its counts, IDs and error.
    - Also published as the play's stats under C(sweep_stale_hybrid_nodes) (AWX keeps them as the job's artifacts).
  returned: when the sweep ran
  type: dict
refused:
  description: Whether more than O(max_nodes) nodes were found over all targets, so nothing was changed.
  returned: when the sweep ran
  type: bool
msg:
  description: One line counting the targets, the nodes found and the targets that failed; or why the task failed.
  returned: always
  type: str
"""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.accounts import Accounts
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.accounts import assume_role
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.accounts import check_accounts
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.accounts import error_words
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.accounts import targets
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.budget import start_task
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.bulk import MAX_CONCURRENCY
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.client import ecs_client
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.client import paced_client
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.client import ssm_client
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import ACTIVATION_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import DRAIN_SECONDS
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import SWEEP_NODES
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_list
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_range
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import ERROR_ADVICE
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import NO_REGION
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import selection_criteria
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.sweep_targets import sweep
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.sweep_targets import transferable
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import check_deadline
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.task import run_task

SWITCHES = ("include_eks_connector_agents", "cluster_checks", "include_cluster_members", "cancel_commands", "drain_timeout", "concurrency", "max_nodes")


def validate(params):
    """Every check on the options, before any request; the selection criteria."""
    # The argument spec's default for regions is [], as the documentation's "empty takes the task's region" says:
    # an empty list is how "not given" arrives here, not an empty list given.
    params["accounts"] = check_accounts("accounts", [dict(account, regions=account["regions"] or None) for account in params["accounts"] or []])
    if params["activation_ids"] is not None:
        params["activation_ids"] = check_list("activation_ids", params["activation_ids"], ACTIVATION_ID)
    check_range("drain_timeout", params["drain_timeout"], DRAIN_SECONDS)
    check_range("concurrency", params["concurrency"], (1, MAX_CONCURRENCY))
    check_range("max_nodes", params["max_nodes"], SWEEP_NODES)
    check_deadline(params["deadline"])
    return selection_criteria(
        {
            "resource_type": "ManagedInstance",
            "ping_status": "ConnectionLost",
            "last_ping_before": params["older_than"],
            "tags": params["tags"] or None,
            "activation_ids": params["activation_ids"] or None,
            "include_eks_connector_agents": params["include_eks_connector_agents"],
        }
    )


def client_factory(module):
    """(ssm, ecs) clients of a target: the task's own credentials, or its account's role assumed once per run."""
    accounts = Accounts(
        module.params["accounts"],
        lambda account: assume_role(
            paced_client(module, "sts", (account["regions"] or [module.region])[0]),
            account["role_arn"],
            account.get("session_name"),
            account.get("external_id"),
        ),
    )

    def make_clients(target):
        credentials = accounts.credentials(target["role_arn"])
        ecs = []

        def ecs_of_target():
            # Made on first use: a sweep without cluster checks or ECS members never asks for it.
            if not ecs:
                ecs.append(ecs_client(module, target["region"], credentials))
            return ecs[0]

        return ssm_client(module, target["region"], credentials), ecs_of_target

    return make_clients


def run(module):
    params = module.params
    criteria = validate(params)
    start_task(deadline=params["deadline"])
    options = {name: params[name] for name in SWITCHES}
    options.update(older_than=params["older_than"], tags=params["tags"] or {}, activation_ids=params["activation_ids"] or [])
    swept = targets(params["accounts"], module.region)
    if not all(target["region"] for target in swept):
        # Before any call, and not from a target's thread: amazon.aws's own failure would name no account.
        module.fail_json(msg=f"{module._name}: {ERROR_ADVICE[NO_REGION]} (or give each account its regions)", error_code=NO_REGION)
    results, refused = sweep(client_factory(module), swept, criteria, options, module.check_mode, error_words)
    failed = [r for r in results if r["error"]]
    found = sum(len(r["instances"]) for r in results)
    changed = any((r[step] or {}).get("changed") for r in results for step in ("commands", "drained", "deregistered"))
    msg = f"{len(results)} account-region(s), {found} stale node(s) found, {len(failed)} account-region(s) failed" + (
        ", refused (max_nodes)" if refused else ""
    )
    module.exit_json(changed=changed, targets=transferable(results, module.no_log_values), refused=refused, msg=msg)


def main():
    argument_spec = dict(
        accounts=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                role_arn=dict(type="str", required=True),
                external_id=dict(type="str", no_log=True),
                session_name=dict(type="str"),
                regions=dict(type="list", elements="str", default=[]),
            ),
        ),
        older_than=dict(type="str", required=True),
        tags=dict(type="dict"),
        activation_ids=dict(type="list", elements="str"),
        include_eks_connector_agents=dict(type="bool", default=False),
        cluster_checks=dict(type="bool", default=True),
        include_cluster_members=dict(type="bool", default=False),
        cancel_commands=dict(type="bool", default=True),
        drain_timeout=dict(type="int", default=300),
        concurrency=dict(type="int", default=4),
        max_nodes=dict(type="int", default=25),
    )
    run_task(argument_spec, run)


if __name__ == "__main__":
    main()
