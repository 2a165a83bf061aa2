# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hybrid_nodes inventory plugin (inventory/hybrid_nodes.py): tags read per hybrid node, a failed read fails the source."""

import pytest
from ansible.errors import AnsibleParserError
from botocore.exceptions import ClientError

from ansible_collections.hybridops.ssm.plugins.inventory import hybrid_nodes as inventory_plugin

A = "mi-0000000000000000a"
B = "mi-0000000000000000b"
C = "mi-0000000000000000c"


def node(instance_id, **fields):
    return {"instance_id": instance_id, **fields}


class Tags:
    def __init__(self, answers):
        self.answers = answers

    def list_tags_for_resource(self, ResourceType, ResourceId):  # pylint: disable=invalid-name
        assert ResourceType == "ManagedInstance"
        answer = self.answers[ResourceId]
        if isinstance(answer, Exception):
            raise answer
        return {"TagList": [{"Key": k, "Value": v} for k, v in answer.items()]}


def denied(operation="ListTagsForResource"):
    return ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)


def gone():
    return ClientError({"Error": {"Code": "InvalidResourceId", "Message": "gone"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "ListTagsForResource")


def test_tags_are_read_for_hybrid_nodes_only_and_a_node_gone_meanwhile_is_dropped():
    inventory = inventory_plugin.InventoryModule()
    nodes = [node(A), node(B), node("i-0123456789abcdef0"), node(C)]
    kept = inventory._with_tags(Tags({A: {"site": "x"}, B: {}, C: gone()}), "us-east-1", nodes)  # pylint: disable=protected-access
    assert kept == [node(A, tags={"site": "x"}), node(B, tags={}), node("i-0123456789abcdef0")]


def test_a_failed_tag_read_fails_the_source_instead_of_reading_as_no_tags():
    inventory = inventory_plugin.InventoryModule()
    with pytest.raises(AnsibleParserError, match=r"reading the tags of 1 node\(s\) in us-east-1 failed \(mi-0000000000000000b\)"):
        inventory._with_tags(Tags({A: {}, B: denied()}), "us-east-1", [node(A), node(B)])  # pylint: disable=protected-access
