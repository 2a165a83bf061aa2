# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The sweep over many accounts and regions (accounts.py, sweep_targets.py, sweep_plan.guard): targets, each
account assumed once, a failing account-region reported while the others are swept, the guard over the whole run."""

import datetime
import json
import threading

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import accounts as acc
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import sweep_targets as st
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import ALREADY_ABSENT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import DEREGISTERED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import OUTCOME
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import selection_criteria

from .doubles import ScriptedClient
from .doubles import client_error

GOOD = "arn:aws:iam::111111111111:role/sweeper"
OTHER = "arn:aws:iam::222222222222:role/sweeper"
BAD = "arn:aws:iam::333333333333:role/sweeper"
LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
OPTIONS = {
    "max_nodes": 25,
    "older_than": "30d",
    "tags": {},
    "activation_ids": [],
    "include_eks_connector_agents": False,
    "cluster_checks": False,
    "include_cluster_members": False,
    "cancel_commands": True,
    "drain_timeout": 300,
    "concurrency": 4,
}


def node_id(account, region, n):
    return f"mi-{account[:4]}{len(region):02x}{n:011x}"


class Fleet:
    """One account-region's SSM: stale nodes to list and deregister, and no command in flight."""

    def __init__(self, ids, commands=None):
        self.ids = list(ids)
        self.client = ScriptedClient(
            describe_instance_information=[self.describe],
            deregister_managed_instance=[self.deregister],
            list_commands=[commands or {"Commands": []}],
        )

    def describe(self, Filters=(), **kwargs):
        wanted = next((f["Values"] for f in Filters if f["Key"] == "InstanceIds"), None)
        ids = [i for i in self.ids if wanted is None or i in wanted]
        return {
            "InstanceInformationList": [
                {"InstanceId": i, "PingStatus": "ConnectionLost", "ResourceType": "ManagedInstance", "LastPingDateTime": LONG_AGO} for i in ids
            ]
        }

    def deregister(self, InstanceId):
        self.ids.remove(InstanceId)
        return {}


def criteria():
    return selection_criteria(
        {"resource_type": "ManagedInstance", "ping_status": "ConnectionLost", "last_ping_before": "30d", "include_eks_connector_agents": False}
    )


def words(error):
    return acc.error_words(error)


# --- targets and the accounts' checks ---------------------------------------------------------------


def test_targets_are_one_per_account_and_region_and_none_means_the_task_s_own():
    accounts = [{"role_arn": GOOD, "regions": ["eu-west-1", "us-east-1", "eu-west-1"]}, {"role_arn": OTHER, "regions": []}]
    assert acc.targets(accounts, "us-east-2") == [
        {"account": "111111111111", "role_arn": GOOD, "region": "eu-west-1"},
        {"account": "111111111111", "role_arn": GOOD, "region": "us-east-1"},
        {"account": "222222222222", "role_arn": OTHER, "region": "us-east-2"},
    ]
    assert acc.targets([], "eu-west-1") == [{"account": acc.CURRENT_ACCOUNT, "role_arn": "", "region": "eu-west-1"}]


@pytest.mark.parametrize(
    "account, named",
    [
        ({"role_arn": "arn:aws:iam::1:role/x"}, "accounts[0].role_arn: 'arn:aws:iam::1:role/x' is not a valid IAM role ARN"),
        ({"role_arn": GOOD, "session_name": "a b"}, "accounts[0].session_name: 'a b' is not a valid role session name"),
        ({"role_arn": GOOD, "regions": ["eu west"]}, "accounts[0].regions"),
    ],
)
def test_a_bad_account_is_named_with_its_value_and_rule(account, named):
    with pytest.raises(SSMValidationError) as caught:
        acc.check_accounts("accounts", [account])
    assert named in caught.value.message


