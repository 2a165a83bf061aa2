"""DescribeInstanceInformation: filter rules as AWS enforces them, and paging as AWS does it.

Rules (README, "Behaviours AWS has that we model"):
* ResourceType takes exactly one value ("ResourceType filter may contain only one value", boto3#3027);
  an unknown value answers "ResourceType filter is invalid, valid values are EC2Instance, ManagedInstance"
  (aws/aws-sdk#130).
* A tag filter takes at most 5 values: ValidationException "The number of tag values for tag:Name was 35.
  Max: 5." (reported in seek-oss/aec#394); we apply the same rule and wording to ``tag-key``.
* Tag filters cannot be combined with other filter types (API reference); AWS answers ValidationException
  "Cannot mix tag or inventory filter with any other filter." (reported in danmx/sigil#61).
* ``Filters`` takes the keys the API reference lists (InstanceInformationStringFilter: ActivationIds, AgentVersion,
  AssociationStatus, IamRole, InstanceIds, PingStatus, PlatformTypes, ResourceType, SourceIds, SourceTypes,
  ``tag-key``, ``tag:NAME``); any other key, ``PlatformType`` too, answers InvalidFilterKey. The legacy
  ``InstanceInformationFilterList`` takes the model's enum InstanceInformationFilterKey (the same keys without
  SourceIds, SourceTypes and tags; model validation refuses the rest). Where the reference lists a key's values
  (AssociationStatus, PingStatus, PlatformTypes, ResourceType, SourceTypes), any other value answers
  InvalidInstanceInformationFilterValue.
* Without MaxResults a page holds at most ``describe_default_page`` (10) items. With ``sparse_pages`` and any
  filter other than InstanceIds, the service filters each window of the unfiltered list, so pages may be
  short or empty and still carry a NextToken (aws-cli#2626: an empty page mid-way, the last one without a token).
"""

from typing import Any
from typing import Callable

from .errors import InvalidFilterKey
from .errors import InvalidInstanceId
from .errors import InvalidInstanceInformationFilterValue
from .errors import ValidationException
from .paging import page
from .paging import window
from .realism import REALISM

FILTER_FIELDS = {
    "InstanceIds": "instance_id",
    "PingStatus": "ping_status",
    "ResourceType": "resource_type",
    "ActivationIds": "activation_id",
    "AgentVersion": "agent_version",
    "AssociationStatus": "association_status",
    "IamRole": "iam_role",
    "PlatformTypes": "platform_type",
    "SourceIds": "source_id",
    "SourceTypes": "source_type",
}
# The values the API reference lists per key (InstanceInformationStringFilter); the other keys take any value.
ALLOWED_VALUES = {
    "AssociationStatus": {"Success", "Pending", "Failed"},
    "PingStatus": {"Online", "ConnectionLost", "Inactive"},
    "PlatformTypes": {"Windows", "Linux", "MacOS"},
    "SourceTypes": {
        "AWS::EC2::Instance",
        "AWS::SSM::ManagedInstance",
        "AWS::IoT::Thing",
        "Microsoft.Compute/virtualMachines",
        "compute.googleapis.com/Instance",
    },
}
RESOURCE_TYPES = ("EC2Instance", "ManagedInstance")
MAX_TAG_VALUES = 5
MIXED = "Cannot mix tag or inventory filter with any other filter."


def _is_tag(key: str) -> bool:
    return key.startswith("tag:") or key == "tag-key"


def predicate(key: str, values: list[str], well_formed: Any) -> Callable[[Any], bool]:
    """Check one filter like AWS does and return the test it applies to a node."""
    wanted = set(values)
    if _is_tag(key):
        if len(values) > MAX_TAG_VALUES:
            raise ValidationException(f"The number of tag values for {key} was {len(values)}. Max: {MAX_TAG_VALUES}.")
        if key == "tag-key":
            return lambda n: bool(wanted & set(n.visible_tags()))
        tag = key[4:]
        return lambda n: n.visible_tags().get(tag) in wanted
    if key not in FILTER_FIELDS:
        raise InvalidFilterKey(f"The filter key {key} is not valid.")
    if key == "InstanceIds":
        bad = [v for v in values if not well_formed.match(v)]
        if bad:
            raise InvalidInstanceId(f"Invalid instance ids: {', '.join(bad)}")
    if key == "ResourceType":
        if len(values) != 1:
            raise InvalidInstanceInformationFilterValue("ResourceType filter may contain only one value.")
        if values[0] not in RESOURCE_TYPES:
            raise InvalidInstanceInformationFilterValue(f"ResourceType filter is invalid, valid values are {', '.join(RESOURCE_TYPES)}")
    if key in ALLOWED_VALUES and not wanted <= ALLOWED_VALUES[key]:
        bad = ", ".join(sorted(wanted - ALLOWED_VALUES[key]))
        raise InvalidInstanceInformationFilterValue(
            f"The filter value {bad} is not valid for key {key}, valid values are {', '.join(sorted(ALLOWED_VALUES[key]))}."
        )
    field = FILTER_FIELDS[key]
    return lambda n: getattr(n, field) in wanted


def describe(listed: list[Any], params: dict[str, Any], well_formed: Any) -> tuple[list[Any], str | None]:
    """One page of ``listed`` (registration order) as DescribeInstanceInformation returns it."""
    if params.get("Filters") and params.get("InstanceInformationFilterList"):
        raise ValidationException("Filters and InstanceInformationFilterList cannot be used together.")
    filters = [(f["Key"], f.get("Values") or []) for f in params.get("Filters") or []]
    # Model validation has already held the legacy list's keys to the enum InstanceInformationFilterKey.
    filters += [(f["key"], f.get("valueSet") or []) for f in params.get("InstanceInformationFilterList") or []]
    predicates = [predicate(key, values, well_formed) for key, values in filters]
    if len({_is_tag(key) for key, _values in filters}) > 1:
        raise ValidationException(MIXED)
    default = int(REALISM.describe_default_page)

    def matches(node: Any) -> bool:
        return all(p(node) for p in predicates)

    if REALISM.sparse_pages and any(key != "InstanceIds" for key, _values in filters):
        return window("DescribeInstanceInformation", listed, matches, params.get("MaxResults"), params.get("NextToken"), default)
    return page("DescribeInstanceInformation", [n for n in listed if matches(n)], params.get("MaxResults"), params.get("NextToken"), default)
