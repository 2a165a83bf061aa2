"""The floor for `make bench`: a plain boto3 script making the same SSM calls as the modules.

    python tools/bench/floor.py ENDPOINT_URL deregister IDS_JSON [CONCURRENCY]
    python tools/bench/floor.py ENDPOINT_URL describe IDS_JSON
    python tools/bench/floor.py ENDPOINT_URL cancel COMMAND_ID [POLL_INTERVAL]

``deregister`` is what ``ssm_managed_instance state=absent`` sends: one
DescribeInstanceInformation per 50 IDs (InstanceIds filter, MaxResults 50,
every page), then one DeregisterManagedInstance per registered node, at most
CONCURRENCY (default 4, the module's default) at a time on one client with the
module's connection pool size. ``describe`` is only the look-up (the no-op
rerun). ``cancel`` is what ``ssm_command command_id=... wait=true`` sends:
ListCommands and every page of ListCommandInvocations, one CancelCommand
without InstanceIds, the same two reads again, then the reads every
POLL_INTERVAL seconds until no invocation is in flight.

Nothing else: no argument checking, no result shaping, no output but a
one-line count. Credentials and region come from the environment, as for the
modules.
"""

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

PAGE = 50
POOL = 20  # the modules' max_pool_connections
TERMINAL = ("Success", "Cancelled", "Failed", "TimedOut")


def describe(client, instance_ids):
    """The registered nodes among ``instance_ids``, one filtered call per 50 IDs (every page)."""
    found = []
    for start in range(0, len(instance_ids), PAGE):
        kwargs = {"Filters": [{"Key": "InstanceIds", "Values": instance_ids[start : start + PAGE]}], "MaxResults": PAGE}
        while True:
            page = client.describe_instance_information(**kwargs)
            found.extend(node["InstanceId"] for node in page["InstanceInformationList"])
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
    return found


def deregister(client, instance_ids, concurrency):
    """Look the nodes up, then deregister the registered ones, ``concurrency`` at a time."""
    found = describe(client, instance_ids)
    if len(found) <= 1 or concurrency <= 1:
        for instance_id in found:
            client.deregister_managed_instance(InstanceId=instance_id)
    else:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(found))) as pool:
            list(pool.map(lambda instance_id: client.deregister_managed_instance(InstanceId=instance_id), found))
    return len(found)


def read_command(client, command_id):
    """ListCommands for the command, then every page of its invocations: {instance_id: status}."""
    client.list_commands(CommandId=command_id, MaxResults=PAGE)
    statuses = {}
    kwargs = {"CommandId": command_id, "MaxResults": PAGE, "Details": False}
    while True:
        page = client.list_command_invocations(**kwargs)
        statuses.update((inv["InstanceId"], inv["Status"]) for inv in page["CommandInvocations"])
        if not page.get("NextToken"):
            return statuses
        kwargs["NextToken"] = page["NextToken"]


def cancel(client, command_id, poll_interval):
    """Read, cancel on every node, read again, then poll until nothing is in flight."""
    statuses = read_command(client, command_id)
    client.cancel_command(CommandId=command_id)
    statuses = read_command(client, command_id)
    while any(status not in TERMINAL for status in statuses.values()):
        time.sleep(poll_interval)
        statuses = read_command(client, command_id)
    return len(statuses)


def main(argv):
    url, action, target = argv[1:4]
    client = boto3.client("ssm", endpoint_url=url, config=Config(max_pool_connections=POOL))
    if action == "cancel":
        count = cancel(client, target, float(argv[4]) if len(argv) > 4 else 5.0)
    else:
        with open(target, encoding="utf-8") as handle:
            instance_ids = json.load(handle)
        if action == "describe":
            count = len(describe(client, instance_ids))
        else:
            count = deregister(client, instance_ids, int(argv[4]) if len(argv) > 4 else 4)
    print(f"{action}: {count} node(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
