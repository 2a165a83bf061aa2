# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The bulk modules' client-side pace (module_utils/_ssm/pacing.py), declared once.
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
notes:
  - Every call of the task is paced, retries of throttled calls too; the concurrent calls of one API share one pace.
"""
