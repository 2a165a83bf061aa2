"""hybridops.ssm.check_role_inputs in the real CLIs: bad input to the roles and the decommission playbook fails
with every problem named, before any request (the endpoint's request log stays empty) and with the host untouched."""

import json

from test_roles import local_host
from test_roles import playbook
from test_roles import write_inventory

from hostroot import AGENT_CALLS
from hostroot import KEY_FILES
from hostroot import REGISTRATION
from hostroot import make_host_root

MI = "mi-0123456789abcdef0"
D = "decommission_hybrid_node_"
S = "sweep_stale_hybrid_nodes_"


def untouched(root):
    return (root / REGISTRATION).exists() and all((root / key).exists() for key in KEY_FILES) and not (root / AGENT_CALLS).exists()


def test_the_playbook_names_every_bad_variable_of_its_own_and_of_the_role(control, ansible_env, tmp_path):
    root = make_host_root(tmp_path / "node-0", MI)
    inventory = write_inventory(tmp_path / "inventory.json", {"node-0": local_host(root)})
    control.clear_log()
    # -e as JSON keeps the types; the role's variables are checked by the role, after the playbook's own
    refused = playbook(
        ansible_env, "decommission", inventory, "-e", json.dumps({"decommission_hosts": "node-0", "decommission_max_hosts": -1, "decommission_hostz": "node-1"})
    )
    assert refused.returncode != 0
    assert (
        "decommission_max_hosts: -1 is not a number of hosts: give a whole number, 0 or more; decommission_hostz: not a variable of this playbook (a typo?)"
    ) in refused.stdout
    assert control.log() == [] and untouched(root)

    role = playbook(
        ansible_env,
        "decommission",
        inventory,
        "-e",
        json.dumps({"decommission_hosts": "node-0", D + "region": "eusc-de-east-99x", D + "services": ["a b"], D + "key_files": ["../x"], D + "becom": False}),
    )
    assert role.returncode != 0
    for fragment in (
        f"{D}region: 'eusc-de-east-99x' is not an AWS region name",
        f"{D}services: 'a b' is not a service name",
        f"{D}key_files: '../x' climbs out of {D}root",
        f"{D}becom: 'False' is not a variable of this role (a typo?)",
    ):
        assert fragment in role.stdout, fragment
    task = "TASK [hybridops.ssm.decommission_hybrid_node : "
    assert task + "Check the arguments against the API's constraints]" in role.stdout
    assert task + "Check whether the host can be reached]" not in role.stdout
    assert control.log() == [] and untouched(root)


def test_the_sweep_names_every_bad_variable_before_any_request(control, ansible_env, tmp_path):
    inventory = write_inventory(tmp_path / "inventory.json", {})
    control.clear_log()
    refused = playbook(
        ansible_env,
        "sweep_stale",
        inventory,
        "--check",
        "-e",
        json.dumps({S + "older_than": "2026-02-30", S + "tags": {"Site": "a\tb"}, S + "region": "EU-WEST-1", S + "max_nodes": 0}),
    )
    assert refused.returncode != 0
    for fragment in (
        f"{S}older_than: '2026-02-30' is neither an age",
        f"{S}tags: the value of key 'Site'",
        f"{S}region: 'EU-WEST-1'",
        f"{S}max_nodes: 0 is out of range",
    ):
        assert fragment in refused.stdout, fragment
    assert control.log() == []
