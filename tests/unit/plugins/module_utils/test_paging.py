# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The paging loop: only a missing NextToken ends a listing."""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import instances
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.paging import all_pages

from .doubles import ScriptedClient
from .doubles import client_error


def test_short_and_empty_pages_with_a_token_are_followed():
    pages = {
        None: {"Items": [1, 2], "NextToken": "a"},
        "a": {"Items": [], "NextToken": "b"},
        "b": {"NextToken": "c"},
        "c": {"Items": [3]},
    }
    sent = []

    def page(**kwargs):
        sent.append(dict(kwargs))
        return pages[kwargs.get("NextToken")]

    kwargs = {"MaxResults": 50}
    assert all_pages(page, "Items", kwargs) == [1, 2, 3]
    assert [s.get("NextToken") for s in sent] == [None, "a", "b", "c"]
    assert all(s["MaxResults"] == 50 for s in sent)
    assert kwargs == {"MaxResults": 50}  # the caller's arguments are not changed


def test_describe_follows_next_token_and_retries_a_page_alone():
    client = ScriptedClient(
        describe_instance_information=[
            {"InstanceInformationList": [{"InstanceId": "a"}], "NextToken": "t1"},
            client_error("ThrottlingException"),
            {"InstanceInformationList": [{"InstanceId": "b"}]},
        ]
    )
    nodes = instances.describe_instance_information(client, [{"Key": "PingStatus", "Values": ["ConnectionLost"]}])
    assert [n["InstanceId"] for n in nodes] == ["a", "b"]
    tokens = [kw.get("NextToken") for _name, kw in client.calls]
    assert tokens == [None, "t1", "t1"]
