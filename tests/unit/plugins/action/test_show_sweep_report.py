"""The show_sweep_report action plugin: the lines the sweep task made, shown at every verbosity; changed as the sweep
was; the diff only with --diff; anything but the sweep's ``shown`` refused."""

from types import SimpleNamespace

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.template import Templar

from ansible_collections.hybridops.ssm.plugins.action.show_sweep_report import ActionModule

SHOWN = {
    "lines": ["1 stale hybrid node(s); 1 deregistered", "mi-0123456789abcdef0  {{ lookup('pipe', 'id') }}  deregistered"],
    "changed": True,
    "diff": {"before": "mi-0123456789abcdef0 registered\n", "after": "", "before_header": "SSM", "after_header": "SSM"},
}


def run(args, diff=False):
    loader = DataLoader()
    task = SimpleNamespace(args=args, async_val=0, check_mode=False, diff=diff, action="hybridops.ssm.show_sweep_report", _role=None)
    action = ActionModule(task, SimpleNamespace(_shell=SimpleNamespace(tmpdir="/not/used")), PlayContext(), loader, Templar(loader=loader), None)
    return action.run(task_vars={})


def test_the_lines_are_shown_as_made_at_every_verbosity_and_changed_follows_the_sweep():
    result = run({"shown": SHOWN})
    assert result["msg"] == SHOWN["lines"] and result["changed"] is True
    assert result["_ansible_verbose_always"] is True and "diff" not in result
    assert run({"shown": dict(SHOWN, changed=False)})["changed"] is False


def test_the_diff_is_returned_only_with_diff():
    assert run({"shown": SHOWN}, diff=True)["diff"] == SHOWN["diff"]


@pytest.mark.parametrize("shown", [None, "text", {"lines": "one line", "changed": True, "diff": {}}, {"lines": [], "changed": True}])
def test_anything_but_the_sweep_s_shown_is_refused(shown):
    with pytest.raises(AnsibleError, match="shown must be the value hybridops.ssm.sweep_stale_nodes returns"):
        run({"shown": shown})
