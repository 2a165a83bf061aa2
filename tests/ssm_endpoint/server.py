"""Serve moto's SSM (extended) behind our middleware on a real loopback HTTP port.

``start_in_process`` is for pytest fixtures; ``main`` is the CLI behind ``python -m ssm_endpoint``.
"""

import argparse
import signal
import sys
import threading
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.moto_server.werkzeug_app import MotoRequestHandler
from moto.moto_server.werkzeug_app import create_backend_app
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import make_server

from .clock import CLOCK
from .extend import install
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
        CLOCK.reset()
        self.server.shutdown()
        self.server.server_close()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


def build_server(host: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> RunningEndpoint:
    """Create (but do not start) the endpoint server; ``verbose`` keeps werkzeug's access log."""
    install()
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
    parser.add_argument("--port-file", help="write the endpoint URL here once listening")
    parser.add_argument("--realtime", action="store_true", help="advance commands on a timer instead of /_hybridops/clock/step")
    parser.add_argument("--step-interval", type=float, default=2.0, help="seconds per clock step")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="realistic",
        help="realism profile at start and after every reset (tidy only for tests that need exact timing)",
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


def main(argv: list[str] | None = None) -> int:
    """Run until SIGTERM/SIGINT; prints the URL and writes it to --port-file."""
    args = _parse(argv)
    endpoint = build_server(args.host, args.port, args.verbose)
    try:
        endpoint.app.limits.start_rules = [parse_rule(text) for text in args.rate_limit]
        endpoint.app.limits.clear()
    except (ValueError, KeyError) as error:
        endpoint.server.server_close()
        print(f"--rate-limit: {error}", file=sys.stderr, flush=True)
        return 2
    CLOCK.configure("realtime" if args.realtime else "manual", args.step_interval)
    REALISM.start_profile = args.profile
    REALISM.reset()
    stopping = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        del signum, frame
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    endpoint.start()
    if args.port_file:
        with open(args.port_file, "w", encoding="utf-8") as handle:
            handle.write(endpoint.url + "\n")
    print(endpoint.url, flush=True)
    while not stopping.wait(0.5):
        pass
    endpoint.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
