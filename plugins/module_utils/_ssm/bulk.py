# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bounded concurrency for per-node calls, and per-node outcomes that lose nothing."""

from concurrent.futures import ThreadPoolExecutor

from .errors import AnsibleSSMError

# SSM publishes no per-operation rate limits; assume low single- or
# double-digit TPS and keep the default well below it.
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 20

# The outcome of an item whose call failed, in every module's per-item outcomes.
FAILED = "failed"


def run_per_item(items, call, concurrency=DEFAULT_CONCURRENCY):
    """Call ``call(item)`` for every item, at most ``concurrency`` at a time.

    Returns {item: (result, error)} with an entry for every item: an
    AnsibleSSMError is caught and kept as that item's error so one node's
    failure never hides another node's outcome. Anything else is a bug and
    propagates.
    """
    def guarded(item):
        try:
            return call(item), None
        except AnsibleSSMError as error:
            return None, error

    items = list(items)
    if len(items) <= 1 or concurrency <= 1:
        return {item: guarded(item) for item in items}
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        return dict(zip(items, pool.map(guarded, items)))


def failure_record(instance_id, error):
    """An outcome entry for a node whose call failed: the AWS code and the advice, never a traceback."""
    return {"instance_id": instance_id, "outcome": FAILED, "error_code": error.code, "msg": str(error.message or error)}


def failed_outcomes(outcomes):
    """The outcome entries whose call failed."""
    return [o for o in outcomes if o["outcome"] == FAILED]


def failure_summary(outcomes, id_key, noun, message_key):
    """One sentence naming every failed item (by ``id_key``) and why (its ``message_key``), for the task's msg."""
    failed = failed_outcomes(outcomes)
    detail = "; ".join(f"{o[id_key]} ({o.get('error_code')}: {o.get(message_key)})" for o in failed)
    return f"{len(failed)} of {len(outcomes)} {noun}(s) failed, every other {noun} was handled: {detail}"
