# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The decommission_stage action plugin: a serial batch carries the fleet of the batches before it, for the report."""

from ansible_collections.hybridops.ssm.plugins.action.decommission_stage import VIEW
from ansible_collections.hybridops.ssm.plugins.action.decommission_stage import ActionModule


def test_a_new_serial_batch_takes_the_fleet_of_the_latest_batch_before_it():
    first = {"a": {"problem": ""}}
    second = {"a": {"problem": ""}, "b": {"problem": ""}}
    task_vars = {
        "ansible_play_hosts_all": ["a", "b", "c"],
        # a registered variable of a run_once task is set for the hosts of its batch only
        "hostvars": {"a": {VIEW: {"fleet": first}}, "b": {VIEW: {"fleet": second}}, "c": {}},
    }
    assert ActionModule._earlier_fleet(task_vars, ["c"]) == second
    assert ActionModule._earlier_fleet({"ansible_play_hosts_all": ["c"], "hostvars": {"c": {}}}, ["c"]) == {}
