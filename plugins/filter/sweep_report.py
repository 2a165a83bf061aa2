# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The filters sweep_report and sweep_summary, internal to the role hybridops.ssm.sweep_stale_hybrid_nodes.

Each is a function of plugins/plugin_utils/sweep_accounts.py (the whole run's report from each account-region's,
made by plugin_utils/sweep_report.py); documented in the .yml file of its name beside this one.
"""

from ansible_collections.hybridops.ssm.plugins.plugin_utils.sweep_accounts import sweep_report
from ansible_collections.hybridops.ssm.plugins.plugin_utils.sweep_accounts import sweep_summary


class FilterModule:
    def filters(self):
        return {"sweep_report": sweep_report, "sweep_summary": sweep_summary}
