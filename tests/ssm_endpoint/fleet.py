"""Managed nodes of one account and region: registration, listing, deregistration, tags.

Nodes are kept in registration order so DescribeInstanceInformation pages are stable. Reads lag writes as
on AWS (realism.py): a deregistered node keeps listing for ``deregister_lag_s`` while every other call
already treats it as unknown, and tag changes reach ListTagsForResource and tag filters after ``tag_lag_s``.
"""

import dataclasses
import datetime
import itertools
import re
import secrets
from typing import Any

from .activations import Activations
from .clock import CLOCK
from .consistency import Lagged
from .consistency import after
from .consistency import due
from .describe import describe
from .errors import InvalidActivationId
from .errors import InvalidInstanceId
from .errors import InvalidResourceId
from .errors import TooManyTagsError
from .errors import ValidationException
from .hosts import PING_INTERVAL_S
from .hosts import make_host
from .hosts import step_host
from .realism import REALISM

MAX_TAGS = 50
# The tag calls take only this form of ID with ResourceType=ManagedInstance: not an EKS Connector agent's
# eks_c: ID, which every other managed-node call takes (boto3#4265, boto3#4609).
TAGGABLE_ID = re.compile(r"^mi-[0-9a-f]{17}$")
TAGGABLE_ID_MESSAGE = "resourceId should be in format mi-[0-9a-f]{17} for resource type ManagedInstance"
WELL_FORMED_ID = re.compile(r"(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)|(^eks_c:[0-9A-Za-z][A-Za-z0-9\-_]{0,99}_\w{17}$)")
PLATFORMS = {
    "Linux": ("Amazon Linux", "2023"),
    "Windows": ("Microsoft Windows Server 2022 Datacenter", "10.0.20348"),
    "MacOS": ("macOS", "14.5"),
}
_ORDER = itertools.count()
# A node as AWS's describe-instance-information example shows one: one State Manager association, run successfully.
DEFAULT_ASSOCIATIONS = {"Success": 1}
# AssociationStatus and DetailedStatus name the worst status among the node's associations.
ASSOCIATION_ORDER = ("Failed", "Pending", "Success")


def new_node_id(resource_type: str = "ManagedInstance", eks_connector_cluster: str | None = None) -> str:
    """IDs shaped like the real ones: mi-/i- + 17 hex, or ``eks_c:<cluster>_<17>`` for an EKS Connector agent.

    EKS Connector agents register with SSM as ``eks_c:`` IDs (EKS Connector troubleshooting page). EKS Hybrid
    Nodes are ordinary ``mi-`` nodes: aws/eks-hybrid names the node after its managed instance ID.
    """
    suffix = secrets.token_hex(9)[:17]
    if eks_connector_cluster:
        return f"eks_c:{eks_connector_cluster}_{suffix}"
    return ("i-" if resource_type == "EC2Instance" else "mi-") + suffix


