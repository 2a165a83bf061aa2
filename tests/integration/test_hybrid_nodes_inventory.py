"""The hybridops.ssm.hybrid_nodes inventory plugin through the real ansible-inventory / ansible-playbook CLIs.

A fleet of 330 nodes in two regions (us-east-1 over seven pages of 50, eu-west-1), some tagged, some that
lost their connection 40 days ago, is listed against the local endpoint; the request log shows the pages,
the filters sent to SSM and the calls a cached run does not make. The decommission playbook then takes the
lost nodes' group from the plugin: the role reads each host's instance_id and region host variables.
"""

import json
import math

import pytest
import yaml

from conftest import MODULE_PYTHON
from conftest import ROOT
from conftest import plain
from conftest import run_cli
from conftest import ssm_client
from hostroot import AGENT_CALLS
from hostroot import KEY_FILES
from hostroot import REGISTRATION
from hostroot import make_host_root

MUTATING = {"DeregisterManagedInstance", "CancelCommand", "DeleteActivation", "UpdateManagedInstanceRole", "AddTagsToResource", "RemoveTagsFromResource"}


def write_config(tmp_path, name, config):
    path = tmp_path / f"{name}.hybrid_nodes.yml"
    path.write_text(yaml.safe_dump({"plugin": "hybridops.ssm.hybrid_nodes", **config}, sort_keys=False), encoding="utf-8")
    return path


def inventory(env, path, *extra):
    result = run_cli(["ansible-inventory", "-i", str(path), "--list", *extra], env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    assert "Failed to parse" not in result.stderr, result.stderr[-5000:]
    return plain(json.loads(result.stdout))


def group_hosts(listing, group):
    return set(listing.get(group, {}).get("hosts", []))


def seed_fleet(control, url):
    """330 nodes; returns {part: [ids]} and the host names the default-style hostnames must give."""
    east, eu = {"region": "us-east-1"}, {"region": "eu-west-1"}
    parts = {
        "paris": control.seed_nodes(150, name_prefix="store", tags={"site": "paris"}, **east)["instance_ids"],
        "pos": control.seed_nodes(100, name_prefix="pos", **east)["instance_ids"],
        "lyon_lost": control.seed_nodes(40, name_prefix="kiosk", tags={"site": "lyon"}, ping_status="ConnectionLost", last_ping_days_ago=40, **east)[
            "instance_ids"
        ],
        # kiosk-0 ... kiosk-9 again: these names belong to two nodes each
        "untagged_lost": control.seed_nodes(10, name_prefix="kiosk", ping_status="ConnectionLost", last_ping_days_ago=40, **east)["instance_ids"],
        "recent_lost": control.seed_nodes(5, name_prefix="recent", ping_status="ConnectionLost", last_ping_days_ago=3, **east)["instance_ids"],
        "berlin": control.seed_nodes(20, name_prefix="eu", tags={"site": "berlin"}, **eu)["instance_ids"],
        "eu_lost": control.seed_nodes(5, name_prefix="eulost", ping_status="ConnectionLost", last_ping_days_ago=40, **eu)["instance_ids"],
    }
    tagger = ssm_client(url)
    tagger.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=parts["pos"][0], Tags=[{"Key": "alias", "Value": "front-door"}])
    for node in parts["pos"][1:3]:  # one alias on two nodes: used for neither
        tagger.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=node, Tags=[{"Key": "alias", "Value": "back-door"}])
    control.advance(10)  # SSM's tag reads lag its tag writes: let the new tags show
    return parts


FULL = {
    "regions": ["us-east-1", "eu-west-1"],
    "include_tags": True,
    "hostnames": ["tag:alias", "name", "instance_id"],
    "keyed_groups": [{"key": "ping_status", "prefix": "ping"}, {"key": "tags.site | default('untagged')", "prefix": "site"}],
    "groups": {"lost_long_ago": "ping_status == 'ConnectionLost' and name is match('kiosk|eulost')"},
    "compose": {"node_label": "name ~ '@' ~ region"},
}


