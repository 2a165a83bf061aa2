# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Check the decommission role's variables and find the host's node, in one task on the controller.

The documentation is in plugins/modules/find_hybrid_node.py. The role runs this once per host where the
host steps are off (everything is known from the variables and the inventory), and twice where they run:
first the variables alone, then, once the host's registration file was read, the node. A task per host
costs a worker process per host, which dominates a run over many hosts; one task does what three did.
"""

import os

import yaml
from ansible.errors import AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.hybridops.ssm.plugins.action.check_role_inputs import ActionModule as CheckRoleInputs
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import D
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import find_node
from ansible_collections.hybridops.ssm.plugins.plugin_utils.role_inputs import SCOPES
from ansible_collections.hybridops.ssm.plugins.plugin_utils.role_inputs import check
from ansible_collections.hybridops.ssm.plugins.plugin_utils.role_inputs import unknown_names

SCOPE = "decommission_hybrid_node"
BOOLEANS = ("host_steps", "read_host_vars", "cancel_commands", "delete_activation")
SPEC_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "roles", SCOPE, "meta", "argument_specs.yml")


def _read_spec(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["argument_specs"]["main"]["options"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return None


# Read when the controller loads this plugin, before it forks a worker per host, rather than by every worker.
_SPEC = _read_spec(SPEC_FILE)


class ActionModule(CheckRoleInputs):
    _VALID_ARGS = frozenset(["registration", "unreachable"])

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        # The base run (argument names, check mode), not check_role_inputs' own: its helpers are reused, not its run.
        result = ActionBase.run(self, tmp, task_vars)
        result["changed"] = False
        args = self._task.args
        registration = args.get("registration")
        if registration is not None and not isinstance(registration, dict):
            raise AnsibleError("find_hybrid_node: registration must be a dictionary (the registration file as read, or {})")
        scope = SCOPES[SCOPE]
        spec = _SPEC or self._role_spec(self._task._role, SCOPE)

        # 1. the role's variables, every problem at once, each naming the variable, its value and the rule
        variables = {name: self._value(task_vars[name]) for name in spec if name in task_vars}
        unknown = {name: self._shown_value(task_vars[name]) for name in unknown_names(scope, spec, task_vars)}
        problems = check(scope, spec, variables, unknown=unknown)
        result.update(problems=problems, found=False)
        if problems:
            result.update(failed=True, msg=problems)
            return result
        for name in BOOLEANS:
            variables[D + name] = boolean(variables[D + name], strict=True)

        # 2. the node: where host steps run, only once the registration file was read
        if variables[D + "host_steps"] and registration is None:
            result["msg"] = "All inputs are valid; the node is looked for once the host's registration file was read."
            return result
        host = task_vars.get("inventory_hostname", "")
        host_vars = None
        if variables[D + "read_host_vars"] and "instance_id" in task_vars:
            host_vars = {name: self._value(task_vars[name]) for name in ("instance_id", "region") if name in task_vars}
        file = {"id": (registration or {}).get("ManagedInstanceID") or "", "region": (registration or {}).get("Region") or ""}
        node = find_node(host, variables, host_vars=host_vars, registration=file, unreachable=str(args.get("unreachable") or ""))
        result.update(node=node, found=True)

        # 3. the ID and region found, by the same rules as the role's variables, worded by where each came from
        problems = check(
            scope,
            spec,
            {D + "instance_id": node["id"], D + "region": node["region"]},
            sources={D + "instance_id": node["id_says"], D + "region": node["region_says"]},
        )
        result["problems"] = problems
        if problems:
            result.update(failed=True, msg=f"{host}: " + "; ".join(problems) + "; nothing was changed.")
        else:
            found = f"{node['id']} ({node['id_source']})" if node["id"] else "no source names a node ID"
            result["msg"] = f"{host}: {found}" + (f"; {node['refusal']}" if node["refusal"] else "")
        return result
