# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one tag reader of the _info module and the inventory (node_tags.py): who is asked, and what each answer means."""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.node_tags import read_node_tags

from .doubles import ScriptedClient
from .doubles import client_error

A, B, C, D = (f"mi-000000000000000{n}a" for n in range(1, 5))
AGENT, EC2 = "eks_c:cluster_0123456789abcdef0", "i-0123456789abcdef0"


def _tags(by_node):
    def answer(**kwargs):
        tags = by_node[kwargs["ResourceId"]]
        if isinstance(tags, Exception):
            raise tags
        return {"TagList": [{"Key": k, "Value": v} for k, v in tags.items()]}

    return answer


def test_each_node_read_lands_in_exactly_one_part():
    client = ScriptedClient(
        list_tags_for_resource=[
            _tags(
                {
                    A: {"site": "x"},
                    B: {},
                    C: client_error("InvalidResourceId", "ListTagsForResource"),  # deregistered since the listing
                    D: client_error("AccessDeniedException", "ListTagsForResource"),
                }
            )
        ]
    )
    read = read_node_tags(client, [A, AGENT, B, C, EC2, D], concurrency=2)
    assert read.tags == {A: {"site": "x"}, B: {}}
    assert read.gone == [C]
    assert list(read.failed) == [D] and read.failed[D].code == "AccessDeniedException"
    assert read.untaggable == [AGENT, EC2]
    assert sorted(kw["ResourceId"] for _name, kw in client.calls) == [A, B, C, D]  # SSM's tag calls refuse the others: never asked


def test_a_failure_names_every_failed_node_and_the_first_error():
    denied = client_error("AccessDeniedException", "ListTagsForResource")
    client = ScriptedClient(list_tags_for_resource=[_tags({A: denied, B: {}, C: denied})])
    failure = read_node_tags(client, [C, B, A]).failure("eu-west-1")
    assert failure.code == "AccessDeniedException"
    assert failure.message.startswith(f"reading the tags of 2 node(s) in eu-west-1 failed ({A}, {C}): Failed to list tags of managed node")
    assert "the credentials lack the IAM permission" in failure.message


def test_no_failure_when_every_read_was_answered():
    client = ScriptedClient(list_tags_for_resource=[_tags({A: {}})])
    assert read_node_tags(client, [A]).failure(None) is None