def test_a_bad_external_id_is_refused_without_showing_it():
    with pytest.raises(SSMValidationError) as caught:
        acc.check_accounts("accounts", [{"role_arn": GOOD, "external_id": "secret value!"}])
    # only its length: the inventory's wording, now the sweep's too
    assert "accounts[0].external_id: a value of 13 characters (not shown) is not a valid external ID" in caught.value.message
    assert "secret value" not in caught.value.message and caught.value.value is None


def test_an_account_given_twice_is_refused_by_its_id_whatever_the_role():
    # one AssumeRole per account and run: two roles of one account are one account given twice
    with pytest.raises(SSMValidationError, match=r"accounts\[1\]: account 111111111111 is already accounts\[0\]"):
        acc.check_accounts("accounts", [{"role_arn": GOOD}, {"role_arn": GOOD}])
    with pytest.raises(SSMValidationError, match=r"accounts\[2\]: account 111111111111 is already accounts\[0\]"):
        acc.check_accounts("accounts", [{"role_arn": GOOD}, {"role_arn": OTHER}, {"role_arn": GOOD.replace("role/", "role/other-")}])


@pytest.mark.parametrize(
    "entry, fragment",
    [
        ("arn:aws:iam::111111111111:role/r", "must be a dictionary with role_arn"),
        ({"role_arn": GOOD, "role": "x"}, "'role' is not a key of an account (a typo?)"),
        ({"external_id": "abc"}, "role_arn is required"),
        ({"role_arn": GOOD, "regions": []}, ".regions: the list is empty"),
        ({"role_arn": GOOD, "regions": ["eu-west-1", "mars"]}, "'mars'"),
    ],
)
def test_one_entry_check_names_the_variable_as_the_user_wrote_it(entry, fragment):
    with pytest.raises(SSMValidationError) as caught:
        acc.check_accounts("sweep_stale_hybrid_nodes_accounts", [entry])
    assert caught.value.message.startswith("sweep_stale_hybrid_nodes_accounts[0]") and fragment in caught.value.message


def test_account_problems_names_every_bad_entry_at_once():
    problems = acc.account_problems("sweep_stale_hybrid_nodes_accounts", [{"role_arn": "x"}, {"role_arn": GOOD}, {"role_arn": GOOD}])
    assert [p.split(":")[0] for p in problems] == ["sweep_stale_hybrid_nodes_accounts[0].role_arn", "sweep_stale_hybrid_nodes_accounts[2]"]
    assert not any(p.endswith(".") for p in problems)


def test_an_account_s_regions_or_the_default_and_its_id():
    (given, default) = acc.check_accounts("accounts", [{"role_arn": GOOD, "regions": ["eu-west-1"]}, {"role_arn": OTHER}], ["us-east-1"])
    assert (given["account_id"], given["regions"], given["session_name"]) == ("111111111111", ["eu-west-1"], None)
    assert (default["account_id"], default["regions"]) == ("222222222222", ["us-east-1"])


def test_error_words_put_the_code_and_aws_s_own_words_first():
    denied = client_error("AccessDenied", "AssumeRole", "User: x is not authorized to perform: sts:AssumeRole")
    assert words(denied) == "AccessDenied: User: x is not authorized to perform: sts:AssumeRole"
    handled = AnsibleSSMError(message="Failed to assume the account's role", exception=denied)
    assert words(handled) == "AccessDenied: Failed to assume the account's role (User: x is not authorized to perform: sts:AssumeRole)"
    assert words(AnsibleSSMError(message="AccessDenied: said once", code="AccessDenied")) == "AccessDenied: said once"
    assert words(ValueError("plain")) == "plain"


def test_assume_role_sends_the_external_id_and_a_default_session_name():
    sts = ScriptedClient(assume_role=[{"Credentials": {"AccessKeyId": "AK", "SecretAccessKey": "S", "SessionToken": "T"}}])
    assert acc.assume_role(sts, GOOD, None, "ext-id")["SessionToken"] == "T"
    assert sts.calls == [("assume_role", {"RoleArn": GOOD, "RoleSessionName": acc.DEFAULT_SESSION_NAME, "ExternalId": "ext-id"})]


