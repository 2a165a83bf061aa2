"""Many accounts: who may assume which role (STS AssumeRole), and regions an account has not enabled.

moto keys every backend by account and hands out AssumeRole credentials whose access key lives in the role's
account (``get_account_id_from`` then maps SSM and ECS calls signed with them to that account), but it lets
anyone assume any role, existing or not. AWS does not (STS API reference, AssumeRole, Errors; IAM user guide,
"Troubleshooting IAM roles"): the role must exist in its account and its trust policy must allow the caller,
else HTTP 403 ``AccessDenied`` "User: <caller ARN> is not authorized to perform: sts:AssumeRole on resource:
<role ARN>". A trust policy that requires an external ID (``"Condition": {"StringEquals": {"sts:ExternalId":
…}}``, IAM user guide, "Access to AWS accounts owned by third parties") denies a call that gives another one
or none, with the same answer.

Opt-in regions (AWS Account Management guide, "Specify which AWS Regions your account can use"): until an
account enables one, AWS does not recognise the account's credentials there; SSM and ECS (JSON protocol)
answer HTTP 400 ``UnrecognizedClientException`` "The security token included in the request is invalid"
(ekristen/aws-nuke#774 in ap-east-1; awslabs/landing-zone-accelerator-on-aws#269 for SSM in ap-southeast-4),
STS (query protocol) HTTP 403 ``InvalidClientTokenId`` "The security token included in the request is
invalid." (remotion-dev/github-unwrapped-2022#34 in eu-south-1).
"""

import json
import re
import threading
import urllib.parse
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

from .extend import well_formed_region

PARTITION = "aws"
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
# A role name (IAM API reference, CreateRole: 1-64 of [\w+=,.@-]); a path is not modelled by add_role.
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
ROLE_ARN = re.compile(r"^arn:aws:iam::([0-9]{12}):role/(?:[\w+=,.@/-]*/)?[\w+=,.@-]{1,64}$")
ASSUME_ACTIONS = ("sts:assumerole", "sts:*", "*")
INVALID_TOKEN = "The security token included in the request is invalid"


def _account(value: Any) -> str:
    if not isinstance(value, str) or not ACCOUNT_ID.match(value):
        raise ValueError(f"account must be a 12-digit account ID, not {value!r}")
    return value


