# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Show the sweep's report, and with --diff the sweep as a diff, on the controller.

The documentation is in plugins/modules/show_sweep_report.py. The lines, for this run's verbosity, and the diff are
made once by the sweep task's action (plugin_utils/sweep_report.py ``shown``); this step shows them.
"""

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False
    _VALID_ARGS = frozenset(["shown"])

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars or {})
        shown = self._task.args.get("shown")
        if not isinstance(shown, dict) or not isinstance(shown.get("lines"), list) or not {"changed", "diff"} <= set(shown):
            raise AnsibleError("show_sweep_report: shown must be the value hybridops.ssm.sweep_stale_nodes returns as shown")
        # changed mirrors the sweep's steps: the default callback shows a task's diff only when it changed.
        result["changed"] = bool(shown["changed"])
        result["msg"] = shown["lines"]
        if self._task.diff:
            result["diff"] = shown["diff"]
        # Shown at every verbosity, as ansible.builtin.debug's output is.
        result["_ansible_verbose_always"] = True
        return result
