# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The task budget: a deadline, a circuit that opens when the endpoint fails everything, not_attempted items,
and failure messages that stay short however many items failed."""

import pytest
from botocore.exceptions import ConnectionClosedError

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import bulk
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import budget as budget_module
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import retry
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import instances
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import outcomes as outcomes_module
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError

from .doubles import ScriptedClient
from .doubles import client_error

URL = "https://ssm.us-east-1.amazonaws.com/"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture(autouse=True)
def no_task_left_behind():
    yield
    budget_module.end_task()


def test_the_circuit_needs_both_a_silent_window_and_a_run_of_failures():
    clock = Clock()
    budget = budget_module.TaskBudget(window=60, min_attempts=8, clock=clock)
    for _attempt in range(20):
        budget.failure("ConnectionClosedError")
    assert budget.stopped() is None  # many failures, but the last success was just now
    clock.now += 61
    budget.success()
    for _attempt in range(7):
        budget.failure("ConnectionClosedError")
    clock.now += 61
    assert budget.stopped() is None  # a minute without success, but only 7 failures in a row
    budget.failure("ConnectionClosedError")
    assert "failed every call for 61s (8 attempts in a row, the last ConnectionClosedError)" in budget.stopped()


def test_a_success_closes_the_run_of_failures():
    clock = Clock()
    budget = budget_module.TaskBudget(window=60, min_attempts=2, clock=clock)
    budget.failure("ThrottlingException")
    clock.now += 100
    budget.success()
    budget.failure("ThrottlingException")
    budget.failure("ThrottlingException")
    assert budget.stopped() is None


def test_the_deadline_stops_the_task():
    clock = Clock()
    budget = budget_module.TaskBudget(deadline=30, clock=clock)
    assert budget.stopped() is None
    clock.now += 30
    assert budget.stopped() == "the task's deadline of 30s passed"
    assert budget.pause(5) is False


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


def test_a_call_waiting_to_retry_gives_up_when_the_circuit_opens(monkeypatch):
    """Retries of one node are not shortened by a count; they end when the task stops."""
    budget = budget_module.start_task(window=0, min_attempts=3)
    pauses = []
    monkeypatch.setattr(budget, "pause", lambda seconds: pauses.append(seconds) or budget.stopped() is None)
    client = ScriptedClient(deregister_managed_instance=[ConnectionClosedError(endpoint_url=URL)] * 8)
    with pytest.raises(AnsibleSSMError) as raised:
        instances.deregister_managed_instance(client, "mi-0123456789abcdef0")
    assert raised.value.code == "ConnectionClosedError"
    assert len(client.calls) == 3 < retry.RETRY_ATTEMPTS  # the third failure opened the circuit
    assert len(pauses) == 3


def test_answers_that_are_errors_of_the_call_keep_the_circuit_closed():
    budget = budget_module.start_task(window=0, min_attempts=1)
    client = ScriptedClient(deregister_managed_instance=[client_error("AccessDeniedException")] * 3)
    for _attempt in range(3):
        with pytest.raises(AnsibleSSMError):
            instances.deregister_managed_instance(client, "mi-0123456789abcdef0")
    assert budget.stopped() is None and len(client.calls) == 3


def test_no_call_starts_after_the_task_stopped():
    clock = Clock()
    budget_module.start_task(deadline=1, clock=clock)
    clock.now += 2
    client = ScriptedClient(deregister_managed_instance=[{}])
    with pytest.raises(budget_module.NotAttempted):
        instances.deregister_managed_instance(client, "mi-0123456789abcdef0")
    assert client.calls == []


def test_the_failure_summary_stays_short_and_counts_by_code():
    outcomes = [
        {"instance_id": f"mi-{n:017x}", "outcome": "failed", "error_code": "ConnectionClosedError", "msg": "closed " * 100} for n in range(40)
    ]
    outcomes += [{"instance_id": f"mi-{n:017x}", "outcome": "failed", "error_code": "AccessDeniedException", "msg": "denied"} for n in range(40, 42)]
    outcomes += [outcomes_module.failure_record(f"mi-{n:017x}", budget_module.NotAttempted("the task's deadline of 5s passed")) for n in range(42, 300)]
    outcomes += [{"instance_id": "mi-ffffffffffffffff0", "outcome": "deregistered"}]
    text = outcomes_module.failure_summary(outcomes, "instance_id", "node")
    assert len(text) < 2000
    assert text.startswith("42 of 301 node(s) failed, 258 not attempted")
    assert "ConnectionClosedError: 40 (mi-00000000000000000, " in text and "(35 more)" in text
    assert "AccessDeniedException: 2 (mi-00000000000000028, mi-00000000000000029): denied" in text
    assert "not attempted: 258 (mi-0000000000000002a" in text


def test_the_success_summary_counts_outcomes():
    outcomes = [{"outcome": "deregistered"}, {"outcome": "deregistered"}, {"outcome": "already_absent"}]
    assert outcomes_module.success_summary(outcomes, "node", False) == "3 node(s): 2 deregistered, 1 already_absent"
    assert outcomes_module.success_summary(outcomes, "node", True).startswith("check mode, nothing changed: 3 node(s)")
    assert outcomes_module.success_summary([], "node", False) == "no node given: nothing to do"