def trust_policy(trusted_account: str, external_id: str | None = None) -> dict[str, Any]:
    """The trust policy of a cross-account role, as the IAM user guide writes one."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{trusted_account}:root"}, "Action": "sts:AssumeRole"}
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, caller_account: str, caller_arn: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for entry in _listed(principal.get("AWS", [])):
        if entry in ("*", caller_account, f"arn:aws:iam::{caller_account}:root", caller_arn):
            return True
    return False


def _condition_holds(condition: dict[str, Any] | None, external_id: str | None) -> bool:
    """Only ``StringEquals`` on ``sts:ExternalId`` is modelled; any other condition is not met (denies)."""
    for operator, keys in (condition or {}).items():
        if operator != "StringEquals" or not isinstance(keys, dict):
            return False
        for key, wanted in keys.items():
            if key.lower() != "sts:externalid" or external_id not in _listed(wanted):
                return False
    return True


def trusts(policy: dict[str, Any], caller_account: str, caller_arn: str, external_id: str | None) -> bool:
    """Whether a trust policy lets the caller assume the role: an Allow statement for sts:AssumeRole whose
    principal names the caller and whose condition holds, and no Deny statement that matches."""
    allowed = False
    for statement in _listed(policy.get("Statement", [])):
        actions = [a.lower() for a in _listed(statement.get("Action", []))]
        if not any(a in ASSUME_ACTIONS for a in actions):
            continue
        if not _principal_matches(statement.get("Principal"), caller_account, caller_arn):
            continue
        if not _condition_holds(statement.get("Condition"), external_id):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def caller_arn(account: str, access_key: str, region: str) -> str:
    """The caller's ARN as GetCallerIdentity names it: an assumed role's session, an IAM user, or moto's default
    user for any other key (moto writes that one ``arn:aws:sts::…:user/moto``; AWS names users under ``iam``)."""
    arn = sts_backends[account][PARTITION].get_caller_identity(access_key, region)[1]
    return arn.replace(":sts::", ":iam::", 1) if ":user/" in arn else arn


def _policy_of(role: Any) -> dict[str, Any]:
    document = role.assume_role_policy_document or "{}"
    try:
        return json.loads(document)
    except ValueError:
        # The IAM query API may hand the document over URL-encoded.
        return json.loads(urllib.parse.unquote(document))


class Accounts:
    """Roles are moto's IAM roles (reset with moto); the regions an account has not enabled are ours."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._disabled: set[tuple[str, str]] = set()

    def add_role(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create role ``name`` in ``account`` that ``trusted_account`` (default: moto's default account, whose
        keys the tests use) may assume, with ``external_id`` required when given. Returns {"role_arn"}."""
        account = _account(body["account"])
        name = body["name"]
        if not isinstance(name, str) or not ROLE_NAME.match(name):
            raise ValueError(f"name must be an IAM role name (1-64 of letters, digits and +=,.@_-), not {name!r}")
        trusted = _account(body.get("trusted_account") or DEFAULT_ACCOUNT_ID)
        external_id = body.get("external_id")
        if external_id is not None and not isinstance(external_id, str):
            raise ValueError(f"external_id must be a string, not {external_id!r}")
        iam = iam_backends[account][PARTITION]
        if any(role.name == name for role in iam.get_roles()):
            raise ValueError(f"role {name!r} already exists in account {account}")
        role = iam.create_role(
            role_name=name,
            assume_role_policy_document=json.dumps(trust_policy(trusted, external_id)),
            path="/",
            permissions_boundary=None,
            description="",
            tags=[],
            max_session_duration=None,
        )
        return {"role_arn": role.arn}

    def denial(self, account: str, access_key: str, region: str, params: dict[str, str]) -> str | None:
        """Why AssumeRole is refused (AWS's AccessDenied message), or None when the caller may assume the role."""
        role_arn = params.get("RoleArn", "")
        caller = caller_arn(account, access_key, region)
        message = f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        match = ROLE_ARN.match(role_arn)
        if not match:
            return message
        try:
            role = iam_backends[match.group(1)][PARTITION].get_role_by_arn(role_arn)
        except Exception:  # noqa: BLE001  moto's NotFoundException: no such role, as good as not trusted
            return message
        if not trusts(_policy_of(role), account, caller, params.get("ExternalId")):
            return message
        return None

    def set_region(self, body: dict[str, Any]) -> dict[str, Any]:
        """Enable or disable ``region`` for ``account``; returns every disabled pair."""
        account = _account(body["account"])
        region = body["region"]
        if not isinstance(region, str) or not well_formed_region(region):
            raise ValueError(f"region {region!r} is not a region name")
        enabled = body["enabled"]
        if not isinstance(enabled, bool):
            raise ValueError(f"enabled must be true or false, not {enabled!r}")
        with self._lock:
            (self._disabled.discard if enabled else self._disabled.add)((account, region))
        return self.settings()

    def enabled(self, account: str, region: str) -> bool:
        """Whether the account may use the region (every region is enabled until disabled)."""
        with self._lock:
            return (account, region) not in self._disabled

    def settings(self) -> dict[str, Any]:
        """{"disabled_regions": [{"account", "region"}]}, sorted."""
        with self._lock:
            return {"disabled_regions": [{"account": a, "region": r} for a, r in sorted(self._disabled)]}

    def clear(self) -> None:
        """Every region enabled again (roles go with moto's IAM state at reset)."""
        with self._lock:
            self._disabled.clear()
