"""The hybridops.ssm.hybrid_nodes inventory over many accounts (the accounts option), through the real CLIs.

Three accounts x two regions on the local endpoint, whose STS answers AssumeRole only for a role that exists and
trusts the caller (with the external ID it asks for): the two good accounts' nodes are listed with account_id,
the third (no such role) is named in a warning and in hybrid_nodes_failures, and each good account is assumed once.
"""

import json

import yaml

from conftest import plain
from conftest import run_cli

GOOD_A, GOOD_B, BAD = "111111111111", "222222222222", "333333333333"
ROLE = "ssm-inventory-reader"
EXTERNAL_ID = "shops-ext-7f3a-secret"
REGIONS = ["us-east-1", "eu-west-1"]


def arn(account):
    return f"arn:aws:iam::{account}:role/{ROLE}"


def seed_accounts(control):
    """Nodes in every account and region, the roles of the two good accounts; {account: {region: [ids]}}."""
    control.add_role(GOOD_A, ROLE)
    control.add_role(GOOD_B, ROLE, external_id=EXTERNAL_ID)
    seeded = {}
    for account, counts in ((GOOD_A, (2, 1)), (GOOD_B, (1, 2)), (BAD, (1, 1)), ("123456789012", (1, 0))):
        seeded[account] = {
            region: control.seed_nodes(count, account=account, region=region, name_prefix=f"n{account[:1]}")["instance_ids"] if count else []
            for region, count in zip(REGIONS, counts)
        }
    control.clear_log()
    return seeded


def write_config(tmp_path, **extra):
    config = {
        "plugin": "hybridops.ssm.hybrid_nodes",
        "regions": REGIONS,
        "accounts": [{"role_arn": arn(GOOD_A)}, {"role_arn": arn(GOOD_B), "external_id": EXTERNAL_ID}, {"role_arn": arn(BAD)}],
        "keyed_groups": [{"key": "account_id", "prefix": "account"}],
        **extra,
    }
    path = tmp_path / "org.hybrid_nodes.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def test_good_accounts_listed_bad_one_reported_each_assumed_once(control, ansible_env, tmp_path):
    seeded = seed_accounts(control)
    result = run_cli(["ansible-inventory", "-i", str(write_config(tmp_path)), "--list", "--export"], ansible_env)
    assert result.returncode == 0, result.stderr[-3000:]
    listing = plain(json.loads(result.stdout))
    hostvars = listing["_meta"]["hostvars"]
    expected = {node: (account, region) for account in (GOOD_A, GOOD_B) for region in REGIONS for node in seeded[account][region]}
    assert {host: (v["account_id"], v["region"]) for host, v in hostvars.items()} == expected
    assert set(listing[f"account_{GOOD_A}"]["hosts"]) == {n for n, (a, _r) in expected.items() if a == GOOD_A}
    assert set(listing[f"account_{GOOD_B}"]["hosts"]) == {n for n, (a, _r) in expected.items() if a == GOOD_B}
    (failure,) = listing["all"]["vars"]["hybrid_nodes_failures"]
    assert failure["account_id"] == BAD and failure["role_arn"] == arn(BAD) and failure["region"] is None
    # the collection's AssumeRole (retried, its error handled): the code, the step, then AWS's own words
    assert (
        failure["error"].startswith("AccessDenied: Failed to assume the account's role (User: ")
        and f"not authorized to perform: sts:AssumeRole on resource: {arn(BAD)}" in failure["error"]
    )
    warning = " ".join(result.stderr.split())
    assert f"account {BAD} ({arn(BAD)}): AssumeRole failed" in warning and "AccessDenied" in warning
    log = control.log()
    assumes = [(e["params"]["RoleArn"], e["status"]) for e in log if e["operation"] == "AssumeRole"]
    assert sorted(assumes) == [(arn(GOOD_A), 200), (arn(GOOD_B), 200), (arn(BAD), 403)]
    listed = {(e["account"], e["region"]) for e in log if e["operation"] == "DescribeInstanceInformation"}
    assert listed == {(account, region) for account in (GOOD_A, GOOD_B) for region in REGIONS}
    assert EXTERNAL_ID not in result.stdout + result.stderr


def test_a_disabled_region_fails_alone_and_the_play_fails_at_its_end(control, ansible_env, tmp_path):
    """B has not enabled eu-west-1: B's us-east-1 nodes are still listed; the documented end-of-play check fails."""
    seeded = seed_accounts(control)
    control.disable_region(GOOD_B, "eu-west-1")
    inventory = write_config(tmp_path)
    playbook = tmp_path / "check.yml"
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {"ansible.builtin.debug": {"msg": "{{ groups['account_" + GOOD_B + "'] | sort }}"}},
            {
                "ansible.builtin.fail": {"msg": "{{ hybrid_nodes_failures | map(attribute='account_id') | list }}"},
                "when": "hybrid_nodes_failures | default([]) | length > 0",
            },
        ],
    }
    playbook.write_text(yaml.safe_dump([play]), encoding="utf-8")
    result = run_cli(["ansible-playbook", "-i", str(inventory), "-i", "localhost,", "-c", "local", str(playbook)], ansible_env)
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr[-3000:]
    shown = result.stdout[result.stdout.index("TASK [ansible.builtin.debug]") : result.stdout.index("TASK [ansible.builtin.fail]")]
    assert {n for n in seeded[GOOD_B]["us-east-1"] + seeded[GOOD_B]["eu-west-1"] if f'"{n}"' in shown} == set(seeded[GOOD_B]["us-east-1"]), shown
    assert f"Action failed: ['{BAD}', '{GOOD_B}']" in result.stdout  # the play's end names both failed accounts
    assert f"account {GOOD_B} ({arn(GOOD_B)}): region eu-west-1 failed" in " ".join(result.stderr.split())
    assert "UnrecognizedClientException" in result.stderr


def test_fail_on_account_errors_fails_the_source(control, ansible_env, tmp_path):
    seed_accounts(control)
    env = dict(ansible_env, ANSIBLE_INVENTORY_UNPARSED_FAILED="True")
    result = run_cli(["ansible-inventory", "-i", str(write_config(tmp_path, fail_on_account_errors=True)), "--list", "--export"], env)
    assert result.returncode != 0
    assert f"account {BAD} ({arn(BAD)}): AssumeRole failed" in " ".join(result.stderr.split())


def test_a_throttled_or_failing_assume_role_is_retried_not_read_as_a_failed_account(control, ansible_env, tmp_path):
    """STS throttles (Throttling) and fails (InternalFailure) the first AssumeRole calls: they are retried, and both
    good accounts are listed as if nothing had happened; only the bad one is reported."""
    seeded = seed_accounts(control)
    control.set_faults(operation="AssumeRole", throttle_next=3, server_error_next=1)
    result = run_cli(["ansible-inventory", "-i", str(write_config(tmp_path)), "--list", "--export"], ansible_env)
    assert result.returncode == 0, result.stderr[-3000:]
    listing = plain(json.loads(result.stdout))
    expected = {node for account in (GOOD_A, GOOD_B) for region in REGIONS for node in seeded[account][region]}
    assert set(listing["_meta"]["hostvars"]) == expected
    assert [f["account_id"] for f in listing["all"]["vars"]["hybrid_nodes_failures"]] == [BAD]
    faults = sorted(e["fault"] for e in control.log() if e["operation"] == "AssumeRole" and e["fault"])
    assert faults == ["server_error", "throttle", "throttle", "throttle"]
