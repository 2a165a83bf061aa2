# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The sweep of hybridops.ssm.sweep_stale_nodes, then its report and summary, made once, on the controller.

The documentation is in plugins/modules/sweep_stale_nodes.py. The module sweeps and returns every account-region's
plan and steps as JSON text (sweep_targets.transferable); this decodes them and returns the report, the summary,
what the role's report step shows of the report at this run's verbosity, and the summary again as the play's stats
(what ansible.builtin.set_stats publishes: AWX's artifacts).
ansible-core decodes a module's result, and templates a value handed to a filter or to set_stats, element by
element (about 7 us each in 2.19): a sweep of 4,000 nodes returns some 80,000 elements, which cost about 2.3 s
that way. The decisions are plugin_utils/sweep_accounts.py's.
"""

import json

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.hybridops.ssm.plugins.plugin_utils.sweep_accounts import sweep_result

display = Display()


class ActionModule(ActionBase):
    # The module runs where the task runs (in the role, the controller); nothing else is transferred.
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        super().run(tmp, task_vars or {})
        result = self._execute_module(module_args=dict(self._task.args), task_vars=task_vars or {})
        targets = result.get("targets")
        if not isinstance(targets, (str, list)):
            # Bad options or a module that could not start: its own failure, as it returned it.
            return result
        # JSON text, or the list where a masked (no_log) value occurs in that text (sweep_targets.transferable).
        swept = dict(result, targets=json.loads(targets) if isinstance(targets, str) else targets)
        return sweep_result(swept, self._task.args, bool(self._play_context.check_mode), display.verbosity)
