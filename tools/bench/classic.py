"""`make bench`, the classic cases: one node, the bulk task and its no-op rerun, the per-node loops and the cancel,
each against its boto3 floor (tools/bench/floor.py), and their rows and targets."""

import math
import statistics
import time

CLASSIC_CASES = ("one_node", "bulk", "loops", "cancel")
MUTATING = ("DeregisterManagedInstance", "CancelCommand", "UpdateManagedInstanceRole", "AddTagsToResource", "RemoveTagsFromResource")
DESCRIBE = "DescribeInstanceInformation"
CONCURRENCY = 4  # the module's default, used on both sides
CANCEL_STEP_INTERVAL = 0.2  # endpoint clock in the cancel case: Cancelling -> Cancelled within 0.2 s
CANCEL_POLL_INTERVAL = 0.5  # the task's poll_interval, and the floor's

TARGETS = {
    "bulk_vs_floor": 1.25,
    "loop_speedup": 50.0,
    "one_node_vs_floor": 1.2,
}


def one_node(runner, runs):
    """A one-node task against an empty playbook plus the boto3 script for that node."""
    samples = {"ping": [], "task": [], "floor": []}
    for run in range(runs + 1):
        runner.reset()
        first, second = runner.seed(2)
        measured = {
            "ping": runner.playbook("ping.yml"),
            "task": runner.playbook("deregister.yml", {"ids": [first]}),
            "floor": runner.floor_ids("deregister", [second], CONCURRENCY),
        }
        if run:  # run 0 is the warm-up
            for key, value in measured.items():
                samples[key].append(value)
    return samples


def bulk(runner, runs, count):
    """The bulk task, its no-op rerun, the boto3 floor of both, and the empty playbook, interleaved."""
    samples = {"ping": [], "task": [], "noop": [], "floor": [], "floor_noop": []}
    for run in range(runs + 1):
        measured = {}
        # alternate which side goes first so a drift in machine load hits both alike
        for side in ("task", "floor") if run % 2 else ("floor", "task"):
            runner.reset()
            instance_ids = runner.seed(count)
            if side == "task":
                measured["task"] = runner.playbook("deregister.yml", {"ids": instance_ids})
                measured["noop"] = runner.playbook("deregister.yml", {"ids": instance_ids})
            else:
                measured["floor"] = runner.floor_ids("deregister", instance_ids, CONCURRENCY)
                measured["floor_noop"] = runner.floor_ids("describe", instance_ids)
        measured["ping"] = runner.playbook("ping.yml")
        if run:
            for key, value in measured.items():
                samples[key].append(value)
    return samples


def per_node_loops(runner, runs, count):
    """A loop: over the module and an aws CLI shell loop, each N nodes; the warm-up is a 3-node run of each."""
    samples = {"module_loop": [], "cli_loop": []}
    for run in range(runs + 1):
        size = count if run else 3
        runner.reset()
        instance_ids = runner.seed(size)
        module_loop = runner.playbook("deregister_loop.yml", {"ids": instance_ids})
        runner.reset()
        instance_ids = runner.seed(size)
        cli_loop = runner.cli_loop(instance_ids)
        if run:
            samples["module_loop"].append(module_loop)
            samples["cli_loop"].append(cli_loop)
    return samples


def cancel(runner, runs, count):
    """Cancel one command on ``count`` nodes with wait, against the boto3 script making the same calls."""
    samples = {"task": [], "floor": []}
    for run in range(runs + 1):
        measured = {}
        for side in ("task", "floor") if run % 2 else ("floor", "task"):
            runner.reset(clock=("realtime", CANCEL_STEP_INTERVAL))
            runner.control.set_command_defaults(duration_steps=1_000_000)  # running until cancelled
            runner.seed(count, tags={"Bench": "cancel"})
            command_id = runner.send_command("cancel")
            time.sleep(3 * CANCEL_STEP_INTERVAL)  # delivered: every invocation InProgress
            if side == "task":
                measured["task"] = runner.playbook("cancel.yml", {"command_id": command_id, "poll_interval": CANCEL_POLL_INTERVAL})
            else:
                measured["floor"] = runner.floor("cancel", command_id, CANCEL_POLL_INTERVAL)
        if run:
            for key, value in measured.items():
                samples[key].append(value)
    runner.reset()
    return samples


def median(samples, key="wall"):
    return statistics.median(s[key] for s in samples)


