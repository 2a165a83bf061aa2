# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Jinja test hybridops.ssm.eks_connector_id (plugins/test/eks_connector_id.py), through a template as a role uses it."""

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import is_eks_connector_id
from ansible_collections.hybridops.ssm.plugins.test import eks_connector_id as plugin

try:
    from ansible.template import trust_as_template  # ansible-core 2.19 and later
except ImportError:  # before 2.19 every string is templated

    def trust_as_template(value):
        return value


EKS = "eks_c:edge-cluster_0123456789abcdefg"
MI = "mi-0123456789abcdef0"
EC2 = "i-0123456789abcdef0"


def test_the_test_is_the_constraints_rule():
    # one rule, in constraints.py, for the module option, the inventory filter and the roles
    assert plugin.TestModule().tests() == {"eks_connector_id": is_eks_connector_id}


def test_a_role_rejects_eks_connector_agents_by_it():
    templar = Templar(loader=DataLoader(), variables={"ids": [MI, EKS, EC2]})
    template = trust_as_template("{{ ids | reject('hybridops.ssm.eks_connector_id') | list }}")
    assert templar.template(template) == [MI, EC2]
