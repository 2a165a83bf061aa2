"""Run module arguments through each module's main() in this one process; print every result as JSON.

Reads [[module, arguments], ...] as JSON on stdin and prints [result, ...] in the same order: the JSON each
module exits with (exit_json or fail_json), as ansible-playbook would register it. Run with the Python of the
ansible-core under test and the collection tree on PYTHONPATH (test_bad_input.py does both). A module run costs
an import and a call here instead of a process with AnsiballZ, which is what lets test_bad_input.py run each of
its 169 module rows for a few milliseconds; a handful of them still go through ansible-playbook to show that
path.
"""

import contextlib
import importlib
import io
import json
import sys
from unittest import mock

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19: AnsibleModule reads basic._ANSIBLE_ARGS

    @contextlib.contextmanager
    def patch_module_args(args):
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()):
            yield


def run(module_name, args):
    module = importlib.import_module(f"ansible_collections.hybridops.ssm.plugins.modules.{module_name}")
    out = io.StringIO()
    # the name ansible-playbook gives a module, which its messages quote
    with patch_module_args({**args, "_ansible_module_name": f"hybridops.ssm.{module_name}"}), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit:
            pass
    text = out.getvalue().strip()
    try:
        return json.loads(text)
    except ValueError:
        return {"failed": True, "msg": f"no JSON result from {module_name}: {text[-2000:]!r}"}


def main():
    rows = json.load(sys.stdin)
    json.dump([run(module_name, args) for module_name, args in rows], sys.stdout)


if __name__ == "__main__":
    main()
