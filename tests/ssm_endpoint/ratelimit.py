"""Token-bucket rate limits per operation, per account and region, like AWS's API throttling.

AWS throttles each API with a token bucket per account and region, shared by every client of the
account; a call that finds the bucket empty answers HTTP 400 ``ThrottlingException`` "Rate exceeded"
(AWS API reference, common errors; the numbers per API are not published). A rule sets ``rate``
(tokens added per second) and ``burst`` (the bucket's size) for one operation, or for ``"*"``: every
operation without its own rule, each in a bucket of its own. Buckets start full and run on wall time
(``time.monotonic``), not on the endpoint's clock: throttling is about how fast calls arrive.

Off unless a rule is set (control API or ``--rate-limit``); a throttled call takes no token.

ECS calls (served on the same port) have buckets of their own: a bucket is per (account, region, service,
operation), as ECS throttles its own API per account and Region with its own token buckets (Amazon ECS
developer guide, "Request throttling for the Amazon ECS API"). A rule names an operation plainly
(``ListTasks``: that operation in any service) or qualified by service (``ecs:ListTagsForResource``), which
wins over the plain name; ``*`` covers every operation of every service without a rule, each in its own bucket.
"""

import math
import threading
import time
from typing import Any
from typing import Callable

DEFAULT = "*"


class TokenBucket:
    """``rate`` tokens a second up to ``burst``; starts full."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = now

    def take(self, now: float) -> bool:
        """One token if there is one (True), else False and nothing taken."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def parse_rule(text: str) -> dict[str, Any]:
    """``OP=RATE:BURST`` or ``OP=RATE`` (burst = rate, at least 1) as a rule body; OP may be ``*``."""
    operation, sep, numbers = text.partition("=")
    if not sep or not operation:
        raise ValueError(f"rate limit {text!r} must look like OPERATION=RATE:BURST (e.g. DeregisterManagedInstance=20:20 or '*=20:20')")
    rate, _sep, burst = numbers.partition(":")
    return {"operation": operation, "rate": float(rate), "burst": float(burst) if burst else None}


class RateLimits:
    """The rules and the buckets they make, one per (account, region, operation)."""

    FIELDS = ("operation", "rate", "burst")

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rules: dict[str, tuple[float, float]] = {}
        self._buckets: dict[tuple[str, str, str, str], TokenBucket] = {}
        self.start_rules: list[dict[str, Any]] = []

    def set_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add or replace the rule for ``body["operation"]`` (default ``*``); its buckets start full. Returns every rule."""
        unknown = set(body) - set(self.FIELDS)
        if unknown:
            raise ValueError(f"unknown rate limit fields: {sorted(unknown)}")
        operation = body.get("operation") or DEFAULT
        if not isinstance(operation, str):
            raise ValueError(f"operation must be an operation name or '*', not {operation!r}")
        if "rate" not in body:
            raise KeyError("rate")
        rate = float(body["rate"])
        burst = float(body["burst"]) if body.get("burst") is not None else max(1.0, rate)
        if math.isnan(rate) or rate <= 0:
            raise ValueError(f"rate must be > 0 calls per second, not {body['rate']!r}")
        if math.isnan(burst) or burst < 1:
            raise ValueError(f"burst must be >= 1 call, not {body['burst']!r}")
        with self._lock:
            self._rules[operation] = (rate, burst)
            # A changed rule starts with full buckets (the '*' rule reaches every operation without its own).
            self._buckets = {
                key: bucket
                for key, bucket in self._buckets.items()
                if ((key[3] in self._rules or f"{key[2]}:{key[3]}" in self._rules) if operation == DEFAULT else operation not in (key[3], f"{key[2]}:{key[3]}"))
            }
        return self.settings()

    def settings(self) -> dict[str, Any]:
        """Every rule: {"limits": {operation: {"rate", "burst"}}}."""
        with self._lock:
            return {"limits": {op: {"rate": rate, "burst": burst} for op, (rate, burst) in sorted(self._rules.items())}}

    def clear(self) -> None:
        """No limits, then the start rules again (``--rate-limit``)."""
        with self._lock:
            self._rules.clear()
            self._buckets.clear()
        for rule in self.start_rules:
            self.set_rule(rule)

    def allow(self, account: str, region: str, operation: str, service: str = "ssm") -> bool:
        """True when the call may go on (a token taken, or no rule covers it); False: throttled."""
        with self._lock:
            rule = self._rules.get(f"{service}:{operation}") or self._rules.get(operation) or self._rules.get(DEFAULT)
            if rule is None:
                return True
            now = self._clock()
            key = (account, region, service, operation)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(rule[0], rule[1], now)
            return bucket.take(now)
