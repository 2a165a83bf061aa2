# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The tags of listed nodes, one ListTagsForResource per node: the one reader of ssm_managed_instance_info and the
hybrid_nodes inventory.

Which nodes are read (only the IDs SSM's tag calls take), at what concurrency, and that a failed read is a
failure and never "no tags" are decided here; what a node deregistered since the listing means is the
caller's (the inventory drops it, the _info module reports it with no tags).
"""

from typing import NamedTuple

from .bulk import DEFAULT_CONCURRENCY
from .bulk import run_per_item
from .constraints import TAGGABLE_INSTANCE_ID
from .constraints import string_problem
from .errors import AnsibleSSMError
from .instances import list_instance_tags
from .outcomes import shown_ids


class NodeTags(NamedTuple):
    """What reading the tags of some nodes found; every ID read is in exactly one of the four."""

    tags: dict  # {instance_id: {key: value}} of every node whose tags were read
    gone: list  # not registered any more when its tags were read (deregistered since the listing)
    failed: dict  # {instance_id: AnsibleSSMError} of every node whose read failed
    untaggable: list  # IDs SSM's tag calls refuse, never asked: EKS Connector agents, EC2 instances (tagged in EC2)

    def failure(self, region):
        """One AnsibleSSMError naming the nodes whose read failed (in ``region``) and the first error; None if none failed."""
        if not self.failed:
            return None
        ids = sorted(self.failed)
        first = self.failed[ids[0]]
        where = region or "the default region"
        return AnsibleSSMError(message=f"reading the tags of {len(ids)} node(s) in {where} failed ({shown_ids(ids)}): {first}", code=first.code)


def read_node_tags(client, instance_ids, concurrency=DEFAULT_CONCURRENCY):
    """The tags of the nodes ``instance_ids``, at most ``concurrency`` reads at a time: a NodeTags."""
    taggable = [i for i in instance_ids if string_problem(TAGGABLE_INSTANCE_ID, i) is None]
    read = run_per_item(taggable, lambda instance_id: list_instance_tags(client, instance_id), concurrency)
    tags, gone, failed = {}, [], {}
    for instance_id in taggable:
        node_tags, error = read[instance_id]
        if error is not None:
            failed[instance_id] = error
        elif node_tags is None:
            gone.append(instance_id)
        else:
            tags[instance_id] = node_tags
    return NodeTags(tags=tags, gone=gone, failed=failed, untaggable=[i for i in instance_ids if i not in read])
