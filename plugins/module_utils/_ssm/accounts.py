# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Many accounts: their targets (one per account and region), checked before any call, and each account's role
assumed once per run, its credentials reused for every region of it.

An account is given as ``{role_arn, external_id, session_name, regions}``. Its credentials are STS AssumeRole's,
asked for with the task's own credentials; no list of accounts means the task's credentials themselves (one
target, the task's region). The external ID is a shared secret and the credentials are secrets: neither is put
into a target, a message or a result.
"""

import threading

from .constraints import EXTERNAL_ID
from .constraints import REGION
from .constraints import ROLE_ARN
from .constraints import ROLE_SESSION_NAME
from .constraints import check_list
from .constraints import check_string
from .constraints import string_problem
from .errors import AnsibleSSMError
from .errors import SSMErrorHandler
from .errors import SSMValidationError
from .retry import ssm_retry

# The session name CloudTrail shows for the sweep's calls when an account names none.
DEFAULT_SESSION_NAME = "hybridops-ssm-sweep"
# How the task's own credentials are named where an account ID would be.
CURRENT_ACCOUNT = "current credentials"


def account_id(role_arn):
    """The account ID a role ARN names (arn:aws:iam::ACCOUNT:role/NAME); empty for the task's own credentials."""
    return role_arn.split(":")[4] if role_arn else ""


def check_accounts(parameter, accounts):
    """Check every account against STS's and the client's rules before any call; returns them with their regions
    normalised. A message names the account by its index and role ARN, never its external ID's value."""
    seen = set()
    for index, account in enumerate(accounts or []):
        name = f"{parameter}[{index}]"
        check_string(f"{name}.role_arn", account.get("role_arn"), ROLE_ARN)
        if account["role_arn"] in seen:
            raise SSMValidationError(
                f"{name}.role_arn: {account['role_arn']!r} is given twice: give each account once, with all its regions in its regions list.",
                parameter=f"{name}.role_arn",
                value=account["role_arn"],
            )
        seen.add(account["role_arn"])
        if account.get("external_id") is not None:
            problem = string_problem(EXTERNAL_ID, account["external_id"])
            if problem:
                raise SSMValidationError(
                    f"{name}.external_id: (value not shown) is not a valid {EXTERNAL_ID.name}: it {problem}.", parameter=f"{name}.external_id"
                )
        if account.get("session_name") is not None:
            check_string(f"{name}.session_name", account["session_name"], ROLE_SESSION_NAME)
        account["regions"] = check_list(f"{name}.regions", account.get("regions") or [], REGION)
    return accounts


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
def assume_role(client, role_arn, session_name, external_id=None):
    """STS AssumeRole: the role's temporary ``Credentials``."""
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


def error_words(error):
    """An AnsibleSSMError in words for a report: its message, and AWS's own words when there are any."""
    words = str(error.message or error)
    cause = getattr(error, "exception", None)
    return f"{words} ({cause})" if cause is not None and str(cause) not in words else words
