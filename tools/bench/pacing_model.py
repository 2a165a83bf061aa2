"""The pacer's rules played against token buckets in simulated time: how pacing.py's constants were chosen.

    .venv/bin/python tools/bench/pacing_model.py [--pacing FILE] [--seeds N] [--first-seed K] [--scenarios A,B]

A discrete-event model, no endpoint and no sleeping: each run is ``concurrency`` threads taking slots from one
``pacing.Pacer`` (the collection's own, or ``--pacing FILE``), each call held 20 ms by the endpoint (which
serves one call at a time at 1.5 ms each), its answer from the endpoint's own token bucket (burst 20);
a throttled call is retried after a random share of 0.5 s, then of 2**(k-1) s up to 4 s (close to botocore's
retries and then ssm_retry's, whose throttled sleeps stop growing at 4 s). A process serialises its threads'
work on the client side (the GIL: 1.5 ms a call, 2.8 ms where twenty account-regions share one process). Scenarios:

* ``slices`` (``slices3``, ``slices8``): 4 (3, 8) processes, 1,000 nodes between them, one 20/s bucket, each
  starting within 1.5 s of the first, as AWX starts the slices of a job; the bench's ``slices`` case;
* ``single10``, ``single20``, ``single50``: one run alone at its bucket (500, 1,000, 1,500 nodes), as the
  bench's rate-limited cases;
* ``org``: twenty account-regions of 200 nodes in one process, each with its own 20/s bucket (org_sweep);
* ``random``: 300 nodes with 3 calls in 10 throttled at random and no bucket: the seconds it takes.

Prints per scenario: span (first to last granted call; org from its first call) against N/rate, throttled
share of all calls, and for ``slices`` how many of the seeds meet the bench's targets (span <= 1.2x N/rate,
throttled <= 5 %). The model leaves out what the bench has: ansible-playbook's start, the lookups before the
first deregistration, CPU shared with the endpoint. Its figures track the bench's (docs/performance.md) within
a few per cent, which is what it is for: comparing rules, many seeds at a time, in seconds.
"""

import argparse
import heapq
import importlib.util
import random
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

# pylint: disable-next=wrong-import-position
from ssm_endpoint.ratelimit import TokenBucket  # noqa: E402

PACING = ROOT / "plugins" / "module_utils" / "_ssm" / "pacing.py"
BURST = 20.0
LATENCY = 0.020
ENDPOINT_COST = 0.0015
SCENARIOS = ("slices", "slices3", "slices8", "single10", "single20", "single50", "org", "random")
SLICE_TARGETS = (1.2, 0.05)


