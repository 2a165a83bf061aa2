# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Show the sweep's report, and with --diff the sweep as a diff, on the controller.

The documentation is in plugins/modules/show_sweep_report.py; the report's words and the diff are made in
plugins/plugin_utils/sweep_report.py. This step only decides what is shown at which verbosity.
"""

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.hybridops.ssm.plugins.plugin_utils.sweep_report import shown_lines

display = Display()


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False
    _VALID_ARGS = frozenset(["report"])

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars or {})
        report = self._task.args.get("report")
        if not isinstance(report, dict) or "headline" not in report:
            raise AnsibleError("show_sweep_report: report must be the report hybridops.ssm.sweep_stale_nodes returns")
        # changed mirrors the sweep's steps: the default callback shows a task's diff only when it changed.
        result["changed"] = bool(report["changed"])
        result["msg"] = shown_lines(report, display.verbosity)
        if self._task.diff:
            result["diff"] = report["diff"]
        # Shown at every verbosity, as ansible.builtin.debug's output is.
        result["_ansible_verbose_always"] = True
        return result
