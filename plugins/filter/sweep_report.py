# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The filters sweep_plan, sweep_deregister_ids, sweep_report and sweep_summary, internal to the role hybridops.ssm.sweep_stale_hybrid_nodes.

Each is a function of plugins/plugin_utils/sweep_report.py, where the sweep's decisions live; documented in the
.yml file of its name beside this one.
"""

from ansible_collections.hybridops.ssm.plugins.plugin_utils.sweep_report import deregister_ids
from ansible_collections.hybridops.ssm.plugins.plugin_utils.sweep_report import plan
from ansible_collections.hybridops.ssm.plugins.plugin_utils.sweep_report import report
from ansible_collections.hybridops.ssm.plugins.plugin_utils.sweep_report import summary


class FilterModule:
    def filters(self):
        return {"sweep_plan": plan, "sweep_deregister_ids": deregister_ids, "sweep_report": report, "sweep_summary": summary}