def load_pacing(path):
    spec = importlib.util.spec_from_file_location("pacing_model_pacing", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bucket(rate):
    """The endpoint's own token bucket (tests/ssm_endpoint/ratelimit.py), full at time 0."""
    return TokenBucket(rate, BURST, 0.0)


class Model:
    """Simulated time: events in a heap, FIFO servers for a process's GIL and the endpoint."""

    def __init__(self, seed):
        self.random = random.Random(seed)
        self.now = 0.0
        self._events = []
        self._count = 0
        self.endpoint = [0.0]  # when the endpoint is next free: one for every run
        self.log = []  # (time, granted)

    def at(self, when, action):
        self._count += 1
        heapq.heappush(self._events, (when, self._count, action))

    def serve(self, server, cost, action):
        """Run ``action`` once ``server`` (a one-item list: when it is next free) has spent ``cost`` on it."""
        server[0] = max(self.now, server[0]) + cost
        self.at(server[0], action)

    def run(self):
        while self._events:
            self.now, _count, action = heapq.heappop(self._events)
            action()

    def start_run(self, pacing, nodes, answer, start, gil, cpu, concurrency=4):
        """One module run: ``concurrency`` threads over ``nodes`` calls; ``answer()`` grants (True) or throttles."""
        pacer = pacing.Pacer(None, clock=lambda: self.now, sleep=None)
        if hasattr(pacing, "QUEUED"):
            pacing.QUEUED.count = nodes  # what bulk.run_per_item holds in the run's process while it deregisters
        queue = list(range(nodes))

        def thread():
            state = {"node": None, "throttled": 0}

            def next_call():
                if state["node"] is None:
                    if not queue:
                        return
                    state["node"], state["throttled"] = queue.pop(), 0
                self.serve(gil, cpu * 0.55, take_slot)  # build and sign the request

            def take_slot():
                slot, _now = pacer.slot()
                self.at(slot, lambda: self.at(self.now + 0.001, lambda: self.serve(self.endpoint, ENDPOINT_COST, lambda: decide(slot))))

            def decide(sent):
                granted = answer()
                self.log.append((self.now, granted))
                back = self.now + LATENCY + self.random.uniform(0, 0.003)
                self.at(back, lambda: self.serve(gil, cpu * 0.45, lambda: answered(sent, granted)))

            def answered(sent, granted):
                pacer.answered(sent, not granted)
                if granted:
                    state["node"] = None
                    next_call()
                    return
                state["throttled"] += 1
                tries = state["throttled"]
                ceiling = 0.5 if tries == 1 else min(4.0, 2 ** (tries - 1))
                self.at(self.now + self.random.random() * ceiling, next_call)

            return next_call

        for _thread in range(concurrency):
            self.at(start, thread())


def play(pacing, scenario, seed):
    """One seed of one scenario; returns (span / N over rate, or seconds for ``random``; throttled share)."""
    model = Model(seed)
    if scenario.startswith("slices"):
        slices = int(scenario[6:] or 4)
        shared = bucket(20.0)
        for _slice in range(slices):
            model.start_run(pacing, 1000 // slices, lambda: shared.take(model.now), model.random.uniform(0, 1.5), [0.0], 0.0015)
        nodes, rate = 1000 // slices * slices, 20.0
    elif scenario.startswith("single"):
        rate = float(scenario[6:])
        nodes = {10.0: 500, 20.0: 1000, 50.0: 1500}[rate]
        alone = bucket(rate)
        model.start_run(pacing, nodes, lambda: alone.take(model.now), 0.0, [0.0], 0.0015)
    elif scenario == "org":
        gil = [0.0]
        for index in range(20):
            own = bucket(20.0)
            model.start_run(pacing, 200, lambda own=own: own.take(model.now), 0.3 + 0.05 * index, gil, 0.0028)
        nodes, rate = 200, 20.0
    else:
        model.start_run(pacing, 300, lambda: model.random.random() >= 0.3, 0.0, [0.0], 0.0015)
        nodes, rate = None, None
    model.run()
    granted = [when for when, ok in model.log if ok]
    throttled = sum(1 for _when, ok in model.log if not ok) / len(model.log)
    first = model.log[0][0] if scenario == "org" else granted[0]
    span = granted[-1] - first
    return (span / (nodes / rate) if nodes else span), throttled


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pacing", type=Path, default=PACING, help="the pacing.py to play (default: the collection's)")
    parser.add_argument("--seeds", type=int, default=100, help="seeds of the slices scenarios (others: a tenth, at least 3)")
    parser.add_argument("--first-seed", type=int, default=100)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args()
    pacing = load_pacing(args.pacing)
    for scenario in args.scenarios.split(","):
        many = scenario.startswith("slices")
        seeds = range(args.first_seed, args.first_seed + (args.seeds if many else max(3, args.seeds // 10)))
        results = [play(pacing, scenario, seed) for seed in seeds]
        spans, shares = [r[0] for r in results], [r[1] for r in results]
        line = (
            f"{scenario:9} span mean {statistics.mean(spans):7.3f} max {max(spans):7.3f}   throttled mean {statistics.mean(shares):6.1%} max {max(shares):6.1%}"
        )
        if many:
            met = sum(1 for span, share in results if span <= SLICE_TARGETS[0] and share <= SLICE_TARGETS[1])
            line += f"   targets met {met} of {len(results)}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
