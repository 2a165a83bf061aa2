# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one paging loop: follow NextToken to the end.

SSM's filtered listings may return a page that is short, or empty, and still
carries a NextToken (DescribeInstanceInformation filters after it reads a
window of nodes): only a missing token ends a listing, never a short page.
Each page is its own call, retried on its own (retry.ssm_retry), so
throttling on page 9 does not restart the listing from page 1. Every listing
of this collection (DescribeInstanceInformation, DescribeActivations,
ListCommands, ListCommandInvocations, and ECS's ListClusters, ListContainerInstances, ListTasks) goes through ``all_pages``; SSM's
ListTagsForResource has no paging.
"""

from .retry import ssm_retry


def all_pages(page_call, result_key, kwargs, token_key="NextToken"):
    """Every item under ``result_key`` of every page of ``page_call(**kwargs)`` (a client method), each page retried.

    ``token_key``: the paging token's name (ECS calls it ``nextToken``)."""
    page_call = ssm_retry(page_call)
    kwargs = dict(kwargs)
    items = []
    while True:
        page = page_call(**kwargs)
        items.extend(page.get(result_key) or [])
        token = page.get(token_key)
        if not token:
            return items
        kwargs[token_key] = token
