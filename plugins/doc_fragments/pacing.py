# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The options every module that calls SSM (the _info modules too) gets from module_utils/_ssm/task.py
    # (TASK_OPTIONS), declared once: the client-side pace (pacing.py) and the whole task's deadline (budget.py).
    DOCUMENTATION = r"""
options:
  max_calls_per_second:
    description:
      - The most SSM API calls per second this task makes, across all its concurrent calls (0.1 to 1000).
      - SSM limits each API with a token bucket per account and region, shared by every client of the account;
        calls above the limit are refused as throttled (C(ThrottlingException), "Rate exceeded"). Set this below
        the limit to leave headroom for other automation in the account (patching, Run Command, the console).
      - Without it the task paces itself, each API on its own (SSM keeps a bucket per API). It runs unpaced until
        SSM throttles a call, then slows every concurrent call to just under the rate SSM grants, and probes
        upwards again slowly. With it, the task starts at this rate and still slows down below it if SSM throttles.
      - Waiting for the pace is not a retry; a node's retries are spent only on calls SSM refused or failed.
    type: float
  deadline:
    description:
      - The most seconds the whole task may take for its calls (1-86400). When it passes, no new call is started and
        a call waiting to retry gives up; a node whose call was never started is reported V(not_attempted) in the
        per-node outcomes (in the modules that report them; an C(_info) module fails instead, since a partial
        answer would mislead). Run the task again.
      - A call SSM throttles (C(ThrottlingException)) is retried, paced, with no count of attempts, for as long as the
        deadline allows (throttling is SSM asking for a slower pace). Without a deadline a throttled call is retried
        for at most 300 seconds. Server errors and closed connections are retried 8 times.
      - Without it the task is still bounded when the endpoint fails every call. Once no call has been answered for
        60 seconds (and at least 8 attempts in a row failed with a server error or a closed connection), the task
        stops the same way. Throttled answers are answers, so however long throttling lasts, it does not stop the task.
    type: int
notes:
  - Every call of the task is paced, retries of throttled calls too; the concurrent calls of one API share one pace.
"""
