# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hybrid_nodes inventory across many accounts: the accounts option checked, one AssumeRole per account,
every account-region listed concurrently, and failures kept per account and region instead of ending the run.

Plain values and callables in, plain values out (no plugin object), so the unit tests drive it with fakes.
The rules (ARN, external ID, session name, region) live in module_utils/_ssm/constraints.py.
"""

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import EXTERNAL_ID
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import REGION
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import ROLE_ARN
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import ROLE_SESSION_NAME
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_list
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_string
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import string_problem
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError

ACCOUNT_KEYS = ("role_arn", "external_id", "session_name", "regions")
DEFAULT_SESSION_NAME = "hybridops-ssm-hybrid-nodes"
# Accounts and regions are separate rate limits (SSM's token buckets are per account and region), so their
# listings run side by side; within one account-region the calls stay one after another, at its own pace.
CONCURRENCY = 8
# The host variable every node of an accounts run gets, and the variable of group all that lists what failed.
ACCOUNT_ID_VARIABLE = "account_id"
FAILURES_VARIABLE = "hybrid_nodes_failures"


def _fail(message, parameter, value):
    raise SSMValidationError(message, parameter=parameter, value=value)


def account_of(role_arn):
    """The 12-digit account ID an IAM role ARN names (arn:aws:iam::ACCOUNT:role/NAME)."""
    return role_arn.split(":")[4]


def _check_external_id(name, value):
    # Many owners treat the external ID as a shared secret (AWS does not): its value is never shown, only its length.
    problem = string_problem(EXTERNAL_ID, value)
    if problem:
        shown = f"a value of {len(value)} characters (not shown)" if isinstance(value, str) else f"a {type(value).__name__} (not shown)"
        _fail(f"{name}: {shown} is not a valid {EXTERNAL_ID.name}: it {problem}.", name, None)
    return value


def _check_account(index, entry, default_regions):
    name = f"accounts[{index}]"
    if not isinstance(entry, dict):
        _fail(f"{name}: {entry!r} must be a dictionary with role_arn and optionally {', '.join(ACCOUNT_KEYS[1:])}.", "accounts", entry)
    unknown = sorted(str(key) for key in entry if key not in ACCOUNT_KEYS)
    if unknown:
        _fail(f"{name}: {', '.join(repr(k) for k in unknown)} is not a key of an account (a typo?); the keys are {', '.join(ACCOUNT_KEYS)}.", "accounts", entry)
    if not entry.get("role_arn"):
        _fail(f"{name}: role_arn is required (the IAM role to assume in that account, arn:aws:iam::ACCOUNT:role/NAME).", "accounts", entry)
    role_arn = check_string(f"{name}.role_arn", entry["role_arn"], ROLE_ARN)
    external_id = entry.get("external_id")
    if external_id is not None:
        _check_external_id(f"{name}.external_id", external_id)
    session_name = check_string(f"{name}.session_name", entry.get("session_name") or DEFAULT_SESSION_NAME, ROLE_SESSION_NAME)
    regions = default_regions
    if entry.get("regions") is not None:
        regions = check_list(f"{name}.regions", entry["regions"], REGION, min_items=1)
    if not regions:
        _fail(f"{name}: no regions: give this account its regions, or the plugin its regions (or region).", "accounts", entry)
    return {"account_id": account_of(role_arn), "role_arn": role_arn, "external_id": external_id, "session_name": session_name, "regions": list(regions)}


def check_accounts(accounts, default_regions, assume_role_arn=None):
    """The accounts option as the run uses it: [{account_id, role_arn, external_id, session_name, regions}], each
    account once; [] when not given. ``default_regions`` are the plugin's own (regions, else region)."""
    if not accounts:
        return []
    if assume_role_arn:
        _fail("accounts: cannot be combined with assume_role_arn; give that role as one of the accounts instead.", "accounts", accounts)
    if not isinstance(accounts, list):
        _fail(f"accounts: {accounts!r} must be a list of dictionaries, each with a role_arn.", "accounts", accounts)
    checked = [_check_account(index, entry, default_regions) for index, entry in enumerate(accounts)]
    seen = {}
    for index, account in enumerate(checked):
        if account["account_id"] in seen:
            _fail(
                f"accounts[{index}]: account {account['account_id']} is already accounts[{seen[account['account_id']]}];"
                " each account is assumed once per run: give it once, with all its regions.",
                "accounts",
                accounts,
            )
        seen[account["account_id"]] = index
    return checked


def error_text(error):
    """An AWS error as 'Code: message' (botocore's ClientError) or the exception's own words; never a credential,
    since neither an STS nor an SSM error message holds one."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and response.get("Error"):
        return f"{response['Error'].get('Code')}: {response['Error'].get('Message')}"
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or str(error)
    return f"{code}: {message}" if code and not message.startswith(str(code)) else message


def failure(account, region, error):
    """One entry of hybrid_nodes_failures: which account and region, and why (region None: the AssumeRole)."""
    return {"account_id": account["account_id"], "role_arn": account["role_arn"], "region": region, "error": error_text(error)}


def warning(entry):
    """The warning a failure gives, naming the account, its role and the reason."""
    where = f"region {entry['region']}" if entry["region"] else "AssumeRole"
    return (
        f"hybridops.ssm.hybrid_nodes: account {entry['account_id']} ({entry['role_arn']}): {where} failed, its nodes"
        f"{' there' if entry['region'] else ''} are not in this inventory: {entry['error']}"
    )


def assume_params(account):
    """AssumeRole's parameters for one account (ExternalId only when given)."""
    params = {"RoleArn": account["role_arn"], "RoleSessionName": account["session_name"]}
    if account["external_id"] is not None:
        params["ExternalId"] = account["external_id"]
    return params


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
