# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How a module runs its task (task.py): the shared options, and an AnsibleSSMError ends the task with its message."""

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import task
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError


class FakeModule:
    made = []

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.failed = None
        FakeModule.made.append(self)

    def fail_json_aws_error(self, error):
        self.failed = error


@pytest.fixture
def made(monkeypatch):
    FakeModule.made = []
    monkeypatch.setattr(task, "AnsibleAWSModule", FakeModule)
    return FakeModule.made


def test_every_task_gets_the_deadline_and_pace_options_and_check_mode(made):
    task.run_task({"ids": {"type": "list"}}, lambda module: None, required_one_of=[["ids"]])
    assert made[0].kwargs == {
        "argument_spec": {"ids": {"type": "list"}, "deadline": {"type": "int"}, "max_calls_per_second": {"type": "float"}},
        "supports_check_mode": True,
        "required_one_of": [["ids"]],
    }
    assert made[0].failed is None


def test_an_ssm_error_ends_the_task_with_its_code_and_advice(made):
    def run(module):
        raise AnsibleSSMError(message="deregister managed node", code="AccessDeniedException")

    task.run_task({}, run)
    assert made[0].failed.code == "AccessDeniedException"
    assert "lack the IAM permission" in str(made[0].failed.message)


def test_anything_else_is_a_bug_and_propagates(made):
    def run(module):
        raise KeyError("state")

    with pytest.raises(KeyError):
        task.run_task({}, run)
    assert made[0].failed is None
