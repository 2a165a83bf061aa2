# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The outcome vocabulary (outcomes.py): failure messages that stay short however many items failed, success summaries."""

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import budget as budget_module
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import outcomes as outcomes_module
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError


@pytest.fixture(autouse=True)
def no_task_left_behind():
    yield
    budget_module.end_task()


def test_the_failure_summary_stays_short_and_counts_by_code():
    outcomes = [{"instance_id": f"mi-{n:017x}", "outcome": "failed", "error_code": "ConnectionClosedError", "msg": "closed " * 100} for n in range(40)]
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
    assert outcomes_module.success_summary(outcomes, "node", True) == "check mode, nothing changed: 3 node(s): 2 would deregister, 1 already_absent"
    cancels = [{"outcome": "cancel_requested"}, {"outcome": "drained"}]
    assert outcomes_module.success_summary(cancels, "node", True) == "check mode, nothing changed: 2 node(s): 1 would cancel, 1 would drain"
    assert outcomes_module.success_summary([], "node", False) == "no node given: nothing to do"


def _ids(count):
    return [f"mi-{n:017x}" for n in range(count)]


def _unreadable(ids):
    from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import unreadable_error  # pylint: disable=import-outside-toplevel

    return unreadable_error({i: AnsibleSSMError(message="rejected", code="ValidationException") for i in ids}).message


def _not_targeted(ids):
    from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.command_cancel import not_targeted_error  # pylint: disable=import-outside-toplevel

    return not_targeted_error("c" * 36, ["mi-fffffffffffffffff"], dict.fromkeys(ids, "InProgress")).message


def _described(ids):
    from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.command_cancel import describe_nodes  # pylint: disable=import-outside-toplevel

    return describe_nodes([{"instance_id": i, "status": "Cancelling", "command_id": "c" * 36} for i in ids])


def _tag_failure(ids):
    from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.node_tags import NodeTags  # pylint: disable=import-outside-toplevel

    failed = {i: AnsibleSSMError(message="denied", code="AccessDeniedException") for i in ids}
    return NodeTags(tags={}, gone=[], failed=failed, untaggable=[]).failure("us-east-1").message


@pytest.mark.parametrize("message", [_unreadable, _not_targeted, _described, _tag_failure])
def test_every_message_that_lists_ids_names_outcomes_ids_shown_of_them(monkeypatch, message):
    """One count of IDs per message, IDS_SHOWN: a message that kept its own count would name more or fewer here."""
    monkeypatch.setattr(outcomes_module, "IDS_SHOWN", 2)
    ids = _ids(7)
    text = message(ids)
    assert [i for i in ids if i in text] == ids[:2]
    assert "(5 more)" in text
