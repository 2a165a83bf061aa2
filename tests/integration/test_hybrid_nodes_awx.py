"""The hybrid_nodes inventory and the roles' results as AWX / AAP uses them, through ansible-runner.

An inventory update is `ansible-inventory --list --export` on the source file with the AWS credential's
environment (the key pair and AWS_SECURITY_TOKEN, no region, no AWS_SESSION_TOKEN) and
ANSIBLE_INVENTORY_UNPARSED_FAILED set, as AWX runs it. A job template then decommissions the inventory's
lost group; both roles' set_stats data reach the job's artifacts (the stats event's artifact_data, which
AWX stores and hands to the next node of a workflow), and equal the JSON report each writes.
"""

import json
import os
from unittest import mock

from test_hybrid_nodes_inventory import plain
from test_hybrid_nodes_inventory import write_config

from conftest import AWX_CREDENTIAL
from conftest import ROOT
from conftest import run_cli
from conftest import run_runner
from conftest import runner_events

SECRETS = [AWX_CREDENTIAL["AWS_SECRET_ACCESS_KEY"], AWX_CREDENTIAL["AWS_SECURITY_TOKEN"]]


def source_file(tmp_path, config):
    return write_config(tmp_path, "awx_source", config)


def artifact_data(runner):
    stats = runner_events(runner, "playbook_on_stats")
    assert len(stats) == 1
    return stats[0]["event_data"]["artifact_data"]


def test_inventory_update_as_awx_runs_it(control, runner_env, endpoint, tmp_path):
    import ansible_runner  # pylint: disable=import-outside-toplevel

    lost = control.seed_nodes(4, name_prefix="kiosk", ping_status="ConnectionLost", last_ping_days_ago=40)["instance_ids"]
    online = control.seed_nodes(3, name_prefix="shop", tags={"site": "lyon"}, region="eu-west-1")["instance_ids"]
    path = source_file(
        tmp_path,
        {
            "regions": ["us-east-1", "eu-west-1"],
            "include_tags": True,
            "hostnames": ["name"],
            "keyed_groups": [{"key": "ping_status", "prefix": "ping"}, {"key": "tags.site | default('none')", "prefix": "site"}],
        },
    )
    envvars = dict(AWX_CREDENTIAL, AWS_URL=endpoint.url, ANSIBLE_INVENTORY_UNPARSED_FAILED="True")
    control.clear_log()
    with mock.patch.dict(os.environ, runner_env, clear=True):
        out, err = ansible_runner.get_inventory(
            "list",
            [str(path)],
            response_format="json",
            export=True,
            envvars=envvars,
            private_data_dir=str(tmp_path / "runner-inventory"),
            quiet=True,
        )
    assert not err or "ERROR" not in err, err
    listing = plain(out)
    hostvars = listing["_meta"]["hostvars"]
    assert {v["instance_id"] for v in hostvars.values()} == set(lost + online)
    assert set(listing["ping_ConnectionLost"]["hosts"]) == {f"kiosk-{n}" for n in range(4)}
    assert set(listing["site_lyon"]["hosts"]) == {f"shop-{n}" for n in range(3)}
    log = control.log()
    assert {e["region"] for e in log} == {"us-east-1", "eu-west-1"}
    # the credential's AWS_SECURITY_TOKEN was sent with every call (amazon.aws 10 alone would drop it)
    assert log and all(e["session_token_sent"] for e in log)
    assert not [s for s in SECRETS if s in json.dumps(out) + (err or "")]

    # a failed listing fails the update instead of emptying the inventory
    broken = source_file(tmp_path, {"regions": ["us-east-1"], "endpoint_url": "http://127.0.0.1:1"})
    with mock.patch.dict(os.environ, runner_env, clear=True):
        out, err = ansible_runner.get_inventory(
            "list",
            [str(broken)],
            response_format="json",
            envvars=envvars,
            private_data_dir=str(tmp_path / "runner-broken"),
            quiet=True,
        )
    assert "listing the managed nodes of us-east-1 failed" in " ".join(str(err).split())
    assert not (isinstance(out, dict) and out.get("_meta", {}).get("hostvars"))


