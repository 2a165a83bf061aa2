"""Handlers of the test-only control API under ``/_hybridops/``.

Each handler takes the JSON body (and the query string) and returns a JSON-able dict; they act on the
same moto backends the SSM API uses, picked by ``region``/``account`` in the body.
"""

from typing import Any
from typing import Callable

from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api._internal.models import moto_api_backend

from . import ecs
from .accounts import Accounts
from .clock import CLOCK
from .extend import STATE_LOCK
from .extend import backend
from .faults import Faults
from .hosts import reset as reset_hosts
from .ratelimit import RateLimits
from .realism import REALISM
from .requestlog import RequestLog

Handler = Callable[[dict[str, Any], dict[str, str]], dict[str, Any]]


def _backend(body: dict[str, Any]) -> Any:
    return backend(body.get("region") or "us-east-1", body.get("account") or DEFAULT_ACCOUNT_ID)


def _ecs_backend(body: dict[str, Any]) -> Any:
    region = body.get("region") or "us-east-1"
    backend(region)  # refuses a malformed region name, as for SSM
    return ecs.backend(region, body.get("account") or DEFAULT_ACCOUNT_ID)


class ControlRoutes:
    """Maps (method, path) to handlers sharing one log and one fault table."""

    def __init__(self, log: RequestLog, faults: Faults, limits: RateLimits, accounts: Accounts) -> None:
        self.log = log
        self.faults = faults
        self.limits = limits
        self.accounts = accounts
        self.table: dict[tuple[str, str], Handler] = {
            ("GET", "/_hybridops/health"): lambda b, q: {"ok": True},
            ("POST", "/_hybridops/reset"): self.reset,
            ("GET", "/_hybridops/log"): lambda b, q: {"entries": self.log.since(int(q.get("since") or 0))},
            ("DELETE", "/_hybridops/log"): lambda b, q: self.log.clear() or {},
            ("POST", "/_hybridops/faults"): lambda b, q: self.faults.set_rule(b),
            ("DELETE", "/_hybridops/faults"): lambda b, q: self.faults.clear() or {},
            ("GET", "/_hybridops/ratelimit"): lambda b, q: self.limits.settings(),
            ("POST", "/_hybridops/ratelimit"): lambda b, q: self.limits.set_rule(b),
            ("DELETE", "/_hybridops/ratelimit"): lambda b, q: self.limits.clear() or self.limits.settings(),
            ("POST", "/_hybridops/clock"): self.clock,
            ("POST", "/_hybridops/clock/step"): self.step,
            ("POST", "/_hybridops/clock/advance"): self.advance,
            ("GET", "/_hybridops/realism"): lambda b, q: REALISM.settings(),
            ("POST", "/_hybridops/realism"): lambda b, q: REALISM.configure(b),
            ("POST", "/_hybridops/activations/register"): self.register,
            ("POST", "/_hybridops/nodes/seed"): self.seed,
            ("POST", "/_hybridops/nodes/ping"): self.ping,
            ("POST", "/_hybridops/nodes/host"): self.seed_host,
            ("POST", "/_hybridops/nodes/host/state"): self.host_state,
            ("POST", "/_hybridops/invocations"): self.invocations,
            ("POST", "/_hybridops/commands/defaults"): self.command_defaults,
            ("POST", "/_hybridops/ecs/seed"): lambda b, q: ecs.seed(_ecs_backend(b), b),
            ("POST", "/_hybridops/ecs/instance"): lambda b, q: ecs.describe(_ecs_backend(b), b),
            ("GET", "/_hybridops/ecs/settings"): lambda b, q: dict(ecs.SETTINGS.values),
            ("POST", "/_hybridops/ecs/settings"): lambda b, q: ecs.SETTINGS.configure(b),
            ("POST", "/_hybridops/accounts/role"): self.add_role,
            ("POST", "/_hybridops/accounts/region"): lambda b, q: self.accounts.set_region(b),
            ("GET", "/_hybridops/accounts"): lambda b, q: self.accounts.settings(),
        }

    def find(self, method: str, path: str) -> Handler | None:
        """The handler for a request, or None (404)."""
        return self.table.get((method, path.rstrip("/")))

    def reset(self, body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        """Every moto backend (all services, IAM roles too), our stores, the log, the faults, the rate limits,
        the disabled regions, the clock and the realism profile."""
        del body, query
        CLOCK.reset()
        REALISM.reset()
        ecs.reset()
        with STATE_LOCK:
            reset_hosts()
            moto_api_backend.reset()
        self.log.clear()
        self.faults.clear()
        self.limits.clear()
        self.accounts.clear()
        return {}

    def add_role(self, body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        """An IAM role another account may assume (moto's IAM state, so reset removes it)."""
        del query
        with STATE_LOCK:
            return self.accounts.add_role(body)

    @staticmethod
    def clock(body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        """Switch between manual and realtime stepping."""
        del query
        CLOCK.configure(body.get("mode"), body.get("step_interval"))
        return {"mode": CLOCK.mode, "step_interval": CLOCK.step_interval}

    @staticmethod
    def step(body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        """Advance every invocation in every backend by ``steps``."""
        del query
        CLOCK.step(int(body.get("steps", 1)))
        return {}

    @staticmethod
    def advance(body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        """Move endpoint time forward by ``seconds`` without stepping commands."""
        del query
        CLOCK.advance(float(body["seconds"]))
        return {}

    @staticmethod
    def register(body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        """What ``amazon-ssm-agent -register`` does on a host."""
        del query
        with STATE_LOCK:
            node = _backend(body).hybridops_fleet.register(body)
        return {"instance_id": node.instance_id}

    @staticmethod
    def seed(body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        """Bulk-create nodes."""
        del query
        with STATE_LOCK:
            ids, activation_id = _backend(body).hybridops_fleet.seed(body)
        return {"instance_ids": ids, "activation_id": activation_id}

    @staticmethod
    def ping(body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        """Set PingStatus / LastPingDateTime."""
        del query
        with STATE_LOCK:
            _backend(body).hybridops_fleet.set_ping(body)
        return {}

    @staticmethod
    def seed_host(body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        """Give a registered node a simulated host (Linux: executed; Windows: modelled); returns its state."""
        del query
        with STATE_LOCK:
            fleet = _backend(body).hybridops_fleet
            node = fleet.attach_host(body)
            return fleet.host_state({"instance_id": node.instance_id})

    @staticmethod
    def host_state(body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        """A node's host as tests read it: files, services, agent calls, service-manager calls, units or tasks, pings."""
        del query
        if body.get("settle"):
            # Wait for the node's detached work outside the state lock (bounded), then read under it.
            with STATE_LOCK:
                host = _backend(body).hybridops_fleet.hosted.get(body.get("instance_id"))
            if host is not None:
                host.host.settle(float(body["settle"]))
        with STATE_LOCK:
            return _backend(body).hybridops_fleet.host_state({k: v for k, v in body.items() if k != "settle"})

    @staticmethod
    def invocations(body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        """Script one or all invocations of a command."""
        del query
        with STATE_LOCK:
            _backend(body).hybridops_commands.set_invocation(body)
        return {}

    @staticmethod
    def command_defaults(body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        """Outcome and duration of invocations created from now on."""
        del query
        with STATE_LOCK:
            defaults = _backend(body).hybridops_commands.defaults
            if body.get("outcome"):
                defaults["outcome"] = body["outcome"]
            if body.get("duration_steps") is not None:
                defaults["duration_steps"] = int(body["duration_steps"])
            return dict(defaults)