def test_list_and_graph_over_pages_and_regions(control, endpoint, ansible_env, tmp_path):
    parts = seed_fleet(control, endpoint.url)
    every = [i for ids in parts.values() for i in ids]
    path = write_config(tmp_path, "fleet", FULL)
    control.clear_log()

    listing = inventory(ansible_env, path)
    hostvars = listing["_meta"]["hostvars"]
    by_id = {v["instance_id"]: host for host, v in hostvars.items()}
    assert len(hostvars) == len(every) == 330 and set(by_id) == set(every)

    # the requests: every page of at most 50 followed, per region; one tag read per node
    log = control.log()
    assert all(e["status"] == 200 for e in log)
    for region, count in (("us-east-1", 305), ("eu-west-1", 25)):
        pages = [e["params"] for e in log if e["operation"] == "DescribeInstanceInformation" and e["region"] == region]
        assert len(pages) == math.ceil(count / 50)
        assert all(p["MaxResults"] == 50 and "Filters" not in p for p in pages)
        assert ["NextToken" in p for p in pages] == [False] + [True] * (len(pages) - 1)
    tag_reads = [e["params"]["ResourceId"] for e in log if e["operation"] == "ListTagsForResource"]
    assert sorted(tag_reads) == sorted(every)
    assert {e["operation"] for e in log} == {"DescribeInstanceInformation", "ListTagsForResource"}

    # host names: the tag first, then the SSM name, unique or not at all, else the instance ID
    assert by_id[parts["pos"][0]] == "front-door"
    assert [by_id[i] for i in parts["pos"][1:3]] == [hostvars[by_id[i]]["node_name"] for i in parts["pos"][1:3]]
    shared = {f"kiosk-{n}" for n in range(10)}
    for node in parts["lyon_lost"] + parts["untagged_lost"]:
        name = hostvars[by_id[node]]["node_name"]
        assert by_id[node] == (node if name in shared else name)
    assert sum(1 for node in every if by_id[node] == node) == 20
    assert by_id[parts["berlin"][0]] == "eu-0"

    # groups from keyed_groups on ping_status and on a tag, and from groups; compose
    hosts = {part: {by_id[i] for i in ids} for part, ids in parts.items()}
    lost = hosts["lyon_lost"] | hosts["untagged_lost"] | hosts["recent_lost"] | hosts["eu_lost"]
    assert group_hosts(listing, "ping_ConnectionLost") == lost
    assert group_hosts(listing, "ping_Online") == hosts["paris"] | hosts["pos"] | hosts["berlin"]
    assert group_hosts(listing, "site_paris") == hosts["paris"] and group_hosts(listing, "site_lyon") == hosts["lyon_lost"]
    assert group_hosts(listing, "site_berlin") == hosts["berlin"]
    assert group_hosts(listing, "site_untagged") == hosts["pos"] | hosts["untagged_lost"] | hosts["recent_lost"] | hosts["eu_lost"]
    assert group_hosts(listing, "lost_long_ago") == hosts["lyon_lost"] | hosts["untagged_lost"] | hosts["eu_lost"]
    assert "hybrid_nodes" not in listing and not listing["all"].get("hosts")  # no group holds the whole fleet
    for host, variables in hostvars.items():  # compose read the SSM name as name, its own name
        assert variables["node_label"] == f"{variables['node_name']}@{variables['region']}"
    assert {hostvars[h]["region"] for h in hosts["berlin"] | hosts["eu_lost"]} == {"eu-west-1"}
    assert hostvars[by_id[parts["paris"][0]]]["node_tags"] == {"site": "paris"}
    assert hostvars[by_id[parts["pos"][0]]]["node_tags"] == {"alias": "front-door"}

    # the host variables are the node as ssm_managed_instance_info returns it, plus region and tags, its name
    # and tags under names Ansible does not reserve
    for region, part_names in (("us-east-1", ("paris", "pos", "lyon_lost", "untagged_lost", "recent_lost")), ("eu-west-1", ("berlin", "eu_lost"))):
        result = run_cli(["ansible", "localhost", "-m", "hybridops.ssm.ssm_managed_instance_info", "-a", f"region={region}", "-o"], ansible_env)
        line = next(line for line in result.stdout.splitlines() if line.startswith("localhost | "))
        instances = json.loads(line.split(" => ", 1)[1])["instances"]
        assert len(instances) == sum(len(parts[p]) for p in part_names)
        for instance in instances:
            variables = dict(hostvars[by_id[instance["instance_id"]]])
            assert variables.pop("region") == region
            variables.pop("node_tags")
            variables.pop("node_label")
            variables["name"] = variables.pop("node_name")
            assert variables == instance

    graph = run_cli(["ansible-inventory", "-i", str(path), "--graph"], ansible_env)
    assert graph.returncode == 0, graph.stderr
    lines = [line.strip().lstrip("| ") for line in graph.stdout.splitlines()]
    assert "--@ping_ConnectionLost:" in lines and "--@site_lyon:" in lines and "--front-door" in lines
    assert {line[2:] for line in lines if line.startswith("--") and not line.startswith("--@")} == set(hostvars)


