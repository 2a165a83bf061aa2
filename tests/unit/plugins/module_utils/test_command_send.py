# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Sending Run Commands: batching, the idempotency key and marker, what is (never) sent again, check mode, waiting."""

import itertools
import types

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import command_send as cs
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError

from .doubles import FakeTime
from .doubles import RecordingEvents
from .doubles import client_error

REQUEST = {"DocumentName": "AWS-RunShellScript", "Parameters": {"commands": ["echo hi"]}}
KEY = "k1"


def _ids(count):
    return ["mi-" + format(n, "017x") for n in range(count)]


class FakeSSM:
    """Just enough SSM: commands remember their nodes; an invocation ends with ``outcome`` once read ``steps`` times."""

    def __init__(self, offline=(), outcome="Success", steps=0, send_errors=()):
        self.meta = types.SimpleNamespace(events=RecordingEvents())
        self.commands = []
        self.invocations = {}
        self.offline = set(offline)
        self.outcome = outcome
        self.steps = steps
        self.send_errors = list(send_errors)
        self.calls = []
        self._ids = itertools.count()

    def names(self):
        return [name for name, _kwargs in self.calls]

    def sends(self):
        return [kwargs for name, kwargs in self.calls if name == "send_command"]

    def add(self, comment, statuses, document="AWS-RunShellScript"):
        """An earlier command with these invocation statuses."""
        command = {"CommandId": f"00000000-0000-0000-0000-{next(self._ids):012d}", "DocumentName": document, "Comment": comment, "Status": "InProgress"}
        command["InstanceIds"] = list(statuses)
        command["Targets"] = []
        self.commands.insert(0, command)
        self.invocations[command["CommandId"]] = dict(statuses)
        return command["CommandId"]

    def send_command(self, **kwargs):
        kwargs.pop("hybridops_attempts", None)
        self.calls.append(("send_command", kwargs))
        if self.send_errors:
            error = self.send_errors.pop(0)
            if error is not None:
                raise error
        nodes = kwargs.get("InstanceIds") or _ids(3)
        command_id = self.add(kwargs.get("Comment"), {i: "Pending" for i in nodes}, kwargs["DocumentName"])
        return {"Command": dict(self.commands[0], CommandId=command_id)}

    def list_commands(self, **kwargs):
        self.calls.append(("list_commands", kwargs))
        found = [c for c in self.commands if not kwargs.get("CommandId") or c["CommandId"] == kwargs["CommandId"]]
        for flt in kwargs.get("Filters") or []:
            if flt["key"] == "DocumentName":
                found = [c for c in found if c["DocumentName"] == flt["value"]]
        return {"Commands": found}

    def list_command_invocations(self, **kwargs):
        self.calls.append(("list_command_invocations", kwargs))
        statuses = self.invocations[kwargs["CommandId"]]
        if self.steps:
            self.steps -= 1
        else:
            for instance_id, status in statuses.items():
                if status == "Pending" and instance_id not in self.offline:
                    statuses[instance_id] = self.outcome
        return {"CommandInvocations": [{"CommandId": kwargs["CommandId"], "InstanceId": i, "Status": s} for i, s in statuses.items()]}

    def describe_instance_information(self, **kwargs):
        self.calls.append(("describe_instance_information", kwargs))
        ids = next(f["Values"] for f in kwargs["Filters"] if f["Key"] == "InstanceIds")
        return {"InstanceInformationList": [{"InstanceId": i, "PingStatus": "ConnectionLost" if i in self.offline else "Online"} for i in ids]}

    def get_command_invocation(self, **kwargs):
        self.calls.append(("get_command_invocation", kwargs))
        status = self.invocations[kwargs["CommandId"]][kwargs["InstanceId"]]
        code = 0 if status == "Success" else 3
        return {"Status": status, "StatusDetails": status, "ResponseCode": code, "StandardOutputContent": "out\n", "StandardErrorContent": ""}


def _send(client, instance_ids, targets=None, check_mode=False, **kwargs):
    time = FakeTime()
    request = dict(REQUEST, Comment=cs.marked_comment(None, KEY))
    return cs.ensure_sent(client, request, KEY, instance_ids, targets, 86400, check_mode, clock=time.clock, sleep=time.sleep, **kwargs)


# --- the key and the marker ----------------------------------------------------------------------------------


