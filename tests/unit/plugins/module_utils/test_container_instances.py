# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The container instances of hybrid nodes (module_utils/_ssm/container_instances.py) against a small ECS that
drains on a manual clock: batches of 10 and 100, paging, idempotency, check mode, and a failed call never read as
absence or as drained."""

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import container_instances as ci
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import outcomes
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError

from .doubles import FakeTime
from .doubles import client_error

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/edge"
MUTATING = ("update_container_instances_state", "deregister_container_instance")


def node_id(n):
    return f"mi-{n:017x}"


class FakeECS:
    """One cluster; each node's container instance runs ``service`` tasks (stop once drained, after ``steps`` of
    the clock's sleeps) and ``standalone`` tasks (never stop). ``page`` items per listing page."""

    def __init__(self, nodes, service=0, standalone=0, page=100, fail=None):
        self.instances = {f"{CLUSTER}/ci-{n}": {"node": node_id(n), "status": "ACTIVE", "service": service, "standalone": standalone} for n in nodes}
        self.page, self.fail, self.calls = page, dict(fail or {}), []

    def _call(self, name, kwargs):
        self.calls.append((name, kwargs))
        if name in self.fail:
            raise self.fail[name]

    def tick(self, _seconds=0):
        for instance in self.instances.values():
            if instance["status"] == "DRAINING":
                instance["service"] = 0

    def _paged(self, key, items, kwargs):
        start = int(kwargs.get("nextToken") or 0)
        answer = {key: items[start : start + self.page]}
        if start + self.page < len(items):
            answer["nextToken"] = str(start + self.page)
        return answer

    def list_clusters(self, **kwargs):
        self._call("list_clusters", kwargs)
        return self._paged("clusterArns", [CLUSTER], kwargs)

    def list_container_instances(self, **kwargs):
        self._call("list_container_instances", kwargs)
        query = kwargs["filter"]
        found = [a for a, i in self.instances.items() if i["node"] in query and i["status"] != "INACTIVE"]
        return self._paged("containerInstanceArns", found, kwargs)

    def _described(self, a):
        i = self.instances[a]
        return {"containerInstanceArn": a, "ec2InstanceId": i["node"], "status": i["status"], "runningTasksCount": i["service"] + i["standalone"]}

    def describe_container_instances(self, **kwargs):
        self._call("describe_container_instances", kwargs)
        return {"containerInstances": [self._described(a) for a in kwargs["containerInstances"]], "failures": []}

    def update_container_instances_state(self, **kwargs):
        self._call("update_container_instances_state", kwargs)
        for a in kwargs["containerInstances"]:
            self.instances[a]["status"] = kwargs["status"]
        return {"containerInstances": [self._described(a) for a in kwargs["containerInstances"]], "failures": []}

    def list_tasks(self, **kwargs):
        self._call("list_tasks", kwargs)
        i = self.instances[kwargs["containerInstance"]]
        return self._paged("taskArns", [f"task-{n}" for n in range(i["service"] + i["standalone"])], kwargs)

    def deregister_container_instance(self, **kwargs):
        self._call("deregister_container_instance", kwargs)
        self.instances[kwargs["containerInstance"]]["status"] = "INACTIVE"
        return {"containerInstance": {}}

    def names(self, *which):
        return [name for name, _kwargs in self.calls if not which or name in which]


def ensure(client, nodes, state=outcomes.ABSENT, check_mode=False, drain_timeout=10, force=False):
    time = FakeTime()

    def sleep(seconds):
        time.now += seconds
        client.tick()

    return ci.ensure_cluster_state(client, nodes, state, check_mode, drain_timeout=drain_timeout, poll_interval=1, force=force, clock=time.clock, sleep=sleep)


def test_finding_takes_10_nodes_per_listing_and_100_container_instances_per_describe():
    client = FakeECS(range(105), page=100)
    found = ci.find_memberships(client, [node_id(n) for n in range(105)])
    assert all(len(found[node_id(n)]) == 1 for n in range(105))
    listings = [k for name, k in client.calls if name == "list_container_instances"]
    assert len(listings) == 11 and all(k["filter"].count("mi-") <= 10 for k in listings)
    assert [len(k["containerInstances"]) for name, k in client.calls if name == "describe_container_instances"] == [100, 5]