def test_hostvars_prefix_and_suffix(control, ansible_env, tmp_path):
    ids = control.seed_nodes(3, name_prefix="edge", tags={"site": "oslo"})["instance_ids"]
    path = write_config(
        tmp_path,
        "prefixed",
        {
            "hostvars_prefix": "ssm_",
            "hostvars_suffix": "_v",
            "include_tags": True,
            "hostnames": ["name"],
            "keyed_groups": [{"key": "ssm_ping_status_v", "prefix": "ping"}, {"key": "ssm_tags_v.site", "prefix": "site"}],
            "compose": {"instance_id": "ssm_instance_id_v", "region": "ssm_region_v"},
        },
    )
    listing = inventory(ansible_env, path)
    hostvars = listing["_meta"]["hostvars"]
    assert set(hostvars) == {"edge-0", "edge-1", "edge-2"}
    for variables in hostvars.values():
        from_ssm = set(variables) - {"instance_id", "region"}
        assert from_ssm and all(name.startswith("ssm_") and name.endswith("_v") for name in from_ssm)
        assert variables["instance_id"] == variables["ssm_instance_id_v"] and variables["region"] == "us-east-1"
        # prefixed, the fields keep their own names: ssm_name_v and ssm_tags_v are no names Ansible reserves
        assert variables["ssm_tags_v"] == {"site": "oslo"} and variables["ssm_name_v"].startswith("edge-")
        assert not {"ssm_node_name_v", "ssm_node_tags_v"} & set(variables)
    assert {v["instance_id"] for v in hostvars.values()} == set(ids)
    assert group_hosts(listing, "ping_Online") == group_hosts(listing, "site_oslo") == set(hostvars)


