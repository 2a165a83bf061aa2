"""Measure the pacing candidates side by side against one rate-limited endpoint (how pacing.py was chosen).

    PYTHONPATH=build/collections:tests .venv/bin/python tools/bench/pacing_candidates.py [--nodes 1000] [--rate 20]
        [--burst 20] [--latency-ms 20] [--concurrency 4] [--candidates jittered,adaptive,bucket] [--throttle-rate 0.3 --no-limit]

Each candidate deregisters the same number of freshly seeded nodes with the collection's own code
(module_utils: ``ensure_absent``, ``ssm_retry`` and the error handlers), in this process, on one client
shared by ``concurrency`` threads, as the module does:

* ``jittered``: no pacing; botocore's standard retry mode plus the collection's jittered backoff
  (``ssm_retry``, 8 attempts) — the collection before pacing.
* ``adaptive``: the same with botocore's ``adaptive`` retry mode (client-side rate limiter driven by
  throttling answers, shared by the client's threads).
* ``bucket``: standard mode plus ``pacing.Pacer`` (our token bucket that adapts to throttling).

Prints one JSON line per candidate: span of the successful deregistrations against N/rate, throttled
calls as a share of all calls, failed nodes, wall seconds, from the endpoint's request log.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "build" / "collections"), str(ROOT / "tests")]

# pylint: disable=wrong-import-position
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import pacing  # noqa: E402
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.managed_instances import ensure_absent  # noqa: E402
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.served import count_unanswered  # noqa: E402
from ssm_endpoint import EndpointControl  # noqa: E402
from ssm_endpoint import endpoint_client  # noqa: E402
from ssm_endpoint import launch  # noqa: E402

DEREGISTER = "DeregisterManagedInstance"


def client_for(url, candidate):
    mode = "adaptive" if candidate == "adaptive" else "standard"
    client = endpoint_client(url, access_key="AKIDHYBRIDOPSBENCH", secret_key="bench", max_pool_connections=20, retries={"mode": mode})
    count_unanswered(client)
    if candidate == "bucket":
        pacing.attach(client)
    return client


def figures(log, nodes, rate, wall, outcomes):
    ok = [e["time"] for e in log if e["operation"] == DEREGISTER and e["status"] == 200]
    throttled = sum(1 for e in log if e["error"] == "ThrottlingException")
    span = (max(ok) - min(ok)) if len(ok) > 1 else 0.0
    return {
        "span_s": round(span, 2),
        "span_vs_n_over_rate": round(span / (nodes / rate), 3),
        "calls": len(log),
        "throttled": throttled,
        "throttled_share": round(throttled / max(1, len(log)), 4),
        "failed": sum(1 for o in outcomes if o["outcome"] == "failed"),
        "wall_s": round(wall, 2),
    }


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--burst", type=float, default=20)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--candidates", default="jittered,adaptive,bucket")
    parser.add_argument("--throttle-rate", type=float, default=0.0, help="also throttle this share of calls at random (the fault soak's mix)")
    parser.add_argument("--no-limit", action="store_true", help="no token bucket (with --throttle-rate: throttling that does not follow the rate)")
    args = parser.parse_args(argv[1:])
    # Manual clock: no command is sent, and nothing should move but what the candidates do.
    endpoint = launch.start(sys.executable, "--manual-clock", stdout=subprocess.DEVNULL)
    try:
        url = endpoint.url
        control = EndpointControl(url)
        for candidate in args.candidates.split(","):
            control.reset()
            control.set_faults(operation="*", latency_ms=args.latency_ms, throttle_rate=args.throttle_rate, seed=7)
            if not args.no_limit:
                control.set_rate_limit("*", rate=args.rate, burst=args.burst)
            ids = control.seed_nodes(args.nodes)["instance_ids"]
            control.clear_log()
            client = client_for(url, candidate)
            started = time.monotonic()
            _changed, result = ensure_absent(client, ids, False, args.concurrency)
            wall = time.monotonic() - started
            line = {
                "candidate": candidate,
                "nodes": args.nodes,
                "rate": args.rate,
                "burst": args.burst,
                "concurrency": args.concurrency,
                **figures(control.log(), args.nodes, args.rate, wall, result["outcomes"]),
            }
            print(json.dumps(line), flush=True)
    finally:
        endpoint.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
