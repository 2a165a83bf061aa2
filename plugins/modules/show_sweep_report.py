#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: show_sweep_report
short_description: Internal to the role sweep_stale_hybrid_nodes - show its report, with --diff as a diff
version_added: 2.0.0
description:
  - B(Internal:) used by the role C(hybridops.ssm.sweep_stale_hybrid_nodes) to show its report; its options and
    result may change without notice. It is documented so that C(ansible-doc) can show it.
  - Runs on the controller only (an action plugin) and changes nothing itself; it shows what the sweep's steps did.
  - Shows the report's headline, one line per selected node and one per command invocation cancelled (in check
    mode, what would be done); from C(-v) on, also the message of each node or invocation that carries one. The
    sweep task makes these lines once, at the run's verbosity, and returns them as RV(hybridops.ssm.sweep_stale_nodes#module:shown).
  - Reports RV(ignore:changed) when the sweep's cancel or deregistration step changed something (in check mode,
    would have), so that with C(--diff) Ansible shows the sweep as a diff - each node registered with its name and
    last ping, then absent, and each command invocation's status before and after the cancel. The steps themselves
    run without their own diffs.
author:
  - hybridops maintainers (@hybridops)
options:
  shown:
    description:
      - What to show, as M(hybridops.ssm.sweep_stale_nodes) returns it (RV(hybridops.ssm.sweep_stale_nodes#module:shown))
        - the lines, whether the sweep changed anything, and the diff.
    type: dict
    required: true
attributes:
  check_mode:
    support: full
    description: Shows the report as the check-mode run made it, in its words (C(would deregister), C(would cancel)).
  diff_mode:
    support: full
    description: The sweep as a diff.
  platform:
    platforms: all
    support: full
    description: Runs on the controller; never connects to the host.
notes:
  - The report's words and the diff are decided in the collection's C(plugin_utils/sweep_report.py).
"""

EXAMPLES = r"""
- name: The sweep (the role's step)
  hybridops.ssm.sweep_stale_nodes:
    older_than: 30d
  register: swept

- name: Show its report (the role's step)
  hybridops.ssm.show_sweep_report:
    shown: "{{ swept.shown }}"
"""

RETURN = r"""
msg:
  description: The report's headline, one line per selected node and per command invocation cancelled; from C(-v), the messages.
  returned: always
  type: list
  elements: str
  sample:
    - "CHECK MODE, nothing changed: 1 stale hybrid node(s) (ConnectionLost, last ping before 30d); 1 would be deregistered, ..."
    - "mi-0123456789abcdef0  kiosk-0  2024-05-01T10:00:00+00:00  would deregister"
"""
