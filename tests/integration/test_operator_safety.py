"""Safe in an operator's hands, through the real CLIs against the endpoint and its request log.

No implicit fleet (the decommission playbook acts only on hosts named, refuses unknown variables, guards the
host count), no host cleaned while its node is still registered, empty lists as no-ops, every bad item of a
list in one message, a bounded run when the endpoint fails everything, and reports that survive a tripped
guard or a partial failure.
"""

import json
import time

from test_roles import listed
from test_roles import local_host
from test_roles import mutating
from test_roles import playbook
from test_roles import recap
from test_roles import write_inventory

from conftest import MODULE_PYTHON
from conftest import adhoc
from conftest import run_in_process
from conftest import send_long_command
from hostroot import AGENT_CALLS
from hostroot import KEY_FILES
from hostroot import REGISTRATION
from hostroot import make_host_root

MI = "mi-0123456789abcdef0"
EC2 = "i-0123456789abcdef0"
COMMAND = "25173b39-c88d-4459-ba3d-8704a0000000"
ACTIVATION = "0a1b2c3d-0000-4000-8000-000000000000"


def registered_roots(control, tmp_path, count):
    """``count`` reachable hosts, each a throwaway root registered as its own seeded node: {host: (root, id)}."""
    ids = control.seed_nodes(count=count, name_prefix="store", ping_status="Online")["instance_ids"]
    return {f"node-{n}": (make_host_root(tmp_path / f"node-{n}", node_id), node_id) for n, node_id in enumerate(ids)}


def untouched(root):
    return (root / REGISTRATION).exists() and all((root / key).exists() for key in KEY_FILES) and not (root / AGENT_CALLS).exists()


# --- no implicit fleet --------------------------------------------------------------------------


def test_a_misspelt_decommission_host_changes_nothing(control, endpoint, ansible_env, tmp_path):
    hosts = registered_roots(control, tmp_path, 2)
    inventory = write_inventory(tmp_path / "inventory.json", {name: local_host(root) for name, (root, _id) in hosts.items()})
    before = listed(endpoint.url)

    control.clear_log()
    misspelt = playbook(ansible_env, "decommission", inventory, "-e", "decommission_host=node-0")
    assert misspelt.returncode != 0
    assert "decommission_host: not a variable of this playbook (a typo?)" in misspelt.stdout
    assert control.log() == [], "a refused run must not reach SSM at all"
    assert listed(endpoint.url) == before and all(untouched(root) for root, _id in hosts.values())

    control.clear_log()
    unnamed = playbook(ansible_env, "decommission", inventory)
    assert unnamed.returncode != 0
    assert "Name the hosts to decommission with -e decommission_hosts=HOST_OR_GROUP or with --limit" in unnamed.stdout
    assert control.log() == [] and all(untouched(root) for root, _id in hosts.values())


def test_the_host_count_guard_shows_the_hosts_then_refuses(control, endpoint, ansible_env, tmp_path):
    hosts = registered_roots(control, tmp_path, 3)
    inventory = write_inventory(tmp_path / "inventory.json", {name: local_host(root) for name, (root, _id) in hosts.items()})

    control.clear_log()
    guarded = playbook(ansible_env, "decommission", inventory, "-e", "decommission_hosts=hybrid_nodes", "-e", "decommission_max_hosts=2")
    assert guarded.returncode != 0
    shown = guarded.stdout.index("3 host(s) to decommission: node-0, node-1, node-2")
    assert shown < guarded.stdout.index("more than decommission_max_hosts (2); nothing was changed")
    assert control.log() == [] and all(untouched(root) for root, _id in hosts.values())

    # --limit names the hosts as well; the check-mode run reads and changes nothing
    limited = playbook(ansible_env, "decommission", inventory, "--limit", "node-1", "--check")
    assert limited.returncode == 0, limited.stdout
    assert "1 host(s) to decommission: node-1" in limited.stdout
    assert set(recap(limited.stdout)) == {"node-1"}
    assert not mutating(control.log())


