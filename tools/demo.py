"""`make demo`: a local SSM endpoint with a simulated hybrid fleet, decommissioned by the collection's playbooks.

Starts the endpoint as its own process and seeds a dozen nodes over two activations: eight store
servers online, with a Run Command still running on them, and four kiosks that lost their connection
45 days ago. Two store servers get a throwaway directory standing in for their `/` (registration
file, vault keys, a stand-in agent). Then, with the real ansible-playbook:

1. `hybridops.ssm.decommission` retires the two store servers (cancel their commands, stop the agent,
   deregister, clear the host's registration);
2. `hybridops.ssm.sweep_stale` deregisters the kiosks lost for more than 30 days;
3. both again, to show that nothing is left to change.

The fleet is shown before and after, and the endpoint's request log is summed up. Nothing talks to AWS.
Each table waits until SSM's listings settled and says how long (the endpoint is eventually consistent as
SSM is: a command's invocations list a moment after SendCommand, a deregistered node keeps listing a moment),
so that the tables show what the run saw.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
WORK = ROOT / "build" / "demo"
sys.path.insert(0, str(ROOT / "tests"))

from hostroot import AGENT_CALLS  # noqa: E402  pylint: disable=wrong-import-position
from hostroot import REGISTRATION  # noqa: E402  pylint: disable=wrong-import-position
from hostroot import make_host_root  # noqa: E402  pylint: disable=wrong-import-position
from ssm_endpoint import EndpointControl  # noqa: E402  pylint: disable=wrong-import-position
from ssm_endpoint import launch  # noqa: E402  pylint: disable=wrong-import-position

MUTATING = ("DeregisterManagedInstance", "CancelCommand", "DeleteActivation")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIDDEMO", "AWS_SECRET_ACCESS_KEY": "demo-secret", "AWS_REGION": "us-east-1"}


def start_endpoint():
    """The endpoint as a process, its port file in a folder of its own (launch.py)."""
    # Run Command invocations advance a step a second, so cancels reach Cancelled while the demo waits.
    try:
        return launch.start(BIN / "python", "--realtime", "--step-interval", "1", timeout=30, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except RuntimeError as error:
        raise SystemExit(str(error)) from error


def ssm_client(url):
    return boto3.client(
        "ssm",
        endpoint_url=url,
        region_name=CREDENTIALS["AWS_REGION"],
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def seed(control, client):
    """12 nodes over two activations; a command running on the eight online ones."""
    control.reset()
    stores = control.seed_nodes(count=8, name_prefix="store", ping_status="Online", tags={"Site": "stores"})["instance_ids"]
    kiosks = control.seed_nodes(count=4, name_prefix="kiosk", ping_status="ConnectionLost", last_ping_days_ago=45, tags={"Site": "kiosks"})
    # The clock runs (a step a second, kept by reset): the command runs until cancelled from its first step.
    control.set_command_defaults(outcome="Success", duration_steps=100000)
    client.send_command(InstanceIds=stores, DocumentName="AWS-RunShellScript", Parameters={"commands": ["/opt/pos/sync --forever"]})
    return stores, kiosks["instance_ids"]


def nodes_listed(client):
    return [n for page in client.get_paginator("describe_instance_information").paginate() for n in page["InstanceInformationList"]]


def commands_in_flight(client):
    """Each node's in-flight invocation status, as ListCommandInvocations lists them."""
    in_flight = {}
    for page in client.get_paginator("list_command_invocations").paginate():
        for invocation in page["CommandInvocations"]:
            if invocation["Status"] in ("Pending", "InProgress", "Delayed", "Cancelling"):
                in_flight[invocation["InstanceId"]] = invocation["Status"]
    return in_flight


def wait_until(settled, why, timeout=30):
    """Polls until ``settled()`` holds, then says how long SSM took and why, so the tables show what the run saw."""
    start = time.monotonic()
    while not settled() and time.monotonic() - start < timeout:
        time.sleep(0.5)
    waited = time.monotonic() - start
    if waited >= 0.5:
        print(f"\n(waited {waited:.0f} s: {why})")


