# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The sweep_stale_nodes action plugin: the module's account-regions in as JSON text, the report, the summary and the
play's stats out; a module that failed is passed on as it is. No connection is used: the module is a stand-in."""

import json
from types import SimpleNamespace

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.template import Templar

from ansible_collections.hybridops.ssm.plugins.action import sweep_stale_nodes as sweep_action
from ansible_collections.hybridops.ssm.plugins.action.sweep_stale_nodes import ActionModule
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import outcomes as words
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import sweep_plan as planning
from ansible_collections.hybridops.ssm.plugins.plugin_utils.sweep_accounts import STATS_KEY

PING = "2024-05-01T10:00:00+00:00"
HOSTILE = "{{ lookup('pipe', 'id') }}"


def target(region, count):
    instances = [{"instance_id": f"mi-{region[:2]}{n:015x}", "name": HOSTILE, "last_ping_date_time": PING} for n in range(count)]
    outcomes = [{"instance_id": n["instance_id"], words.OUTCOME: words.DEREGISTERED} for n in instances]
    entry = {"account": "111111111111", "role_arn": "arn:aws:iam::111111111111:role/r", "region": region, "error": "", "error_code": "", "step": ""}
    entry.update(instances=instances, memberships=[], commands={}, drained={}, plan=planning.plan(instances, 25, "30d"))
    entry["deregistered"] = {"changed": True, "outcomes": outcomes, "failed": False}
    return entry


class Module:
    """Stands in for _execute_module: records the arguments, returns ``answer``."""

    def __init__(self, answer):
        self.answer = answer
        self.args = None

    def __call__(self, module_args=None, task_vars=None, **kwargs):
        del task_vars, kwargs
        self.args = module_args
        return dict(self.answer)


def run(args, answer, check_mode=False):
    loader = DataLoader()
    task = SimpleNamespace(args=args, async_val=0, check_mode=check_mode, action="hybridops.ssm.sweep_stale_nodes", _role=None)
    context = PlayContext()
    context.check_mode = check_mode
    action = ActionModule(task, SimpleNamespace(_shell=SimpleNamespace(tmpdir="/not/used")), context, loader, Templar(loader=loader), None)
    action._execute_module = Module(answer)
    return action.run(task_vars={}), action._execute_module.args


def test_the_account_regions_come_back_as_the_report_the_summary_and_the_play_s_stats():
    targets = [target("eu-west-1", 2), target("us-east-1", 1)]
    args = {"accounts": [{"role_arn": targets[0]["role_arn"]}], "older_than": "30d", "region": "eu-west-1"}
    answer = {"changed": True, "refused": False, "msg": "2 account-region(s)", "targets": json.dumps(targets)}
    result, sent = run(args, answer)
    assert sent == args
    assert set(result) == {"changed", "refused", "msg", "report", "shown", "summary", "ansible_stats"}
    assert result["changed"] is True and result["refused"] is False and result["msg"] == "2 account-region(s)"
    assert result["report"]["deregistered"] == 3 and len(result["report"]["table"]) == 3
    assert result["summary"]["counts"] == {words.DEREGISTERED: 3} and result["summary"]["region"] == "eu-west-1"
    assert [entry["region"] for entry in result["summary"]["accounts"]] == ["eu-west-1", "us-east-1"]
    assert result["ansible_stats"] == {"data": {STATS_KEY: result["summary"]}, "per_host": False, "aggregate": False}
    # The node's own name reaches the lines as text; nothing here renders it.
    assert HOSTILE in result["report"]["lines"][1]
    # The report step is handed the lines it shows (the headline, the table, the nodes), not the report.
    assert result["shown"]["lines"] == [result["report"]["headline"], *result["report"]["table"], *result["report"]["lines"]]
    assert result["shown"]["changed"] is True and result["shown"]["diff"] == result["report"]["diff"]


def test_check_mode_words_and_the_task_s_own_account_read_as_before():
    answer = {"changed": False, "refused": False, "msg": "1 account-region(s)", "targets": json.dumps([target("eu-west-1", 1)])}
    result, _sent = run({"older_than": "30d"}, answer, check_mode=True)
    assert result["report"]["table"] == [] and result["report"]["lines"][0].endswith("would deregister")
    assert result["summary"]["check_mode"] is True and result["summary"]["region"] == ""


def test_from_v_the_lines_shown_carry_each_failed_node_s_message(monkeypatch):
    failing = target("eu-west-1", 2)
    failing["deregistered"]["outcomes"][1] = {"instance_id": failing["instances"][1]["instance_id"], words.OUTCOME: words.FAILED, words.MSG: "AccessDenied"}
    answer = {"changed": True, "refused": False, "msg": "1 account-region(s)", "targets": json.dumps([failing])}
    quiet, _sent = run({"older_than": "30d"}, answer)
    monkeypatch.setattr(sweep_action.display, "verbosity", 1)
    verbose, _sent = run({"older_than": "30d"}, answer)
    assert verbose["report"] == quiet["report"] and verbose["report"]["detail"]
    assert quiet["shown"]["lines"] == [quiet["report"]["headline"], *quiet["report"]["lines"]]
    assert verbose["shown"]["lines"] == quiet["shown"]["lines"] + verbose["report"]["detail"]
    assert "AccessDenied" in verbose["shown"]["lines"][-1]


def test_a_module_that_could_not_start_is_passed_on_as_it_failed():
    answer = {"failed": True, "msg": "max_nodes: 0 is out of range: 1 to 10000"}
    result, _sent = run({"older_than": "30d", "max_nodes": 0}, answer)
    assert result == answer


def test_the_targets_as_a_list_read_as_the_text_does():
    targets = [target("eu-west-1", 2)]
    as_text, _sent = run({"older_than": "30d"}, {"changed": True, "refused": False, "msg": "1", "targets": json.dumps(targets)})
    as_list, _sent = run({"older_than": "30d"}, {"changed": True, "refused": False, "msg": "1", "targets": targets})
    assert as_list == as_text
