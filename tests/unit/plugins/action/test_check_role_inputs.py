# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The check_role_inputs action plugin driven through run(): a role's variables in, every problem out, no connection.

Variables from an inventory or a playbook are trusted templates; here they are marked so with trust_as_template.
"""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.template import Templar

from ansible_collections.hybridops.ssm.plugins.action.check_role_inputs import ActionModule

try:
    from ansible.parsing.vault import EncryptedString  # ansible-core 2.19 and later

    def vaulted(ciphertext):
        return EncryptedString(ciphertext=ciphertext)

except ImportError:
    from ansible.parsing.yaml.objects import AnsibleVaultEncryptedUnicode

    def vaulted(ciphertext):
        return AnsibleVaultEncryptedUnicode(ciphertext)


try:
    from ansible.template import trust_as_template  # ansible-core 2.19 and later
except ImportError:  # before 2.19 every string is templated

    def trust_as_template(value):
        return value


ROOT = Path(__file__).resolve().parents[4]
D = "decommission_hybrid_node_"
S = "sweep_stale_hybrid_nodes_"
MI = "mi-0123456789abcdef0"


class Role:
    def __init__(self, name):
        self._role_path = str(ROOT / "roles" / name)
        self._name = name

    def get_name(self, include_role_fqcn=True):
        return ("hybridops.ssm." if include_role_fqcn else "") + self._name


class Connection:
    """Any use of the connection beyond the base class's tmpdir look-up fails the test."""

    def __init__(self):
        self._shell = SimpleNamespace(tmpdir="/not/used")

    def __getattr__(self, name):
        raise AssertionError(f"the plugin used the connection: {name}")


def run(args, task_vars, role="decommission_hybrid_node"):
    loader = DataLoader()
    task = SimpleNamespace(args=args, async_val=0, check_mode=False, action="hybridops.ssm.check_role_inputs", _role=Role(role) if role else None)
    action = ActionModule(task, Connection(), PlayContext(), loader, Templar(loader=loader, variables=task_vars), None)
    return action.run(task_vars=task_vars)


def defaults(role):
    import yaml

    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text(encoding="utf-8"))


def test_the_defaults_of_both_roles_pass():
    for role in ("decommission_hybrid_node", "sweep_stale_hybrid_nodes"):
        result = run({}, defaults(role), role=role)
        assert not result.get("failed") and result["problems"] == [] and result["changed"] is False, result


def test_every_problem_is_reported_at_once_with_variable_value_and_rule():
    task_vars = {
        **defaults("decommission_hybrid_node"),
        D + "instance_id": "i-0123456789abcdef0",
        D + "region": "EU-WEST-1",
        D + "root": "srv",
        D + "command_poll_interval": 301,
        D + "key_files": ["../../etc/shadow", "/etc/shadow", ""],
        D + "services": ["amazon ssm agent"],
        D + "instanceid": MI,
    }
    result = run({}, task_vars)
    assert result["failed"] is True and isinstance(result["msg"], list)
    text = "\n".join(result["msg"])
    for fragment in (
        f"{D}instance_id: 'i-0123456789abcdef0' is not a hybrid managed node ID",
        "EC2 instances (i-...) cannot be deregistered",
        f"{D}region: 'EU-WEST-1' is not an AWS region name such as eu-west-1",
        f"{D}root: 'srv' must be an absolute path",
        f"{D}command_poll_interval: 301 is out of range: 0.1 to 300 seconds",
        f"{D}key_files: '../../etc/shadow' climbs out of {D}root",
        f"{D}key_files: '/etc/shadow' is absolute",
        f"{D}key_files: '' is empty",
        f"{D}services: 'amazon ssm agent' is not a service name",
        f"{D}instanceid: '{MI}' is not a variable of this role (a typo?); its variables are {D}instance_id, {D}region, ",
    ):
        assert fragment in text, fragment
    assert len(result["problems"]) == 9


def test_values_given_as_templates_are_checked_as_they_render():
    task_vars = {**defaults("decommission_hybrid_node"), "wanted": "nowhere", D + "region": trust_as_template("{{ wanted }}")}
    assert run({}, task_vars)["problems"] == [
        f"{D}region: 'nowhere' is not an AWS region name such as eu-west-1 (or empty, to take it from the registration file or the controller)"
    ]


