# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hybrid_nodes inventory across accounts (plugin_utils/hybrid_nodes_accounts.py): the accounts option checked,
one AssumeRole per account, concurrent listings, failures kept per account and region."""

import threading
import time

import botocore.exceptions
import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.plugin_utils import hybrid_nodes_accounts as accounts

REGIONS = ["us-east-1", "eu-west-1"]


def arn(account, name="reader"):
    return f"arn:aws:iam::{account}:role/{name}"


def client_error(code, message):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, "AssumeRole")


def test_an_account_gets_its_id_defaults_and_the_plugins_regions():
    (checked,) = accounts.check_accounts([{"role_arn": arn("111111111111")}], REGIONS)
    assert checked == {
        "account_id": "111111111111",
        "role_arn": arn("111111111111"),
        "external_id": None,
        "session_name": "hybridops-ssm-hybrid-nodes",
        "regions": REGIONS,
    }


def test_an_accounts_own_regions_replace_the_plugins():
    (checked,) = accounts.check_accounts([{"role_arn": arn("111111111111"), "regions": ["ap-southeast-2"], "session_name": "apac"}], [])
    assert (checked["regions"], checked["session_name"]) == (["ap-southeast-2"], "apac")


def test_no_accounts_is_an_empty_list():
    assert accounts.check_accounts([], REGIONS) == [] and accounts.check_accounts(None, REGIONS) == []


@pytest.mark.parametrize(
    "given, fragments",
    [
        ([{"role_arn": "reader"}], ["accounts[0].role_arn: 'reader' is not a valid IAM role ARN", "arn:aws:iam::ACCOUNT:role/NAME"]),
        ([{"external_id": "abc"}], ["accounts[0]: role_arn is required"]),
        ([{"role_arn": arn("1" * 12), "role": "x"}], ["accounts[0]: 'role' is not a key of an account (a typo?)", "role_arn, external_id"]),
        (["arn:aws:iam::111111111111:role/r"], ["accounts[0]:", "must be a dictionary with role_arn"]),
        ({"role_arn": arn("1" * 12)}, ["accounts:", "must be a list of dictionaries"]),
        ([{"role_arn": arn("1" * 12), "session_name": "a b"}], ["accounts[0].session_name: 'a b' is not a valid role session name", "must match"]),
        ([{"role_arn": arn("1" * 12), "session_name": "s" * 65}], ["accounts[0].session_name:", "at most 64 characters long, not 65"]),
        ([{"role_arn": arn("1" * 12), "regions": ["eu west"]}], ["accounts[0].regions: 1 invalid AWS region name", "'eu west'"]),
        ([{"role_arn": arn("1" * 12), "regions": []}], ["accounts[0].regions: the list is empty"]),
        (
            [{"role_arn": arn("1" * 12)}, {"role_arn": arn("2" * 12)}, {"role_arn": arn("1" * 12, "other")}],
            ["accounts[2]: account 111111111111 is already accounts[0]"],
        ),
    ],
)
def test_bad_accounts_name_the_entry_the_value_and_the_rule(given, fragments):
    with pytest.raises(SSMValidationError) as info:
        accounts.check_accounts(given, REGIONS)
    for fragment in fragments:
        assert fragment in info.value.message, info.value.message


def test_an_account_without_any_region_is_refused():
    with pytest.raises(SSMValidationError) as info:
        accounts.check_accounts([{"role_arn": arn("1" * 12)}], [])
    assert "accounts[0]: no regions" in info.value.message


def test_accounts_and_assume_role_arn_exclude_each_other():
    with pytest.raises(SSMValidationError) as info:
        accounts.check_accounts([{"role_arn": arn("1" * 12)}], REGIONS, assume_role_arn=arn("2" * 12))
    assert "accounts: cannot be combined with assume_role_arn" in info.value.message


@pytest.mark.parametrize("external_id", ["Q", "has space-Qsecret", "Q" * 1225])
def test_a_bad_external_id_is_refused_without_showing_it(external_id):
    with pytest.raises(SSMValidationError) as info:
        accounts.check_accounts([{"role_arn": arn("1" * 12), "external_id": external_id}], REGIONS)
    message = info.value.message
    assert message.startswith(f"accounts[0].external_id: a value of {len(external_id)} characters (not shown) is not a valid external ID")
    assert external_id not in message and info.value.value is None


class Sts:
    """A fake STS client: records each AssumeRole's parameters, answers with credentials."""

    def __init__(self):
        self.calls = []

    def assume_role(self, **params):
        self.calls.append(params)
        return {"Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "s3cr3t", "SessionToken": "t0k3n"}}


def test_assume_sends_the_inventory_s_session_name_and_the_external_id_only_when_given():
    plain, with_id = accounts.check_accounts([{"role_arn": arn("1" * 12)}, {"role_arn": arn("2" * 12), "external_id": "ext-1"}], REGIONS)
    sts = Sts()
    assert accounts.assume(sts, plain) == {"profile_name": None, "aws_access_key_id": "ASIA1", "aws_secret_access_key": "s3cr3t", "aws_session_token": "t0k3n"}
    accounts.assume(sts, with_id)
    assert sts.calls == [
        {"RoleArn": arn("1" * 12), "RoleSessionName": "hybridops-ssm-hybrid-nodes"},
        {"RoleArn": arn("2" * 12), "RoleSessionName": "hybridops-ssm-hybrid-nodes", "ExternalId": "ext-1"},
    ]


class Fleet:
    """Fakes of the plugin's three callables: STS answers per account, nodes (or an error) per account and region."""

    def __init__(self, denied=(), failing=(), nodes=None, delay=0.0):
        self.denied, self.failing, self.nodes, self.delay = set(denied), dict(failing), nodes or {}, delay
        self.assumed, self.clients, self.running, self.most = [], [], 0, 0
        self.lock = threading.Lock()

    def assume(self, account):
        self.assumed.append(account["account_id"])
        if account["account_id"] in self.denied:
            raise client_error("AccessDenied", f"User: x is not authorized to perform: sts:AssumeRole on resource: {account['role_arn']}")
        return {"aws_access_key_id": "ASIA" + account["account_id"], "aws_secret_access_key": "s3cr3t", "aws_session_token": "t0k3n"}

    def client_for(self, account, credentials, region):
        self.clients.append((account["account_id"], credentials["aws_access_key_id"], region))
        return (account["account_id"], region)

    def list_region(self, client, region):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.delay)
            if client in self.failing:
                raise self.failing[client]
            return [dict(node) for node in self.nodes.get(client, [])]
        finally:
            with self.lock:
                self.running -= 1

    def run(self, configured, concurrency=accounts.CONCURRENCY):
        return accounts.list_accounts(configured, self.assume, self.client_for, self.list_region, concurrency)


