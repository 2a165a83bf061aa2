"""Least privilege: the IAM actions the README documents per module and role are exactly the calls they make.

The README's two tables ("Modules", "Roles and playbooks") give, per module or role, the SSM actions
it always needs and, after "with `OPTION`:", those it needs only when that option is used. Every path
of every module and role runs once, in ONE ansible-playbook run, against the local endpoint: each
scenario is a play, followed by a play that saves the endpoint's request log for that scenario and
clears it (the tests' own setup calls, such as SendCommand, are made and cleared before the run). For
every scenario the set of operations called must EQUAL the documented base set plus the sets of the
conditions the scenario uses, in both directions, and every documented condition must be exercised.

`iam:PassRole` is left out of the comparison on purpose: it is not an SSM API call but the permission
IAM checks when SSM is handed a role (UpdateManagedInstanceRole), so it never appears in a request log.
An SSM IAM action is named like the API operation it allows (ssm:CancelCommand allows CancelCommand).
"""

import json
import re

import pytest

from conftest import MODULE_PYTHON
from conftest import ROOT
from conftest import run_cli
from conftest import send_long_command
from conftest import ssm_client
from hostroot import make_host_root

NOT_AN_SSM_CALL = {"iam:PassRole"}  # an IAM permission check when a role is passed, never a request (see above)
# Run through ansible-inventory, not a playbook: its paths are compared in test_hybrid_nodes_inventory.py.
INVENTORY_PLUGINS = {"hybrid_nodes"}
ROLE_PLAYBOOK = {"decommission_hybrid_node": "hybridops.ssm.decommission", "sweep_stale_hybrid_nodes": "hybridops.ssm.sweep_stale"}


def documented_actions(readme_text):
    """{name: {"base": {action}, "conditions": {label: {action}}}} from every README table row with an "IAM actions" column."""
    documented = {}
    header = None
    for line in readme_text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else None
        if cells is None:
            header = None
            continue
        if header is None:
            header = cells
            continue
        if set(line) <= set("|- "):
            continue
        if "IAM actions it calls" not in header:
            continue
        name = re.search(r"`hybridops\.ssm\.([a-z_]+)`", cells[0]).group(1)
        parts = cells[header.index("IAM actions it calls")].split(";")
        entry = {"base": set(re.findall(r"`([a-z]+:[A-Za-z]+)`", parts[0])) - NOT_AN_SSM_CALL, "conditions": {}}
        for part in parts[1:]:
            label, actions = re.fullmatch(r"\s*with ((?:`[^`]+`| or | and )+)(?: \(the default\))?:\s*(.+)", part).groups()
            entry["conditions"][label.replace("`", "")] = set(re.findall(r"`([a-z]+:[A-Za-z]+)`", actions)) - NOT_AN_SSM_CALL
        documented[name] = entry
    return documented


