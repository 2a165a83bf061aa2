"""Node data is the node's own word: the hybrid_nodes inventory never renders it, names every node, loses none.

A hybrid node reports its own ComputerName and IP address, and Name and tags are whatever whoever may tag it
wrote. Here they hold Jinja that would run a command on the controller (each payload touches its own marker
file), unicode, blanks, duplicates and 5 KB names. One fleet goes through ansible-inventory (--list, then
--graph from the cache), an ad hoc task that reads the variables, and the decommission playbook: no marker
may appear, every value comes out as SSM gave it, every node ends deregistered.

`make matrix` runs this file in every cell with that cell's ansible-core (conftest.py: HYBRIDOPS_TEST_ANSIBLE_BIN).
"""

import json

import yaml

from conftest import run_cli
from conftest import ssm_client

# The markers' directory comes from the environment of the ansible processes (the pipe lookup runs a shell):
# a payload stays short wherever tmp_path is (a tag key holds at most 128 characters).
MARKERS = "HOSTILE_MARKERS"


def expression(label):
    """Jinja in the forms a template engine runs; each touches $HOSTILE_MARKERS/<label> when rendered."""
    return f"{{{{ lookup('pipe', 'touch \"${MARKERS}/{label}\"') }}}}"


def statement(label):
    return f"{{% set _ = lookup('pipe', 'touch \"${MARKERS}/{label}\"') %}}{label}"


def filtered(label):
    return f"{{{{ query('pipe', 'touch \"${MARKERS}/{label}\"') | first | default('x') }}}}"


def register(control, client, count, **nodes):
    """Register nodes as the agent does, each with what it reports: {key: instance ID}."""
    activation = client.create_activation(IamRole="SSMServiceRole", RegistrationLimit=count)
    return {key: control.register(activation["ActivationId"], activation["ActivationCode"], **fields) for key, fields in nodes.items()}


def oneline_results(stdout):
    """`ansible ... -o` output: one result per host, each keyed by its instance ID."""
    results = {}
    for line in stdout.splitlines():
        if " | SUCCESS => {" in line:
            result = json.loads(line[line.index(" | SUCCESS => {") + len(" | SUCCESS => ") :])
            results[result["probe"][1]] = result["probe"]
    return results


