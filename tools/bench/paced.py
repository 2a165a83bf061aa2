"""`make bench`, the rate-limited cases: fleet deregistration against an account's token bucket.

The endpoint holds every SSM call LATENCY_MS (its latency fault) and throttles each operation with a token
bucket per account and region (its rate limit), as AWS does. Against the same settings, one after another
in the same bench run:

* ``rate20``: 1,000 nodes, bucket 20/s burst 20 — (a) the module at its defaults (concurrency 4, adaptive
  pace), (b) a plain boto3 script with botocore's standard retry mode at the same concurrency
  (tools/bench/cleaner.py), (c) the same script with botocore's adaptive mode, (d) the AWS CLI shell loop
  on 100 nodes (its wall time scaled by 10);
* ``rate10`` / ``rate50``: the module alone, 500 nodes at 10/s and 1,500 at 50/s (each about 30-50 s);
* ``cap10``: the module with ``max_calls_per_second: 10`` against the 20/s bucket, 500 nodes.

Per case, from the endpoint's request log: the span of the successful mutating calls (first to last
served DeregisterManagedInstance) against N/rate, throttled calls as a share of all calls, nodes not
deregistered (failed), and the wall time of the command.
"""

import math

MUTATING = "DeregisterManagedInstance"
LATENCY_MS = 20.0
BURST = 20.0
CONCURRENCY = 4
CLI_NODES = 100

# case: (nodes, bucket rate, [(label, kind, extra)])
CASES = {
    "rate20": (
        1000,
        20.0,
        [
            ("module, defaults", "module", {}),
            ("boto3 script, standard mode", "script", "standard"),
            ("boto3 script, adaptive mode", "script", "adaptive"),
            ("AWS CLI loop (100 nodes, x10)", "cli", None),
        ],
    ),
    "rate10": (500, 10.0, [("module, defaults", "module", {})]),
    "rate50": (1500, 50.0, [("module, defaults", "module", {})]),
    "cap10": (500, 20.0, [("module, max_calls_per_second 10", "module", {"max_calls_per_second": 10})]),
}

TARGETS = {"span": 1.10, "span_other_rates": 1.15, "throttled": 0.05, "vs_best_script": 1.10}


def figures(entries, nodes, rate, wall):
    """Span of the served mutating calls against N/rate, throttled share, nodes not deregistered."""
    served = [e for e in entries if e["operation"] == MUTATING and e["status"] == 200]
    times = [e["time"] for e in served]
    span = max(times) - min(times) if len(times) > 1 else 0.0
    throttled = sum(1 for e in entries if e["error"] == "ThrottlingException")
    done = {e["params"]["InstanceId"] for e in served}
    return {
        "nodes": nodes,
        "rate": rate,
        "wall": round(wall, 2),
        "span": round(span, 2),
        "span_vs_n_over_rate": round(span / (nodes / rate), 3),
        "calls": len(entries),
        "throttled": throttled,
        "throttled_share": round(throttled / max(1, len(entries)), 4),
        "failed": nodes - len(done),
    }


def run_case(runner, name):
    """Every command of one case, each from a fresh endpoint with the case's bucket; returns rows."""
    nodes, rate, commands = CASES[name]
    rows = []
    for label, kind, extra in commands:
        count = CLI_NODES if kind == "cli" else nodes
        runner.control.reset()
        runner.control.set_faults(operation="*", latency_ms=LATENCY_MS)
        runner.control.set_rate_limit("*", rate=rate, burst=BURST)
        ids = runner.seed(count)
        if kind == "module":
            measured = runner.measure_paced(runner.playbook_command("deregister.yml", {"ids": ids, **extra}))
        elif kind == "script":
            measured = runner.measure_paced(runner.script_command("cleaner.py", ids, CONCURRENCY, extra))
        else:
            measured = runner.measure_paced(runner.cli_loop_command(ids, keep_going=True))
        row = {"case": name, "label": label, "kind": kind, **figures(measured["entries"], count, rate, measured["wall"])}
        if kind == "cli":
            scale = nodes / count
            row.update(scaled_wall=round(measured["wall"] * scale, 1), scaled_from=count)
        if extra and kind == "module":
            row["max_calls_per_second"] = extra["max_calls_per_second"]
        rows.append(row)
        print(
            f"  {name}: {label}: span {row['span']}s ({row['span_vs_n_over_rate']}x N/rate), throttled {row['throttled_share']:.1%},"
            f" failed {row['failed']}, wall {row['wall']}s",
            flush=True,
        )
    return rows


