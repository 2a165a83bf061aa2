"""Fault injection rules: throttling, server errors, dropped connections, lost answers and latency.

Counters (``*_next``) fire first, then rates drawn from a per-rule ``random.Random(seed)`` so a
run with the same seed and call sequence repeats exactly. A rule may name nodes (``instance_ids``):
it then covers only calls whose request names one of them.
"""
import dataclasses
import random
import threading
from typing import Any

KINDS = ("throttle", "server_error", "drop", "drop_after")


def request_instance_ids(params: dict[str, Any]) -> set[str]:
    """Node IDs a request names: InstanceId, InstanceIds, ResourceId, and the values of an InstanceIds filter."""
    ids: set[str] = set()
    for key in ("InstanceId", "ResourceId"):
        if isinstance(params.get(key), str):
            ids.add(params[key])
    if isinstance(params.get("InstanceIds"), list):
        ids.update(i for i in params["InstanceIds"] if isinstance(i, str))
    for flt in params.get("Filters") or []:
        if isinstance(flt, dict) and flt.get("Key") == "InstanceIds" and isinstance(flt.get("Values"), list):
            ids.update(v for v in flt["Values"] if isinstance(v, str))
    return ids


@dataclasses.dataclass
class FaultRule:
    """Faults for one operation (or ``*`` for any), optionally only for calls naming some nodes."""

    throttle_next: int = 0
    throttle_rate: float = 0.0
    server_error_next: int = 0
    server_error_rate: float = 0.0
    drop_next: int = 0
    drop_rate: float = 0.0
    drop_after_next: int = 0
    drop_after_rate: float = 0.0
    latency_ms: float = 0.0
    seed: int | None = None
    instance_ids: frozenset[str] | None = None
    rng: random.Random = dataclasses.field(default_factory=random.Random, repr=False)

    def decide(self) -> str | None:
        """The fault for this call, consuming counters first: throttle, server_error, drop, drop_after."""
        for kind in KINDS:
            left = getattr(self, f"{kind}_next")
            if left > 0:
                setattr(self, f"{kind}_next", left - 1)
                return kind
        rates = [(kind, getattr(self, f"{kind}_rate")) for kind in KINDS]
        if not any(rate for _name, rate in rates):
            return None
        draw, edge = self.rng.random(), 0.0
        for kind, rate in rates:
            edge += rate
            if draw < edge:
                return kind
        return None

    def covers(self, ids: set[str]) -> bool:
        """True when the rule names no nodes, or the request names one of its nodes."""
        return self.instance_ids is None or bool(self.instance_ids & ids)


class Faults:
    """Rules keyed by operation name and node set.

    For one call the most specific rule that covers it decides: a rule naming nodes the call names
    beats one that names none, then a specific operation beats ``*``.
    """

    FIELDS = tuple(f"{kind}_{what}" for kind in KINDS for what in ("next", "rate")) + ("latency_ms",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[tuple[str, frozenset[str] | None], FaultRule] = {}

    def set_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add or replace the rule for ``body["operation"]`` (default ``*``) and ``body["instance_ids"]`` (default all)."""
        unknown = set(body) - set(self.FIELDS) - {"operation", "seed", "instance_ids"}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        instance_ids = body.get("instance_ids")
        if instance_ids is not None:
            if not isinstance(instance_ids, list) or not instance_ids or not all(isinstance(i, str) and i for i in instance_ids):
                raise ValueError("instance_ids must be a non-empty list of node IDs")
            instance_ids = frozenset(instance_ids)
        rule = FaultRule(**{k: body[k] for k in self.FIELDS if body.get(k) is not None})
        rule.seed = body.get("seed")
        rule.rng = random.Random(rule.seed)
        rule.instance_ids = instance_ids
        operation = body.get("operation") or "*"
        with self._lock:
            self._rules[(operation, instance_ids)] = rule
        result: dict[str, Any] = {"operation": operation}
        if instance_ids is not None:
            result["instance_ids"] = sorted(instance_ids)
        return result

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def _rule_for(self, operation: str, params: dict[str, Any] | None) -> FaultRule | None:
        ids = request_instance_ids(params or {})
        best, best_rank = None, None
        for (rule_operation, named), rule in self._rules.items():
            if rule_operation not in (operation, "*") or not rule.covers(ids):
                continue
            rank = (named is not None, rule_operation != "*")
            if best_rank is None or rank > best_rank:
                best, best_rank = rule, rank
        return best

    def decide(self, operation: str, params: dict[str, Any] | None = None) -> tuple[float, str | None]:
        """(latency in seconds, fault kind or None) for one call of ``operation`` with request ``params``."""
        with self._lock:
            rule = self._rule_for(operation, params)
            if rule is None:
                return 0.0, None
            return rule.latency_ms / 1000.0, rule.decide()
