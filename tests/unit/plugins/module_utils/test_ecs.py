# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One function per ECS call (module_utils/_ssm/ecs.py): the API's limits checked before a request, every page
read, a gone cluster an empty listing, any other failure raised."""

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import ecs
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError

from .doubles import ScriptedClient
from .doubles import client_error

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/edge"


def node_id(n):
    return f"mi-{n:017x}"


def arn(n):
    return f"arn:aws:ecs:us-east-1:123456789012:container-instance/edge/{n:032x}"


def test_the_cluster_query_names_one_node_or_a_list_of_at_most_ten():
    assert ecs.node_query([node_id(1)]) == f"ec2InstanceId == {node_id(1)}"
    assert ecs.node_query([node_id(1), node_id(2)]) == f"ec2InstanceId in [{node_id(1)}, {node_id(2)}]"
    with pytest.raises(SSMValidationError):
        ecs.node_query([node_id(n) for n in range(11)])
    with pytest.raises(SSMValidationError):
        ecs.node_query(["i-0123456789abcdef0"])


def test_every_page_of_the_listings_is_read_with_ecs_token_name():
    client = ScriptedClient(list_clusters=[{"clusterArns": ["a"], "nextToken": "t"}, {"clusterArns": ["b"]}])
    assert ecs.list_clusters(client) == ["a", "b"]
    assert client.calls == [("list_clusters", {"maxResults": 100}), ("list_clusters", {"maxResults": 100, "nextToken": "t"})]


def test_a_gone_cluster_lists_no_container_instance_and_a_refusal_raises():
    gone = ScriptedClient(list_container_instances=[client_error("ClusterNotFoundException", "ListContainerInstances")])
    assert ecs.list_container_instances(gone, CLUSTER, [node_id(1)]) == []
    denied = ScriptedClient(list_container_instances=[client_error("AccessDeniedException", "ListContainerInstances")])
    with pytest.raises(AnsibleSSMError):
        ecs.list_container_instances(denied, CLUSTER, [node_id(1)])


@pytest.mark.parametrize(
    ("call", "most"),
    [
        (lambda c, arns: ecs.describe_container_instances(c, CLUSTER, arns), 100),
        (lambda c, arns: ecs.update_container_instances_state(c, CLUSTER, arns, "DRAINING"), 10),
    ],
)
def test_a_batch_over_the_api_limit_or_empty_is_refused_before_any_call(call, most):
    client = ScriptedClient()
    for arns in ([], [arn(n) for n in range(most + 1)]):
        with pytest.raises(SSMValidationError, match=f"one call takes 1 to {most}"):
            call(client, arns)
    assert client.calls == []


def test_only_active_or_draining_can_be_set():
    client = ScriptedClient()
    with pytest.raises(SSMValidationError):
        ecs.update_container_instances_state(client, CLUSTER, [arn(1)], "INACTIVE")
    assert client.calls == []


def test_deregistration_sends_force_only_when_asked():
    client = ScriptedClient(deregister_container_instance=[{"containerInstance": {"status": "INACTIVE"}}])
    ecs.deregister_container_instance(client, CLUSTER, arn(1))
    ecs.deregister_container_instance(client, CLUSTER, arn(1), force=True)
    assert [kwargs["force"] for _name, kwargs in client.calls] == [False, True]