@dataclasses.dataclass
class Node:
    """One managed node as DescribeInstanceInformation shows it."""

    instance_id: str
    registration_date: datetime.datetime
    last_ping: datetime.datetime
    activation_id: str | None = None
    iam_role: str | None = None
    name: str | None = None
    computer_name: str | None = None
    ip_address: str | None = None
    platform_type: str = "Linux"
    ping_status: str = "Online"
    resource_type: str = "ManagedInstance"
    agent_version: str = "3.3.1142.0"
    # State Manager associations by status, as AssociationOverview counts them (one successful one by default).
    associations: dict[str, int] = dataclasses.field(default_factory=lambda: dict(DEFAULT_ASSOCIATIONS))
    tags: dict[str, str] = dataclasses.field(default_factory=dict)
    order: int = dataclasses.field(default_factory=lambda: next(_ORDER))
    tag_store: Lagged[dict[str, str]] = dataclasses.field(init=False, repr=False)
    # A simulated host (hosts.py), when the node was seeded with one; its agent's pings follow its state.
    host: Any = dataclasses.field(default=None, repr=False)
    ping_interval_s: float = PING_INTERVAL_S
    silent_since: datetime.datetime | None = None

    def __post_init__(self) -> None:
        self.tag_store = Lagged(dict(self.tags))

    def visible_tags(self) -> dict[str, str]:
        """Tags as reads see them now (writes reach reads after ``tag_lag_s``)."""
        return self.tag_store.visible()

    @property
    def association_status(self) -> str | None:
        """The worst status among the node's associations; None without associations."""
        return next((status for status in ASSOCIATION_ORDER if self.associations.get(status)), None)

    def association_fields(self) -> dict[str, Any]:
        """AssociationStatus, the execution dates and the nested AssociationOverview (the model's InstanceInformation)."""
        status = self.association_status
        if status is None:
            return {}
        fields: dict[str, Any] = {
            "AssociationStatus": status,
            "LastAssociationExecutionDate": self.last_ping,
            "AssociationOverview": {"DetailedStatus": status, "InstanceAssociationStatusAggregatedCount": dict(self.associations)},
        }
        if self.associations.get("Success"):
            fields["LastSuccessfulAssociationExecutionDate"] = self.last_ping
        return fields

    @property
    def source_id(self) -> str:
        """Hybrid nodes are their own source."""
        return self.instance_id

    @property
    def source_type(self) -> str:
        """AWS::SSM::ManagedInstance or AWS::EC2::Instance."""
        return "AWS::EC2::Instance" if self.resource_type == "EC2Instance" else "AWS::SSM::ManagedInstance"

    def to_api(self) -> dict[str, Any]:
        """The InstanceInformationList item."""
        platform_name, platform_version = PLATFORMS.get(self.platform_type, ("", ""))
        item: dict[str, Any] = {
            "InstanceId": self.instance_id,
            "PingStatus": self.ping_status,
            "LastPingDateTime": self.last_ping,
            "AgentVersion": self.agent_version,
            "IsLatestVersion": True,
            "PlatformType": self.platform_type,
            "PlatformName": platform_name,
            "PlatformVersion": platform_version,
            "RegistrationDate": self.registration_date,
            "ResourceType": self.resource_type,
            "SourceId": self.source_id,
            "SourceType": self.source_type,
            "ActivationId": self.activation_id,
            "IamRole": self.iam_role,
            "Name": self.name,
            "IPAddress": self.ip_address,
            "ComputerName": self.computer_name,
            **self.association_fields(),
        }
        return {k: v for k, v in item.items() if v is not None}


def _associations(params: dict[str, Any]) -> dict[str, int]:
    """The seed's ``associations`` ({status: count}, {} for none) or the default."""
    given = params.get("associations")
    if given is None:
        return dict(DEFAULT_ASSOCIATIONS)
    if not isinstance(given, dict) or not all(k in ASSOCIATION_ORDER and isinstance(v, int) and v >= 0 for k, v in given.items()):
        raise ValueError(f"associations must map {', '.join(ASSOCIATION_ORDER)} to counts, not {given!r}")
    return {status: count for status, count in given.items() if count}


