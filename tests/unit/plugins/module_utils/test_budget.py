# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The task budget (budget.py): a deadline, and a circuit that opens when the endpoint fails everything."""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import budget as budget_module

from .doubles import Clock


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


def test_throttled_answers_are_answers_for_the_circuit():
    """Sustained throttling is SSM asking for a slower pace, not a dead endpoint: it never opens the circuit."""
    clock = Clock()
    budget = budget_module.TaskBudget(window=60, min_attempts=8, clock=clock)
    for _attempt in range(50):
        clock.now += 10
        budget.throttled()
    assert budget.stopped() is None
    budget.failure("InternalServerError")
    assert budget.stopped() is None  # the last answer (throttled) came 0 s ago