def test_a_decommission_hosts_that_matches_no_host_fails_naming_the_closest_groups(control, endpoint, ansible_env, tmp_path):
    """A misspelt group (groups are case-sensitive) matched nothing, the play was skipped and the run ended with rc 0."""
    hosts = registered_roots(control, tmp_path, 3)
    groups = {"ping_ConnectionLost": ["node-0", "node-1"], "ping_Online": ["node-2"], "region_us_east_1": list(hosts)}
    inventory = {
        "all": {
            "children": {group: {"hosts": {name: local_host(hosts[name][0]) for name in names}} for group, names in groups.items()},
            "vars": {"ansible_python_interpreter": MODULE_PYTHON, "decommission_hybrid_node_become": False},
        }
    }
    (tmp_path / "inventory.json").write_text(json.dumps(inventory), encoding="utf-8")

    control.clear_log()
    run = playbook(ansible_env, "decommission", tmp_path / "inventory.json", "-e", "decommission_hosts=ping_connectionlost")
    assert run.returncode != 0
    assert "decommission_hosts 'ping_connectionlost' matches no host of the inventory; groups: ping_ConnectionLost, ping_Online, region_us_east_1" in run.stdout
    assert control.log() == [], "a refused run must not reach SSM at all"
    assert all(untouched(root) for root, _id in hosts.values())


# --- host steps only after the API side is settled ---------------------------------------------


def test_a_host_whose_node_is_still_registered_in_its_region_is_not_cleaned(control, endpoint, ansible_env, tmp_path):
    """A survey answer names another region: the node is absent there, still registered where the host's file says."""
    hosts = registered_roots(control, tmp_path, 1)
    root, node_id = hosts["node-0"]
    inventory = write_inventory(tmp_path / "inventory.json", {"node-0": local_host(root)})

    control.clear_log()
    run = playbook(ansible_env, "decommission", inventory, "-e", "decommission_hosts=node-0", "-e", "decommission_hybrid_node_region=eu-west-1")
    assert run.returncode != 0
    assert node_id in listed(endpoint.url)
    assert untouched(root), "the host was cleaned while its node is still registered"
    assert not mutating(control.log())
    assert "us-east-1" in run.stdout and "eu-west-1" in run.stdout


def test_already_absent_names_the_region_it_looked_in(control, ansible_env):
    node = control.seed_nodes(count=1)["instance_ids"][0]
    args = json.dumps({"instance_ids": [node], "state": "absent", "region": "eu-west-1"})
    _result, status, result = adhoc(ansible_env, "hybridops.ssm.ssm_managed_instance", args)
    assert status == "SUCCESS", result
    assert result["outcomes"] == [{"instance_id": node, "outcome": "already_absent", "region": "eu-west-1", "msg": result["outcomes"][0]["msg"]}]
    assert "eu-west-1" in result["outcomes"][0]["msg"]
    assert not mutating(control.log())


# --- empty is a no-op ---------------------------------------------------------------------------


def test_empty_lists_change_nothing_and_call_nothing(control, ansible_env):
    # Through each module's main() in one process (module_in_process.py), in check mode and not: module behaviour,
    # which a playbook run of these seven tasks twice showed at about 14 s of make test's CPU.
    runs = {
        "deregister": ("ssm_managed_instance", {"instance_ids": [], "state": "absent"}),
        "tag": ("ssm_managed_instance", {"instance_ids": [], "tags": {"a": "b"}}),
        "cancel_nodes": ("ssm_command", {"instance_ids": []}),
        "cancel_command": ("ssm_command", {"command_id": COMMAND, "instance_ids": []}),
        "activations": ("ssm_activation", {"activation_ids": []}),
        "info": ("ssm_managed_instance_info", {"instance_ids": []}),
        "info_act": ("ssm_managed_instance_info", {"activation_ids": []}),
    }
    control.clear_log()
    for check_mode in (False, True):
        answers = run_in_process(ansible_env, [(module, {**args, "_ansible_check_mode": check_mode}) for module, args in runs.values()])
        results = dict(zip(runs, answers))
        assert all(r["changed"] is False and not r.get("failed") for r in results.values()), results
        for name in ("deregister", "tag", "cancel_nodes", "cancel_command"):
            assert results[name]["outcomes"] == [] and results[name]["timed_out"] == [], results[name]
        assert results["activations"]["activations"] == [] and results["info"]["instances"] == [] and results["info_act"]["instances"] == []
        assert all(r["msg"] for r in results.values())
    assert control.log() == [], "an empty list must not reach SSM"


