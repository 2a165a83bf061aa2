# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The find_hybrid_node action plugin driven through run(): the role's variables checked, then the host's node
found and its ID and region checked, worded by their source - in one task; the host is reached only to read
its registration file, where the host steps run."""

import base64
import json
from pathlib import Path
from types import SimpleNamespace

import yaml
from ansible.errors import AnsibleConnectionFailure
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.template import Templar

from ansible_collections.hybridops.ssm.plugins.action import find_hybrid_node
from ansible_collections.hybridops.ssm.plugins.action.find_hybrid_node import ActionModule

ROOT = Path(__file__).resolve().parents[4]
D = "decommission_hybrid_node_"
MI = "mi-0123456789abcdef0"
EC2 = "i-0123456789abcdef0"


class Role:
    _role_path = str(ROOT / "roles" / "decommission_hybrid_node")

    def get_name(self, include_role_fqcn=True):
        return ("hybridops.ssm." if include_role_fqcn else "") + "decommission_hybrid_node"


class Connection:
    """Any use of the connection beyond the base class's tmpdir look-up fails the test."""

    def __init__(self):
        self._shell = SimpleNamespace(tmpdir="/not/used")

    def __getattr__(self, name):
        raise AssertionError(f"the plugin used the connection: {name}")


def run(args, host=None, **given):
    """The plugin's result; ``host``: what the host answers to each module, by name (a dict or an exception), or None
    where any use of the connection fails the test."""
    task_vars = {
        **yaml.safe_load((ROOT / "roles" / "decommission_hybrid_node" / "defaults" / "main.yml").read_text(encoding="utf-8")),
        "inventory_hostname": "node-1",
        **given,
    }
    loader = DataLoader()
    task = SimpleNamespace(args=args, async_val=0, check_mode=False, action="hybridops.ssm.find_hybrid_node", _role=Role())
    action = ActionModule(task, Connection(), PlayContext(), loader, Templar(loader=loader, variables=task_vars), None)
    if host is not None:
        action.asked = []

        def execute_module(module_name, module_args, task_vars=None):
            action.asked.append(module_name)
            answer = host[module_name]
            if isinstance(answer, Exception):
                raise answer
            return answer

        action._execute_module = execute_module
        action._remove_tmp_path = lambda path: None
    return action.run(task_vars=task_vars)


def test_without_host_steps_the_node_is_found_at_once():
    result = run({}, **{D + "host_steps": False, "instance_id": MI, "region": "eu-west-1"})
    assert not result.get("failed") and result["found"] is True and result["changed"] is False, result
    node = result["node"]
    assert (node["id"], node["region"], node["id_source"], node["on_host"], node["refusal"]) == (MI, "eu-west-1", "host variables", False, "")


FILE = {"ManagedInstanceID": MI, "Region": "us-east-1"}
HOLDS_FILE = {
    "ansible.legacy.stat": {"stat": {"exists": True}},
    "ansible.legacy.slurp": {"content": base64.b64encode(json.dumps(FILE).encode()).decode()},
}


def test_with_host_steps_the_registration_file_is_read_through_the_host():
    read = run({}, host=HOLDS_FILE)
    assert not read.get("failed") and read["found"] is True, read
    assert (read["node"]["id"], read["node"]["id_source"], read["node"]["registered_region"], read["node"]["on_host"]) == (
        MI,
        "registration file",
        "us-east-1",
        True,
    )
    absent = run({}, host={"ansible.legacy.stat": {"stat": {"exists": False}}}, **{D + "instance_id": MI})
    assert absent["node"]["registered_region"] == "" and absent["node"]["on_host"] is True


def test_an_unreachable_host_is_a_note_not_a_failure():
    result = run({}, host={"ansible.legacy.stat": AnsibleConnectionFailure("Failed to connect to the host via ssh")}, **{D + "instance_id": MI})
    assert not result.get("failed") and result["node"]["on_host"] is False, result
    assert result["node"]["host_note"] == "host steps skipped: the host cannot be reached (Failed to connect to the host via ssh)"


def test_a_registration_file_that_is_no_json_fails_the_host():
    host = dict(HOLDS_FILE, **{"ansible.legacy.slurp": {"content": base64.b64encode(b"not json").decode()}})
    result = run({}, host=host)
    assert result["failed"] is True and "is not the agent's JSON" in result["msg"] and "nothing was changed" in result["msg"]


def test_a_windows_host_is_refused_before_any_connection():
    result = run({}, host={}, ansible_connection="winrm", **{D + "instance_id": MI})
    assert result["failed"] is True and "node-1 is a Windows host (ansible_connection 'winrm'" in result["msg"]
    assert f"set {D}host_steps=false (and {D}instance_id)" in result["msg"]


def test_bad_variables_fail_before_the_node_is_looked_for():
    result = run({}, **{D + "host_steps": "maybe", D + "region": "EU-WEST-1", D + "instanceid": MI})
    assert result["failed"] is True and result["found"] is False and isinstance(result["msg"], list)
    text = "\n".join(result["msg"])
    assert f"{D}host_steps: 'maybe' is not one of ssh, ssm, auto, none" in text
    assert f"{D}region: 'EU-WEST-1' is not an AWS region name" in text and f"{D}instanceid: '{MI}' is not a variable of this role" in text


def test_an_id_from_the_inventory_is_checked_and_worded_by_its_source():
    result = run({}, **{D + "host_steps": False, "instance_id": EC2})
    assert result["failed"] is True and result["found"] is True
    assert result["msg"] == (
        f"node-1: the host variable instance_id (from the inventory) is {EC2}, which is not a hybrid managed node ID"
        " (mi- followed by 17 lower-case hex digits; EC2 instances cannot be deregistered); nothing was changed."
    )


def test_the_host_variables_are_ignored_when_read_host_vars_is_false():
    result = run({}, **{D + "host_steps": False, D + "read_host_vars": False, D + "instance_id": MI, "instance_id": "something-else"})
    assert not result.get("failed") and result["node"]["id"] == MI and result["node"]["refusal"] == ""


def test_sources_that_disagree_refuse_the_host_without_failing_the_task():
    """The refusal fails the host at the end, after the report, so that the host is in the report."""
    result = run({"registration": {"ManagedInstanceID": "mi-0000000000000000b"}, "unreachable": ""}, **{D + "instance_id": MI})
    assert not result.get("failed") and "registration file /var/lib/amazon/ssm/registration names mi-0000000000000000b" in result["node"]["refusal"]


def test_an_unreachable_host_without_id_is_refused():
    result = run({"registration": {}, "unreachable": "Failed to connect"})
    node = result["node"]
    assert node["host_note"] == "host steps skipped: the host cannot be reached (Failed to connect)"
    assert "the node cannot be identified" in node["refusal"] and not result.get("failed")


def test_the_argument_spec_read_at_load_is_the_roles():
    """Read once when the controller loads the plugin (before it forks a worker per host): the role's own options."""
    spec = yaml.safe_load((ROOT / "roles" / "decommission_hybrid_node" / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    assert find_hybrid_node._SPEC == spec["argument_specs"]["main"]["options"]