def test_a_normal_run_prints_no_warning(control, ansible_env, tmp_path):
    """No host variable is a name Ansible reserves: ansible-core warns about one on every run ("Found variable
    using reserved name 'name'"), in ansible-inventory, ad hoc commands and playbooks alike."""
    ids = control.seed_nodes(3, name_prefix="till", tags={"site": "lyon"})["instance_ids"]
    path = write_config(
        tmp_path,
        "quiet",
        {
            "include_tags": True,
            "hostnames": ["name", "instance_id"],
            "keyed_groups": [{"key": "ping_status", "prefix": "ping"}, {"key": "node_tags.site", "prefix": "site"}],
            # the fields' own names, as expressions written before the rename read them, and the new ones
            "groups": {"tills": "name is match('till-') and tags.site == 'lyon'"},
            "compose": {"label": "node_name ~ '@' ~ region", "former_label": "name ~ '@' ~ region"},
        },
    )
    listed = run_cli(["ansible-inventory", "-i", str(path), "--list"], ansible_env)
    assert listed.returncode == 0, listed.stderr[-3000:]
    assert "reserved name" not in listed.stderr and "WARNING" not in listed.stderr + listed.stdout, listed.stderr[-3000:]
    listing = plain(json.loads(listed.stdout))
    hostvars = listing["_meta"]["hostvars"]
    assert set(hostvars) == {"till-0", "till-1", "till-2"} and {v["instance_id"] for v in hostvars.values()} == set(ids)
    for host, variables in hostvars.items():
        assert variables["node_name"] == host and variables["node_tags"] == {"site": "lyon"}
        assert variables["label"] == variables["former_label"] == f"{host}@us-east-1"
        assert not {"name", "tags"} & set(variables)
    assert group_hosts(listing, "tills") == group_hosts(listing, "site_lyon") == group_hosts(listing, "ping_Online") == set(hostvars)

    adhoc = run_cli(["ansible", "tills", "-i", str(path), "-m", "ansible.builtin.debug", "-a", "msg={{node_name}}/{{node_tags.site}}"], ansible_env)
    assert adhoc.returncode == 0, adhoc.stdout[-3000:] + adhoc.stderr[-3000:]
    assert "reserved name" not in adhoc.stderr and "WARNING" not in adhoc.stderr + adhoc.stdout, adhoc.stderr[-3000:]
    assert all(f'"msg": "{host}/lyon"' in adhoc.stdout for host in hostvars), adhoc.stdout[-3000:]

    playbook = tmp_path / "read_node_name.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Read the node's SSM name and tags",
                    "hosts": "site_lyon",
                    "gather_facts": False,
                    "tasks": [{"name": "Show them", "ansible.builtin.debug": {"msg": "{{ node_name }} of {{ node_tags.site }} ({{ label }})"}}],
                }
            ]
        ),
        encoding="utf-8",
    )
    played = run_cli(["ansible-playbook", "-i", str(path), str(playbook)], ansible_env)
    assert played.returncode == 0, played.stdout[-3000:] + played.stderr[-3000:]
    assert "reserved name" not in played.stderr + played.stdout and "WARNING" not in played.stderr + played.stdout, played.stderr[-3000:]
    assert all(f"{host} of lyon ({host}@us-east-1)" in played.stdout for host in hostvars), played.stdout[-3000:]


def test_cached_run_makes_no_call(control, ansible_env, tmp_path):
    ids = control.seed_nodes(60, name_prefix="cached")["instance_ids"]
    path = write_config(
        tmp_path,
        "cached",
        {
            "cache": True,
            "cache_plugin": "ansible.builtin.jsonfile",
            "cache_connection": str(tmp_path / "cache"),
            "cache_timeout": 600,
            "keyed_groups": [{"key": "ping_status", "prefix": "ping"}],
        },
    )
    control.clear_log()
    first = inventory(ansible_env, path)
    assert control.count("DescribeInstanceInformation") == 2  # 60 nodes, two pages
    assert {v["instance_id"] for v in first["_meta"]["hostvars"].values()} == set(ids)

    control.set_ping(ids[:5], "ConnectionLost")  # changed in SSM; the cache still holds the old state
    control.clear_log()
    second = inventory(ansible_env, path)
    assert control.log() == []
    assert second == first

    flushed = inventory(ansible_env, path, "--flush-cache")
    assert control.count("DescribeInstanceInformation") == 2
    assert group_hosts(flushed, "ping_ConnectionLost") == set(ids[:5])