def test_the_derived_key_depends_on_what_runs_not_on_the_nodes():
    key = cs.derived_key("AWS-RunShellScript", None, {"commands": ["echo hi"]})
    assert len(key) == cs.DERIVED_KEY_LENGTH and key == cs.derived_key("AWS-RunShellScript", "$DEFAULT", {"commands": ["echo hi"]})
    assert key != cs.derived_key("AWS-RunShellScript", None, {"commands": ["echo ho"]})
    assert key != cs.derived_key("AWS-RunPowerShellScript", None, {"commands": ["echo hi"]})
    assert key != cs.derived_key("AWS-RunShellScript", "2", {"commands": ["echo hi"]})
    assert key != cs.derived_key("AWS-RunShellScript", None, {"commands": ["echo hi"]}, [{"Key": "tag:env", "Values": ["lab"]}])


def test_the_marker_is_matched_as_a_whole_word():
    assert cs.marked_comment("nightly run", "abc") == "nightly run hybridops:abc"
    assert cs.marked_comment(None, "abc") == "hybridops:abc"
    assert cs.carries_marker("nightly run hybridops:abc", "abc")
    assert not cs.carries_marker("nightly run hybridops:abcd", "abc")
    assert not cs.carries_marker("hybridops:ab", "abc")
    assert not cs.carries_marker(None, "abc")


@pytest.mark.parametrize("nodes, calls", [(0, 0), (1, 1), (50, 1), (51, 2), (120, 3), (500, 10), (501, 11)])
def test_calls_are_ceil_n_over_50(nodes, calls):
    assert cs.calls_needed(nodes) == calls


# --- sending ---------------------------------------------------------------------------------------------


def test_120_nodes_go_out_in_three_batches_of_at_most_50():
    client = FakeSSM()
    nodes = _ids(120)
    changed, result = _send(client, nodes)
    assert changed is True and result["calls"] == 3
    assert [len(s["InstanceIds"]) for s in client.sends()] == [50, 50, 20]
    assert [i for s in client.sends() for i in s["InstanceIds"]] == nodes
    assert all(s["Comment"] == "hybridops:k1" for s in client.sends())
    assert {o["outcome"] for o in result["outcomes"]} == {"succeeded"}
    assert [o["instance_id"] for o in result["outcomes"]] == nodes and len(result["commands"]) == 3


def test_500_nodes_go_out_in_ten_send_commands_of_50():
    # issue #21: state=present over 500 nodes makes at most ceil(500/50) = 10 SendCommand calls
    client = FakeSSM()
    nodes = _ids(500)
    changed, result = _send(client, nodes)
    assert changed is True and result["calls"] == 10
    assert [len(s["InstanceIds"]) for s in client.sends()] == [50] * 10
    assert [i for s in client.sends() for i in s["InstanceIds"]] == nodes
    assert len(result["commands"]) == 10 and {o["outcome"] for o in result["outcomes"]} == {"succeeded"}


def test_check_mode_sends_nothing_and_predicts_each_node():
    client = FakeSSM()
    changed, result = _send(client, _ids(51), check_mode=True)
    assert changed is True and result["calls"] == 2 and "send_command" not in client.names()
    assert {o["outcome"] for o in result["outcomes"]} == {"sent"} and {o["command_id"] for o in result["outcomes"]} == {None}
    assert result["diff"]["after"][_ids(1)[0]] == "Pending"


def test_a_rerun_finds_the_marked_command_and_sends_nothing():
    client = FakeSSM()
    nodes = _ids(3)
    _send(client, nodes)
    client.calls.clear()
    changed, result = _send(client, nodes)
    assert changed is False and "send_command" not in client.names()
    assert {o["outcome"] for o in result["outcomes"]} == {"succeeded"} and {o["sent"] for o in result["outcomes"]} == {False}
    filters = [kwargs["Filters"] for name, kwargs in client.calls if name == "list_commands" and kwargs.get("Filters")][0]
    assert filters[0] == {"key": "DocumentName", "value": "AWS-RunShellScript"} and filters[1]["key"] == "InvokedAfter"


def test_in_flight_nodes_are_covered_and_failed_ones_get_it_again():
    a, b, c, d = _ids(4)
    client = FakeSSM(steps=100)
    earlier = client.add("hybridops:k1", {a: "InProgress", b: "Failed", c: "Cancelled"})
    changed, result = _send(client, [a, b, c, d])
    assert changed is True
    assert client.sends()[0]["InstanceIds"] == [b, c, d]
    by_node = {o["instance_id"]: o for o in result["outcomes"]}
    assert by_node[a]["outcome"] == "already_sent" and by_node[a]["command_id"] == earlier and by_node[a]["sent"] is False
    assert {by_node[i]["outcome"] for i in (b, c, d)} == {"sent"}


