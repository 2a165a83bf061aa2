# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Module arguments for tests that drive a module through main(), on every supported ansible-core.

ansible-core 2.19 added ``ansible.module_utils.testing.patch_module_args`` (and serialises the arguments
with its module encoder); before it, a test set the JSON that AnsibleModule reads,
``ansible.module_utils.basic._ANSIBLE_ARGS``, itself. Use ansible's helper where it exists, else that.
"""

import contextlib
import json
from unittest import mock

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Expose ``args`` to AnsibleModule instances created within this context."""
        if not isinstance(args, (dict, type(None))):
            raise TypeError("The `args` arg must be a dict or None.")
        serialized = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", serialized):
            yield


__all__ = ["patch_module_args"]