def test_filters_go_to_ssm_where_it_can_and_the_rest_is_applied_to_the_answer(control, endpoint, ansible_env, tmp_path):
    parts = seed_fleet(control, endpoint.url)

    # no tag filter: every SSM filter is sent; the age is applied to what comes back
    path = write_config(
        tmp_path,
        "lost",
        {
            "regions": ["us-east-1"],
            "filters": {"ping_status": "ConnectionLost", "resource_type": "ManagedInstance", "platform_type": "Linux", "last_ping_before": "30d"},
        },
    )
    control.clear_log()
    listing = inventory(ansible_env, path)
    ids = {v["instance_id"] for v in listing["_meta"]["hostvars"].values()}
    assert ids == set(parts["lyon_lost"] + parts["untagged_lost"])  # recent_lost: ConnectionLost for SSM, too young here
    requests = [e["params"] for e in control.log()]
    assert requests and all(
        r["Filters"]
        == [
            {"Key": "PingStatus", "Values": ["ConnectionLost"]},
            {"Key": "ResourceType", "Values": ["ManagedInstance"]},
            {"Key": "PlatformTypes", "Values": ["Linux"]},
        ]
        for r in requests
    )
    assert {e["operation"] for e in control.log()} == {"DescribeInstanceInformation"}

    # with tags: only the tag filters go to SSM (it refuses tags with other filters); the rest is applied here
    path = write_config(
        tmp_path,
        "tagged",
        {
            "regions": ["us-east-1", "eu-west-1"],
            "filters": {"tags": {"site": ["lyon", "berlin"]}, "ping_status": "ConnectionLost", "name": "kiosk-1*"},
        },
    )
    control.clear_log()
    listing = inventory(ansible_env, path)
    names = sorted(v["node_name"] for v in listing["_meta"]["hostvars"].values())
    assert names == sorted(["kiosk-1"] + [f"kiosk-{n}" for n in range(10, 20)])
    assert {v["instance_id"] for v in listing["_meta"]["hostvars"].values()} <= set(parts["lyon_lost"])
    requests = [(e["region"], e["params"]) for e in control.log()]
    assert {region for region, _params in requests} == {"us-east-1", "eu-west-1"}
    assert all(params["Filters"] == [{"Key": "tag:site", "Values": ["lyon", "berlin"]}] for _region, params in requests)


def test_decommission_playbook_takes_the_lost_group_from_the_inventory(control, ansible_env, tmp_path):
    east = {"region": "us-east-1"}
    online = control.seed_nodes(6, name_prefix="shop", **east)["instance_ids"] + control.seed_nodes(2, name_prefix="eushop", region="eu-west-1")["instance_ids"]
    lost_east = control.seed_nodes(8, name_prefix="kiosk", ping_status="ConnectionLost", last_ping_days_ago=40, **east)["instance_ids"]
    lost_eu = control.seed_nodes(3, name_prefix="eukiosk", ping_status="ConnectionLost", last_ping_days_ago=40, region="eu-west-1")["instance_ids"]
    path = write_config(
        tmp_path,
        "fleet",
        {
            "regions": ["us-east-1", "eu-west-1"],
            "hostnames": ["name"],
            "keyed_groups": [{"key": "ping_status", "prefix": "ping"}],
        },
    )
    report = tmp_path / "decommission-report.json"
    command = [
        "ansible-playbook",
        "hybridops.ssm.decommission",
        "-i",
        str(path),
        "-f",
        "10",
        "-e",
        "decommission_hosts=ping_ConnectionLost",
        "-e",
        "decommission_hybrid_node_host_steps=false",
        "-e",
        f"decommission_hybrid_node_report_path={report}",
        "-e",
        "decommission_max_hosts=20",
    ]
    control.clear_log()
    result = run_cli(command, ansible_env)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]

    log = control.log()
    deregistered = {(e["params"]["InstanceId"], e["region"]) for e in log if e["operation"] == "DeregisterManagedInstance"}
    assert deregistered == {(i, "us-east-1") for i in lost_east} | {(i, "eu-west-1") for i in lost_eu}
    assert {e["operation"] for e in log} & MUTATING == {"DeregisterManagedInstance"}
    assert all(e["status"] == 200 for e in log if e["operation"] == "DeregisterManagedInstance")
    control.advance(control.realism()["deregister_lag_s"] + 1)  # decommissioned by ID: the run does not wait out SSM's listing lag
    still = {n["InstanceId"] for r in ("us-east-1", "eu-west-1") for n in ssm_client_in(control, r).describe_instance_information()["InstanceInformationList"]}
    assert still == set(online)

    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["check_mode"] is False and written["failed_hosts"] == []
    assert {h: (o["instance_id"], o["region"], o["source"], o["deregistration"]) for h, o in written["hosts"].items()} == {
        **{f"kiosk-{n}": (i, "us-east-1", "host variables", "deregistered") for n, i in enumerate(lost_east)},
        **{f"eukiosk-{n}": (i, "eu-west-1", "host variables", "deregistered") for n, i in enumerate(lost_eu)},
    }

    control.clear_log()
    # the keyed group exists only while some node is lost: the rerun's decommission_hosts matches no host
    refused = run_cli(command, ansible_env)
    assert refused.returncode != 0 and "decommission_hosts 'ping_ConnectionLost' matches no host of the inventory" in refused.stdout
    again = run_cli([*command, "-e", "decommission_allow_no_hosts=true"], ansible_env)
    assert again.returncode == 0, again.stdout[-4000:]
    assert "changed=1" not in again.stdout
    assert not {e["operation"] for e in control.log()} & MUTATING


