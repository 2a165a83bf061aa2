"""Hybrid activations: CreateActivation / DescribeActivations / DeleteActivation.

Also the agent side of an activation (``consume``), used by the test-only register route,
because registration limits, expiry and deletion are what the collection has to cope with.
"""

import dataclasses
import datetime
import secrets
import string
import uuid
from typing import Any

from .clock import CLOCK
from .errors import InvalidActivation
from .errors import InvalidActivationId
from .errors import InvalidFilter
from .errors import InvalidParameters
from .paging import page

MAX_EXPIRY = datetime.timedelta(days=30)
DEFAULT_EXPIRY = datetime.timedelta(hours=24)
_CODE_ALPHABET = string.ascii_letters + string.digits


@dataclasses.dataclass
class Activation:
    """One activation as SSM stores it."""

    activation_id: str
    activation_code: str
    iam_role: str
    registration_limit: int
    expiration_date: datetime.datetime
    created_date: datetime.datetime
    description: str = ""
    default_instance_name: str = ""
    tags: list[dict[str, str]] = dataclasses.field(default_factory=list)
    registrations_count: int = 0

    def expired(self) -> bool:
        """Whether the activation can no longer register nodes because of its date."""
        return CLOCK.now() >= self.expiration_date

    def node_tags(self) -> dict[str, str]:
        """The tags a node registered with this activation starts with: SSM copies the activation's tags to it."""
        return {tag["Key"]: tag.get("Value", "") for tag in self.tags}

    def to_api(self) -> dict[str, Any]:
        """The DescribeActivations item."""
        item: dict[str, Any] = {
            "ActivationId": self.activation_id,
            "IamRole": self.iam_role,
            "RegistrationLimit": self.registration_limit,
            "RegistrationsCount": self.registrations_count,
            "ExpirationDate": self.expiration_date,
            "Expired": self.expired(),
            "CreatedDate": self.created_date,
            "Tags": list(self.tags),
        }
        if self.description:
            item["Description"] = self.description
        if self.default_instance_name:
            item["DefaultInstanceName"] = self.default_instance_name
        return item


def _to_datetime(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class Activations:
    """The activations of one account and region."""

    def __init__(self) -> None:
        self.items: dict[str, Activation] = {}
        self.deleted: set[str] = set()

    def create(self, params: dict[str, Any]) -> Activation:
        """CreateActivation semantics: limit default 1, expiry default 24 h and at most 30 days."""
        now = CLOCK.now()
        expiry = _to_datetime(params["ExpirationDate"]) if params.get("ExpirationDate") is not None else now + DEFAULT_EXPIRY
        if expiry <= now:
            raise InvalidParameters("ExpirationDate must be in the future.")
        if expiry - now > MAX_EXPIRY:
            raise InvalidParameters("ExpirationDate can't be more than 30 days in the future.")
        activation = Activation(
            activation_id=str(uuid.uuid4()),
            activation_code="".join(secrets.choice(_CODE_ALPHABET) for _unused in range(20)),
            iam_role=params["IamRole"],
            registration_limit=int(params.get("RegistrationLimit") or 1),
            expiration_date=expiry,
            created_date=now,
            description=params.get("Description") or "",
            default_instance_name=params.get("DefaultInstanceName") or "",
            tags=list(params.get("Tags") or []),
        )
        self.items[activation.activation_id] = activation
        return activation

    def describe(self, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        """DescribeActivations with its three filter keys, ANDed across keys."""
        wanted: dict[str, set[str]] = {}
        for flt in params.get("Filters") or []:
            key = flt.get("FilterKey")
            if key not in ("ActivationIds", "DefaultInstanceName", "IamRole"):
                raise InvalidFilter(f"Filter key {key} is not supported.")
            if key in wanted:
                raise InvalidFilter(f"Filter key {key} was specified more than once.")
            wanted[key] = set(flt.get("FilterValues") or [])
        fields = {"ActivationIds": "activation_id", "DefaultInstanceName": "default_instance_name", "IamRole": "iam_role"}
        matches = [a for a in self.items.values() if all(getattr(a, fields[k]) in v for k, v in wanted.items())]
        chunk, token = page("DescribeActivations", matches, params.get("MaxResults"), params.get("NextToken"))
        return [a.to_api() for a in chunk], token

    def delete(self, activation_id: str) -> None:
        """DeleteActivation: nodes registered with it stay registered.

        Deleting it again answers InvalidActivation (AWS API reference, DeleteActivation errors: "The activation
        isn't valid. The activation might have been deleted"); an ID never seen answers InvalidActivationId.
        """
        if self.items.pop(activation_id, None) is None:
            if activation_id in self.deleted:
                raise InvalidActivation(
                    "The activation isn't valid. The activation might have been deleted, or the ActivationId and the ActivationCode don't match."
                )
            raise InvalidActivationId()
        self.deleted.add(activation_id)

    def consume(self, activation_id: str, activation_code: str | None) -> Activation:
        """What registering an agent does to an activation; raises like the agent would see."""
        activation = self.items.get(activation_id)
        if activation is None:
            raise InvalidActivationId()
        if activation_code is not None and activation_code != activation.activation_code:
            raise InvalidActivation("Activation code does not match the activation ID.")
        if activation.expired():
            raise InvalidActivation("Activation has expired.")
        if activation.registrations_count >= activation.registration_limit:
            raise InvalidActivation("Activation has reached its registration limit.")
        activation.registrations_count += 1
        return activation