# --- every bad item at once ---------------------------------------------------------------------


def test_one_run_reports_every_bad_item_of_a_mixed_list(control, ansible_env):
    bad = [EC2, "i-0123456789abcdef1", "mi-123", "mi-0123456789ABCDEF0", MI, MI] + [f"mi-{n:02d}" + "g" * 15 for n in range(12)]
    control.clear_log()
    _result, status, result = adhoc(ansible_env, "hybridops.ssm.ssm_managed_instance", json.dumps({"instance_ids": bad, "state": "absent"}))
    assert status.startswith("FAILED")
    message = result["msg"]
    assert "'i-0123456789abcdef0', 'i-0123456789abcdef1' (2) are EC2 instances, which SSM cannot deregister" in message
    assert "1 invalid hybrid managed node ID: 'mi-123' must be at least 20 characters long, not 6" in message
    assert "13 invalid hybrid managed node IDs: 'mi-0123456789ABCDEF0', 'mi-00ggggggggggggggg'," in message and "and 3 more each must match" in message
    assert f"duplicated: '{MI}'" in message
    assert control.log() == []


def test_comma_separated_ids_with_spaces_work(control, endpoint, ansible_env):
    first, second = control.seed_nodes(count=2)["instance_ids"]
    control.clear_log()
    _result, status, result = adhoc(ansible_env, "hybridops.ssm.ssm_managed_instance", f"instance_ids='{first}, {second}' state=absent")
    assert status == "CHANGED", result
    assert [o["outcome"] for o in result["outcomes"]] == ["deregistered", "deregistered"]
    assert result["msg"] == "2 node(s): 2 deregistered"
    assert sorted(e["params"]["InstanceId"] for e in mutating(control.log())) == sorted([first, second])
    control.advance(60)  # past SSM's deregistration lag
    assert not {first, second} & listed(endpoint.url)


# --- bounded failure ----------------------------------------------------------------------------


def test_an_outage_mid_run_ends_in_minutes_with_a_true_outcome_for_every_node(control, endpoint, ansible_env):
    """300 nodes; after the first 60 every connection is dropped (before SSM serves the call).

    The outage is a rule on the other 240 nodes' calls, set before the run: the module works through the nodes
    in order, so it meets the outage after 60 deregistrations, however fast or slow the machine.
    """
    nodes = control.seed_nodes(count=300, name_prefix="fleet")["instance_ids"]
    control.clear_log()
    control.set_faults(operation="DeregisterManagedInstance", instance_ids=nodes[60:], drop_rate=1.0)
    started = time.monotonic()
    _result, status, result = adhoc(ansible_env, "hybridops.ssm.ssm_managed_instance", json.dumps({"instance_ids": nodes, "state": "absent"}))
    elapsed = time.monotonic() - started
    control.clear_faults()

    assert status.startswith("FAILED")
    assert elapsed < 180, f"the task took {elapsed:.0f}s"
    outcomes = {o["instance_id"]: o for o in result["outcomes"]}
    assert len(result["outcomes"]) == 300 and set(outcomes) == set(nodes)
    still_listed = listed(endpoint.url)
    for node, record in outcomes.items():
        # true: a node reported deregistered is gone; one reported failed or not attempted is still registered
        assert record["outcome"] in ("deregistered", "failed", "not_attempted"), record
        assert (node in still_listed) == (record["outcome"] != "deregistered"), record
    by_outcome = {kind: [o for o in result["outcomes"] if o["outcome"] == kind] for kind in ("deregistered", "failed", "not_attempted")}
    assert {o["instance_id"] for o in by_outcome["deregistered"]} == set(nodes[:60]) and by_outcome["not_attempted"], {k: len(v) for k, v in by_outcome.items()}
    assert all(o["error_code"] == "NotAttempted" for o in by_outcome["not_attempted"])
    assert all(o["error_code"] == "ConnectionClosedError" for o in by_outcome["failed"])
    assert len(result["msg"]) < 2000
    assert f"{len(by_outcome['failed'])} of 300 node(s) failed, {len(by_outcome['not_attempted'])} not attempted" in result["msg"]
    # no call was sent for a node reported not attempted
    attempted = {e["params"].get("InstanceId") for e in control.log() if e["operation"] == "DeregisterManagedInstance"}
    assert not attempted & {o["instance_id"] for o in by_outcome["not_attempted"]}
    print(f"outage run: {elapsed:.0f}s, msg {len(result['msg'])} characters, " + ", ".join(f"{k} {len(v)}" for k, v in by_outcome.items()))


