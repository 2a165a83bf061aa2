# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import re

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import checks
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import command_rules
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import constraints
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.checks import Constraint


def _patterns():
    for module in (constraints, command_rules):
        for name, value in vars(module).items():
            if isinstance(value, Constraint) and value.pattern:
                yield f"{module.__name__.rsplit('.', 1)[-1]}.{name}", value.pattern


@pytest.mark.parametrize(("name", "pattern"), list(_patterns()))
def test_every_constraint_pattern_compiles_end_anchored(name, pattern):
    anchored = checks._end_anchored(pattern)
    re.compile(anchored)
    assert "$" not in anchored.replace("\\$", "").replace("[$]", "").replace("[^$]", ""), (name, anchored)


@pytest.mark.parametrize(
    ("pattern", "anchored"),
    [
        (r"^mi-[0-9a-f]{17}$", r"^mi-[0-9a-f]{17}\Z"),
        (r"^([$]LATEST|[$]DEFAULT|[1-9][0-9]*)$", r"^([$]LATEST|[$]DEFAULT|[1-9][0-9]*)\Z"),
        (r"^[^$]+$", r"^[^$]+\Z"),
        (r"^[a$]\$$", r"^[a$]\$\Z"),
        (r"^[]$]$", r"^[]$]\Z"),
        (r"^(?![0-9]+$)x$", r"^(?![0-9]+\Z)x\Z"),
    ],
)
def test_only_end_anchors_become_end_of_value(pattern, anchored):
    assert checks._end_anchored(pattern) == anchored


def test_a_trailing_newline_is_refused_and_a_dollar_in_a_class_is_a_dollar():
    assert checks._matches(r"^mi-[0-9a-f]{17}$", "mi-0123456789abcdef0")
    assert not checks._matches(r"^mi-[0-9a-f]{17}$", "mi-0123456789abcdef0\n")
    assert checks._matches(r"^([$]LATEST|[1-9][0-9]*)$", "$LATEST")
    assert checks._matches(r"^[a-z$]+$", "ab$c")
    assert not checks._matches(r"^[a-z$]+$", "ab$c\n")
