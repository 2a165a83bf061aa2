"""Tags of a fleet that holds an EKS Connector agent, through the real ansible / ansible-inventory CLIs.

SSM's tag calls take only 'mi-' IDs with ResourceType=ManagedInstance and refuse an agent's 'eks_c:' ID with a
ValidationException (the endpoint does, see its README); every other managed-node call lists the agent like a
hybrid node. So with include_tags the agent is listed without tags, never asked for them, and the task or the
inventory does not fail.
"""

import pytest
from test_hybrid_nodes_inventory import inventory
from test_hybrid_nodes_inventory import write_config

from conftest import adhoc
from conftest import ssm_client


@pytest.fixture(name="fleet")
def fixture_fleet(control, endpoint):
    """Two tagged mi- nodes and one EKS Connector agent registered with an activation: (mi IDs, agent ID)."""
    nodes = control.seed_nodes(2, name_prefix="edge", tags={"env": "lab"})["instance_ids"]
    activation = ssm_client(endpoint.url).create_activation(IamRole="SSMServiceRole", RegistrationLimit=1)
    agent = control.register(activation["ActivationId"], activation["ActivationCode"], eks_connector_cluster="lab")
    control.clear_log()
    return nodes, agent


def _tag_reads(control):
    return [(e["params"]["ResourceId"], e["status"]) for e in control.log() if e["operation"] == "ListTagsForResource"]


def test_info_lists_the_agent_without_tags_and_says_so(control, ansible_env, fleet):
    nodes, agent = fleet
    result, status, output = adhoc(ansible_env, "hybridops.ssm.ssm_managed_instance_info", "include_tags=true")
    assert status == "SUCCESS", result.stdout[-3000:] + result.stderr[-3000:]
    by_id = {n["instance_id"]: n for n in output["instances"]}
    assert set(by_id) == {*nodes, agent}
    assert [by_id[i]["tags"] for i in nodes] == [{"env": "lab"}] * 2
    assert "tags" not in by_id[agent]
    assert output["msg"] == f"3 node(s) matched; tags not read for 1 EKS Connector agent(s), whose IDs SSM's tag calls refuse: {agent}"
    assert sorted(_tag_reads(control)) == sorted((i, 200) for i in nodes)


def test_inventory_lists_the_agent_without_tags(control, ansible_env, fleet, tmp_path):
    nodes, agent = fleet
    config = {
        "regions": ["us-east-1"],
        "include_tags": True,
        "hostnames": ["tag:env", "instance_id"],
        "keyed_groups": [{"key": "tags.env | default('untagged')", "prefix": "env"}],
    }
    listing = inventory(ansible_env, write_config(tmp_path, "agents", config))
    hostvars = listing["_meta"]["hostvars"]
    # "lab" names two nodes, so neither takes it (the hostnames rule); the agent has no tag to be named by.
    assert set(hostvars) == {*nodes, agent}
    assert "node_tags" not in hostvars[agent] and all(hostvars[i]["node_tags"] == {"env": "lab"} for i in nodes)
    assert set(listing["env_lab"]["hosts"]) == set(nodes) and listing["env_untagged"]["hosts"] == [agent]
    assert sorted(_tag_reads(control)) == sorted((i, 200) for i in nodes)
