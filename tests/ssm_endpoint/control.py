"""HTTP client for the ``/_hybridops/`` control API, using only the standard library.

Tests, demos and the other side of the repo drive the endpoint with it; it must not import moto
so it also works from a Python that only has boto3 (or nothing at all).
"""

import json
import urllib.error
import urllib.request
from typing import Any


class ControlError(RuntimeError):
    """A control call answered with an error; ``code`` is the ``__type``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class EndpointControl:
    """Thin wrapper: one method per control route."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body or {}).encode() if method in ("POST", "PUT") else None
        request = urllib.request.Request(self.url + "/_hybridops/" + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # nosec - loopback test endpoint
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            payload = json.loads(exc.read() or b"{}")
            raise ControlError(payload.get("__type", str(exc.code)), payload.get("message", "")) from exc

    @staticmethod
    def _body(**kwargs: Any) -> dict[str, Any]:
        return {k: v for k, v in kwargs.items() if v is not None}

    def health(self) -> bool:
        """True when the endpoint answers."""
        return bool(self._call("GET", "health").get("ok"))

    def reset(self) -> None:
        """All moto state, our state, log, faults, rate limits, clock; realism and rate limits back to the start settings."""
        self._call("POST", "reset")

    def log(self, since: int = 0) -> list[dict[str, Any]]:
        """Logged SSM calls after sequence number ``since``."""
        return self._call("GET", f"log?since={int(since)}")["entries"]

    def clear_log(self) -> None:
        """Empty the log."""
        self._call("DELETE", "log")

    def operations(self, since: int = 0) -> list[str]:
        """Operation names of logged calls, in order."""
        return [e["operation"] for e in self.log(since)]

    def count(self, operation: str, only_ok: bool = True) -> int:
        """How many times ``operation`` was called (only successful calls unless only_ok=False)."""
        return sum(1 for e in self.log() if e["operation"] == operation and (not only_ok or e["status"] == 200))

    def set_faults(self, **kwargs: Any) -> None:
        """Add/replace a fault rule (operation, instance_ids, filter_values, throttle_*, server_error_*, drop_*, drop_after_*,
        reject_next, reject_rate, reject_code, reject_message, reject_status, latency_ms, seed)."""
        self._call("POST", "faults", self._body(**kwargs))

    def clear_faults(self) -> None:
        """Remove all fault rules."""
        self._call("DELETE", "faults")

    def set_rate_limit(self, operation: str = "*", rate: float | None = None, burst: float | None = None) -> dict[str, Any]:
        """Token bucket for ``operation`` ("*": every operation without its own), per account and region:
        ``rate`` calls a second, ``burst`` the bucket's size (default: rate, at least 1). Returns every limit."""
        return self._call("POST", "ratelimit", self._body(operation=operation, rate=rate, burst=burst))

    def rate_limits(self) -> dict[str, Any]:
        """{"limits": {operation: {"rate", "burst"}}}."""
        return self._call("GET", "ratelimit")

    def clear_rate_limits(self) -> dict[str, Any]:
        """No limits (except those given with --rate-limit at start)."""
        return self._call("DELETE", "ratelimit")

    def set_clock(self, mode: str | None = None, step_interval: float | None = None) -> dict[str, Any]:
        """manual or realtime stepping."""
        return self._call("POST", "clock", self._body(mode=mode, step_interval=step_interval))

    def step(self, steps: int = 1) -> None:
        """Advance every command invocation by ``steps``."""
        self._call("POST", "clock/step", {"steps": steps})

    def advance(self, seconds: float) -> None:
        """Move endpoint time forward by ``seconds`` without stepping commands (lags and command timeouts pass)."""
        self._call("POST", "clock/advance", {"seconds": seconds})

    def set_realism(self, profile: str | None = None, **knobs: Any) -> dict[str, Any]:
        """Profile ("realistic"|"tidy": resets the knobs to its defaults first) and/or knobs; returns the settings."""
        return self._call("POST", "realism", self._body(profile=profile, **knobs))

    def realism(self) -> dict[str, Any]:
        """Current profile and knobs."""
        return self._call("GET", "realism")

    def register(self, activation_id: str, activation_code: str, **kwargs: Any) -> str:
        """Register a node with an activation like the agent does; returns its ID."""
        return self._call("POST", "activations/register", self._body(activation_id=activation_id, activation_code=activation_code, **kwargs))["instance_id"]

    def seed_nodes(self, count: int, **kwargs: Any) -> dict[str, Any]:
        """Bulk-create nodes: {"instance_ids": [...], "activation_id": ...}."""
        return self._call("POST", "nodes/seed", self._body(count=count, **kwargs))

    def set_ping(self, instance_ids: list[str], ping_status: str, **kwargs: Any) -> None:
        """Change PingStatus (and last_ping / last_ping_days_ago)."""
        self._call("POST", "nodes/ping", self._body(instance_ids=instance_ids, ping_status=ping_status, **kwargs))

    def seed_host(self, instance_id: str, **kwargs: Any) -> dict[str, Any]:
        """Give a registered node a simulated host (platform Linux|Windows, default the node's; agent, registered,
        ping_interval_s); returns its state as ``host()`` does. ``seed_nodes(n, host=True)`` seeds nodes with hosts."""
        return self._call("POST", "nodes/host", self._body(instance_id=instance_id, **kwargs))

    def host(self, instance_id: str, paths: list[str] | None = None, settle: float | None = None, **kwargs: Any) -> dict[str, Any]:
        """A node's host: files (``paths``, or the agent's registration, keys, config), services, agent calls,
        service-manager calls, transient units or scheduled tasks, ping status. ``settle``: wait up to that many
        seconds for the node's detached work (systemd-run units) to finish first."""
        return self._call("POST", "nodes/host/state", self._body(instance_id=instance_id, paths=paths, settle=settle, **kwargs))

    def set_invocation(self, command_id: str, **kwargs: Any) -> None:
        """Script invocations of a command (instance_id, outcome, duration_steps, finish_before_cancel, status)."""
        self._call("POST", "invocations", self._body(command_id=command_id, **kwargs))

    def set_command_defaults(self, outcome: str | None = None, duration_steps: int | None = None, **kwargs: Any) -> dict[str, Any]:
        """Outcome/duration for invocations created later."""
        return self._call("POST", "commands/defaults", self._body(outcome=outcome, duration_steps=duration_steps, **kwargs))

    # --- ECS (ecs.py): external container instances of hybrid nodes ---------------------------------------

    def seed_ecs(self, instance_ids: list[str], cluster: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """Register each ``mi-`` ID as an ECS Anywhere container instance of ``cluster`` (made if missing; default
        "default"), each running ``service_tasks`` tasks of one service and ``standalone_tasks`` tasks of none
        (kwargs: service_tasks, standalone_tasks, service, family, started_by, minimum_healthy_percent (100),
        attributes, region, account). Returns {"cluster_arn", "service_arn", "container_instances": {mi-: arn}}."""
        return self._call("POST", "ecs/seed", self._body(instance_ids=instance_ids, cluster=cluster, **kwargs))

    def ecs_instance(self, instance_id: str, **kwargs: Any) -> list[dict[str, Any]]:
        """The node's container instances in every cluster of the region (deregistered ones too, INACTIVE):
        {"cluster", "container_instance_arn", "status", "running_tasks_count", "tasks": [{"task_arn", "service",
        "desired_status", "last_status", "orphaned"}]}."""
        return self._call("POST", "ecs/instance", self._body(instance_id=instance_id, **kwargs))["container_instances"]

    def set_ecs(self, **knobs: Any) -> dict[str, Any]:
        """ECS model knobs (drain_steps: clock steps before a draining service task stops); reset restores them."""
        return self._call("POST", "ecs/settings", self._body(**knobs))

    # --- Accounts (accounts.py): STS AssumeRole into other accounts, opt-in regions -------------------------

    def add_role(self, account: str, name: str, external_id: str | None = None, trusted_account: str | None = None) -> str:
        """Create IAM role ``name`` in ``account`` whose trust policy lets ``trusted_account`` (default moto's
        123456789012, the account of any plain test key) call sts:AssumeRole on it, giving ``external_id`` when set.
        Returns the role ARN (``arn:aws:iam::ACCOUNT:role/NAME``). Without such a role AssumeRole is AccessDenied."""
        body = self._body(account=account, name=name, external_id=external_id, trusted_account=trusted_account)
        return self._call("POST", "accounts/role", body)["role_arn"]

    def disable_region(self, account: str, region: str) -> dict[str, Any]:
        """An opt-in region ``account`` has not enabled: its SSM/ECS calls there answer UnrecognizedClientException
        (HTTP 400), its STS calls InvalidClientTokenId (HTTP 403). Returns {"disabled_regions": [{"account", "region"}]}."""
        return self._call("POST", "accounts/region", {"account": account, "region": region, "enabled": False})

    def enable_region(self, account: str, region: str) -> dict[str, Any]:
        """Undo ``disable_region`` (every region is enabled after ``reset``)."""
        return self._call("POST", "accounts/region", {"account": account, "region": region, "enabled": True})

    def accounts(self) -> dict[str, Any]:
        """{"disabled_regions": [{"account", "region"}]}."""
        return self._call("GET", "accounts")
