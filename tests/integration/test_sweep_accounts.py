"""The sweep role over many accounts and regions (issue #24): 3 accounts, one whose role cannot be assumed, x 2 regions.

The inventory (hybridops.ssm.hybrid_nodes with accounts) lists the good accounts' stale nodes and names the
failures; the two good accounts are swept in both regions (the first also names an opt-in region it has not enabled, reported
with its error), the bad one is named (account, region, AccessDenied) in the output and the JSON report, the run
fails at the end, each good account is assumed once, check mode sends no mutating call, a second run changes
nothing, and neither the external ID nor the assumed credentials show, even at -vvvv. Cluster checks are off (not
what this tests).
"""

import json
from pathlib import Path

from test_roles import MUTATING
from test_roles import mutating
from test_roles import playbook

from conftest import plain
from conftest import run_cli

REGIONS = ["eu-west-1", "us-east-1"]
GOOD, OTHER, BAD = "111111111111", "222222222222", "333333333333"
OPT_IN = "ap-east-1"
EXTERNAL_ID = "ops-7f3a-never-shown"
SESSION_TOKEN_PREFIX = "FQoGZXIvYXdzEBYaD"  # moto's STS session tokens (moto/sts/utils.py)


def sweep(env, variables, *extra):
    # From a file, as a vault would give the external ID: ansible-playbook -vvvv echoes its own command line.
    path = Path(env["ANSIBLE_LOCAL_TEMP"]).parent / "sweep_vars.json"
    path.write_text(json.dumps(variables), encoding="utf-8")
    return playbook(env, "sweep_stale", "localhost,", "-e", f"@{path}", *extra)


def test_three_accounts_two_regions_one_role_refused(control, ansible_env, tmp_path):
    good_arn = control.add_role(GOOD, "HybridOpsSweep", external_id=EXTERNAL_ID)
    other_arn = control.add_role(OTHER, "HybridOpsSweep")
    bad_arn = f"arn:aws:iam::{BAD}:role/HybridOpsSweep"  # no such role: AssumeRole answers AccessDenied
    control.disable_region(GOOD, OPT_IN)  # an opt-in region the good account has not enabled
    stale = {}
    for account in (GOOD, OTHER, BAD):
        for region in REGIONS:
            seeded = control.seed_nodes(2, account=account, region=region, name_prefix=f"k{account[0]}", ping_status="ConnectionLost", last_ping_days_ago=45)
            stale[(account, region)] = seeded["instance_ids"]
    # the controller's own account, not given: never touched
    own = control.seed_nodes(1, name_prefix="own", ping_status="ConnectionLost", last_ping_days_ago=45)["instance_ids"]
    # the inventory over the same organisation lists the good accounts' stale nodes and names the failures
    inventory = tmp_path / "org.hybrid_nodes.yml"
    inventory_config = {
        "plugin": "hybridops.ssm.hybrid_nodes",
        "regions": REGIONS,
        "accounts": [
            {"role_arn": good_arn, "external_id": EXTERNAL_ID, "regions": [*REGIONS, OPT_IN]},
            {"role_arn": other_arn},
            {"role_arn": bad_arn},
        ],
        "filters": {"ping_status": "ConnectionLost"},
    }
    inventory.write_text(json.dumps(inventory_config), encoding="utf-8")
    listed = run_cli(["ansible-inventory", "-i", str(inventory), "--list", "--export"], ansible_env)
    assert listed.returncode == 0, listed.stderr[-3000:]
    listing = plain(json.loads(listed.stdout))
    assert set(listing["_meta"]["hostvars"]) == {i for account in (GOOD, OTHER) for region in REGIONS for i in stale[(account, region)]}
    assert {f["account_id"] for f in listing["all"]["vars"]["hybrid_nodes_failures"]} == {GOOD, BAD}  # the opt-in region, the role
    control.clear_log()
    report_path = tmp_path / "sweep.json"
    variables = {
        "sweep_stale_hybrid_nodes_accounts": [
            {"role_arn": good_arn, "external_id": EXTERNAL_ID, "session_name": "org-sweep", "regions": [*REGIONS, OPT_IN]},
            {"role_arn": other_arn, "regions": REGIONS},
            {"role_arn": bad_arn, "regions": REGIONS},
        ],
        "sweep_stale_hybrid_nodes_cluster_checks": False,
        "sweep_stale_hybrid_nodes_report_path": str(report_path),
    }

    control.clear_log()
    check = sweep(ansible_env, variables, "--check", "--diff", "-vvvv")
    assert check.returncode != 0 and not mutating(control.log())
    assert "would deregister" in check.stdout and f"# {GOOD} eu-west-1" in check.stdout
    # at -vvvv: neither the external ID nor the assumed credentials (moto's session tokens start so) nor their keys
    shown = check.stdout + check.stderr
    assert EXTERNAL_ID not in shown and SESSION_TOKEN_PREFIX not in shown
    assert "SecretAccessKey" not in shown and "SessionToken" not in shown

    control.clear_log()
    run = sweep(ansible_env, variables)
    log = control.log()
    assert run.returncode != 0
    # the table at default verbosity: one row per account-region, the bad account's with its error
    table = [line.strip().strip('",') for line in run.stdout.splitlines() if line.strip().strip('"').startswith((GOOD, OTHER, BAD))]
    for region in REGIONS:
        assert any(row.startswith(GOOD) and region in row and row.split()[2:5] == ["2", "2", "0"] for row in table), run.stdout
        assert any(row.startswith(BAD) and region in row and "AccessDenied" in row for row in table), run.stdout
    # the failure at the end names the bad account and each of its regions
    assert f"{BAD} eu-west-1: find failed" in run.stdout and f"{BAD} us-east-1: find failed" in run.stdout
    assert f"{GOOD} {OPT_IN}: find failed" in run.stdout
    summary = json.loads(report_path.read_text())
    by_target = {(a["account"], a["region"]): a for a in summary["accounts"]}
    assert set(by_target) == {(account, region) for account in (GOOD, OTHER, BAD) for region in REGIONS} | {(GOOD, OPT_IN)}
    assert by_target[(GOOD, OPT_IN)]["error_code"] == "UnrecognizedClientException"
    for account in (GOOD, OTHER):
        for region in REGIONS:
            assert by_target[(account, region)]["instance_ids"] == {"deregistered": stale[(account, region)]} and not by_target[(account, region)]["error"]
    assert all(by_target[(BAD, region)]["error_code"] == "AccessDenied" and by_target[(BAD, region)]["step"] == "find" for region in REGIONS)
    assert summary["counts"] == {"deregistered": 8}
    # each account assumed once, its credentials reused for both regions; nothing sent into the bad account
    assumed = [e["params"]["RoleArn"] for e in log if e["operation"] == "AssumeRole"]
    assert sorted(assumed) == sorted([good_arn, other_arn, bad_arn])
    deregistered = {(e["account"], e["region"]) for e in mutating(log)}
    assert deregistered == {(account, region) for account in (GOOD, OTHER) for region in REGIONS}
    assert not [e for e in log if e["account"] == BAD]
    assert EXTERNAL_ID not in run.stdout + run.stderr + report_path.read_text()

    control.advance(60)  # past SSM's deregistration lag
    control.clear_log()
    again = sweep(ansible_env, variables)
    assert again.returncode != 0  # the bad account still fails the run
    assert not [e for e in control.log() if e["operation"] in MUTATING]
    assert json.loads(report_path.read_text())["counts"] == {}
    assert control.count("DescribeInstanceInformation") >= 4 and own