def targets(rows):
    """The issue's targets for whichever cases ran."""
    found = {(r["case"], r["kind"], r["label"]): r for r in rows}
    out = []

    def module(case):
        return next((r for (c, kind, _l), r in found.items() if c == case and kind == "module"), None)

    default = module("rate20")
    if default:
        out.append(_target(f"module at defaults, 1,000 nodes, 20/s: span <= {TARGETS['span']}x N/rate, throttled <= 5 %, 0 failed", default, TARGETS["span"]))
        scripts = [r for (c, kind, _l), r in found.items() if c == "rate20" and kind == "script"]
        standard = next((r for r in scripts if "standard" in r["label"]), None)
        if standard:
            out.append(
                {
                    "target": "module beats the standard-mode boto3 script on throttled share",
                    "value": {"module": default["throttled_share"], "script": standard["throttled_share"]},
                    "ok": default["throttled_share"] < standard["throttled_share"],
                    "detail": "",
                }
            )
        complete = [r for r in scripts if r["failed"] == 0]
        if complete:
            best = min(complete, key=lambda r: r["span"])
            ratio = default["span"] / best["span"] if best["span"] else math.inf
            out.append(
                {
                    "target": f"module span within {TARGETS['vs_best_script']}x of the best script ({best['label']})",
                    "value": round(ratio, 3),
                    "ok": ratio <= TARGETS["vs_best_script"],
                    "detail": f"{default['span']}s vs {best['span']}s",
                }
            )
    for case in ("rate10", "rate50"):
        row = module(case)
        if row:
            out.append(
                _target(
                    f"module, {row['rate']:g}/s: span <= {TARGETS['span_other_rates']}x N/rate, throttled <= 5 %, 0 failed", row, TARGETS["span_other_rates"]
                )
            )
    capped = module("cap10")
    if capped:
        span_vs_cap = round(capped["span"] / (capped["nodes"] / 10), 3)
        out.append(
            _target(
                f"max_calls_per_second 10 against 20/s: 0 throttled, span <= {TARGETS['span']}x N/10", capped, TARGETS["span"], span_vs_cap, throttled_max=0
            )
        )
    return out


def _target(text, row, span_limit, span_ratio=None, throttled_max=None):
    """A module run's target: span (against N/rate, or ``span_ratio``) within ``span_limit``, throttled calls within
    ``throttled_max`` (the throttled share target, or a count), no node failed."""
    span_ratio = row["span_vs_n_over_rate"] if span_ratio is None else span_ratio
    throttled_ok = row["throttled_share"] <= TARGETS["throttled"] if throttled_max is None else row["throttled"] <= throttled_max
    value = {"span_vs_n_over_rate": span_ratio, "throttled_share": row["throttled_share"], "failed": row["failed"]}
    ok = span_ratio <= span_limit and throttled_ok and row["failed"] == 0
    return {"target": text, "value": value, "ok": ok, "detail": f"span {row['span']}s, {row['calls']} calls, wall {row['wall']}s"}


def print_rows(rows):
    header = f"{'case':<8} {'command':<34} {'nodes':>6} {'rate':>5} {'span s':>7} {'xN/rate':>8} {'throttled':>10} {'failed':>6} {'wall s':>7}"
    print(header)
    print("-" * len(header))
    for r in rows:
        wall = f"{r['wall']:.1f}" + (f" (x{r['nodes'] and 1000 // r['nodes']}: {r['scaled_wall']})" if "scaled_wall" in r else "")
        print(
            f"{r['case']:<8} {r['label']:<34} {r['nodes']:>6} {r['rate']:>5g} {r['span']:>7.1f} {r['span_vs_n_over_rate']:>8.3f}"
            f" {r['throttled_share']:>9.1%} {r['failed']:>6} {wall:>7}"
        )
