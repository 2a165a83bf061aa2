# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Selecting managed nodes: what SSM can filter server-side, and the rest client-side.

SSM rejects tag filters combined with any other filter type, and knows
nothing of name globs, ages or EKS Connector agents; so with tags (``tags``:
``tag:KEY`` filters, ``tag_keys``: one ``tag-key`` filter) only the tag filters
go to SSM and every other criterion, node IDs included, is applied here to what
comes back.
Ping status and resource type are checked here on every node, also when SSM
filtered by them.
"""

import fnmatch

from .constraints import ACTIVATION_ID
from .constraints import ANY_INSTANCE_ID
from .constraints import IAM_ROLE
from .constraints import PING_STATUSES
from .constraints import PLATFORM_TYPES
from .constraints import RESOURCE_TYPE_FILTER_VALUES_MAX
from .constraints import RESOURCE_TYPES
from .constraints import check_boolean
from .constraints import check_choice
from .constraints import check_list
from .constraints import check_string
from .constraints import check_tag_filters
from .constraints import check_tag_keys
from .constraints import is_eks_connector_id
from .errors import AnsibleSSMError
from .errors import SSMValidationError
from .instances import describe_instance_information
from .instances import describe_instances_by_id
from .outcomes import shown_ids
from .timeparse import as_utc
from .timeparse import parse_point_in_time

# option name -> (DescribeInstanceInformation filter key, field of the returned node)
SERVER_FILTERS = {
    "ping_status": ("PingStatus", "PingStatus"),
    "resource_type": ("ResourceType", "ResourceType"),
    "activation_ids": ("ActivationIds", "ActivationId"),
    "iam_role": ("IamRole", "IamRole"),
    # The filter key has an s, the returned field has none: PlatformTypes is the key of botocore's model
    # (enum InstanceInformationFilterKey, and the list of Filters keys in its documentation); SSM refuses
    # PlatformType as an unknown key (InvalidFilterKey).
    "platform_type": ("PlatformTypes", "PlatformType"),
}

# Checked on every node SSM returns even when SSM filtered by them: the criteria a sweep relies on to keep EC2
# instances (which SSM cannot deregister) and live nodes out, so that a filter SSM ignored or misread never
# puts one in front of a deregistration. Their values come from a fixed set, so the check cannot disagree with
# SSM's own matching.
RECHECKED = ("ping_status", "resource_type")

# Every criterion a selection takes (ssm_managed_instance_info's options, the hybrid_nodes inventory's filters).
CRITERIA = (
    "ping_status",
    "resource_type",
    "activation_ids",
    "iam_role",
    "platform_type",
    "tags",
    "name",
    "computer_name",
    "last_ping_before",
    "registered_before",
    "include_eks_connector_agents",
)


def selection_criteria(params, prefix=""):
    """Check every selection option (before any request) and turn them into criteria.

    ``params`` maps option names to values (None or absent = not given); ``prefix`` is put in front of
    each option name in messages (the inventory plugin's ``filters.``). Single-valued options also take
    a list of values (any matches), except resource_type: SSM's ResourceType filter takes one value.
    """

    def named(option):
        return prefix + option

    def given(option):
        return params.get(option) is not None

    if given("instance_ids"):
        check_list(named("instance_ids"), params["instance_ids"], ANY_INSTANCE_ID, min_items=1)
    for option, choices, max_items in (
        ("ping_status", PING_STATUSES, None),
        ("platform_type", PLATFORM_TYPES, None),
        ("resource_type", RESOURCE_TYPES, RESOURCE_TYPE_FILTER_VALUES_MAX),
    ):
        if given(option):
            check_choice(named(option), params[option], choices, max_items=max_items)
    if given("activation_ids"):
        check_list(named("activation_ids"), params["activation_ids"], ACTIVATION_ID, min_items=1)
    if given("iam_role"):
        roles = params["iam_role"]
        if isinstance(roles, (list, tuple)):
            check_list(named("iam_role"), roles, IAM_ROLE, min_items=1)
        else:
            check_string(named("iam_role"), roles, IAM_ROLE)
    check_tag_filters(named("tags"), params.get("tags"))
    tag_keys = check_tag_keys(named("tag_keys"), params.get("tag_keys"))
    for option in ("name", "computer_name"):
        if given(option) and not isinstance(params[option], str):
            raise SSMValidationError(
                f"{named(option)}: {params[option]!r} must be a string, a shell-style pattern such as 'edge-*'.", parameter=named(option), value=params[option]
            )
    criteria = {option: params.get(option) for option in CRITERIA}
    if tag_keys:
        criteria["tag_keys"] = tag_keys
    criteria["include_eks_connector_agents"] = check_boolean(named("include_eks_connector_agents"), params.get("include_eks_connector_agents"))
    for option in ("last_ping_before", "registered_before"):
        criteria[option] = parse_point_in_time(named(option), params.get(option))
    return criteria


def _as_list(value):
    return value if isinstance(value, list) else [value]


def by_tags(criteria):
    """Whether SSM is asked by tags alone (``tags`` or ``tag_keys``): every other criterion is then applied here."""
    return bool(criteria.get("tags") or criteria.get("tag_keys"))


def build_selection(criteria):
    """(server filters, client-side predicates) for ``criteria`` (option name -> value, None = not given)."""
    tags = by_tags(criteria)
    server, predicates = [], []
    for key, value in (criteria.get("tags") or {}).items():
        server.append({"Key": f"tag:{key}", "Values": [str(v) for v in _as_list(value)]})
    if criteria.get("tag_keys"):
        # One tag-key filter: SSM matches a node carrying any of its keys, whatever the value.
        server.append({"Key": "tag-key", "Values": list(criteria["tag_keys"])})
    for option, (filter_key, field) in SERVER_FILTERS.items():
        value = criteria.get(option)
        if value is None:
            continue
        values = _as_list(value)
        if tags or option in RECHECKED:
            predicates.append(lambda node, field=field, values=values: node.get(field) in values)
        if not tags:
            server.append({"Key": filter_key, "Values": values})
    for option, field in (("name", "Name"), ("computer_name", "ComputerName")):
        pattern = criteria.get(option)
        if pattern is not None:
            predicates.append(lambda node, field=field, pattern=pattern: fnmatch.fnmatchcase(node.get(field) or "", pattern))
    for option, field in (("last_ping_before", "LastPingDateTime"), ("registered_before", "RegistrationDate")):
        moment = criteria.get(option)
        if moment is not None:
            predicates.append(lambda node, field=field, moment=moment: node.get(field) is not None and as_utc(node[field]) < moment)
    # EKS Connector agents register like hybrid nodes (an activation, resource type ManagedInstance) and SSM has
    # no filter that tells them apart: only their ID does. None (not given) keeps them, as SSM lists them.
    if criteria.get("include_eks_connector_agents") is False:
        predicates.append(lambda node: not is_eks_connector_id(node.get("InstanceId")))
    return server, predicates


def select_nodes(client, criteria, instance_ids=None):
    """The nodes matching ``criteria``, every page; ``instance_ids`` narrows to those IDs (batched).

    By tags, the IDs are matched here against the tag listing instead: one listing of the tagged nodes of the
    region, however many IDs (ceil(tagged/50) calls rather than ceil(IDs/50)).

    Raises when SSM rejects the describe of some of ``instance_ids`` (after
    splitting the batch down to them): an answer that may hide registered
    nodes is never returned as a shorter list.
    """
    server, predicates = build_selection(criteria)
    if instance_ids and not by_tags(criteria):
        listed, unreadable = describe_instances_by_id(client, instance_ids, filters=server, id_rule=ANY_INSTANCE_ID)
        if unreadable:
            raise unreadable_error(unreadable)
        return [listed[i] for i in dict.fromkeys(instance_ids) if i in listed and all(p(listed[i]) for p in predicates)]
    if instance_ids:
        wanted = set(instance_ids)
        predicates.append(lambda node: node["InstanceId"] in wanted)
    return [n for n in describe_instance_information(client, server) if all(p(n) for p in predicates)]


def unreadable_error(unreadable):
    """One error naming every node whose describe SSM rejected, and why (the first few in full)."""
    ids = list(unreadable)
    first = unreadable[ids[0]]
    return AnsibleSSMError(
        message=(
            f"instance_ids: SSM rejected the describe of {len(ids)} node(s): {shown_ids(ids)};"
            f" whether they are registered is unknown ({ids[0]}: {first.message})"
        ),
        code=first.code,
    )
