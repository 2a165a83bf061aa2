# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One batched stage of the decommission role: its module calls, one per region, and every host's new state.

The documentation is in plugins/modules/decommission_stage.py. The role runs it once per play batch
(``run_once``, ``delegate_to: localhost``) and registers its result: a registered variable of a run_once task
is set for every host of the batch, so each host finds its own state in ``fleet``. The decisions are
plugin_utils/decommission_stages.py's and decommission_report.py's, pure functions of the modules' results.
"""

from ansible.errors import AnsibleActionFail
from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.hybridops.ssm.plugins.plugin_utils.cluster_stages import CLUSTER_OPTIONS
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_report import host_result
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_report import play_report
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_report import stage_diff
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_report import summary
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_stages import MODULES
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_stages import READ
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_stages import STAGES
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_stages import apply
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_stages import calls
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_stages import changed
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_stages import runs_host_steps
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_stages import start

try:  # ansible-core 2.19 and later
    from ansible.executor.module_common import _apply_action_arg_defaults
except ImportError:  # ansible-core 2.17 and 2.18
    _apply_action_arg_defaults = None
try:  # ansible-core 2.17 and 2.18 (gone since 2.19)
    from ansible.executor.module_common import get_action_args_with_defaults
except ImportError:
    get_action_args_with_defaults = None

CHECK = "decommission_hybrid_node__inputs_check"
# The variable each stage task registers (roles/decommission_hybrid_node/tasks/main.yml).
VIEW = "decommission_hybrid_node__view"
WAITS = ("command_wait_timeout", "command_poll_interval", "deregister_wait_timeout") + CLUSTER_OPTIONS


class ActionModule(ActionBase):
    _VALID_ARGS = frozenset(("stage", "fleet") + WAITS)
    # A stage runs on the controller for the whole batch: it never transfers anything to a host.
    TRANSFERS_FILES = False

    def _module_args(self, module, args):
        """The call's arguments with the task's module_defaults under them (group/hybridops.ssm.aws, a region),
        as ansible.builtin.package applies them to the module it picks."""
        if _apply_action_arg_defaults is not None:
            return _apply_action_arg_defaults(module, self._task, args, self._templar)
        play = self._task._parent._play
        return get_action_args_with_defaults(module, args, self._task.module_defaults, self._templar, action_groups=play._action_groups)

    @staticmethod
    def _earlier_fleet(task_vars, batch):
        """The fleet of the latest earlier serial batch, for the report: a registered variable of a run_once task is set
        for the hosts of its batch only, so a new batch finds it on the hosts of the one before."""
        hostvars = task_vars.get("hostvars") or {}
        for host in reversed(list(task_vars.get("ansible_play_hosts_all") or [])):
            if host in batch or host not in hostvars:
                continue
            view = hostvars[host].get(VIEW)
            if isinstance(view, dict) and isinstance(view.get("fleet"), dict):
                return view["fleet"]
        return {}

    def _call(self, module, args, task_vars):
        try:
            return self._execute_module(module_name=module, module_args=self._module_args(module, args), task_vars=task_vars)
        except AnsibleError as error:
            # A call that could not be made is a failed call: a problem for each of its hosts, never an absence.
            return {"failed": True, "msg": f"{module} could not run: {error}"}

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        stage = self._task.args.get("stage")
        if stage not in STAGES:
            raise AnsibleActionFail(f"decommission_stage: stage must be one of {', '.join(STAGES)}, not {stage!r}")
        fleet = self._task.args.get("fleet") or {}
        if not isinstance(fleet, dict):
            raise AnsibleActionFail("decommission_stage: fleet must be the previous stage's fleet (a dictionary)")
        options = {name: self._task.args[name] for name in WAITS if self._task.args.get(name) is not None}
        check_mode = bool(self._play_context.check_mode)
        batch = list(task_vars.get("ansible_play_batch") or [])

        if stage == READ:
            hostvars = task_vars.get("hostvars") or {}
            fleet = start(batch, {host: hostvars[host].get(CHECK) for host in batch if host in hostvars}, fleet or self._earlier_fleet(task_vars, batch))
        made = []
        try:
            for step in STAGES[stage]:
                answers = {}
                for region, args in calls(step, fleet, batch, options):
                    answers[region] = self._call(MODULES[step], args, task_vars)
                    count = len(args.get("instance_ids") or args.get("activation_ids"))
                    made.append(
                        {
                            "module": MODULES[step],
                            "region": args.get("region") or "default region",
                            "items": count,
                            "failed": bool(answers[region].get("failed")),
                            "msg": answers[region].get("msg", ""),
                        }
                    )
                fleet = apply(step, fleet, batch, answers, check_mode)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

        in_batch = [host for host in batch if host in fleet]
        for host in in_batch:
            fleet[host] = {
                **fleet[host],
                "stop_agent": runs_host_steps(fleet[host], "stop_agent"),
                "clean": runs_host_steps(fleet[host], "clean"),
                "changed": changed(fleet[host]),
                "result": host_result(fleet[host], check_mode),
                "summary": summary(host, fleet[host], check_mode),
            }
        diff = stage_diff(STAGES[stage], fleet, in_batch, check_mode) if self._play_context.diff else None
        result.update(
            # The default callback shows a result's diff only when it is changed. Each host is otherwise changed by
            # its own node (the role's outcome task), not by the host that happened to run the batch's calls.
            changed=bool(diff),
            fleet=fleet,
            calls=made,
            stop_agent=[host for host in in_batch if fleet[host]["stop_agent"]],
            clean=[host for host in in_batch if fleet[host]["clean"]],
            failing=[host for host in in_batch if fleet[host]["problem"]],
            summaries=[fleet[host]["summary"] for host in in_batch],
            results={host: fleet[host]["result"] for host in in_batch},
            report=play_report(fleet, task_vars.get("ansible_play_hosts_all") or [], task_vars.get("ansible_play_hosts") or [], check_mode),
            msg=f"{stage}: {len(made)} call(s), {len(in_batch)} host(s), {sum(1 for host in in_batch if fleet[host]['problem'])} with a problem",
        )
        if diff:
            result["diff"] = diff
        return result
