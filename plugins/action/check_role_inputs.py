# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Check a role's (or playbook's) variables on the controller, before any connection or request.

The documentation is in plugins/modules/check_role_inputs.py; which rule checks which variable is in
plugins/plugin_utils/role_inputs.py, and the rules themselves in module_utils/_ssm/constraints.py.
"""

import os

from ansible.errors import AnsibleError

try:
    from ansible.parsing.vault import VaultHelper  # ansible-core 2.19 and later
except ImportError:
    VaultHelper = None
from ansible.plugins.action import ActionBase

from ansible_collections.hybridops.ssm.plugins.plugin_utils.role_inputs import NOT_SHOWN
from ansible_collections.hybridops.ssm.plugins.plugin_utils.role_inputs import SCOPES
from ansible_collections.hybridops.ssm.plugins.plugin_utils.role_inputs import check
from ansible_collections.hybridops.ssm.plugins.plugin_utils.role_inputs import unknown_names


def _vaulted(value):
    """Whether a value is vault-encrypted (EncryptedString from ansible-core 2.19, AnsibleVaultEncryptedUnicode before)."""
    if VaultHelper is not None:
        return VaultHelper.get_ciphertext(value, with_tags=True) is not None
    return bool(getattr(value, "__ENCRYPTED__", False))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False
    _VALID_ARGS = frozenset(["scope", "values", "sources", "context"])

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        result["changed"] = False
        args = self._task.args
        role = self._task._role
        scope_name = args.get("scope") or (role.get_name(include_role_fqcn=False) if role else None)
        if scope_name not in SCOPES:
            raise AnsibleError(f"check_role_inputs: scope {scope_name!r} is not one of {', '.join(SCOPES)}")
        scope = SCOPES[scope_name]
        spec = scope.spec or self._role_spec(role, scope_name)

        if args.get("values") is not None:
            if not isinstance(args["values"], dict):
                raise AnsibleError("check_role_inputs: values must be a dictionary of variable names to values")
            variables, unknown, groups = dict(args["values"]), {}, None
        else:
            variables = {name: self._value(task_vars[name]) for name in spec if name in task_vars}
            unknown = {name: self._shown_value(task_vars[name]) for name in unknown_names(scope, spec, task_vars)}
            # the whole inventory (--limit does not narrow it), where the scope's host patterns must match
            groups = task_vars.get("groups") if scope.patterns else None
        problems = check(scope, spec, variables, unknown=unknown, sources=args.get("sources") or {}, groups=groups)

        result["problems"] = problems
        if problems:
            result["failed"] = True
            context = args.get("context")
            if context is None:
                result["msg"] = problems
            else:
                result["msg"] = (f"{context}: " if context else "") + "; ".join(problems) + "; nothing was changed."
        else:
            result["msg"] = "All inputs are valid."
        return result

    def _role_spec(self, role, scope_name):
        """The options of the role's meta/argument_specs.yml, entry point main."""
        if role is None:
            raise AnsibleError(f"check_role_inputs: scope {scope_name!r} is a role; run the task inside it")
        path = os.path.join(role._role_path, "meta", "argument_specs.yml")
        data = self._loader.load_from_file(path) or {}
        return data["argument_specs"]["main"]["options"]

    def _value(self, value):
        return self._templar.template(value)

    def _shown_value(self, value):
        """An undeclared variable's value for the message: never a vaulted one, nor one that cannot be templated."""
        if _vaulted(value):
            return NOT_SHOWN
        if VaultHelper is None and self._templar.is_template(value):
            # Before ansible-core 2.19 a templated value keeps no mark of a vaulted variable it came from.
            return NOT_SHOWN
        try:
            value = self._templar.template(value)
        except Exception:  # an undefined or broken template: the name alone says enough
            return NOT_SHOWN
        return NOT_SHOWN if _vaulted(value) else value
