"""AWX job slicing (issue #24): the decommission playbook in three processes at once, each with its own hosts.

AWX runs a sliced job as the same playbook N times, each slice on its own share of the inventory (every N-th host),
all against the same account. Here three ``ansible-playbook hybridops.ssm.decommission`` processes of 20 ID-only
hosts each start together against one endpoint whose every operation has one token bucket for all of them (20
calls a second, burst 10), so the slices throttle one another. Every claim is read from the endpoint's request
log and each slice's report: every node deregistered exactly once (a node deregistered by another slice would
answer InvalidInstanceId to its own), no slice failed, each slice's report holds its own hosts alone. The bench
case ``slices`` (tools/bench/slices.py) measures the same at 4 x 250 hosts; its pace is no test's subject.

The SSM calls of the three take about 10 s (the slices start a second or two apart); one run took 48 s in all
on a 2-CPU machine at load 14, most of it three ansible-playbook processes starting side by side.
"""

import json
import threading
from collections import Counter

from test_roles import playbook
from test_roles import recap
from test_roles import write_inventory

SLICES = 3
PER_SLICE = 20
DEREGISTER = "DeregisterManagedInstance"


def test_three_slices_each_deregister_their_own_nodes_once_through_one_shared_bucket(control, ansible_env, tmp_path):
    ids = control.seed_nodes(count=SLICES * PER_SLICE, name_prefix="slice")["instance_ids"]
    hosts = [f"node-{n:02d}" for n in range(len(ids))]
    inventory = write_inventory(
        tmp_path / "inventory.json",
        {host: {"decommission_hybrid_node_instance_id": node} for host, node in zip(hosts, ids)},
        ansible_connection="local",
        decommission_hybrid_node_host_steps=False,
    )
    control.set_rate_limit("*", rate=20, burst=10)
    control.clear_log()
    runs, reports = [None] * SLICES, [tmp_path / f"slice-{k}.json" for k in range(SLICES)]

    def run_slice(k):
        # AWX's slice k: the same playbook, limited to every SLICES-th host from host k
        limit = ",".join(hosts[k::SLICES])
        extra = ("-e", "decommission_hosts=hybrid_nodes", "-e", f"decommission_max_hosts={PER_SLICE}", "--limit", limit)
        runs[k] = playbook(ansible_env, "decommission", inventory, *extra, "-e", f"decommission_hybrid_node_report_path={reports[k]}")

    threads = [threading.Thread(target=run_slice, args=(k,)) for k in range(SLICES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log = control.log()

    assert [run.returncode for run in runs] == [0] * SLICES
    for k, run in enumerate(runs):
        counts = recap(run.stdout)
        assert sorted(host for host in counts if host != "localhost") == sorted(hosts[k::SLICES])
        assert all(c["failed"] == 0 and c["changed"] == 1 for host, c in counts.items() if host != "localhost"), counts
        report = json.loads(reports[k].read_text())
        assert sorted(report["hosts"]) == sorted(hosts[k::SLICES]) and report["failed_hosts"] == []
        assert {entry["deregistration"] for entry in report["hosts"].values()} == {"deregistered"}

    deregistrations = [e for e in log if e["operation"] == DEREGISTER]
    assert Counter(e["params"]["InstanceId"] for e in deregistrations if e["status"] == 200) == Counter(ids)
    # no other answer than served or throttled: a node another slice had deregistered would answer InvalidInstanceId
    assert {e["error"] for e in deregistrations} <= {None, "ThrottlingException"}
    # the bucket did throttle them: the slices went through the shared limit, not under it
    assert any(e["error"] == "ThrottlingException" for e in log)