def module_play(name, tasks):
    return {"name": name, "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}


def task(module, **args):
    return {"name": module, f"hybridops.ssm.{module}": args}


def cut(index, endpoint_url):
    """A play that prints the request log's last sequence number: the calls up to it belong to scenario INDEX.

    It reads the log with the url lookup on the controller, so it costs no module run (and makes no SSM call).
    """
    log = f"lookup('ansible.builtin.url', '{endpoint_url}/_hybridops/log', split_lines=False) | from_json"
    return module_play(
        f"Cut the request log after scenario {index}",
        [
            {
                "name": "Print the last sequence number",
                "ansible.builtin.debug": {"msg": f"least-privilege cut {index} {{{{ ([0] + ({log}).entries | map(attribute='seq')) | max }}}}"},
            },
        ],
    )


@pytest.fixture(scope="module")
def readme():
    return documented_actions((ROOT / "README.md").read_text(encoding="utf-8"))


@pytest.fixture
def observed(control, endpoint, ansible_env, tmp_path):
    """Run every scenario; [(name, conditions, set of the SSM actions its calls need)]."""
    url = endpoint.url
    control.set_command_defaults(outcome="Success", duration_steps=1_000_000)  # commands stay in flight until cancelled, however slow the run
    control.set_clock(mode="realtime", step_interval=0.1)
    deregister = control.seed_nodes(count=2, name_prefix="retire")["instance_ids"]
    role_node, tags_node, both_node = control.seed_nodes(count=3, name_prefix="keep", iam_role="OldRole", tags={"Env": "old", "Extra": "x"})["instance_ids"]
    by_id_nodes = control.seed_nodes(count=2, name_prefix="busy")["instance_ids"]
    by_node = control.seed_nodes(count=1, name_prefix="busy")["instance_ids"][0]
    # Its agent is offline, so its cancel stays Cancelling: the wait reads ping status whatever the timing (an Online
    # node's cancel may end between CancelCommand and the first poll on a loaded machine, and then nothing is waited for).
    offline_node = control.seed_nodes(count=1, name_prefix="busy", ping_status="ConnectionLost")["instance_ids"][0]
    by_id_command = send_long_command(url, by_id_nodes)
    send_long_command(url, [by_node])
    send_long_command(url, [offline_node])
    used = control.seed_nodes(count=1, name_prefix="activated")["activation_id"]
    unused = ssm_client(url).create_activation(IamRole="SSMServiceRole")["ActivationId"]
    # an EKS Hybrid Node stated drained and an ECS Anywhere container instance: every cluster call is made for it
    eks_tag = {"EKSClusterARN": "arn:aws:eks:us-east-1:123456789012:cluster/edge"}
    node_a = control.seed_nodes(count=1, name_prefix="store", tags=eks_tag)["instance_ids"][0]
    node_b = control.seed_nodes(count=1, name_prefix="store")["instance_ids"][0]  # alone on its activation: it goes with the node
    send_long_command(url, [node_a, node_b])
    stale = {
        site: control.seed_nodes(count=2, name_prefix="kiosk", ping_status="ConnectionLost", last_ping_days_ago=45, tags={"Site": site})["instance_ids"]
        for site in ("a", "b", "c")
    }
    send_long_command(url, [stale["a"][0], stale["b"][0]])
    send_node = control.seed_nodes(count=1, name_prefix="send")["instance_ids"][0]
    host_node = control.seed_nodes(count=1, name_prefix="send", host=True)["instance_ids"][0]  # really runs the script: it ends
    script = {"commands": ["echo least privilege"]}
    root = make_host_root(tmp_path / "node-a", node_a)
    ecs_nodes = control.seed_nodes(count=4, name_prefix="ecs")["instance_ids"]
    control.seed_ecs(ecs_nodes + [node_a], cluster="edge")  # ECS Anywhere container instances without tasks
    control.seed_ecs(stale["c"][:1], cluster="edge")  # a stale cluster member, swept with include_cluster_members
    control.clear_log()

    wait = {"wait": True, "wait_timeout": 120, "poll_interval": 0.2}
    scenarios = [
        ("ssm_managed_instance", ["state: absent"], [task("ssm_managed_instance", instance_ids=deregister, state="absent", wait=True, wait_timeout=120)]),
        ("ssm_managed_instance", ["iam_role"], [task("ssm_managed_instance", instance_ids=[role_node], iam_role="NewRole")]),
        ("ssm_managed_instance", ["tags"], [task("ssm_managed_instance", instance_ids=[tags_node], tags={"Env": "new", "Owner": "me"}, purge_tags=True)]),
        (
            "ssm_managed_instance",
            ["iam_role", "tags"],
            [task("ssm_managed_instance", instance_ids=[both_node], iam_role="NewRole", tags={"Env": "new"}, purge_tags=True)],
        ),
        (
            "ssm_managed_instance_info",
            [],
            [
                task("ssm_managed_instance_info", ping_status="Online", tags={"Env": "old"}),
                task("ssm_managed_instance_info", instance_ids=deregister + [role_node], last_ping_before="1h"),
            ],
        ),
        ("ssm_command", ["state: cancelled"], [task("ssm_command", command_id=by_id_command, instance_ids=by_id_nodes[:1])]),
        (
            "ssm_command",
            ["state: cancelled", "wait"],
            [
                task("ssm_command", command_id=by_id_command, **wait),
                task("ssm_command", instance_ids=[by_node], **wait),
                task("ssm_command", instance_ids=[offline_node], **wait),
            ],
        ),
        (
            "ssm_command",
            ["state: present"],
            [task("ssm_command", state="present", document_name="AWS-RunShellScript", parameters=script, instance_ids=[send_node])],
        ),
        (
            "ssm_command",
            ["state: present", "wait", "state: present and wait"],
            [task("ssm_command", state="present", document_name="AWS-RunShellScript", parameters=script, instance_ids=[host_node], **wait)],
        ),
        ("ssm_command_info", [], [task("ssm_command_info", status="Cancelled"), task("ssm_command_info", instance_id=by_node)]),
        (
            "ssm_command_info",
            ["include_invocations or details"],
            [task("ssm_command_info", command_id=by_id_command, include_invocations=True), task("ssm_command_info", instance_id=by_node, details=True)],
        ),
        ("ssm_command_info", ["include_output"], [task("ssm_command_info", command_id=by_id_command, include_output=True)]),
        ("ssm_activation", [], [task("ssm_activation", activation_ids=[unused, used])]),
        ("ecs_anywhere_instance", [], [task("ecs_anywhere_instance", instance_ids=ecs_nodes[:1], state="drained", poll_interval=0.2)]),
        ("ecs_anywhere_instance", ["state: absent"], [task("ecs_anywhere_instance", instance_ids=ecs_nodes[1:2], poll_interval=0.2)]),
        ("ecs_anywhere_instance_info", [], [task("ecs_anywhere_instance_info", instance_ids=ecs_nodes[2:3])]),
        ("ecs_anywhere_instance_info", ["include_eks"], [task("ecs_anywhere_instance_info", instance_ids=ecs_nodes[3:], include_eks=True)]),
    ]
    plays = []
    for index, (name, conditions, tasks) in enumerate(scenarios):
        plays += [module_play(f"{name} {conditions}", tasks), cut(index, url)]
    role_scenarios = [
        (
            "decommission_hybrid_node",
            ["decommission_hybrid_node_cancel_commands", "decommission_hybrid_node_cluster_checks"],
            "node_a",
            {"decommission_hybrid_node_eks_node_drained": True},
        ),
        (
            "decommission_hybrid_node",
            ["decommission_hybrid_node_delete_activation"],
            "node_b",
            {
                "decommission_hybrid_node_cancel_commands": False,
                "decommission_hybrid_node_delete_activation": True,
                "decommission_hybrid_node_cluster_checks": False,
            },
        ),
        ("sweep_stale_hybrid_nodes", [], "localhost", {"sweep_stale_hybrid_nodes_tags": {"Site": "a"}, "sweep_stale_hybrid_nodes_cancel_commands": False}),
        ("sweep_stale_hybrid_nodes", ["sweep_stale_hybrid_nodes_cancel_commands"], "localhost", {"sweep_stale_hybrid_nodes_tags": {"Site": "b"}}),
        (
            "sweep_stale_hybrid_nodes",
            ["sweep_stale_hybrid_nodes_include_cluster_members"],
            "localhost",
            {
                "sweep_stale_hybrid_nodes_tags": {"Site": "c"},
                "sweep_stale_hybrid_nodes_cancel_commands": False,
                "sweep_stale_hybrid_nodes_include_cluster_members": True,
            },
        ),
    ]
    for index, (name, conditions, hosts, role_vars) in enumerate(role_scenarios, start=len(scenarios)):
        role = {"role": f"hybridops.ssm.{name}", "vars": role_vars}
        plays += [{"name": name, "hosts": hosts, "gather_facts": False, "roles": [role]}, cut(index, url)]
    inventory = {
        "all": {
            "hosts": {
                "node_a": {"ansible_connection": "local", "decommission_hybrid_node_root": str(root)},
                # gone: nothing listens on port 1, the node is decommissioned by ID alone
                "node_b": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1, "decommission_hybrid_node_instance_id": node_b},
                "localhost": {"ansible_connection": "local"},
            },
            "vars": {
                "ansible_python_interpreter": MODULE_PYTHON,
                "decommission_hybrid_node_become": False,
                "decommission_hybrid_node_command_poll_interval": 0.2,
            },
        }
    }
    (tmp_path / "inventory.json").write_text(json.dumps(inventory), encoding="utf-8")
    (tmp_path / "scenarios.yml").write_text(json.dumps(plays), encoding="utf-8")
    result = run_cli(["ansible-playbook", "-i", str(tmp_path / "inventory.json"), str(tmp_path / "scenarios.yml")], ansible_env)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-3000:]

    cuts = {int(index): int(seq) for index, seq in re.findall(r"least-privilege cut (\d+) (\d+)", result.stdout)}
    entries = control.log()
    found = []
    for index, (name, conditions, *_what) in enumerate(scenarios + role_scenarios):
        log = [entry for entry in entries if cuts.get(index - 1, 0) < entry["seq"] <= cuts[index]]
        assert all(entry["status"] == 200 for entry in log), [(e["operation"], e["error"]) for e in log if e["status"] != 200]
        found.append((name, tuple(conditions), {f"{entry.get('service', 'ssm')}:{entry['operation']}" for entry in log}))
    # the scenarios did what they are for
    calls = {(name, conditions): actions for name, conditions, actions in found}
    assert "ssm:DeleteActivation" in calls[("ssm_activation", ())]
    assert "ssm:CancelCommand" in calls[("sweep_stale_hybrid_nodes", ("sweep_stale_hybrid_nodes_cancel_commands",))]
    assert "ssm:RemoveTagsFromResource" in calls[("ssm_managed_instance", ("tags",))]
    return found