# --- reports that survive -----------------------------------------------------------------------


def sweep(env, *extra):
    # Cluster membership is test_cluster_members.py's: these runs leave its lookup out.
    return playbook(env, "sweep_stale", "localhost,", "-e", "sweep_stale_hybrid_nodes_cluster_checks=false", *extra)


def test_the_sweep_guard_in_check_mode_shows_the_list_then_fails(control, ansible_env):
    stale = control.seed_nodes(count=4, name_prefix="kiosk", ping_status="ConnectionLost", last_ping_days_ago=45)["instance_ids"]
    control.clear_log()
    run = sweep(ansible_env, "--check", "--diff", "-e", "sweep_stale_hybrid_nodes_max_nodes=3")
    assert run.returncode != 0
    assert "--- before" not in run.stdout  # refused: nothing would change, so there is no plan to show
    report = run.stdout.index("CHECK MODE, nothing changed: 4 stale hybrid node(s)")
    for node in stale:
        line = next(line for line in run.stdout.splitlines() if node in line and "would deregister" in line)
        assert run.stdout.index(line) > report
    assert run.stdout.index("more than sweep_stale_hybrid_nodes_max_nodes (3); nothing was changed") > report
    assert not mutating(control.log())
    # reads only: the selection (the cluster checks are off here)
    assert set(control.operations()) == {"DescribeInstanceInformation"}


def test_a_partial_failure_still_shows_the_report(control, endpoint, ansible_env):
    stale = control.seed_nodes(count=3, name_prefix="kiosk", ping_status="ConnectionLost", last_ping_days_ago=45)["instance_ids"]
    control.set_faults(operation="DeregisterManagedInstance", instance_ids=[stale[1]], drop_rate=1.0)
    control.clear_log()
    run = sweep(ansible_env, "-e", "sweep_stale_hybrid_nodes_cancel_commands=false", "--diff")
    control.clear_faults()
    assert run.returncode != 0
    assert "3 stale hybrid node(s)" in run.stdout and "2 deregistered, 0 already absent, 1 failed or not attempted" in run.stdout
    lines = run.stdout.splitlines()
    assert any(stale[1] in line and line.rstrip('",').endswith("failed") for line in lines), run.stdout
    assert all(any(node in line and line.rstrip('",').endswith("deregistered") for line in lines) for node in (stale[0], stale[2]))
    # --diff: the sweep as it left the nodes; the one that failed is still registered (a context line of the diff)
    assert "+++ after: as the sweep left them" in lines
    assert all(any(line.startswith(f"+{node}  kiosk-") and line.endswith("  absent") for line in lines) for node in (stale[0], stale[2]))
    assert any(line.startswith(f" {stale[1]}  kiosk-") and "registered, last ping" in line for line in lines), run.stdout
    control.advance(60)  # past SSM's deregistration lag
    assert listed(endpoint.url) & set(stale) == {stale[1]}


def test_check_mode_report_lines_say_would_and_count_cancel_requested_apart(control, endpoint, ansible_env):
    stale = control.seed_nodes(count=2, name_prefix="kiosk", ping_status="ConnectionLost", last_ping_days_ago=45)["instance_ids"]
    command_id = send_long_command(endpoint.url, stale)
    control.advance(10)  # past the moment SSM lists a new command only later
    control.clear_log()
    run = sweep(ansible_env, "--check", "--diff")
    assert run.returncode == 0, run.stdout
    assert "2 would be deregistered" in run.stdout and "0 cancelled, 2 would be cancelled" in run.stdout
    lines = run.stdout.splitlines()
    assert sum(f"command {command_id}  would cancel" in line for line in lines) == 2
    assert not any(line.rstrip('",').endswith(("  deregistered", "  cancelled")) for line in lines)
    # --diff shows the plan: each node registered with its name and last ping, then absent; each invocation's
    # status before and after the cancel; once, not again as each module's own diff
    assert lines.count("--- before: the stale hybrid nodes and their in-flight commands") == 1
    assert "+++ after: as the sweep would leave them (check mode)" in lines
    for node in stale:
        assert any(line.startswith(f"-{node}  kiosk-") and "  registered, last ping 20" in line for line in lines), run.stdout
        assert any(line.startswith(f"+{node}  kiosk-") and line.endswith("  absent") for line in lines), run.stdout
        assert f"+{node}  command {command_id}  Cancelling" in lines
    assert not mutating(control.log())


