# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bounded concurrency (bulk.py): every item gets an entry, items not started once the task stopped are not_attempted."""

import threading

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import budget as budget_module
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import bulk
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import outcomes as outcomes_module
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import pacing
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.bulk import run_per_item
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError

from .doubles import Clock
from .doubles import client_error


def test_items_not_started_once_the_task_stopped_are_not_attempted():
    clock = Clock()
    budget_module.start_task(deadline=10, clock=clock)
    seen = []

    def call(item):
        seen.append(item)
        clock.now += 6  # each item takes 6 s: the deadline passes during the second
        return item

    results = bulk.run_per_item(["a", "b", "c", "d"], call, concurrency=1)
    assert seen == ["a", "b"]
    assert [results[i][1] is None for i in "abcd"] == [True, True, False, False]
    record = outcomes_module.failure_record("c", results["c"][1])
    assert record["outcome"] == outcomes_module.NOT_ATTEMPTED and record["error_code"] == "NotAttempted"
    assert "deadline of 10s passed" in record["msg"]


def test_per_item_keeps_every_outcome_when_some_fail():
    def call(item):
        if item % 3 == 0:
            raise AnsibleSSMError(message="Failed", exception=client_error("InternalServerError"))
        return item * 2

    outcomes = run_per_item(range(10), call, concurrency=4)
    assert sorted(outcomes) == list(range(10))
    assert {i for i, (_r, e) in outcomes.items() if e is not None} == {0, 3, 6, 9}
    assert outcomes[4] == (8, None)


class _InFlight:
    """A call that counts the calls in flight at once: each waits until ``together`` are in flight, then ends."""

    def __init__(self, together):
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(together, timeout=10)  # a bound for a broken run, never reached by a passing one
        self.now = 0
        self.most = 0

    def __call__(self, item):
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            self._barrier.wait()
        finally:
            with self._lock:
                self.now -= 1
        return item


@pytest.mark.parametrize("concurrency", [2, 3])
def test_at_most_concurrency_calls_are_in_flight_and_that_many_are(monkeypatch, concurrency):
    pools = []

    class RecordingPool(bulk.ThreadPoolExecutor):
        def __init__(self, max_workers):
            pools.append(max_workers)
            super().__init__(max_workers=max_workers)

    monkeypatch.setattr(bulk, "ThreadPoolExecutor", RecordingPool)
    call = _InFlight(together=concurrency)
    results = run_per_item(range(4 * concurrency), call, concurrency=concurrency)
    assert results == {i: (i, None) for i in range(4 * concurrency)}
    # every call waited for `concurrency` in flight (fewer workers would never fill the barrier) ...
    assert call.most == concurrency
    # ... and no more than that many workers ever ran calls
    assert pools == [concurrency]


def test_concurrency_one_runs_the_calls_one_at_a_time_in_order():
    seen = []
    assert run_per_item(["a", "b", "c"], seen.append, concurrency=1) == {i: (None, None) for i in "abc"}
    assert seen == ["a", "b", "c"]


def test_the_pacers_know_how_many_calls_a_step_has_queued_while_it_runs():
    seen = []
    before = pacing.QUEUED.count
    run_per_item(range(60), lambda item: seen.append(pacing.QUEUED.count), concurrency=4)
    # the pacers space a run's first attempts only where many calls are queued (pacing.SPACED_FROM)
    assert set(seen) == {before + 60}
    assert pacing.QUEUED.count == before
