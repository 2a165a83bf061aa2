# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Jinja test hybridops.ssm.eks_connector_id: the rule of module_utils/_ssm/constraints.py, for playbooks and roles.

Documented in eks_connector_id.yml beside this file.
"""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import is_eks_connector_id


class TestModule:
    def tests(self):
        return {"eks_connector_id": is_eks_connector_id}