def test_the_role_result_speaks_the_modules_words(control, endpoint, ansible_env, tmp_path):
    """deregistration already_absent (never 'not registered'), activation not_requested when nothing was asked."""
    root = make_host_root(tmp_path / "node-x", None)  # holds no registration
    inventory = write_inventory(tmp_path / "inventory.json", {"node-x": local_host(root)})
    # -v: the full outcome of each host (default verbosity shows one line per host)
    run = playbook(ansible_env, "decommission", inventory, "-e", "decommission_hosts=node-x", "-v")
    assert run.returncode == 0, run.stdout
    assert '"deregistration": "already_absent"' in run.stdout and '"activation": "not_requested"' in run.stdout
    assert "not registered" not in run.stdout.split("Show the outcome")[1]


def test_the_windows_advice_works_as_given(control, endpoint, ansible_env, tmp_path):
    node = control.seed_nodes(count=1, name_prefix="win", platform_type="Windows")["instance_ids"][0]
    root = make_host_root(tmp_path / "win", node)
    inventory = write_inventory(tmp_path / "inventory.json", {"win": local_host(root)})
    control.clear_log()
    refused = playbook(ansible_env, "decommission", inventory, "-e", "decommission_hosts=win")
    assert refused.returncode != 0 and not mutating(control.log())
    advice = f"decommission_hybrid_node_host_steps=false and decommission_hybrid_node_instance_id={node}"
    assert advice in refused.stdout
    followed = playbook(
        ansible_env, "decommission", inventory, "-e", "decommission_hosts=win", *[arg for pair in advice.split(" and ") for arg in ("-e", pair)]
    )
    assert followed.returncode == 0, followed.stdout
    control.advance(control.realism()["deregister_lag_s"] + 1)  # decommissioned by ID: the run does not wait out SSM's listing lag
    assert node not in listed(endpoint.url)


def test_a_missing_region_names_the_role_variable(control, ansible_env, tmp_path):
    node = control.seed_nodes(count=1)["instance_ids"][0]
    env = {k: v for k, v in ansible_env.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    inventory = write_inventory(tmp_path / "inventory.json", {"gone": local_host(tmp_path, decommission_hybrid_node_instance_id=node)})
    control.clear_log()
    run = playbook(env, "decommission", inventory, "-e", "decommission_hosts=gone", "-e", "decommission_hybrid_node_host_steps=false")
    assert run.returncode != 0
    assert "decommission_hybrid_node_region is empty" in run.stdout and "Set decommission_hybrid_node_region" in run.stdout
    assert control.log() == []


def test_info_returns_tags_when_asked(control, ansible_env):
    tagged = control.seed_nodes(count=2, name_prefix="tagged", tags={"Site": "kiosks", "Owner": "ops"})["instance_ids"]
    ec2 = control.seed_nodes(count=1, resource_type="EC2Instance")["instance_ids"]
    control.clear_log()
    _result, status, result = adhoc(ansible_env, "hybridops.ssm.ssm_managed_instance_info", json.dumps({"instance_ids": tagged + ec2, "include_tags": True}))
    assert status == "SUCCESS", result
    by_id = {n["instance_id"]: n for n in result["instances"]}
    assert all(by_id[i]["tags"] == {"Site": "kiosks", "Owner": "ops"} for i in tagged)
    assert "tags" not in by_id[ec2[0]]
    assert result["msg"] == "3 node(s) matched"
    assert sorted(e["params"]["ResourceId"] for e in control.log() if e["operation"] == "ListTagsForResource") == sorted(tagged)
    _result, status, plain = adhoc(ansible_env, "hybridops.ssm.ssm_managed_instance_info", json.dumps({"instance_ids": tagged}))
    assert status == "SUCCESS" and all("tags" not in n for n in plain["instances"])