def test_a_list_given_as_a_string_is_refused():
    result = run({}, {**defaults("decommission_hybrid_node"), D + "key_files": "a,b"})
    assert result["problems"] == [f"{D}key_files: 'a,b' is a string, not a list: give a YAML or JSON list (with -e, pass the variables as JSON)"]


def test_a_wrong_type_is_named_by_the_argument_spec_and_its_rules_are_skipped():
    result = run({"values": {D + "command_wait_timeout": "soon"}}, {})
    assert len(result["problems"]) == 1
    assert f"argument '{D}command_wait_timeout' is of type" in result["problems"][0] and "'soon'" in result["problems"][0]


def test_the_sweep_rules_are_the_modules_rules():
    task_vars = {
        **defaults("sweep_stale_hybrid_nodes"),
        S + "older_than": "2026-02-30",
        S + "tags": {"aws:owner": "me", "Site": "a\tb", "Rack": 7},
        S + "activation_ids": ["0a1b2c3d-0000-4000-8000-000000000000"] * 2,
        S + "concurrency": 21,
    }
    problems = run({}, task_vars, role="sweep_stale_hybrid_nodes")["problems"]
    assert problems == [
        f"{S}older_than: '2026-02-30' is neither an age such as '30d', '12h', '90m', '45s', '2w' nor an ISO 8601 time such as '2026-10-01T12:00:00Z'",
        f"{S}tags: key 'aws:owner' must be 1-128 characters long and must not start with 'aws:', which AWS reserves",
        f"{S}tags: the value of key 'Site': 'a\tb' may hold only letters, digits, spaces and _.:/=+-@",
        f"{S}tags: the value of key 'Rack' is 7, not a string: quote it",
        f"{S}activation_ids: ['0a1b2c3d-0000-4000-8000-000000000000', '0a1b2c3d-0000-4000-8000-000000000000'] names an activation more than once:"
        " each activation ID may appear once",
        f"{S}concurrency: 21 is out of range: it must be from 1 to 20",
    ]


@pytest.mark.parametrize("region", ["eu-west-1", "us-gov-west-1", "cn-northwest-1", "us-isob-east-1", "eusc-de-east-1", ""])
def test_real_region_names_pass(region):
    assert run({"values": {D + "region": region}}, {})["problems"] == []


def test_explicit_values_are_worded_by_their_source_on_one_line():
    result = run(
        {
            "values": {D + "instance_id": "i-0123456789abcdef0", D + "region": "eu west 1"},
            "sources": {
                D + "instance_id": "the host variable instance_id (from the inventory) is i-0123456789abcdef0",
                D + "region": "the registration file names region eu west 1",
            },
            "context": "node-1",
        },
        {D + "instance_idd": "not looked for with values"},
    )
    assert result["msg"] == (
        "node-1: the host variable instance_id (from the inventory) is i-0123456789abcdef0, which is not a hybrid managed node ID"
        " (mi- followed by 17 lower-case hex digits; EC2 instances cannot be deregistered); the registration file names region eu west 1,"
        " which is not an AWS region name such as eu-west-1; nothing was changed."
    )


def test_the_playbook_scope_refuses_unknown_variables_but_not_the_roles():
    task_vars = {"decommission_host": "node-0", "decommission_max_hosts": "-1", D + "region": "eu-west-1", "decommission__internal": 1}
    result = run({"scope": "decommission", "context": ""}, task_vars, role=None)
    assert result["msg"] == (
        "decommission_max_hosts: -1 is not a number of hosts: give a whole number, 0 or more; decommission_host: not a variable of this playbook"
        " (a typo?); its variables are decommission_hosts, decommission_max_hosts, decommission_allow_no_hosts and the role's"
        " decommission_hybrid_node_*; nothing was changed."
    )
    assert run({"scope": "decommission"}, {"decommission_hosts": "all", "decommission_max_hosts": "20"}, role=None)["problems"] == []


GROUPS = {
    "all": ["lost-1", "lost-2", "online-1"],
    "ungrouped": [],
    "ping_Online": ["online-1"],
    "ping_ConnectionLost": ["lost-1", "lost-2"],
    "region_eu_west_1": ["lost-1", "online-1"],
}