class Fleet:
    """Activations and nodes of one backend (account + region)."""

    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region
        self.activations = Activations()
        self.nodes: dict[str, Node] = {}
        # Deregistered nodes still listed by DescribeInstanceInformation, until the moment given.
        self.ghosts: dict[str, tuple[Node, datetime.datetime]] = {}
        # Nodes seeded with a host, deregistered or not: the host lives on (a cleanup runs after deregistration).
        self.hosted: dict[str, Node] = {}

    # --- test-side registration -------------------------------------------------------------
    def register(self, params: dict[str, Any]) -> Node:
        """What the agent's ``-register`` does: consume the activation and create a node."""
        if "eks_cluster" in params:
            raise ValueError(
                "eks_cluster was removed: eks_c: IDs are EKS Connector agents (use eks_connector_cluster); EKS Hybrid Nodes register as ordinary mi- nodes"
            )
        activation = self.activations.consume(params["activation_id"], params["activation_code"])
        now = CLOCK.now()
        node = Node(
            instance_id=new_node_id(eks_connector_cluster=params.get("eks_connector_cluster")),
            registration_date=now,
            last_ping=now,
            activation_id=activation.activation_id,
            iam_role=activation.iam_role,
            name=params.get("name") or activation.default_instance_name or None,
            computer_name=params.get("computer_name"),
            ip_address=params.get("ip_address"),
            platform_type=params.get("platform_type") or "Linux",
            tags=activation.node_tags(),
        )
        self.nodes[node.instance_id] = node
        return node

    def seed(self, params: dict[str, Any]) -> tuple[list[str], str | None]:
        """Bulk-create ``count`` nodes quickly (no per-node activation checks beyond the count)."""
        count = int(params["count"])
        associations = _associations(params)  # checked before anything is created
        resource_type = params.get("resource_type") or "ManagedInstance"
        activation_id = params.get("activation_id")
        iam_role = params.get("iam_role")
        if resource_type == "ManagedInstance":
            if activation_id is None:
                activation = self.activations.create({"IamRole": iam_role or "SSMServiceRole", "RegistrationLimit": max(1, min(count, 1000))})
            else:
                activation = self.activations.items.get(activation_id)
                if activation is None:
                    raise InvalidActivationId()
            activation.registrations_count += count
            activation_id, iam_role = activation.activation_id, iam_role or activation.iam_role
            activation_tags = activation.node_tags()
        else:
            activation_tags = {}
        now = CLOCK.now()
        registered = now - datetime.timedelta(days=float(params.get("registered_days_ago") or 0))
        last_ping = now - datetime.timedelta(days=float(params.get("last_ping_days_ago") or 0))
        prefix = params.get("name_prefix") or "node"
        # The activation's tags first (SSM copies them to every node registered with it), then the seed's own.
        tags = {**activation_tags, **dict(params.get("tags") or {})}
        ids = []
        for index in range(count):
            node = Node(
                instance_id=new_node_id(resource_type),
                registration_date=registered,
                last_ping=last_ping,
                activation_id=activation_id,
                iam_role=iam_role,
                name=f"{prefix}-{index}",
                computer_name=f"{prefix}-{index}.local",
                ip_address=f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}",
                platform_type=params.get("platform_type") or "Linux",
                ping_status=params.get("ping_status") or "Online",
                resource_type=resource_type,
                tags=dict(tags),
                associations=dict(associations),
            )
            self.nodes[node.instance_id] = node
            ids.append(node.instance_id)
        if params.get("host"):
            for instance_id in ids:
                self.attach_host({"instance_id": instance_id, **(params["host"] if isinstance(params["host"], dict) else {})})
        return ids, activation_id

    def attach_host(self, params: dict[str, Any]) -> Node:
        """Give a node a simulated host of its platform (or ``platform``): registration, keys, agent, service."""
        node = self.get(params["instance_id"])
        if node.resource_type != "ManagedInstance":
            raise ValueError("only hybrid (mi-) nodes get a simulated host")
        if node.host is not None:
            raise ValueError(f"{node.instance_id} already has a host")
        platform = params.get("platform") or node.platform_type
        node.host = make_host(
            node.instance_id, self.region, platform, agent=params.get("agent", True) is not False, registered=params.get("registered", True) is not False
        )
        node.platform_type = platform
        self.hosted[node.instance_id] = node
        if params.get("ping_interval_s") is not None:
            if float(params["ping_interval_s"]) <= 0:
                raise ValueError("ping_interval_s must be > 0")
            node.ping_interval_s = float(params["ping_interval_s"])
        return node

    def step_hosts(self) -> None:
        """One clock step of every node's host (detached work, pings)."""
        now = CLOCK.now()
        for node in list(self.hosted.values()):
            step_host(node, now)

    def host_state(self, params: dict[str, Any]) -> dict[str, Any]:
        """What a test reads of a node's host: files (``paths``, or the agent's own), services, agent calls."""
        node = self.hosted.get(params["instance_id"])
        if node is None:
            self.get(params["instance_id"])  # InvalidInstanceId for a node that is not there
            raise ValueError(f"{params['instance_id']} was not seeded with a host")
        if params.get("settle"):
            node.host.settle(float(params["settle"]))
        return {**node.host.state(params.get("paths")), "ping_status": node.ping_status, "last_ping": node.last_ping.isoformat()}

    def set_ping(self, params: dict[str, Any]) -> None:
        """Change PingStatus and LastPingDateTime of known nodes."""
        if params.get("last_ping"):
            last_ping = datetime.datetime.fromisoformat(str(params["last_ping"]).replace("Z", "+00:00"))
        elif params.get("last_ping_days_ago") is not None:
            last_ping = CLOCK.now() - datetime.timedelta(days=float(params["last_ping_days_ago"]))
        else:
            last_ping = None
        for instance_id in params["instance_ids"]:
            node = self.get(instance_id)
            node.ping_status = params["ping_status"]
            if last_ping is not None:
                node.last_ping = last_ping

    # --- API -------------------------------------------------------------------------------
    def get(self, instance_id: str) -> Node:
        """A registered node or InvalidInstanceId."""
        node = self.nodes.get(instance_id)
        if node is None:
            raise InvalidInstanceId()
        return node

    def is_online(self, instance_id: str) -> bool:
        """Whether the node's agent can act now (registered and PingStatus Online)."""
        node = self.nodes.get(instance_id)
        return node is not None and node.ping_status == "Online"

    def listed(self) -> list[Node]:
        """What DescribeInstanceInformation lists now: live nodes plus deregistered ones still in their lag."""
        for instance_id in [i for i, (_node, until) in self.ghosts.items() if due(until)]:
            del self.ghosts[instance_id]
        if not self.ghosts:
            return list(self.nodes.values())
        return sorted([*self.nodes.values(), *(node for node, _until in self.ghosts.values())], key=lambda n: n.order)

    def deregister(self, instance_id: str) -> None:
        """DeregisterManagedInstance: the node and its tags go; command history stays.

        It keeps listing (as it was) for ``deregister_lag_s``; every other call already answers as for an
        unknown node, so a second deregistration in that window is InvalidInstanceId.
        """
        node = self.nodes.pop(instance_id, None)
        if node is None:
            raise InvalidInstanceId()
        if REALISM.deregister_lag_s > 0:
            self.ghosts[instance_id] = (node, after(REALISM.deregister_lag_s))

    def update_role(self, instance_id: str, iam_role: str) -> None:
        """UpdateManagedInstanceRole."""
        self.get(instance_id).iam_role = iam_role

    def describe(self, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        """DescribeInstanceInformation with Filters (or the legacy filter list) and paging (describe.py)."""
        chunk, token = describe(self.listed(), params, WELL_FORMED_ID)
        return [n.to_api() for n in chunk], token

    # --- tags ------------------------------------------------------------------------------
    def _tagged(self, resource_id: str) -> Node:
        if not TAGGABLE_ID.match(resource_id):
            raise ValidationException(TAGGABLE_ID_MESSAGE)
        node = self.nodes.get(resource_id)
        if node is None or node.resource_type != "ManagedInstance":
            raise InvalidResourceId()
        return node

    def add_tags(self, resource_id: str, tags: list[dict[str, str]]) -> None:
        """AddTagsToResource for ResourceType=ManagedInstance (overwrites existing keys)."""
        node = self._tagged(resource_id)
        merged = dict(node.tag_store.latest())
        merged.update({t["Key"]: t.get("Value", "") for t in tags})
        if len(merged) > MAX_TAGS:
            raise TooManyTagsError()
        node.tag_store.write(merged, REALISM.tag_lag_s)

    def remove_tags(self, resource_id: str, keys: list[str]) -> None:
        """RemoveTagsFromResource for ResourceType=ManagedInstance."""
        node = self._tagged(resource_id)
        kept = {k: v for k, v in node.tag_store.latest().items() if k not in keys}
        node.tag_store.write(kept, REALISM.tag_lag_s)

    def list_tags(self, resource_id: str) -> list[dict[str, str]]:
        """ListTagsForResource for ResourceType=ManagedInstance."""
        return [{"Key": k, "Value": v} for k, v in self._tagged(resource_id).visible_tags().items()]
