# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Check the decommission role's variables, read the host's registration file, and find the host's node, in one task.

The documentation is in plugins/modules/find_hybrid_node.py. The role runs this once per host. The variables
are checked on the controller before any connection; where the host steps run, the registration file is then
read through the host's connection (stat, then slurp). A host that cannot be reached is no failure: its node is
decommissioned by ID alone, with a note, and without the error lines an unreachable task prints. A task per
host costs a worker process per host, which dominates a run over many hosts; one task does what five did.
"""

import base64
import json
import os

import yaml
from ansible.errors import AnsibleConnectionFailure
from ansible.errors import AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.hybridops.ssm.plugins.action.check_role_inputs import ActionModule as CheckRoleInputs
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import AUTO
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import SSH
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import D
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import find_node
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import host_steps_mode
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import is_windows
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import registration_path
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import windows_refusal
from ansible_collections.hybridops.ssm.plugins.plugin_utils.role_inputs import SCOPES
from ansible_collections.hybridops.ssm.plugins.plugin_utils.role_inputs import check
from ansible_collections.hybridops.ssm.plugins.plugin_utils.role_inputs import unknown_names

SCOPE = "decommission_hybrid_node"
BOOLEANS = (
    "read_host_vars",
    "cancel_commands",
    "delete_activation",
    "remove_package",
    "deregister_on_host_failure",
    "cluster_checks",
    "eks_node_drained",
    "deregister_undrained",
)
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

    def _read_registration(self, path, task_vars):
        """The registration file as the host holds it: ({ManagedInstanceID, Region} or {}, why the host cannot be
        reached or '', why it could not be read or '')."""
        try:
            found = self._execute_module("ansible.legacy.stat", {"path": path, "get_checksum": False}, task_vars=task_vars)
            if found.get("unreachable"):
                return {}, str(found.get("msg") or "unreachable"), ""
            if found.get("failed"):
                return {}, "", f"looking for the registration file {path} failed: {found.get('msg')}"
            if not found.get("stat", {}).get("exists"):
                return {}, "", ""
            read = self._execute_module("ansible.legacy.slurp", {"src": path}, task_vars=task_vars)
            if read.get("failed"):
                return {}, "", f"reading the registration file {path} failed: {read.get('msg')}"
            registration = json.loads(base64.b64decode(read["content"]).decode("utf-8"))
        except AnsibleConnectionFailure as error:
            return {}, str(error).strip() or "unreachable", ""
        except (ValueError, KeyError, TypeError) as error:
            return {}, "", f"the registration file {path} is not the agent's JSON: {error}"
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        if not isinstance(registration, dict):
            return {}, "", f"the registration file {path} is not the agent's JSON object"
        return registration, "", ""

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
            if D + name in variables:
                variables[D + name] = boolean(variables[D + name], strict=True)
        mode = host_steps_mode(variables[D + "host_steps"])

        # 2. the host's registration file, where the host steps run (not on Windows, whose steps are not written yet)
        host = task_vars.get("inventory_hostname", "")
        unreachable = str(args.get("unreachable") or "")
        connection, shell_type = str(task_vars.get("ansible_connection") or ""), str(task_vars.get("ansible_shell_type") or "")
        windows_connection = is_windows(connection=connection, shell_type=shell_type)
        # ssh reads the file over the connection; auto too, except on Windows (its host steps go through SSM); ssm and none never
        if mode in (SSH, AUTO) and registration is None and not (mode == AUTO and windows_connection):
            if windows_connection:
                refusal = windows_refusal(host, seen_as=f"ansible_connection '{connection}', ansible_shell_type '{shell_type}'")
                result.update(failed=True, msg=refusal, problems=[refusal])
                return result
            path = registration_path(variables[D + "root"], variables[D + "registration_file"])
            registration, unreachable, unreadable = self._read_registration(path, task_vars)
            if unreadable:
                result.update(failed=True, msg=f"{host}: {unreadable}; nothing was changed.", problems=[unreadable])
                return result
        host_vars = None
        if variables[D + "read_host_vars"] and "instance_id" in task_vars:
            host_vars = {name: self._value(task_vars[name]) for name in ("instance_id", "region") if name in task_vars}
        file = {"id": (registration or {}).get("ManagedInstanceID") or "", "region": (registration or {}).get("Region") or ""}
        node = find_node(host, variables, host_vars=host_vars, registration=file, unreachable=unreachable, windows_connection=windows_connection)
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
