# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The paging loop: only a missing NextToken ends a listing."""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.paging import all_pages


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
