# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One function per ECS call on the container instances of hybrid nodes (ECS Anywhere).

An ECS Anywhere (external) container instance is a hybrid managed node: its ``ec2InstanceId`` is the node's
``mi-`` ID, and the SSM agent supplies the instance role's credentials to the ECS agent. Each function makes one
kind of call, checks its inputs against the API's limits first (constraints.py), pages through paging.py and
retries through retry.py, like the SSM calls.
"""

from .constraints import ECS_DESCRIBE_MAX
from .constraints import ECS_FILTER_IDS_MAX
from .constraints import ECS_LIST_MAX_RESULTS
from .constraints import ECS_SETTABLE_STATES
from .constraints import ECS_UPDATE_STATE_MAX
from .constraints import HYBRID_NODE_ID
from .constraints import check_choice
from .constraints import check_list
from .errors import ECSErrorHandler
from .errors import SSMValidationError
from .paging import all_pages
from .retry import ssm_retry

PAGE = ECS_LIST_MAX_RESULTS[1]


def _at_most(parameter, items, most):
    if not items or len(items) > most:
        raise SSMValidationError(f"{parameter}: {len(items or [])} items given, one call takes 1 to {most}.", parameter=parameter, value=list(items or []))


@ECSErrorHandler.list_error_handler("list ECS clusters", default_value=[])
def list_clusters(client):
    """Every cluster ARN of the region, all pages."""
    return all_pages(client.list_clusters, "clusterArns", {"maxResults": PAGE}, token_key="nextToken")


def node_query(instance_ids):
    """The cluster query that selects the container instances of ``instance_ids`` (at most ECS_FILTER_IDS_MAX)."""
    check_list("instance_ids", instance_ids, HYBRID_NODE_ID, min_items=1, max_items=ECS_FILTER_IDS_MAX)
    if len(instance_ids) == 1:
        return f"ec2InstanceId == {instance_ids[0]}"
    return f"ec2InstanceId in [{', '.join(instance_ids)}]"


@ECSErrorHandler.list_error_handler("list container instances", default_value=[])
def list_container_instances(client, cluster, instance_ids):
    """The ARNs of the container instances of ``instance_ids`` in ``cluster`` (INACTIVE ones are not listed); [] when
    the cluster is gone."""
    kwargs = {"cluster": cluster, "filter": node_query(instance_ids), "maxResults": PAGE}
    return all_pages(client.list_container_instances, "containerInstanceArns", kwargs, token_key="nextToken")


@ECSErrorHandler.common_error_handler("describe container instances")
@ssm_retry
def describe_container_instances(client, cluster, arns):
    """The container instances ``arns`` (at most ECS_DESCRIBE_MAX) of ``cluster``: (instances, failures)."""
    _at_most("containerInstances", arns, ECS_DESCRIBE_MAX)
    answer = client.describe_container_instances(cluster=cluster, containerInstances=list(arns))
    return answer.get("containerInstances") or [], answer.get("failures") or []


@ECSErrorHandler.common_error_handler("update container instance state")
@ssm_retry
def update_container_instances_state(client, cluster, arns, status):
    """Set ``status`` (ACTIVE or DRAINING) on ``arns`` (at most ECS_UPDATE_STATE_MAX): (instances, failures)."""
    _at_most("containerInstances", arns, ECS_UPDATE_STATE_MAX)
    check_choice("status", status, ECS_SETTABLE_STATES)
    answer = client.update_container_instances_state(cluster=cluster, containerInstances=list(arns), status=status)
    return answer.get("containerInstances") or [], answer.get("failures") or []


@ECSErrorHandler.list_error_handler("list tasks", default_value=[])
def list_tasks(client, cluster, arn):
    """The ARNs of the tasks whose desired status is RUNNING on container instance ``arn``, all pages."""
    kwargs = {"cluster": cluster, "containerInstance": arn, "desiredStatus": "RUNNING", "maxResults": PAGE}
    return all_pages(client.list_tasks, "taskArns", kwargs, token_key="nextToken")


@ECSErrorHandler.common_error_handler("deregister container instance")
@ssm_retry
def deregister_container_instance(client, cluster, arn, force=False):
    """Deregister container instance ``arn`` from ``cluster``; ECS refuses one with running tasks unless ``force``
    (which leaves them running, no longer accounted for)."""
    return client.deregister_container_instance(cluster=cluster, containerInstance=arn, force=bool(force)).get("containerInstance") or {}
