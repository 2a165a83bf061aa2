# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hybrid_nodes inventory across many accounts: the accounts option checked, one AssumeRole per account,
every account-region listed concurrently, and failures kept per account and region instead of ending the run.

Plain values and callables in, plain values out (no plugin object), so the unit tests drive it with fakes.
An account entry's rules, its ID, the AssumeRole call and an error's words are the sweep's too: they live in
module_utils/_ssm/accounts.py; what is the inventory's own (its session name, regions from the plugin, the
conflict with assume_role_arn, hybrid_nodes_failures and its warnings, the concurrent listing) is here.
"""

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import accounts as shared
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError

DEFAULT_SESSION_NAME = "hybridops-ssm-hybrid-nodes"
# Accounts and regions are separate rate limits (SSM's token buckets are per account and region), so their
# listings run side by side; within one account-region the calls stay one after another, at its own pace.
CONCURRENCY = 8
# The host variable every node of an accounts run gets, and the variable of group all that lists what failed.
ACCOUNT_ID_VARIABLE = "account_id"
FAILURES_VARIABLE = "hybrid_nodes_failures"


def _fail(message, parameter, value):
    raise SSMValidationError(message, parameter=parameter, value=value)


def check_accounts(accounts, default_regions, assume_role_arn=None):
    """The accounts option as the run uses it: [{account_id, role_arn, external_id, session_name, regions}], each
    account once (module_utils/_ssm/accounts.py's rules); [] when not given. ``default_regions`` are the plugin's
    own (regions, else region); an account needs regions, its own or those."""
    if not accounts:
        return []
    if assume_role_arn:
        _fail("accounts: cannot be combined with assume_role_arn; give that role as one of the accounts instead.", "accounts", accounts)
    checked = shared.check_accounts("accounts", accounts, default_regions)
    for index, account in enumerate(checked):
        if not account["regions"]:
            _fail(f"accounts[{index}]: no regions: give this account its regions, or the plugin its regions (or region).", "accounts", accounts)
        account["session_name"] = account["session_name"] or DEFAULT_SESSION_NAME
    return checked


def assume(sts, account):
    """One account's credentials as the plugin's client() takes them: one STS AssumeRole (module_utils's, with its
    error handler and retries), ExternalId only when given."""
    credentials = shared.assume_role(sts, account["role_arn"], account["session_name"], account["external_id"])
    return {
        "profile_name": None,
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def failure(account, region, error):
    """One entry of hybrid_nodes_failures: which account and region, and why (region None: the AssumeRole)."""
    return {"account_id": account["account_id"], "role_arn": account["role_arn"], "region": region, "error": shared.error_words(error)}


def warning(entry):
    """The warning a failure gives, naming the account, its role and the reason."""
    where = f"region {entry['region']}" if entry["region"] else "AssumeRole"
    return (
        f"hybridops.ssm.hybrid_nodes: account {entry['account_id']} ({entry['role_arn']}): {where} failed, its nodes"
        f"{' there' if entry['region'] else ''} are not in this inventory: {entry['error']}"
    )


def concurrently(items, call, concurrency=CONCURRENCY):
    """[(item, result, error)] in the items' order: ``call(item)`` for each, at most ``concurrency`` at a time;
    any exception is kept as that item's error, so one account's failure never stops another's listing."""

    def guarded(item):
        try:
            return item, call(item), None
        except Exception as error:  # pylint: disable=broad-exception-caught  # reported per account and region
            return item, None, error

    items = list(items)
    if len(items) <= 1:
        return [guarded(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        return list(pool.map(guarded, items))


def list_accounts(accounts, assume, client_for, list_region, concurrency=CONCURRENCY):
    """(nodes, failures) over every account and region.

    ``assume(account)`` returns the account's credentials (one AssumeRole, reused for all its regions);
    ``client_for(account, credentials, region)`` makes that account-region's client, in the calling thread (boto3
    sessions are not thread-safe; clients are); ``list_region(client, region)`` lists its nodes. An account that
    cannot be assumed fails all its regions at once, with one entry; a region that fails leaves the account's other
    regions listed. Every node gets account_id; the order is the configuration's (accounts, then regions), each
    region's nodes by instance ID.
    """
    nodes, failures, clients = [], [], []
    for account, credentials, error in concurrently(accounts, assume, concurrency):
        if error is not None:
            failures.append(failure(account, None, error))
            continue
        for region in account["regions"]:
            try:
                clients.append((account, region, client_for(account, credentials, region)))
            except Exception as client_error:  # pylint: disable=broad-exception-caught  # reported as that region's failure
                failures.append(failure(account, region, client_error))
    for (account, region, _client), listed, error in concurrently(clients, lambda item: list_region(item[2], item[1]), concurrency):
        if error is not None:
            failures.append(failure(account, region, error))
            continue
        for node in sorted(listed, key=lambda n: n["instance_id"]):
            node[ACCOUNT_ID_VARIABLE] = account["account_id"]
            nodes.append(node)
    return nodes, failures
