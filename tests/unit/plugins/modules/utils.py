# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Module arguments for tests that drive a module through main(), on every supported ansible-core.

ansible-core 2.19 added ``ansible.module_utils.testing.patch_module_args`` (and serialises the arguments
with its module encoder); before it, a test set the JSON that AnsibleModule reads,
``ansible.module_utils.basic._ANSIBLE_ARGS``, itself. Use ansible's helper where it exists, else that.
``run_module_main`` runs a module's main() that way, with its SSM client replaced, and returns its JSON result.
"""

import contextlib
import json
from unittest import mock

import pytest
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


# Region and credentials of a module run whose client a test replaces (nothing is sent anywhere).
BASE_ARGS = {"region": "us-east-1", "access_key": "AKIDTEST", "secret_key": "secret"}


def run_module_main(module, monkeypatch, capsys, client, **args):
    """``module``.main() with BASE_ARGS and ``args``, its SSM client ``client``: the JSON it exits with."""
    monkeypatch.setattr(module, "ssm_client", lambda _module: client)
    with patch_module_args({**BASE_ARGS, **args}):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


__all__ = ["BASE_ARGS", "patch_module_args", "run_module_main"]
