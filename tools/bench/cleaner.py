"""`make bench`, rate-limited cases: what a hand-written boto3 cleaner does, in botocore's standard or adaptive retry mode.

    python tools/bench/cleaner.py ENDPOINT_URL IDS_JSON CONCURRENCY standard|adaptive

The same calls as the module (one DescribeInstanceInformation per 50 IDs, then one
DeregisterManagedInstance per registered node, CONCURRENCY at a time on one client), with botocore's
own retries only: ``standard`` (3 attempts, exponential backoff with jitter, a retry quota shared by the
client) or ``adaptive`` (the same plus botocore's client-side rate limiter, driven by throttling answers,
shared by every thread of the client). A node whose call still fails is counted, not retried: what such a
script reports. Prints one JSON line: {"nodes", "deregistered", "failed", "errors": {code: n}}.

The look-up is the floor's own (floor.py ``describe``): what differs between the two scripts is only how the
deregistrations meet throttling, so that is all this file writes.
"""

import json
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from floor import POOL  # the script's own folder is on sys.path: the same look-up and pool as the floor's
from floor import describe


def main(argv):
    url, ids_file, concurrency, mode = argv[1], argv[2], int(argv[3]), argv[4]
    client = boto3.client("ssm", endpoint_url=url, config=Config(max_pool_connections=POOL, retries={"mode": mode}))
    with open(ids_file, encoding="utf-8") as handle:
        instance_ids = json.load(handle)
    found = describe(client, instance_ids)

    def deregister(instance_id):
        try:
            client.deregister_managed_instance(InstanceId=instance_id)
            return None
        except ClientError as error:
            return error.response["Error"]["Code"]

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        errors = Counter(code for code in pool.map(deregister, found) if code)
    print(json.dumps({"nodes": len(instance_ids), "deregistered": len(found) - sum(errors.values()), "failed": sum(errors.values()), "errors": dict(errors)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