def test_decommission_and_sweep_jobs_publish_their_results(control, runner_env, endpoint, tmp_path):
    lost = control.seed_nodes(3, name_prefix="kiosk", ping_status="ConnectionLost", last_ping_days_ago=40)["instance_ids"]
    control.seed_nodes(2, name_prefix="shop")
    path = source_file(tmp_path, {"regions": ["us-east-1"], "hostnames": ["name"], "keyed_groups": [{"key": "ping_status", "prefix": "ping"}]})
    envvars = dict(AWX_CREDENTIAL, AWS_URL=endpoint.url)
    report = tmp_path / "decommission.json"
    survey = {"decommission_hosts": "ping_ConnectionLost", "decommission_hybrid_node_host_steps": False, "decommission_hybrid_node_report_path": str(report)}
    runner, _artifacts = run_runner(
        tmp_path, runner_env, envvars=envvars, ident="decommission", inventory=str(path), playbook="hybridops.ssm.decommission", extravars=survey
    )
    assert (runner.status, runner.rc) == ("successful", 0), runner.stdout.read()[-4000:]
    published = artifact_data(runner)["decommission_hybrid_node"]
    assert {host: (o["instance_id"], o["deregistration"], o["source"]) for host, o in published.items()} == {
        f"kiosk-{n}": (i, "deregistered", "host variables") for n, i in enumerate(lost)
    }
    assert json.loads(report.read_text(encoding="utf-8"))["hosts"] == published

    stale = control.seed_nodes(2, name_prefix="old", ping_status="ConnectionLost", last_ping_days_ago=90)["instance_ids"]
    report = tmp_path / "sweep.json"
    sweep = {
        "sweep_stale_hybrid_nodes_older_than": "60d",
        "sweep_stale_hybrid_nodes_region": "us-east-1",
        "sweep_stale_hybrid_nodes_report_path": str(report),
        "sweep_stale_hybrid_nodes_cluster_checks": False,
    }
    runner, _artifacts = run_runner(tmp_path, runner_env, envvars=envvars, ident="sweep", playbook="hybridops.ssm.sweep_stale", extravars=sweep)
    assert (runner.status, runner.rc) == ("successful", 0), runner.stdout.read()[-4000:]
    summary = artifact_data(runner)["sweep_stale_hybrid_nodes"]
    assert sorted(summary["selected"]) == sorted(stale)
    assert summary["counts"] == {"deregistered": 2}
    assert sorted(summary["instance_ids"]["deregistered"]) == sorted(stale)
    assert summary["check_mode"] is False
    assert json.loads(report.read_text(encoding="utf-8")) == summary


def test_the_documented_examples_work(control, ansible_env, tmp_path):
    """docs/examples: the inventory source lists the lost nodes of both regions; the workflow's report
    playbook reads the decommission's set_stats data as AWX hands it over (extra variables)."""
    lost_eu = control.seed_nodes(2, name_prefix="eu", ping_status="ConnectionLost", last_ping_days_ago=70, tags={"site": "lyon"}, region="eu-west-1")[
        "instance_ids"
    ]
    lost_us = control.seed_nodes(1, name_prefix="us", ping_status="ConnectionLost", last_ping_days_ago=70)["instance_ids"]
    control.seed_nodes(2, name_prefix="young", ping_status="ConnectionLost", last_ping_days_ago=10)
    control.seed_nodes(2, name_prefix="up")
    source = tmp_path / "lost_nodes.hybrid_nodes.yml"
    source.write_text((ROOT / "docs" / "examples" / "lost_nodes.hybrid_nodes.yml").read_text(encoding="utf-8"), encoding="utf-8")
    result = run_cli(["ansible-inventory", "-i", str(source), "--list"], ansible_env)
    assert result.returncode == 0 and "Failed to parse" not in result.stderr, result.stderr[-3000:]
    listing = plain(json.loads(result.stdout))
    assert {v["instance_id"] for v in listing["_meta"]["hostvars"].values()} == set(lost_eu + lost_us)
    assert set(listing["ping_ConnectionLost"]["hosts"]) == {"eu-0", "eu-1", "us-0"}
    assert set(listing["site_lyon"]["hosts"]) == {"eu-0", "eu-1"} and set(listing["region_eu_west_1"]["hosts"]) == {"eu-0", "eu-1"}

    artifacts = {
        "decommission_hybrid_node": {
            "eu-0": {"instance_id": lost_eu[0], "deregistration": "deregistered"},
            "eu-1": {"instance_id": lost_eu[1], "deregistration": "not registered"},
        }
    }
    result = run_cli(["ansible-playbook", str(ROOT / "docs" / "examples" / "decommission_report.yml"), "-e", json.dumps(artifacts)], ansible_env)
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"1 of 2 hybrid node(s) deregistered: {lost_eu[0]}" in " ".join(result.stdout.split())
