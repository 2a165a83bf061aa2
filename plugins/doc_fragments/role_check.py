# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The attributes of the roles' internal checks (check_role_inputs, find_hybrid_node): action plugins that
    # read variables on the controller and change nothing.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing.
  platform:
    platforms: all
    support: full
    description: Runs on the controller; never connects to the host.
"""