def plain(value):
    """ansible-inventory's JSON without its markers of unsafe strings ({"__ansible_unsafe": "..."})."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def test_hostile_node_data_is_never_rendered_and_no_node_is_lost(control, endpoint, ansible_env, tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    ansible_env[MARKERS] = str(markers)
    long_name = "ñ" * 2500 + expression("long_name")  # 5 KB in UTF-8
    long_computer_name = "c" * 5000 + statement("long_computer_name")
    client = ssm_client(endpoint.url)
    ids = register(
        control,
        client,
        8,
        jinja={"computer_name": expression("computer_name"), "name": statement("name"), "ip_address": filtered("ip_address")},
        unicode={"computer_name": "ünïcødé-ノード-🚀.local", "name": "名前 {# a comment #}", "ip_address": "fe80::1"},
        long={"computer_name": long_computer_name, "name": long_name, "ip_address": "10.0.0.3"},
        # the same computer name and name on two nodes: neither may take them, both keep their instance IDs
        twin_a={"computer_name": expression("twin_computer_name"), "name": expression("twin_name")},
        twin_b={"computer_name": expression("twin_computer_name"), "name": expression("twin_name")},
        blank={"computer_name": "   ", "ip_address": "10.0.0.6"},
        plain={"computer_name": "plain-1.local", "name": "plain-1", "ip_address": "10.0.0.7"},
    )
    tags = {
        "jinja": {"site": expression("tag_value"), "owner": statement("tag_statement")},
        "unicode": {"site": "Zürich-東京"},
        "long": {expression("tag_key"): "v"},
        "plain": {"site": "lyon"},
    }
    for key, node_tags in tags.items():
        client.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=ids[key], Tags=[{"Key": k, "Value": v} for k, v in node_tags.items()])
    control.set_ping(list(ids.values()), "ConnectionLost", last_ping_days_ago=40)
    control.advance(10)  # SSM's tag reads lag its tag writes: let the new tags show
    config = {
        "plugin": "hybridops.ssm.hybrid_nodes",
        "regions": ["us-east-1"],
        "include_tags": True,
        "hostnames": ["computer_name", "name", "instance_id"],
        "compose": {"ansible_host": "ip_address", "label": "name ~ '@' ~ region", "copied_tags": "tags"},
        "keyed_groups": [{"key": "tags.site | default('none')", "prefix": "site"}, {"key": "ping_status", "prefix": "ping"}],
        "groups": {"jinja_in_computer_name": "'lookup' in computer_name"},
        "cache": True,
        "cache_plugin": "ansible.builtin.jsonfile",
        "cache_connection": str(tmp_path / "cache"),
        "cache_timeout": 600,
    }
    inventory = tmp_path / "hostile.hybrid_nodes.yml"
    inventory.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    control.clear_log()

    def no_marker(step):
        touched = sorted(p.name for p in markers.iterdir())
        assert not touched, f"{step}: node data ran on the controller, payloads rendered: {', '.join(touched)}"

    # listed once (the later runs read the cache): every node a host, named by its literal value or its ID
    listing = run_cli(["ansible-inventory", "-i", str(inventory), "--list"], ansible_env)
    no_marker("ansible-inventory --list")
    assert listing.returncode == 0, listing.stderr[-5000:]
    raw = json.loads(listing.stdout)["_meta"]["hostvars"]
    hostvars = plain(raw)
    by_id = {variables["instance_id"]: host for host, variables in hostvars.items()}
    assert set(by_id) == set(ids.values())
    expected_names = {
        ids["jinja"]: expression("computer_name"),
        ids["unicode"]: "ünïcødé-ノード-🚀.local",
        ids["long"]: long_computer_name,
        ids["twin_a"]: ids["twin_a"],
        ids["twin_b"]: ids["twin_b"],
        ids["blank"]: ids["blank"],
        ids["plain"]: "plain-1.local",
    }
    assert by_id == expected_names
    # every string from SSM is marked unsafe, nested ones and what compose made of them too
    marked = raw[expression("computer_name")]
    assert all(
        marked[name] == {"__ansible_unsafe": hostvars[expression("computer_name")][name]}
        for name in ("computer_name", "node_name", "ip_address", "ansible_host")
    )
    assert marked["node_tags"]["site"] == {"__ansible_unsafe": expression("tag_value")}
    jinja = hostvars[by_id[ids["jinja"]]]
    assert (jinja["computer_name"], jinja["node_name"], jinja["ip_address"]) == (expression("computer_name"), statement("name"), filtered("ip_address"))
    assert jinja["ansible_host"] == filtered("ip_address") and jinja["label"] == statement("name") + "@us-east-1"
    assert jinja["node_tags"] == jinja["copied_tags"] == tags["jinja"]
    assert hostvars[long_computer_name]["node_name"] == long_name and hostvars[long_computer_name]["node_tags"] == tags["long"]
    assert hostvars["ünïcødé-ノード-🚀.local"]["label"] == "名前 {# a comment #}@us-east-1"
    listed = plain(json.loads(listing.stdout))
    assert set(listed["ping_ConnectionLost"]["hosts"]) == set(expected_names.values())
    assert set(listed["jinja_in_computer_name"]["hosts"]) == {expression("computer_name"), long_computer_name, ids["twin_a"], ids["twin_b"]}
    # the warnings name the nodes that fell back to their IDs and why; ordinary nodes get none
    said = " ".join(listing.stderr.split())
    for key, why in (("twin_a", "shared"), ("twin_b", "shared"), ("blank", "blank")):
        assert ids[key] in said and why in said, listing.stderr[-3000:]
    for key in ("jinja", "unicode", "long", "plain"):
        assert ids[key] not in said, listing.stderr[-3000:]

    graph = run_cli(["ansible-inventory", "-i", str(inventory), "--graph"], ansible_env)
    no_marker("ansible-inventory --graph")
    assert graph.returncode == 0, graph.stderr[-3000:]
    assert {line.strip().lstrip("| ")[2:] for line in graph.stdout.splitlines() if line.strip().lstrip("| ").startswith("--") and "--@" not in line} == set(
        expected_names.values()
    )

    # a task reading the variables: each comes out as SSM gave it
    # one expression for every variable read; -a takes key=value words, so no spaces
    probe = (
        "[inventory_hostname,instance_id,computer_name|default(none),node_name|default(none),ansible_host|default(none),"
        "label|default(none),node_tags,group_names]"
    )
    adhoc = run_cli(["ansible", "all", "-i", str(inventory), "-m", "ansible.builtin.debug", "-a", f"var={probe}", "-o"], ansible_env)
    adhoc.stdout = adhoc.stdout.replace(f'"{probe}"', '"probe"')
    no_marker("ansible all -m debug")
    assert adhoc.returncode == 0, adhoc.stdout[-3000:] + adhoc.stderr[-3000:]
    results = oneline_results(adhoc.stdout)
    assert results[ids["jinja"]][:7] == [
        expression("computer_name"),
        ids["jinja"],
        expression("computer_name"),
        statement("name"),
        filtered("ip_address"),
        statement("name") + "@us-east-1",
        tags["jinja"],
    ]
    # keyed_groups makes group names of the tag values: Jinja's braces never survive into a name
    assert all("ping_ConnectionLost" in r[7] and not any("{" in group or "}" in group for group in r[7]) for r in results.values())
    assert results[ids["long"]][:4] == [long_computer_name, ids["long"], long_computer_name, long_name]
    assert results[ids["twin_a"]][:4] == [ids["twin_a"], ids["twin_a"], expression("twin_computer_name"), expression("twin_name")]
    assert {i: r[0] for i, r in results.items()} == expected_names

    # the decommission playbook on every one of those hosts: each deregistered, none skipped
    report = tmp_path / "report.json"
    decommission = run_cli(
        [
            "ansible-playbook",
            "hybridops.ssm.decommission",
            "-i",
            str(inventory),
            "-f",
            "8",
            "-e",
            "decommission_hosts=ping_ConnectionLost",
            "-e",
            "decommission_hybrid_node_host_steps=false",
            "-e",
            f"decommission_hybrid_node_report_path={report}",
        ],
        ansible_env,
    )
    no_marker("ansible-playbook hybridops.ssm.decommission")
    assert decommission.returncode == 0, decommission.stdout[-6000:] + decommission.stderr[-3000:]
    # No host variable of the plugin collides with a name ansible-core reserves (it warns on every run, on 2.19 and later).
    assert "reserved name" not in decommission.stderr + listing.stderr + adhoc.stderr, decommission.stderr[-3000:]
    log = control.log()
    assert sum(1 for e in log if e["operation"] == "DescribeInstanceInformation" and "Filters" not in e["params"]) == 1  # the later runs read the cache
    deregistered = [e["params"]["InstanceId"] for e in log if e["operation"] == "DeregisterManagedInstance" and e["status"] == 200]
    assert sorted(deregistered) == sorted(ids.values())
    written = json.loads(report.read_text(encoding="utf-8"))
    assert {host: (outcome["instance_id"], outcome["deregistration"]) for host, outcome in written["hosts"].items()} == {
        name: (instance_id, "deregistered") for instance_id, name in expected_names.items()
    }
    control.advance(60)  # past the time a deregistered node keeps being listed
    assert not client.describe_instance_information()["InstanceInformationList"]


def test_hostile_node_data_of_other_accounts_is_never_rendered(control, ansible_env, tmp_path):
    """Through the accounts option (other code: one AssumeRole per account, threads), a node's Jinja stays text,
    and so do account_id and what hybrid_nodes_failures holds (AWS's error words, which name the role)."""
    markers = tmp_path / "markers"
    markers.mkdir()
    ansible_env[MARKERS] = str(markers)
    account, denied = "111111111111", "333333333333"
    control.add_role(account, "reader")
    prefix = statement("account_node_name")
    control.seed_nodes(1, account=account, name_prefix=prefix)
    config = {
        "plugin": "hybridops.ssm.hybrid_nodes",
        "regions": ["us-east-1"],
        "accounts": [{"role_arn": f"arn:aws:iam::{account}:role/reader"}, {"role_arn": f"arn:aws:iam::{denied}:role/reader"}],
        "compose": {"label": "node_name ~ '@' ~ account_id"},
    }
    inventory = tmp_path / "hostile-accounts.hybrid_nodes.yml"
    inventory.write_text(yaml.safe_dump(config), encoding="utf-8")
    probe = "[node_name,label,hybrid_nodes_failures|map(attribute='account_id')|list]"
    adhoc = run_cli(["ansible", "all", "-i", str(inventory), "-m", "ansible.builtin.debug", "-a", f"var={probe}", "-o"], ansible_env)
    touched = sorted(p.name for p in markers.iterdir())
    assert not touched, f"node data ran on the controller: {touched}"
    assert adhoc.returncode == 0, adhoc.stdout[-3000:] + adhoc.stderr[-3000:]
    (line,) = [line for line in adhoc.stdout.splitlines() if " | SUCCESS => {" in line]
    shown = json.loads(line[line.index(" | SUCCESS => ") + len(" | SUCCESS => ") :])[probe]
    assert shown == [prefix + "-0", f"{prefix}-0@{account}", [denied]]


def test_hostile_node_data_in_the_sweep_report_is_never_rendered(control, endpoint, ansible_env, tmp_path):
    """The sweep's report and its diff are made of what SSM answered (names, computer names, tags): in check mode
    with --diff, then for real, no payload runs and each node's name comes out as the node gave it."""
    markers = tmp_path / "markers"
    markers.mkdir()
    ansible_env[MARKERS] = str(markers)
    client = ssm_client(endpoint.url)
    ids = register(
        control,
        client,
        2,
        jinja={"computer_name": expression("sweep_computer_name"), "name": statement("sweep_name"), "ip_address": filtered("sweep_ip")},
        unicode={"computer_name": "ünïcødé-ノード.local", "name": "名前 {# a comment #}"},
    )
    client.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=ids["jinja"], Tags=[{"Key": "site", "Value": expression("sweep_tag")}])
    control.set_ping(list(ids.values()), "ConnectionLost", last_ping_days_ago=40)
    control.advance(10)
    report = tmp_path / "sweep.json"
    command = [
        "ansible-playbook",
        "hybridops.ssm.sweep_stale",
        "-i",
        "localhost,",
        "-e",
        "sweep_stale_hybrid_nodes_cluster_checks=false",
        "-e",
        f"sweep_stale_hybrid_nodes_report_path={report}",
    ]
    for extra in (["--check", "--diff"], []):
        run = run_cli([*command, *extra], ansible_env)
        touched = sorted(p.name for p in markers.iterdir())
        assert not touched, f"sweep {extra}: node data ran on the controller, payloads rendered: {', '.join(touched)}"
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
        # the report's lines are shown as JSON strings, their quotes escaped
        assert "{% set _ = lookup('pipe', 'touch " in run.stdout and "%}sweep_name" in run.stdout, run.stdout[-6000:]
        assert "名前 {# a comment #}" in run.stdout, run.stdout[-6000:]
        assert sorted(json.loads(report.read_text(encoding="utf-8"))["selected"]) == sorted(ids.values())
    deregistered = {e["params"]["InstanceId"] for e in control.log() if e["operation"] == "DeregisterManagedInstance" and e["status"] == 200}
    assert deregistered == set(ids.values())