def test_each_account_is_assumed_once_and_its_credentials_serve_all_its_regions():
    configured = accounts.check_accounts([{"role_arn": arn("1" * 12)}, {"role_arn": arn("2" * 12)}], REGIONS)
    fleet = Fleet(nodes={("1" * 12, "eu-west-1"): [{"instance_id": "mi-b"}, {"instance_id": "mi-a"}], ("2" * 12, "us-east-1"): [{"instance_id": "mi-c"}]})
    nodes, failures = fleet.run(configured)
    assert sorted(fleet.assumed) == ["1" * 12, "2" * 12]
    assert fleet.clients == [(a, "ASIA" + a, r) for a in ("1" * 12, "2" * 12) for r in REGIONS]
    assert nodes == [
        {"instance_id": "mi-a", "account_id": "1" * 12},
        {"instance_id": "mi-b", "account_id": "1" * 12},
        {"instance_id": "mi-c", "account_id": "2" * 12},
    ]
    assert failures == []


def test_a_denied_account_and_a_failing_region_leave_the_rest_listed():
    configured = accounts.check_accounts([{"role_arn": arn("1" * 12)}, {"role_arn": arn("2" * 12)}, {"role_arn": arn("3" * 12)}], REGIONS)
    disabled = AnsibleSSMError(message="The security token included in the request is invalid", code="UnrecognizedClientException")
    fleet = Fleet(denied={"2" * 12}, failing={("3" * 12, "eu-west-1"): disabled}, nodes={("3" * 12, "us-east-1"): [{"instance_id": "mi-c"}]})
    nodes, failures = fleet.run(configured)
    assert nodes == [{"instance_id": "mi-c", "account_id": "3" * 12}]
    assert [(f["account_id"], f["region"]) for f in failures] == [("2" * 12, None), ("3" * 12, "eu-west-1")]
    assert failures[0]["error"] == f"AccessDenied: User: x is not authorized to perform: sts:AssumeRole on resource: {arn('2' * 12)}"
    assert failures[1]["error"].startswith("UnrecognizedClientException: The security token included in the request is invalid")
    assert "opt-in region" in failures[1]["error"]  # the advice names the likelier cause across accounts
    assert not [c for c in fleet.clients if c[0] == "2" * 12]  # a denied account makes no client
    text = repr(failures) + "".join(accounts.warning(f) for f in failures)
    assert "s3cr3t" not in text and "t0k3n" not in text


def test_warnings_name_the_account_the_role_and_where_it_failed():
    assumed = accounts.warning({"account_id": "2" * 12, "role_arn": arn("2" * 12), "region": None, "error": "AccessDenied: no"})
    regional = accounts.warning({"account_id": "3" * 12, "role_arn": arn("3" * 12), "region": "eu-west-1", "error": "X: y"})
    assert (
        assumed == f"hybridops.ssm.hybrid_nodes: account {'2' * 12} ({arn('2' * 12)}): AssumeRole failed, its nodes are not in this inventory: AccessDenied: no"
    )
    assert f"account {'3' * 12} ({arn('3' * 12)}): region eu-west-1 failed, its nodes there are not in this inventory: X: y" in regional


def test_account_regions_are_listed_concurrently_and_bounded():
    configured = accounts.check_accounts([{"role_arn": arn(str(n) * 12)} for n in range(1, 7)], REGIONS)  # 12 account-regions
    fleet = Fleet(delay=0.05)
    started = time.monotonic()
    fleet.run(configured, concurrency=4)
    assert fleet.most == 4  # side by side, never more than the bound
    assert time.monotonic() - started < 12 * 0.05  # faster than one after another