def show_fleet(client, title):
    nodes = nodes_listed(client)
    in_flight = commands_in_flight(client)
    print(f"\n-------- {title}: {len(nodes)} hybrid nodes")
    print(f"  {'node':22}{'name':10}{'ping status':16}{'last ping':13}{'activation':14}command")
    for node in sorted(nodes, key=lambda n: n["Name"]):
        print(
            f"  {node['InstanceId']:22}{node['Name']:10}{node['PingStatus']:16}{node['LastPingDateTime']:%Y-%m-%d}   "
            f"{node['ActivationId'][:8]}…     {in_flight.get(node['InstanceId'], '-')}"
        )


def write_inventory(stores):
    """The two store servers to retire, each over the local connection with a throwaway `/`."""
    shutil.rmtree(WORK / "hosts", ignore_errors=True)
    hosts = {}
    for name, instance_id in (("store-0", stores[0]), ("store-1", stores[1])):
        root = make_host_root(WORK / "hosts" / name, instance_id)
        hosts[name] = {"ansible_connection": "local", "decommission_hybrid_node_root": str(root)}
    inventory = {
        "hybrid_nodes": {
            "hosts": hosts,
            "vars": {
                "ansible_python_interpreter": str(BIN / "python"),
                "decommission_hybrid_node_become": False,
                "decommission_hybrid_node_command_poll_interval": 1,
                "decommission_hybrid_node_command_wait_timeout": 60,
            },
        }
    }
    path = WORK / "inventory.json"
    path.write_text(json.dumps(inventory, indent=2))
    return path


def playbook_env(url):
    return dict(
        os.environ,
        **CREDENTIALS,
        AWS_URL=url,
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / "build" / "collections"),
        ANSIBLE_PYTHON_INTERPRETER=str(BIN / "python"),
        ANSIBLE_LOCAL_TEMP=str(WORK / "tmp"),
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        ANSIBLE_CALLBACK_RESULT_FORMAT="yaml",
        ANSIBLE_DISPLAY_SKIPPED_HOSTS="False",
    )


def run_playbook(env, title, *args):
    print(f"\n######## {title}: ansible-playbook {' '.join(args)}\n", flush=True)
    return subprocess.call([str(BIN / "ansible-playbook"), *args], env=env)


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    endpoint = start_endpoint()
    url = endpoint.url
    try:
        control, client = EndpointControl(url), ssm_client(url)
        stores, kiosks = seed(control, client)
        inventory = write_inventory(stores)
        print(f"Local SSM endpoint at {url} (a process; nothing here talks to AWS).")
        wait_until(
            lambda: set(stores) <= set(commands_in_flight(client)),
            "ListCommandInvocations lists a command's invocations a few seconds after SendCommand, as SSM does",
        )
        show_fleet(client, "the fleet before")
        env = playbook_env(url)
        rounds = []
        for round_name in ("first run", "second run: nothing left to change"):
            since = len(control.log())
            for title, args in (
                ("retire store-0 and store-1", ("hybridops.ssm.decommission", "-i", str(inventory), "-e", "decommission_hosts=hybrid_nodes")),
                ("sweep nodes lost for more than 30 days", ("hybridops.ssm.sweep_stale",)),
            ):
                if run_playbook(env, f"{round_name}, {title}", *args) != 0:
                    return 1
            calls = control.log(since)
            rounds.append((round_name, len(calls), [c for c in calls if c["operation"] in MUTATING and c["status"] == 200]))
            if not rounds[1:]:
                gone = set(stores[:2] + kiosks)
                wait_until(
                    lambda: not gone & {n["InstanceId"] for n in nodes_listed(client)},
                    "SSM keeps listing a deregistered node for a few seconds; the sweep does not wait for that, the decommission does",
                )
                show_fleet(client, "the fleet after")
        print("\n-------- what the endpoint saw")
        for round_name, calls, changes in rounds:
            summary = ", ".join(f"{sum(1 for c in changes if c['operation'] == op)} {op}" for op in MUTATING)
            print(f"  {round_name}: {calls} SSM calls, of which changes: {summary}")
        for name in ("store-0", "store-1"):
            root = WORK / "hosts" / name
            print(
                f"  {name}: registration file {'still there' if (root / REGISTRATION).exists() else 'removed'}, "
                f"agent called with: {(root / AGENT_CALLS).read_text().strip() if (root / AGENT_CALLS).exists() else 'nothing'}"
            )
        return 0
    finally:
        endpoint.stop(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