def ssm_client_in(control, region):
    import boto3  # pylint: disable=import-outside-toplevel

    return boto3.client("ssm", endpoint_url=control.url, region_name=region, aws_access_key_id="AKIDHYBRIDOPSTEST", aws_secret_access_key="x")


@pytest.mark.parametrize(
    "sources, words",
    [
        # the bug this closes: the region given as a variable, the ID and another region in the registration file
        (
            {"decommission_hybrid_node_region": "us-east-1"},
            ["decommission_hybrid_node_region is us-east-1 but the registration file", "names region us-west-2"],
        ),
        # the inventory's host variables against the registration file
        ({"instance_id": "@other@", "region": "us-west-2"}, ["the host variable instance_id (from the inventory) is @other@ but the registration file"]),
        (
            {"instance_id": "@node@", "region": "eu-west-1"},
            ["the host variable region (from the inventory) is eu-west-1 but the registration file", "names region us-west-2"],
        ),
        # the variables against the inventory's host variables
        (
            {"decommission_hybrid_node_instance_id": "@node@", "instance_id": "@other@"},
            ["decommission_hybrid_node_instance_id is @node@ but the host variable instance_id (from the inventory) is @other@"],
        ),
    ],
)
def test_sources_that_disagree_are_refused_before_any_change(control, ansible_env, tmp_path, sources, words):
    node = control.seed_nodes(1, name_prefix="west", region="us-west-2")["instance_ids"][0]
    other = control.seed_nodes(1, name_prefix="east")["instance_ids"][0]
    root = make_host_root(tmp_path / "root", node, region="us-west-2")
    before = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    values = {k: str(v).replace("@node@", node).replace("@other@", other) for k, v in sources.items()}
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": MODULE_PYTHON,
        "decommission_hybrid_node_root": str(root),
        "decommission_hybrid_node_become": False,
        **values,
    }
    (tmp_path / "inventory.json").write_text(json.dumps({"all": {"children": {"hybrid_nodes": {"hosts": {"node": host}}}}}), encoding="utf-8")
    control.clear_log()
    result = run_cli(
        ["ansible-playbook", "hybridops.ssm.decommission", "-i", str(tmp_path / "inventory.json"), "-e", "decommission_hosts=hybrid_nodes"], ansible_env
    )
    assert result.returncode != 0
    text = " ".join(result.stdout.split())
    for fragment in words:
        assert fragment.replace("@node@", node).replace("@other@", other) in text, result.stdout[-3000:]
    assert "nothing was changed" in text
    assert control.log() == []  # refused before the first SSM call
    after = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert after == before and AGENT_CALLS not in after and REGISTRATION in after and all(k in after for k in KEY_FILES)


def test_readme_iam_actions_are_exactly_the_calls_made(control, ansible_env, tmp_path):
    """The README's row for the plugin (least privilege), both ways, with and without include_tags."""
    from test_least_privilege import documented_actions  # pylint: disable=import-outside-toplevel

    documented = documented_actions((ROOT / "README.md").read_text(encoding="utf-8"))["hybrid_nodes"]
    assert set(documented["conditions"]) == {"include_tags"}
    control.seed_nodes(3, name_prefix="iam")
    for conditions, config in (([], {}), (["include_tags"], {"include_tags": True})):
        control.clear_log()
        inventory(ansible_env, write_config(tmp_path, f"iam{len(conditions)}", {"regions": ["us-east-1"], **config}))
        calls = {f"ssm:{e['operation']}" for e in control.log()}
        assert all(e["status"] == 200 for e in control.log())
        assert calls == set(documented["base"]).union(*(documented["conditions"][c] for c in conditions))