def calls_of(samples):
    """The calls of the median run by wall time (the runs make the same calls; the cancel polls may differ by one round)."""
    ordered = sorted(samples, key=lambda s: s["wall"])
    return ordered[len(ordered) // 2]["calls"]


def row(label, nodes, samples, note=""):
    calls = calls_of(samples)
    total = sum(calls.values())
    return {
        "case": label,
        "nodes": nodes,
        "runs": len(samples),
        "median_s": round(median(samples), 3),
        "min_s": round(min(s["wall"] for s in samples), 3),
        "max_s": round(max(s["wall"] for s in samples), 3),
        "per_node_ms": round(1000 * median(samples) / nodes, 2),
        "client_cpu_s": round(median(samples, "client_cpu"), 3),
        "endpoint_cpu_s": round(median(samples, "endpoint_cpu"), 3),
        "calls": calls,
        "calls_per_node": round(total / nodes, 3),
        "note": note,
    }


def ratio_target(text, ratio, limit, detail, at_least=False, digits=3):
    """A target met when ``ratio`` is at most ``limit`` (or, with ``at_least``, at least); judged before rounding."""
    return {"target": text, "value": round(ratio, digits), "limit": limit, "ok": ratio >= limit if at_least else ratio <= limit, "detail": detail}


def floor_target(task_name, key, task, ping, floor, note=""):
    """A task's median seconds against its floor, the ping playbook plus the boto3 script: at most TARGETS[key] times."""
    return ratio_target(
        f"{task_name} <= {TARGETS[key]}x floor (ping playbook + boto3 script)",
        task / (ping + floor),
        TARGETS[key],
        f"{task:.2f}s vs {ping:.2f}s + {floor:.2f}s{note}",
    )


def summarize(args, samples):
    """Rows of the table and the targets of the classic cases that ran (``samples``: case -> its samples)."""
    one, big, loops, cancelled = (samples.get(case) for case in CLASSIC_CASES)
    rows, targets, info = [], [], {}
    if one:
        rows += [
            row("one-node task (ansible-playbook)", 1, one["task"]),
            row("  floor: ping playbook", 1, one["ping"]),
            row("  floor: boto3 script, 1 node", 1, one["floor"]),
        ]
    if big:
        rows += [
            row(f"bulk task, concurrency {CONCURRENCY}", args.bulk, big["task"]),
            row("  floor: boto3 script, same calls", args.bulk, big["floor"]),
            row("  ping playbook (same runs)", args.bulk, big["ping"], note="per-node figures not meaningful"),
        ]
    if loops:
        rows += [row("loop: over the module", args.loop, loops["module_loop"]), row("aws CLI shell loop", args.loop, loops["cli_loop"])]
    if big:
        rows += [row("no-op rerun (nodes already gone)", args.bulk, big["noop"]), row("  floor: boto3 script, describe only", args.bulk, big["floor_noop"])]
    if cancelled:
        rows += [
            row("cancel 1 command, wait", args.cancel, cancelled["task"], note=f"poll_interval {CANCEL_POLL_INTERVAL}s"),
            row("  floor: boto3 script, same calls", args.cancel, cancelled["floor"]),
        ]
    if big:
        ping, task, floor = median(big["ping"]), median(big["task"]), median(big["floor"])
        same_calls = all(s["calls"] == big["floor"][0]["calls"] for s in big["task"] + big["floor"])
        noop_calls = calls_of(big["noop"])
        noop_mutating = max(sum(s["calls"].get(op, 0) for op in MUTATING) for s in big["noop"])
        noop_describe = max(s["calls"].get(DESCRIBE, 0) for s in big["noop"])
        describe_limit = math.ceil(args.bulk / 50)
        targets.append(floor_target("bulk task", "bulk_vs_floor", task, ping, floor, f"; same calls on both sides: {same_calls}"))
        if loops:
            loop_per_node, bulk_per_node = median(loops["module_loop"]) / args.loop, task / args.bulk
            targets.append(
                ratio_target(
                    f">= {TARGETS['loop_speedup']:.0f}x faster per node than a loop over the module",
                    loop_per_node / bulk_per_node,
                    TARGETS["loop_speedup"],
                    f"{1000 * bulk_per_node:.2f} ms vs {1000 * loop_per_node:.0f} ms per node",
                    at_least=True,
                    digits=1,
                )
            )
        targets.append(
            {
                "target": f"no-op rerun: 0 mutating calls, <= ceil(N/50) = {describe_limit} describe calls",
                "value": {"mutating": noop_mutating, "describe": noop_describe},
                "limit": {"mutating": 0, "describe": describe_limit},
                "ok": noop_mutating == 0 and noop_describe <= describe_limit,
                "detail": f"{median(big['noop']):.2f}s, calls {noop_calls}",
            }
        )
        info.update(
            bulk_task_vs_script_alone=round(task / floor, 3),
            bulk_task_minus_ping_vs_script=round((task - ping) / floor, 3),
            bulk_calls_span_task_vs_script=round(median(big["task"], "calls_span") / median(big["floor"], "calls_span"), 3),
        )
    if one:
        ping_one, task_one, floor_one = median(one["ping"]), median(one["task"]), median(one["floor"])
        targets.append(floor_target("one-node task", "one_node_vs_floor", task_one, ping_one, floor_one))
    if cancelled:
        info["cancel_task_vs_script_alone"] = round(median(cancelled["task"]) / median(cancelled["floor"]), 3)
    if loops:
        info["aws_cli_vs_module_loop_per_node"] = round(median(loops["cli_loop"]) / median(loops["module_loop"]), 3)
    return rows, targets, info
