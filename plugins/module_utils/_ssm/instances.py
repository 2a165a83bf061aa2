# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One function per SSM call on managed nodes (describe, deregister, role, tags)."""

from typing import NamedTuple

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from .constraints import DESCRIBE_FILTER_VALUES_MAX
from .constraints import DESCRIBE_MAX_RESULTS
from .constraints import IAM_ROLE
from .constraints import MANAGED_INSTANCE_ID
from .constraints import TAGGABLE_INSTANCE_ID
from .constraints import check_list
from .constraints import check_string
from .constraints import check_tags
from .errors import AnsibleSSMError
from .errors import SSMInstanceErrorHandler
from .errors import SSMTaggingErrorHandler
from .paging import all_pages
from .retry import ssm_retry
from .served import Attempts
from .served import count_unanswered

MANAGED_INSTANCE = "ManagedInstance"


@SSMInstanceErrorHandler.common_error_handler("describe managed nodes")
def describe_instance_information(client, filters=None, page_size=DESCRIBE_MAX_RESULTS[1]):
    """Every node matching ``filters`` (a list of {Key, Values}), all pages.

    Any error is raised: a listing that failed never reads as "no nodes".
    """
    kwargs = {"MaxResults": page_size}
    if filters:
        kwargs["Filters"] = filters
    return all_pages(client.describe_instance_information, "InstanceInformationList", kwargs)


# Error codes with which SSM may reject a whole describe because of one value
# in it: such a batch is split until the IDs it objects to are found. Any
# other error (credentials, permissions, throttling after every retry, the
# network) says nothing about the IDs and fails the whole call.
ID_SPECIFIC_ERRORS = ("InvalidInstanceId", "ValidationException", "InvalidInstanceInformationFilterValue", "InvalidParameters")


def describe_instances_by_id(client, instance_ids, filters=(), id_rule=MANAGED_INSTANCE_ID):
    """The registered nodes among ``instance_ids``: ({instance_id: node}, {instance_id: AnsibleSSMError}).

    ceil(n/50) calls for n IDs. A node that is not registered is simply
    absent from the first dict: SSM leaves unknown IDs out of an InstanceIds
    filter. When SSM rejects a call as a whole, the batch is halved until
    the IDs it objects to stand alone: each of those gets its error in the
    second dict (never read as "not registered"), except InvalidInstanceId
    on a call naming that one ID alone, which is what SSM answers for a node
    it does not know. ``filters`` are sent with every batch; ``id_rule`` is
    the rule the IDs are checked against first (EC2 IDs too, for Run Command).
    """
    check_list("InstanceIds", instance_ids, id_rule)
    found, errors = {}, {}
    batch_size = min(DESCRIBE_FILTER_VALUES_MAX, DESCRIBE_MAX_RESULTS[1])  # one page of results per batch
    for start in range(0, len(instance_ids), batch_size):
        _describe_or_split(client, list(instance_ids[start : start + batch_size]), list(filters), found, errors)
    return found, errors


def _describe_or_split(client, batch, filters, found, errors):
    try:
        nodes = describe_instance_information(client, filters + [{"Key": "InstanceIds", "Values": batch}])
    except AnsibleSSMError as error:
        if error.code not in ID_SPECIFIC_ERRORS:
            raise
        if len(batch) > 1:
            middle = len(batch) // 2
            _describe_or_split(client, batch[:middle], filters, found, errors)
            _describe_or_split(client, batch[middle:], filters, found, errors)
        elif error.code != "InvalidInstanceId":
            errors[batch[0]] = AnsibleSSMError(message=f"SSM rejects every describe call naming {batch[0]} ({error.exception})", code=error.code)
        return
    found.update((node["InstanceId"], node) for node in nodes)


class Deregistration(NamedTuple):
    """What one deregister call found: whether SSM deregistered the node, and its attempts whose answer was lost."""

    deregistered: bool
    unanswered: int


def deregister_managed_instance(client, instance_id):
    """Deregister a node: a Deregistration (deregistered, unanswered).

    ``deregistered`` is False when SSM answered that the node was not registered (InvalidInstanceId).
    ``unanswered`` counts this call's attempts that SSM may have served although no answer came back
    (served.Attempts): with it, a node found gone may be gone because of this very call.
    """
    check_string("InstanceId", instance_id, MANAGED_INSTANCE_ID)
    count_unanswered(client)
    attempts = Attempts()
    return Deregistration(_deregister(client, instance_id, attempts), attempts.unanswered)


@SSMInstanceErrorHandler.deletion_error_handler("deregister managed node")
@ssm_retry
def _deregister(client, instance_id, attempts):
    client.deregister_managed_instance(InstanceId=instance_id, **attempts.params())
    return True


@SSMInstanceErrorHandler.common_error_handler("update the IAM role of managed node")
@ssm_retry
def update_managed_instance_role(client, instance_id, iam_role):
    check_string("InstanceId", instance_id, MANAGED_INSTANCE_ID)
    check_string("IamRole", iam_role, IAM_ROLE)
    client.update_managed_instance_role(InstanceId=instance_id, IamRole=iam_role)
    return True


@SSMTaggingErrorHandler.list_error_handler("list tags of managed node", default_value=None)
@ssm_retry
def list_instance_tags(client, instance_id):
    """The node's tags as a dict; None when the node is not registered."""
    check_string("ResourceId", instance_id, TAGGABLE_INSTANCE_ID)
    response = client.list_tags_for_resource(ResourceType=MANAGED_INSTANCE, ResourceId=instance_id)
    return boto3_tag_list_to_ansible_dict(response.get("TagList", []))


@SSMTaggingErrorHandler.common_error_handler("tag managed node")
@ssm_retry
def add_instance_tags(client, instance_id, tags):
    check_string("ResourceId", instance_id, TAGGABLE_INSTANCE_ID)
    check_tags("Tags", tags)
    client.add_tags_to_resource(ResourceType=MANAGED_INSTANCE, ResourceId=instance_id, Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@SSMTaggingErrorHandler.common_error_handler("untag managed node")
@ssm_retry
def remove_instance_tags(client, instance_id, tag_keys):
    check_string("ResourceId", instance_id, TAGGABLE_INSTANCE_ID)
    client.remove_tags_from_resource(ResourceType=MANAGED_INSTANCE, ResourceId=instance_id, TagKeys=list(tag_keys))
    return True
