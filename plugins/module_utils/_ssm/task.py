# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How every module that calls SSM runs its task: the options each has (deadline, pace), and one error exit."""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from .budget import DEADLINE_MAX
from .constraints import check_range
from .errors import AnsibleSSMError

# The task's bounds, in every module that calls SSM (the _info modules too): the whole task's deadline
# (budget.py) and the cap on its pace (pacing.py); the hybridops.ssm.pacing doc fragment documents both.
TASK_OPTIONS = dict(
    deadline=dict(type="int"),
    max_calls_per_second=dict(type="float"),
)


def check_deadline(deadline):
    """``deadline`` (seconds; None for none) once it is within the bounds every task's deadline has."""
    if deadline is not None:
        check_range("deadline", deadline, (1, DEADLINE_MAX))
    return deadline


def run_task(argument_spec, run, **module_kwargs):
    """Make the AnsibleAWSModule (check mode supported) and call ``run(module)``.

    An AnsibleSSMError ends the task with its message, which names the parameter or the AWS error code and
    the advice (errors.ERROR_ADVICE); anything else is a bug and shows as one.
    """
    module = AnsibleAWSModule(argument_spec={**argument_spec, **TASK_OPTIONS}, supports_check_mode=True, **module_kwargs)
    try:
        run(module)
    except AnsibleSSMError as e:
        module.fail_json_aws_error(e)
