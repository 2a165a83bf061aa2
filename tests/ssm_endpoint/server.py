"""Serve moto's SSM (extended) behind our middleware on a real loopback HTTP port.

``start_in_process`` is for pytest fixtures; ``main`` is the CLI behind ``python -m ssm_endpoint``.
"""

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from typing import Any

from moto.core.utils import get_service_model
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.moto_server.werkzeug_app import MotoRequestHandler
from moto.moto_server.werkzeug_app import create_backend_app
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import make_server

from .clock import CLOCK
from .extend import install
from .hosts import reset as reset_hosts
from .middleware import EndpointMiddleware
from .ratelimit import parse_rule
from .realism import PROFILES
from .realism import REALISM


class QuietRequestHandler(MotoRequestHandler):
    """MotoRequestHandler without the per-request access log line (the request log replaces it)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Suppressed."""
        del code, size


class RunningEndpoint:
    """A started endpoint: ``url``, the middleware (log/faults) and ``stop()``."""

    def __init__(self, server: BaseWSGIServer, app: EndpointMiddleware) -> None:
        self.server = server
        self.app = app
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=server.serve_forever, name="ssm-endpoint", daemon=True)

    def start(self) -> "RunningEndpoint":
        """Serve in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and the realtime clock; safe to call twice."""
        CLOCK.stop()
        self.server.shutdown()
        self.server.server_close()
        reset_hosts()  # every simulated node's processes, namespaces and layers
        if self._thread.is_alive():
            self._thread.join(timeout=5)


# The services the endpoint serves (SSM, ECS for ECS Anywhere, STS for accounts).
SERVICES = ("ssm", "ecs", "sts")


def load_models() -> None:
    """Load each service's model before the first request. Left to the requests, every thread of a burst loads it
    at once (the cache is not locked): 20 first calls in parallel took 2-3 s where they take 0.2 s."""
    for service in SERVICES:
        get_service_model(service)


def build_server(host: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> RunningEndpoint:
    """Create (but do not start) the endpoint server; ``verbose`` keeps werkzeug's access log."""
    install()
    load_models()
    app = EndpointMiddleware(DomainDispatcherApplication(create_backend_app))
    handler = MotoRequestHandler if verbose else QuietRequestHandler
    server = make_server(host, port, app, threaded=True, request_handler=handler)
    return RunningEndpoint(server, app)


def start_in_process(port: int = 0, host: str = "127.0.0.1") -> RunningEndpoint:
    """Start the endpoint in this process on ``port`` (0 = any free port)."""
    return build_server(host, port).start()


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ssm_endpoint", description="Local AWS SSM endpoint for hybridops.ssm tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--port-file",
        help="write the endpoint URL here once listening (default: a file in a new temporary folder of this run, printed on stdout)",
    )
    clock = parser.add_mutually_exclusive_group()
    clock.add_argument("--realtime", action="store_true", help="commands advance on a timer (the default)")
    clock.add_argument("--manual-clock", action="store_true", help="commands advance only on /_hybridops/clock/step (what tests want)")
    parser.add_argument("--step-interval", type=float, default=2.0, help="seconds per clock step")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="realistic",
        help="realism profile at start and after every reset (tidy only for tests that need exact timing)",
    )
    parser.add_argument(
        "--realism",
        action="append",
        default=[],
        metavar="KNOB=VALUE",
        help="a realism knob at start and after every reset (e.g. deregister_lag_s=180, sparse_pages=false); repeatable",
    )
    parser.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        metavar="OP=RATE:BURST",
        help="token bucket per account and region for operation OP ('*': every operation, each its own bucket); repeatable; kept across reset",
    )
    parser.add_argument("--verbose", action="store_true", help="print an access log line per request")
    return parser.parse_args(argv)


def _knobs(texts: list[str]) -> dict[str, Any]:
    """``KNOB=VALUE`` options as knob values (VALUE in JSON: 180, 1.5, true); realism.py checks them."""
    knobs = {}
    for text in texts:
        name, sep, value = text.partition("=")
        if not sep:
            raise ValueError(f"{text!r} is not KNOB=VALUE")
        try:
            knobs[name.strip()] = json.loads(value)
        except ValueError as error:
            raise ValueError(f"{text!r}: the value is not a number, true or false") from error
    return knobs


def _write_port_file(path: str, url: str) -> None:
    """Write ``url`` to ``path`` whole (a reader polling the file never sees half a URL)."""
    partial = f"{path}.{os.getpid()}.partial"
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(url + "\n")
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    """Run until SIGTERM/SIGINT; prints the URL and the port file, and writes the URL to the port file.

    Every run has its own port file: without --port-file it is ``url`` in a new temporary folder, removed at
    exit, so two endpoints on one machine never read each other's URL.
    """
    args = _parse(argv)
    if args.step_interval <= 0:
        print(f"ssm_endpoint: --step-interval must be > 0, not {args.step_interval}", file=sys.stderr, flush=True)
        return 2
    endpoint = build_server(args.host, args.port, args.verbose)
    try:
        endpoint.app.limits.start_rules = [parse_rule(text) for text in args.rate_limit]
        endpoint.app.limits.clear()
    except (ValueError, KeyError) as error:
        endpoint.server.server_close()
        print(f"ssm_endpoint: --rate-limit: {error}", file=sys.stderr, flush=True)
        return 2
    REALISM.start_profile = args.profile
    try:
        REALISM.start_knobs = _knobs(args.realism)
        REALISM.reset()
    except ValueError as error:
        endpoint.server.server_close()
        print(f"ssm_endpoint: --realism: {error}", file=sys.stderr, flush=True)
        return 2
    own_folder = None if args.port_file else tempfile.mkdtemp(prefix="ssm-endpoint-")
    port_file = args.port_file or os.path.join(str(own_folder), "url")
    try:
        # Written before serving starts: the socket already listens, and a bad path ends the run here.
        _write_port_file(port_file, endpoint.url)
    except OSError as error:
        endpoint.server.server_close()
        if own_folder:
            shutil.rmtree(own_folder, ignore_errors=True)
        print(f"ssm_endpoint: cannot write the port file {port_file}: {error.strerror or error}", file=sys.stderr, flush=True)
        return 2
    CLOCK.start = ("manual" if args.manual_clock else "realtime", args.step_interval)
    CLOCK.reset()
    stopping = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        del signum, frame
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    endpoint.start()
    print(endpoint.url, flush=True)
    print(f"port file: {port_file}", flush=True)
    while not stopping.wait(0.5):
        pass
    endpoint.stop()
    if own_folder:
        shutil.rmtree(own_folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
