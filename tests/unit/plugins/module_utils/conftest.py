# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fixtures for module_utils unit tests."""

import pytest


@pytest.fixture(autouse=True)
def no_retry_sleep(monkeypatch):
    """Retries back off with time.sleep; tests need the count, not the wait."""
    from ansible_collections.amazon.aws.plugins.module_utils import cloud

    monkeypatch.setattr(cloud.time, "sleep", lambda _seconds: None)


@pytest.fixture(autouse=True)
def no_task_left_behind():
    """A test that started a task (budget.start_task) leaves no deadline or open circuit to the next."""
    yield
    from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import budget

    budget.end_task()
