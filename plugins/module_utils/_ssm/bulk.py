# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bounded concurrency for per-node calls that loses no item.

Every item gets an entry; an item not started because the task stopped (see budget.py) gets a
NotAttempted error, which outcomes.failure_record reports as not_attempted.
"""

from concurrent.futures import ThreadPoolExecutor

from .budget import NotAttempted
from .budget import task_budget
from .errors import AnsibleSSMError
from .pacing import QUEUED

# SSM publishes no per-operation rate limits; assume low single- or
# double-digit TPS and keep the default well below it.
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 20


def run_per_item(items, call, concurrency=DEFAULT_CONCURRENCY):
    """Call ``call(item)`` for every item, at most ``concurrency`` at a time.

    Returns {item: (result, error)} with an entry for every item: an
    AnsibleSSMError is caught and kept as that item's error so one node's
    failure never hides another node's outcome. An item not started because
    the task stopped (deadline, failing endpoint) gets a NotAttempted error.
    Anything else is a bug and propagates.
    """
    budget = task_budget()

    def guarded(item):
        reason = budget.stopped()
        if reason is not None:
            return None, NotAttempted(reason)
        try:
            return call(item), None
        except AnsibleSSMError as error:
            return None, error

    items = list(items)
    if len(items) <= 1 or concurrency <= 1:
        return {item: guarded(item) for item in items}
    # The pacers space a run's first attempts only where it has many calls to make (pacing.SPACED_FROM).
    QUEUED.add(len(items))
    try:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
            return dict(zip(items, pool.map(guarded, items)))
    finally:
        QUEUED.add(-len(items))