def test_readme_tables_parse(readme):
    assert (
        set(readme)
        == {
            "ssm_managed_instance",
            "ssm_managed_instance_info",
            "ssm_command",
            "ssm_command_info",
            "ssm_activation",
            "ecs_anywhere_instance",
            "ecs_anywhere_instance_info",
            "decommission_hybrid_node",
            "sweep_stale_hybrid_nodes",
        }
        | INVENTORY_PLUGINS
    )
    assert all(entry["base"] for entry in readme.values())
    assert set(ROLE_PLAYBOOK) <= set(readme)


def test_documented_actions_are_exactly_the_calls_made(readme, observed):
    readme = {name: entry for name, entry in readme.items() if name not in INVENTORY_PLUGINS}
    problems = []
    for name, conditions, calls in observed:
        entry = readme[name]
        documented = set(entry["base"]).union(*(entry["conditions"][label] for label in conditions))
        if calls != documented:
            problems.append(
                f"{name} {list(conditions)}: called but not documented {sorted(calls - documented)}, documented but not called {sorted(documented - calls)}"
            )
    assert not problems, "\n".join(problems)
    exercised = {(name, label) for name, conditions, _calls in observed for label in conditions}
    documented_conditions = {(name, label) for name, entry in readme.items() for label in entry["conditions"]}
    assert documented_conditions == exercised
    assert {name for name, _conditions, _calls in observed} == set(readme)