def test_every_page_of_a_listing_is_read():
    client = FakeECS(range(3), page=1)
    assert sorted(ci.find_memberships(client, [node_id(n) for n in range(3)])) == [node_id(n) for n in range(3)]
    assert client.names("list_container_instances") == ["list_container_instances"] * 3


def test_drain_sends_at_most_10_per_call_then_deregisters_and_a_second_run_changes_nothing():
    client = FakeECS(range(12), service=2)
    nodes = [node_id(n) for n in range(12)]
    changed, result = ensure(client, nodes)
    assert changed and {n[outcomes.OUTCOME] for n in result} == {outcomes.DEREGISTERED}
    assert [len(k["containerInstances"]) for name, k in client.calls if name == "update_container_instances_state"] == [10, 2]
    first = client.names(*MUTATING)
    assert first.index("deregister_container_instance") > first.index("update_container_instances_state")
    client.calls.clear()
    changed, result = ensure(client, nodes)
    assert not changed and client.names(*MUTATING) == [] and {n[outcomes.OUTCOME] for n in result} == {outcomes.NOT_A_MEMBER}


def test_tasks_of_no_service_time_out_and_the_container_instance_stays_unless_forced():
    client = FakeECS([1], standalone=2)
    changed, (node,) = ensure(client, [node_id(1)], drain_timeout=3)
    assert changed and node[outcomes.OUTCOME] == outcomes.DRAIN_TIMED_OUT and "deregister_container_instance" not in client.names()
    assert "2 task(s) still run" in node[outcomes.MSG] and "force: true" in node[outcomes.MSG]
    assert client.instances[f"{CLUSTER}/ci-1"]["status"] == "DRAINING"
    changed, (node,) = ensure(client, [node_id(1)], drain_timeout=1, force=True)
    assert node[outcomes.OUTCOME] == outcomes.DEREGISTERED and node["container_instances"][0]["forced"] is True


def test_check_mode_reads_only_and_predicts():
    client = FakeECS([1], service=3)
    changed, (node,) = ensure(client, [node_id(1)], check_mode=True)
    assert changed and node[outcomes.OUTCOME] == outcomes.DEREGISTERED and "check mode, nothing was waited for" in node[outcomes.MSG]
    assert client.names(*MUTATING) == [] and client.instances[f"{CLUSTER}/ci-1"]["status"] == "ACTIVE"
    before, after = ci.membership_diff([node], outcomes.ABSENT, True)
    assert before[node_id(1)][0].endswith(": ACTIVE") and after[node_id(1)][0].endswith(": INACTIVE")


@pytest.mark.parametrize("call", ["list_clusters", "list_container_instances", "describe_container_instances"])
def test_a_failed_listing_raises_never_reads_as_no_membership(call):
    client = FakeECS([1], fail={call: client_error("AccessDeniedException", call)})
    with pytest.raises(AnsibleSSMError):
        ensure(client, [node_id(1)])
    assert client.names(*MUTATING) == []


def test_a_failed_task_listing_is_a_failure_not_a_drain():
    client = FakeECS([1], service=1, fail={"list_tasks": client_error("AccessDeniedException", "ListTasks")})
    changed, (node,) = ensure(client, [node_id(1)])
    assert node[outcomes.OUTCOME] == outcomes.FAILED and "deregister_container_instance" not in client.names()


def test_a_failed_drain_is_reported_and_nothing_is_deregistered():
    client = FakeECS([1], service=1, fail={"update_container_instances_state": client_error("AccessDeniedException", "UpdateContainerInstancesState")})
    _changed, (node,) = ensure(client, [node_id(1)])
    assert node[outcomes.OUTCOME] == outcomes.FAILED and "deregister_container_instance" not in client.names()
