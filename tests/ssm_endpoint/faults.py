"""Fault injection rules: throttling, server errors, dropped connections and latency.

Counters (``*_next``) fire first, then rates drawn from a per-rule ``random.Random(seed)`` so a
run with the same seed and call sequence repeats exactly.
"""
import dataclasses
import random
import threading
from typing import Any


@dataclasses.dataclass
class FaultRule:
    """Faults for one operation (or ``*`` for any)."""

    throttle_next: int = 0
    throttle_rate: float = 0.0
    server_error_next: int = 0
    server_error_rate: float = 0.0
    drop_next: int = 0
    drop_rate: float = 0.0
    latency_ms: float = 0.0
    seed: int | None = None
    rng: random.Random = dataclasses.field(default_factory=random.Random, repr=False)

    def decide(self) -> str | None:
        """The fault for this call, consuming counters first: throttle, server_error, drop."""
        for kind in ("throttle", "server_error", "drop"):
            left = getattr(self, f"{kind}_next")
            if left > 0:
                setattr(self, f"{kind}_next", left - 1)
                return kind
        rates = [("throttle", self.throttle_rate), ("server_error", self.server_error_rate), ("drop", self.drop_rate)]
        if not any(rate for _name, rate in rates):
            return None
        draw, edge = self.rng.random(), 0.0
        for kind, rate in rates:
            edge += rate
            if draw < edge:
                return kind
        return None


class Faults:
    """Rules keyed by operation name; a specific rule wins over ``*``."""

    FIELDS = ("throttle_next", "throttle_rate", "server_error_next", "server_error_rate", "drop_next", "drop_rate", "latency_ms")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, FaultRule] = {}

    def set_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add or replace the rule for ``body["operation"]`` (default ``*``)."""
        unknown = set(body) - set(self.FIELDS) - {"operation", "seed"}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        rule = FaultRule(**{k: body[k] for k in self.FIELDS if body.get(k) is not None})
        rule.seed = body.get("seed")
        rule.rng = random.Random(rule.seed)
        with self._lock:
            self._rules[body.get("operation") or "*"] = rule
        return {"operation": body.get("operation") or "*"}

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def decide(self, operation: str) -> tuple[float, str | None]:
        """(latency in seconds, fault kind or None) for one call of ``operation``."""
        with self._lock:
            rule = self._rules.get(operation) or self._rules.get("*")
            if rule is None:
                return 0.0, None
            return rule.latency_ms / 1000.0, rule.decide()
