# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Many accounts, for the sweep (hybridops.ssm.sweep_stale_nodes and its role's variable) and the inventory
(hybridops.ssm.hybrid_nodes, option accounts) alike: the rules of an account entry, checked before any call; an
account's ID; its role assumed once per run (one STS AssumeRole, its credentials reused for every region of it);
the sweep's targets (one per account and region); and an error in words for a report or a warning.

An account is given as ``{role_arn, external_id, session_name, regions}``. Its credentials are STS AssumeRole's,
asked for with the caller's own credentials; no list of accounts means the caller's credentials themselves. The
external ID is a shared secret and the credentials are secrets: neither is put into a target, a message or a result.
"""

import threading

from .constraints import AWS_REGION_NAME
from .constraints import EXTERNAL_ID
from .constraints import ROLE_ARN
from .constraints import ROLE_SESSION_NAME
from .constraints import check_list
from .constraints import check_string
from .constraints import string_problem
from .errors import AnsibleSSMError
from .errors import SSMErrorHandler
from .errors import SSMValidationError
from .retry import ssm_retry

ACCOUNT_KEYS = ("role_arn", "external_id", "session_name", "regions")
# The session name CloudTrail shows for the sweep's calls when an account names none.
DEFAULT_SESSION_NAME = "hybridops-ssm-sweep"
# How the task's own credentials are named where an account ID would be.
CURRENT_ACCOUNT = "current credentials"


def account_id(role_arn):
    """The 12-digit account ID a role ARN names (arn:aws:iam::ACCOUNT:role/NAME); empty for the caller's own
    credentials (no ARN)."""
    return role_arn.split(":")[4] if role_arn else ""


def check_external_id(name, value):
    """An external ID by STS's rules. Many owners treat it as a shared secret (AWS does not): a message never shows
    its value, only its length."""
    problem = string_problem(EXTERNAL_ID, value)
    if problem:
        shown = f"a value of {len(value)} characters (not shown)" if isinstance(value, str) else f"a {type(value).__name__} (not shown)"
        raise SSMValidationError(f"{name}: {shown} is not a valid {EXTERNAL_ID.name}: it {problem}.", parameter=name)
    return value


def check_account(name, entry, default_regions=None):
    """One account entry, ``name`` as the user wrote it (``accounts[0]``, ``sweep_stale_hybrid_nodes_accounts[0]``):
    ``{account_id, role_arn, external_id, session_name, regions}``, or SSMValidationError naming the key, the value
    (never the external ID's) and the rule. ``session_name`` stays None when not given (each caller has its own);
    ``regions``, when given (not None), needs at least one region, and ``default_regions`` stand in when not."""
    if not isinstance(entry, dict):
        raise SSMValidationError(
            f"{name}: {entry!r} must be a dictionary with role_arn and optionally {', '.join(ACCOUNT_KEYS[1:])}.", parameter=name, value=entry
        )
    unknown = sorted(str(key) for key in entry if key not in ACCOUNT_KEYS)
    if unknown:
        raise SSMValidationError(
            f"{name}: {', '.join(repr(k) for k in unknown)} is not a key of an account (a typo?); the keys are {', '.join(ACCOUNT_KEYS)}.",
            parameter=name,
            value=unknown,
        )
    if not entry.get("role_arn"):
        raise SSMValidationError(
            f"{name}: role_arn is required (the IAM role to assume in that account, {ROLE_ARN.hint}).", parameter=f"{name}.role_arn", value=None
        )
    role_arn = check_string(f"{name}.role_arn", entry["role_arn"], ROLE_ARN)
    external_id = entry.get("external_id")
    if external_id is not None:
        check_external_id(f"{name}.external_id", external_id)
    session_name = entry.get("session_name")
    if session_name is not None:
        check_string(f"{name}.session_name", session_name, ROLE_SESSION_NAME)
    regions = entry.get("regions")
    if regions is not None:
        regions = check_list(f"{name}.regions", regions, AWS_REGION_NAME, min_items=1)
    return {
        "account_id": account_id(role_arn),
        "role_arn": role_arn,
        "external_id": external_id,
        "session_name": session_name,
        "regions": list(regions if regions is not None else default_regions or []),
    }


def _checked(parameter, accounts, default_regions):
    checked, errors, seen = [], [], {}
    if not accounts:
        return checked, errors
    if not isinstance(accounts, list):
        errors.append(SSMValidationError(f"{parameter}: {accounts!r} must be a list of dictionaries, each with a role_arn.", parameter=parameter))
        return checked, errors
    for index, entry in enumerate(accounts):
        name = f"{parameter}[{index}]"
        try:
            account = check_account(name, entry, default_regions)
        except SSMValidationError as error:
            errors.append(error)
            continue
        first = seen.setdefault(account["account_id"], index)
        if first != index:
            # By account, not by ARN: two roles of one account would assume twice where the run assumes once.
            errors.append(
                SSMValidationError(
                    f"{name}: account {account['account_id']} is already {parameter}[{first}]; each account is assumed once per run:"
                    " give it once, with all its regions.",
                    parameter=f"{name}.role_arn",
                    value=account["role_arn"],
                )
            )
            continue
        checked.append(account)
    return checked, errors


def check_accounts(parameter, accounts, default_regions=None):
    """Every account entry (check_account), each account once (by account ID: one AssumeRole per account and run);
    the entries as check_account returns them, [] when none. Raises the first problem as SSMValidationError."""
    checked, errors = _checked(parameter, accounts, default_regions)
    if errors:
        raise errors[0]
    return checked


def account_problems(parameter, accounts, default_regions=None):
    """The same rules as check_accounts, every bad entry's problem at once (a sentence each, no final stop): for a
    role's variables, whose problems are all named in one run."""
    return [str(error.message).rstrip(".") for error in _checked(parameter, accounts, default_regions)[1]]


def targets(accounts, default_region):
    """One target per account and region, in the order given: ``{account, role_arn, region}``; an account without
    regions takes ``default_region``. No accounts: the task's own credentials in ``default_region``."""
    if not accounts:
        return [{"account": CURRENT_ACCOUNT, "role_arn": "", "region": default_region}]
    return [
        {"account": account_id(account["role_arn"]), "role_arn": account["role_arn"], "region": region}
        for account in accounts
        for region in dict.fromkeys(account.get("regions") or [default_region])
    ]


@SSMErrorHandler.common_error_handler("assume the account's role")
@ssm_retry
def assume_role(client, role_arn, session_name=None, external_id=None):
    """STS AssumeRole, retried as every call of the collection is: the role's temporary ``Credentials``. The
    ExternalId only when given; DEFAULT_SESSION_NAME when ``session_name`` is not."""
    request = {"RoleArn": role_arn, "RoleSessionName": session_name or DEFAULT_SESSION_NAME}
    if external_id:
        request["ExternalId"] = external_id
    return client.assume_role(**request)["Credentials"]


class Accounts:
    """Each account's credentials, assumed once per run however many of its regions (threads) ask.

    ``assume(account)`` returns an account's credentials or raises AnsibleSSMError; a failure is kept too, so an
    account whose role cannot be assumed is asked once and each of its regions reports the same error.
    """

    def __init__(self, accounts, assume):
        self._accounts = {account["role_arn"]: account for account in accounts or []}
        self._assume = assume
        self._lock = threading.Lock()
        self._per_account = {}
        self._answers = {}
        self.calls = 0

    def credentials(self, role_arn):
        """The credentials of the account of ``role_arn``; None for the task's own (an empty ARN)."""
        if not role_arn:
            return None
        with self._lock:
            lock = self._per_account.setdefault(role_arn, threading.Lock())
        with lock:
            if role_arn not in self._answers:
                self.calls += 1
                try:
                    self._answers[role_arn] = (self._assume(self._accounts[role_arn]), None)
                except AnsibleSSMError as error:
                    self._answers[role_arn] = (None, error)
        credentials, error = self._answers[role_arn]
        if error is not None:
            # A new error per region: the exception object is not shared between threads.
            again = AnsibleSSMError(message=error_words(error))
            again.code = error.code
            raise again
        return credentials


def _aws_words(error):
    """botocore's ClientError as 'Code: Message' (AWS's own words); None for anything else."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and response.get("Error"):
        return f"{response['Error'].get('Code')}: {response['Error'].get('Message')}"
    return None


def error_words(error):
    """An error in words for a report or a warning, its code first and never a credential (neither an STS nor an
    SSM error message holds one): botocore's ClientError as 'Code: AWS's message'; an AnsibleSSMError as 'code: its
    message' (the step that failed, the advice, why retrying stopped) with AWS's own words from its cause when the
    message lacks them; anything else as its own words."""
    aws = _aws_words(error)
    if aws is not None:
        return aws
    words = str(getattr(error, "message", None) or error)
    cause = getattr(error, "exception", None)
    if cause is not None:
        said = cause.response["Error"].get("Message") if _aws_words(cause) else str(cause)
        if said and said not in words:
            words = f"{words} ({said})"
    code = getattr(error, "code", None)
    return f"{code}: {words}" if code and not words.startswith(str(code)) else words
