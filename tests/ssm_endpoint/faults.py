"""Fault injection rules: throttling, server errors, dropped connections, lost answers, whole-call rejection, latency.

Counters (``*_next``) fire first, then rates drawn from a per-rule ``random.Random(seed)`` so a
run with the same seed and call sequence repeats exactly. A rule may name nodes (``instance_ids``) or
filter values (``filter_values``): it then covers only calls whose request names one of them.

``reject`` answers the whole call with one error (default ``InvalidInstanceId``, HTTP 400): SSM rejects a
DescribeInstanceInformation naming several IDs as a whole when it objects to one of them, so a client must
never read such an answer as "none of these nodes is registered".
"""

import dataclasses
import random
import threading
from typing import Any

KINDS = ("throttle", "server_error", "drop", "drop_after", "reject")
REJECT_DEFAULTS = {"reject_code": "InvalidInstanceId", "reject_message": "Instance Id is not valid or is not registered.", "reject_status": 400}


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


def request_filter_values(params: dict[str, Any]) -> set[str]:
    """Every value of every filter in ``Filters`` (Values lists, or ListCommands-style ``value``) and the legacy list."""
    values: set[str] = set()
    for flt in [*(params.get("Filters") or []), *(params.get("InstanceInformationFilterList") or [])]:
        if not isinstance(flt, dict):
            continue
        for key in ("Values", "valueSet", "FilterValues"):
            if isinstance(flt.get(key), list):
                values.update(v for v in flt[key] if isinstance(v, str))
        if isinstance(flt.get("value"), str):
            values.add(flt["value"])
    return values


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
    reject_next: int = 0
    reject_rate: float = 0.0
    reject_code: str = REJECT_DEFAULTS["reject_code"]
    reject_message: str = REJECT_DEFAULTS["reject_message"]
    reject_status: int = REJECT_DEFAULTS["reject_status"]
    latency_ms: float = 0.0
    seed: int | None = None
    instance_ids: frozenset[str] | None = None
    filter_values: frozenset[str] | None = None
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

    def covers(self, ids: set[str], values: set[str]) -> bool:
        """True when the rule names no nodes and no values, or the request names one of them."""
        if self.instance_ids is None and self.filter_values is None:
            return True
        return bool((self.instance_ids or frozenset()) & ids) or bool((self.filter_values or frozenset()) & values)


class Faults:
    """Rules keyed by operation name and node set.

    For one call the most specific rule that covers it decides: a rule naming nodes the call names
    beats one that names none, then a specific operation beats ``*``.
    """

    FIELDS = tuple(f"{kind}_{what}" for kind in KINDS for what in ("next", "rate")) + ("latency_ms", *REJECT_DEFAULTS)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[tuple[str, frozenset[str] | None, frozenset[str] | None], FaultRule] = {}

    def set_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add or replace the rule for ``body["operation"]`` (default ``*``) and ``body["instance_ids"]`` (default all)."""
        unknown = set(body) - set(self.FIELDS) - {"operation", "seed", "instance_ids", "filter_values"}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        named = {name: _strings(body, name) for name in ("instance_ids", "filter_values")}
        if body.get("reject_status") is not None and not 400 <= int(body["reject_status"]) <= 599:
            raise ValueError(f"reject_status must be an HTTP error status (400-599), not {body['reject_status']}")
        rule = FaultRule(**{k: body[k] for k in self.FIELDS if body.get(k) is not None})
        rule.seed = body.get("seed")
        rule.rng = random.Random(rule.seed)
        rule.instance_ids, rule.filter_values = named["instance_ids"], named["filter_values"]
        operation = body.get("operation") or "*"
        with self._lock:
            self._rules[(operation, named["instance_ids"], named["filter_values"])] = rule
        result: dict[str, Any] = {"operation": operation}
        for name, values in named.items():
            if values is not None:
                result[name] = sorted(values)
        return result

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def _rule_for(self, operation: str, params: dict[str, Any] | None) -> FaultRule | None:
        ids, values = request_instance_ids(params or {}), request_filter_values(params or {})
        best, best_rank = None, None
        for (rule_operation, named, named_values), rule in self._rules.items():
            if rule_operation not in (operation, "*") or not rule.covers(ids, values):
                continue
            rank = (named is not None or named_values is not None, rule_operation != "*")
            if best_rank is None or rank > best_rank:
                best, best_rank = rule, rank
        return best

    def latency(self, operation: str, params: dict[str, Any] | None = None) -> float:
        """Seconds the rule covering this call holds it, without spending any counter."""
        with self._lock:
            rule = self._rule_for(operation, params)
            return rule.latency_ms / 1000.0 if rule is not None else 0.0

    def decide_named(self, operation: str) -> tuple[float, str | None, FaultRule | None]:
        """As ``decide``, by a rule that names ``operation`` itself alone (a ``*`` rule is SSM's and ECS's, not STS's)."""
        with self._lock:
            rule = next((r for (name, ids, values), r in self._rules.items() if name == operation and ids is None and values is None), None)
            if rule is None:
                return 0.0, None, None
            return rule.latency_ms / 1000.0, rule.decide(), rule

    def decide(self, operation: str, params: dict[str, Any] | None = None) -> tuple[float, str | None, FaultRule | None]:
        """(latency in seconds, fault kind or None, the deciding rule) for one call of ``operation`` with ``params``."""
        with self._lock:
            rule = self._rule_for(operation, params)
            if rule is None:
                return 0.0, None, None
            return rule.latency_ms / 1000.0, rule.decide(), rule


def _strings(body: dict[str, Any], name: str) -> frozenset[str] | None:
    values = body.get(name)
    if values is None:
        return None
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"{name} must be a non-empty list of strings")
    return frozenset(values)