def test_a_command_without_the_marker_or_of_another_key_covers_nothing():
    a = _ids(1)[0]
    client = FakeSSM()
    client.add("hybridops:k10", {a: "Success"})
    client.add("by hand", {a: "Success"})
    changed, _result = _send(client, [a])
    assert changed is True and len(client.sends()) == 1


def test_offline_nodes_are_skipped_by_default_and_reported():
    a, b = _ids(2)
    client = FakeSSM(offline={b})
    changed, result = _send(client, [a, b])
    assert changed is True and client.sends()[0]["InstanceIds"] == [a]
    skipped = [o for o in result["outcomes"] if o["outcome"] == "skipped_offline"]
    assert [(o["instance_id"], o["ping_status"], o["sent"]) for o in skipped] == [(b, "ConnectionLost", False)]


def test_without_skip_offline_they_are_sent_and_not_waited_for():
    a, b = _ids(2)
    client = FakeSSM(offline={b})
    _changed, result = _send(client, [a, b], skip_offline=False, wait=True, wait_timeout=30, poll_interval=1)
    assert client.sends()[0]["InstanceIds"] == [a, b] and "describe_instance_information" in client.names()
    by_node = {o["instance_id"]: o for o in result["outcomes"]}
    assert by_node[a]["outcome"] == "succeeded" and by_node[b]["outcome"] == "offline_pending" and result["timed_out"] == []


def test_wait_reads_each_nodes_exit_code_and_output():
    client = FakeSSM(outcome="Failed", steps=2)
    nodes = _ids(2)
    _changed, result = _send(client, nodes, wait=True, wait_timeout=30, poll_interval=1)
    assert [o["outcome"] for o in result["outcomes"]] == ["run_failed", "run_failed"]
    assert [(o["response_code"], o["stdout"]) for o in result["outcomes"]] == [(3, "out\n"), (3, "out\n")]
    assert len(cs.run_failures(result["outcomes"])) == 2
    assert "exit code 3" in cs.describe_run_failures(result["outcomes"])


def test_one_failed_batch_fails_only_its_nodes():
    client = FakeSSM(send_errors=[client_error("AccessDeniedException", "SendCommand"), None])
    nodes = _ids(60)
    changed, result = _send(client, nodes)
    assert changed is True and len(client.sends()) == 2
    failed = [o["instance_id"] for o in result["outcomes"] if o["outcome"] == "failed"]
    assert failed == nodes[:50]


def test_a_server_error_is_not_retried_and_says_it_may_have_been_sent(monkeypatch):
    client = FakeSSM(send_errors=[client_error("InternalServerError", "SendCommand", status=500)])

    def unanswered(_client, request, attempts):
        attempts.unanswered = 1
        raise AnsibleSSMError(message="send command", exception=client_error("InternalServerError", "SendCommand", status=500))

    monkeypatch.setattr(cs, "send_command", unanswered)
    _changed, result = _send(client, _ids(1))
    assert result["outcomes"][0]["outcome"] == "failed" and "may have received" in result["outcomes"][0]["msg"]


def test_send_command_is_not_repeated_after_a_server_error():
    client = FakeSSM(send_errors=[client_error("InternalServerError", "SendCommand", status=500), None])
    _changed, result = _send(client, _ids(1))
    assert len(client.sends()) == 1 and result["outcomes"][0]["outcome"] == "failed"


def test_targets_are_sent_once_then_only_failed_nodes_again_by_id():
    targets = [{"Key": "tag:env", "Values": ["lab"]}]
    client = FakeSSM()
    changed, result = _send(client, [], targets=targets)
    assert changed is True and client.sends()[0]["Targets"] == targets and "InstanceIds" not in client.sends()[0]
    assert "describe_instance_information" not in client.names()
    first = client.commands[0]["CommandId"]
    a, b, _c = _ids(3)
    client.invocations[first][b] = "Failed"
    client.calls.clear()
    changed, result = _send(client, [], targets=targets)
    assert changed is True and [s.get("InstanceIds") for s in client.sends()] == [[b]]
    assert {o["instance_id"]: o["outcome"] for o in result["outcomes"]}[a] == "succeeded"