# --- each account assumed once ----------------------------------------------------------------------


def test_each_account_is_assumed_once_however_many_regions_ask_at_once():
    asked = []
    gate = threading.Barrier(8)

    def assume(account):
        asked.append(account["role_arn"])
        return {"AccessKeyId": account["role_arn"]}

    accounts = acc.Accounts([{"role_arn": GOOD}, {"role_arn": OTHER}], assume)

    def ask(role_arn):
        gate.wait()
        return accounts.credentials(role_arn)

    threads = [threading.Thread(target=ask, args=(GOOD if n % 2 else OTHER,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(asked) == [GOOD, OTHER] and accounts.calls == 2
    assert accounts.credentials("") is None  # the task's own credentials: nothing to assume


def test_an_account_that_cannot_be_assumed_fails_each_of_its_regions_from_one_call():
    sts = ScriptedClient(assume_role=[client_error("AccessDenied", "AssumeRole", "not authorized to perform sts:AssumeRole")])
    accounts = acc.Accounts([{"role_arn": BAD}], lambda account: acc.assume_role(sts, account["role_arn"], None))
    for _region in range(2):
        with pytest.raises(AnsibleSSMError) as caught:
            accounts.credentials(BAD)
        assert caught.value.code == "AccessDenied" and "not authorized to perform sts:AssumeRole" in caught.value.message
    assert sts.names() == ["assume_role"]


# --- the sweep ---------------------------------------------------------------------------------------


def sweep_of(fleets, failing=(), options=None, check_mode=False):
    """Sweep ``fleets`` ({(role_arn, region): Fleet}); the accounts in ``failing`` cannot be assumed."""
    targets = [{"account": acc.account_id(arn), "role_arn": arn, "region": region} for arn, region in fleets]

    def make_clients(target):
        if target["role_arn"] in failing:
            raise AnsibleSSMError(message="Failed to assume the account's role", exception=client_error("AccessDenied", "AssumeRole", "denied"))
        return fleets[(target["role_arn"], target["region"])].client, lambda: None

    return st.sweep(make_clients, targets, criteria(), dict(OPTIONS, **(options or {})), check_mode, words)


def test_a_failing_account_is_reported_by_account_and_region_and_the_others_are_swept():
    fleets = {(arn, region): Fleet(node_id(arn.split(":")[4], region, n) for n in range(3)) for arn in (GOOD, BAD) for region in ("eu-west-1", "us-east-1")}
    results, refused = sweep_of(fleets, failing={BAD})
    assert refused is False
    assert [(r["account"], r["region"], r["error_code"]) for r in results] == [
        ("111111111111", "eu-west-1", ""),
        ("111111111111", "us-east-1", ""),
        ("333333333333", "eu-west-1", "AccessDenied"),
        ("333333333333", "us-east-1", "AccessDenied"),
    ]
    for result in results[:2]:
        assert [o[OUTCOME] for o in result["deregistered"]["outcomes"]] == [DEREGISTERED] * 3
        assert fleets[(GOOD, result["region"])].ids == []
    for result in results[2:]:
        assert result["step"] == st.FIND and result["plan"] is None and "denied" in result["error"]
        assert fleets[(BAD, result["region"])].client.calls == []  # nothing was asked in an account not assumed


def test_the_guard_counts_the_whole_run_and_refuses_every_account_region():
    fleets = {(GOOD, region): Fleet(node_id("1111", region, n) for n in range(3)) for region in ("eu-west-1", "us-east-1")}
    results, refused = sweep_of(fleets, options={"max_nodes": 5})  # 3 each: within the limit alone, not together
    assert refused is True
    assert all(r["plan"]["refused"] and "6 nodes match" in r["plan"]["refusal"] for r in results)
    assert all(f.client.names() == ["describe_instance_information"] for f in fleets.values())


def test_check_mode_predicts_without_a_mutating_call():
    fleets = {(GOOD, "eu-west-1"): Fleet([node_id("1111", "x", 1)])}
    results, _refused = sweep_of(fleets, check_mode=True)
    assert [o[OUTCOME] for o in results[0]["deregistered"]["outcomes"]] == [DEREGISTERED]
    assert "deregister_managed_instance" not in fleets[(GOOD, "eu-west-1")].client.names()


def test_a_step_that_raises_keeps_the_steps_before_it():
    fleet = Fleet([node_id("1111", "x", 1)], commands=client_error("AccessDeniedException", "ListCommands", "no ssm:ListCommands"))
    results, _refused = sweep_of({(GOOD, "eu-west-1"): fleet})
    assert results[0]["step"] == st.CANCEL and results[0]["error_code"] == "AccessDeniedException"
    assert results[0]["plan"]["instance_ids"] == fleet.ids and results[0]["deregistered"] == {}


def test_every_target_s_clients_are_made_before_any_target_finds():
    events, lock = [], threading.Lock()
    fleets = {(arn, region): Fleet([node_id(arn.split(":")[4], region, 1)]) for arn in (GOOD, OTHER) for region in ("eu-west-1", "us-east-1")}
    for (arn, region), fleet in fleets.items():
        listed = fleet.describe

        def describe(listed=listed, key=(arn, region), **kwargs):
            with lock:
                events.append(("find", key))
            return listed(**kwargs)

        fleet.client = ScriptedClient(
            describe_instance_information=[describe], deregister_managed_instance=[fleet.deregister], list_commands=[{"Commands": []}]
        )
    targets = [{"account": acc.account_id(arn), "role_arn": arn, "region": region} for arn, region in fleets]

    def make_clients(target):
        with lock:
            events.append(("made", (target["role_arn"], target["region"])))
        return fleets[(target["role_arn"], target["region"])].client, lambda: None

    results, _refused = st.sweep(make_clients, targets, criteria(), OPTIONS, False, words)
    kinds = [kind for kind, _key in events]
    assert kinds == ["made"] * 4 + ["find"] * 4
    assert all(r["deregistered"]["changed"] and not r["error"] for r in results)


def test_the_nodes_found_are_deregistered_without_a_second_describe():
    fleet = Fleet([node_id("1111", "x", n) for n in range(3)])
    results, _refused = sweep_of({(GOOD, "eu-west-1"): fleet})
    assert fleet.client.names() == ["describe_instance_information", "list_commands"] + ["deregister_managed_instance"] * 3
    assert [o[OUTCOME] for o in results[0]["deregistered"]["outcomes"]] == [DEREGISTERED] * 3


def test_a_node_gone_between_the_find_and_its_deregistration_is_already_absent_not_deregistered():
    fleet = Fleet([node_id("1111", "x", n) for n in range(2)])
    gone = fleet.ids[0]

    def deregister(InstanceId):
        if InstanceId == gone:
            raise client_error("InvalidInstanceId", "DeregisterManagedInstance", "Instance Id is not valid")
        return fleet.deregister(InstanceId)

    fleet.client = ScriptedClient(describe_instance_information=[fleet.describe], deregister_managed_instance=[deregister], list_commands=[{"Commands": []}])
    results, _refused = sweep_of({(GOOD, "eu-west-1"): fleet})
    assert [o[OUTCOME] for o in results[0]["deregistered"]["outcomes"]] == [ALREADY_ABSENT, DEREGISTERED]
    assert results[0]["deregistered"]["changed"] is True


def test_the_targets_go_as_json_text_unless_a_masked_value_occurs_in_it():
    results = [{"account": "111111111111", "region": "eu-west-1", "instances": [{"instance_id": "mi-0123456789abcdef0", "name": "kiosk-é"}]}]
    text = st.transferable(results, {"wJalrXUtnFEMI/K7MDENG", ""})
    assert isinstance(text, str) and json.loads(text) == results and "kiosk-é" in text
    # An external ID that is also a key, a number or part of an ID would be masked inside the text's structure.
    for masked in ("region", "1111", "abcdef"):
        assert st.transferable(results, {masked}) is results