def test_the_playbook_scope_refuses_a_decommission_hosts_that_matches_no_host_of_the_inventory():
    result = run({"scope": "decommission", "context": ""}, {"groups": GROUPS, "decommission_hosts": "ping_connectionlost"}, role=None)
    assert result["failed"] is True
    assert result["msg"] == (
        "decommission_hosts 'ping_connectionlost' matches no host of the inventory; groups: ping_ConnectionLost, ping_Online,"
        " region_eu_west_1; where matching no host is nothing to do, set decommission_allow_no_hosts=true; nothing was changed."
    )


@pytest.mark.parametrize(
    "given",
    [
        {"decommission_hosts": "ping_ConnectionLost"},
        {"decommission_hosts": "lost-*:&region_eu_west_1"},
        {"decommission_hosts": ["ping_Online", "nowhere"]},
        {"decommission_hosts": "ping_connectionlost", "decommission_allow_no_hosts": "true"},
        {"decommission_hosts": ""},  # left to the playbook, which asks for hosts itself
        {},
    ],
)
def test_a_decommission_hosts_that_matches_or_may_match_nothing_passes(given):
    assert run({"scope": "decommission"}, {"groups": GROUPS, **given}, role=None)["problems"] == []


def test_a_decommission_allow_no_hosts_that_is_no_boolean_is_refused_alone():
    problems = run({"scope": "decommission"}, {"groups": GROUPS, "decommission_hosts": "x", "decommission_allow_no_hosts": "maybe"}, role=None)["problems"]
    assert len(problems) == 1 and "decommission_allow_no_hosts" in problems[0] and "maybe" in problems[0], problems


def test_secret_and_vaulted_values_of_unknown_variables_are_not_shown():
    task_vars = {
        **defaults("decommission_hybrid_node"),
        D + "secret_key": "hunter2-not-shown",
        D + "vaulted": vaulted("$ANSIBLE_VAULT;1.1;AES256\n6162"),
        D + "broken": trust_as_template("{{ undefined_variable }}"),
    }
    problems = run({}, task_vars)["problems"]
    shown = [p.split(" is not a variable")[0] for p in problems]
    assert shown == [f"{D}broken: (value not shown)", f"{D}secret_key: (value not shown)", f"{D}vaulted: (value not shown)"]
    assert "hunter2" not in str(problems) and "ANSIBLE_VAULT" not in str(problems)


def test_unknown_options_and_scopes_fail():
    with pytest.raises(AnsibleActionFail, match="Invalid options"):
        run({"scoop": "decommission"}, {})
    with pytest.raises(Exception, match="is not one of"):
        run({"scope": "nothing"}, {})


@pytest.mark.parametrize("role", ["decommission_hybrid_node", "sweep_stale_hybrid_nodes"])
def test_a_report_path_that_cannot_be_written_is_refused_naming_variable_value_and_rule(role, tmp_path):
    variable = (D if role == "decommission_hybrid_node" else S) + "report_path"
    rule = "must name a file in a folder that exists and is writable there (or be empty, to write no report)"
    for path, words in (
        (str(tmp_path / "missing" / "r.json"), f"cannot be written: its folder '{tmp_path / 'missing'}' does not exist"),
        (str(tmp_path), "is a folder"),
        ("/proc/r.json", "cannot be written: no file can be created in its folder ("),
    ):
        result = run({}, {**defaults(role), variable: path}, role=role)
        assert result["failed"] is True, path
        assert f"{variable}: '{path}' {words}" in result["msg"][0] and rule in result["msg"][0], result["msg"]
    assert not run({}, {**defaults(role), variable: str(tmp_path / "r.json")}, role=role).get("failed")


@pytest.mark.parametrize("plugin", ["check_role_inputs", "sweep_stale_nodes", "show_sweep_report", "decommission_stage", "find_hybrid_node"])
def test_the_collection_s_action_plugins_load_without_boto3(plugin):
    # check_role_inputs first in every role: they read module_utils/_ssm's rules, errors and advice, and only modules
    # call AWS; boto3 costs a playbook 0.1 s to import.
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys; import ansible_collections.hybridops.ssm.plugins.action.{plugin}; print('boto3' in sys.modules)"],
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert loaded.stdout.strip() == "False", loaded.stderr
