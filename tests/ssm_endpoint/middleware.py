"""WSGI middleware in front of moto: control routes, fault injection and the request log.

Faulted calls never reach moto, so they change no state, exactly like a throttled call on AWS; the one
exception is ``drop_after`` (a lost answer): the call is served, then the connection is dropped.
"""

import http
import io
import json
import os
import re
import socket
import time
import urllib.parse
from typing import Any
from typing import Callable
from typing import Iterable

from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import get_account_id_from

from . import ecs
from . import sts
from .accounts import INVALID_TOKEN
from .accounts import Accounts
from .errors import SSMError
from .extend import backend
from .extend import well_formed_region
from .faults import Faults
from .ratelimit import RateLimits
from .requestlog import RequestLog
from .requestlog import serve
from .routes import ControlRoutes

CONTROL_PREFIX = "/_hybridops/"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/")
_FAULT_BODIES = {
    "throttle": ("400 Bad Request", {"__type": "ThrottlingException", "message": "Rate exceeded"}),
    "server_error": ("500 Internal Server Error", {"__type": "InternalServerError", "message": "An error occurred on the server side."}),
}


def _json_response(start_response: Callable[..., Any], status: str, payload: Any) -> list[bytes]:
    body = json.dumps(payload, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _scope(environ: dict[str, Any]) -> tuple[str, str, str]:
    """Access key ID, region and service of the SigV4 credential scope ("" when the request is not signed)."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return (match.group(1), match.group(2), match.group(3)) if match else ("", "", "")


def _identity(environ: dict[str, Any]) -> tuple[str, str]:
    """Region and account the way moto derives them (SigV4 scope; env, header, then access key: an
    AssumeRole key belongs to the role's account, so calls signed with it reach that account's backends)."""
    access_key, region, _service = _scope(environ)
    region = region or "us-east-1"
    if "MOTO_ACCOUNT_ID" in os.environ:
        return region, os.environ["MOTO_ACCOUNT_ID"]
    if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
        return region, environ["HTTP_X_MOTO_ACCOUNT_ID"]
    if access_key:
        return region, get_account_id_from(access_key)
    return region, DEFAULT_ACCOUNT_ID


def _drop(environ: dict[str, Any]) -> None:
    """Reset the client's TCP connection without a response."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _dropped(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Shut the connection down and answer nothing."""
    _drop(environ)
    # werkzeug's attempt to send these headers hits the closed socket and is treated as a dropped connection.
    start_response("500 Internal Server Error", [("Content-Length", "0")])
    return []


def _error_code(body: bytes) -> str | None:
    try:
        kind = json.loads(body or b"{}").get("__type")
    except ValueError:
        return None
    return kind.split("#")[-1] if kind else None


class EndpointMiddleware:
    """The WSGI app the server runs: ours first, moto's DomainDispatcherApplication behind."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.log = RequestLog()
        self.faults = Faults()
        self.limits = RateLimits()
        self.accounts = Accounts()
        self.routes = ControlRoutes(self.log, self.faults, self.limits, self.accounts)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("AmazonSSM."):
            return self._ssm(environ, start_response, target.split(".", 1)[1])
        if target.startswith(ecs.TARGET_PREFIX):
            # ECS (JSON 1.1 like SSM) goes through the same log, faults and rate limits; moto's
            # DomainDispatcherApplication then picks its ECS backend from the SigV4 scope's service name.
            return self._ssm(environ, start_response, target[len(ecs.TARGET_PREFIX) :], service="ecs")
        access_key, _region, service = _scope(environ)
        if service == "sts":
            # STS (query protocol) is moto's, behind the trust check, the opt-in regions, its faults and the request log.
            region, account = _identity(environ)
            return sts.serve(self.app, environ, start_response, sts.Caller(access_key, region, account), self.log, self.accounts, self.faults)
        return self.app(environ, start_response)

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        handler = self.routes.find(environ["REQUEST_METHOD"], environ["PATH_INFO"])
        if handler is None:
            return _json_response(start_response, "404 Not Found", {"__type": "NotFound", "message": environ["PATH_INFO"]})
        query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        try:
            raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            body = json.loads(raw) if raw.strip() else {}
            return _json_response(start_response, "200 OK", handler(body, query))
        except SSMError as exc:
            return _json_response(start_response, "400 Bad Request", {"__type": exc.code, "message": exc.message})
        except KeyError as exc:
            return _json_response(start_response, "400 Bad Request", {"__type": "MissingParameter", "message": f"missing {exc}"})
        except (ValueError, TypeError) as exc:
            return _json_response(start_response, "400 Bad Request", {"__type": "BadRequest", "message": str(exc)})

    def _ssm(self, environ: dict[str, Any], start_response: Callable[..., Any], operation: str, service: str = "ssm") -> Iterable[bytes]:
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        try:
            params = json.loads(raw) if raw.strip() else {}
        except ValueError:
            params = {"_unparsed": raw.decode("utf-8", "replace")}
        region, account = _identity(environ)
        entry = {
            "service": service,
            "operation": operation,
            "region": region,
            "account": account,
            "params": params,
            "session_token_sent": bool(environ.get("HTTP_X_AMZ_SECURITY_TOKEN")),
        }
        if not well_formed_region(region):
            # AWS checks the SigV4 scope before anything else: InvalidSignatureException, "Credential should be
            # scoped to a valid region, not '…'." (aws/aws-sdk-ruby#508, aws/aws-sdk-java#1097); a JSON error, never moto's 500 page.
            payload = {"__type": "InvalidSignatureException", "message": f"Credential should be scoped to a valid region, not '{region}'. "}
            self.log.add(**entry, status=400, error=payload["__type"], fault=None)
            return _json_response(start_response, "400 Bad Request", payload)
        if not self.accounts.enabled(account, region):
            # An opt-in region the account has not enabled does not know its credentials (accounts.py).
            payload = {"__type": "UnrecognizedClientException", "message": INVALID_TOKEN}
            self.log.add(**entry, status=400, error=payload["__type"], fault=None)
            return _json_response(start_response, "400 Bad Request", payload)
        # moto would answer an unknown (well-formed) region with a 500 page
        (ecs.backend if service == "ecs" else backend)(region, account)
        latency = self.faults.latency(operation, params)
        if latency:
            time.sleep(latency)
        if not self.limits.allow(account, region, operation, service):
            # The account's bucket for this operation is empty: AWS answers before serving, the call changes
            # nothing, and no fault rule is consulted (its counters stay for a call that gets through).
            status, payload = _FAULT_BODIES["throttle"]
            self.log.add(**entry, status=400, error=payload["__type"], fault="rate_limit")
            return _json_response(start_response, status, payload)
        _latency, fault, rule = self.faults.decide(operation, params)
        if fault == "drop":
            self.log.add(**entry, status=0, error=None, fault=fault)
            return _dropped(environ, start_response)
        if fault == "drop_after":
            # The call is served (state changes, the log shows its real status), then the answer is lost.
            captured_after: dict[str, Any] = {}

            def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
                del headers, exc_info
                captured_after["status"] = int(status.split()[0])
                return lambda data: None

            body = b"".join(self.app(environ, keep))
            status = captured_after.get("status", 500)
            self.log.add(**entry, status=status, error=_error_code(body) if status >= 400 else None, fault=fault)
            return _dropped(environ, start_response)
        if fault == "reject" and rule is not None:
            # The whole call is refused with one SSM error, as SSM does when it objects to one ID of a batch.
            payload = {"__type": rule.reject_code, "message": rule.reject_message}
            self.log.add(**entry, status=int(rule.reject_status), error=rule.reject_code, fault=fault)
            code = int(rule.reject_status)
            return _json_response(start_response, f"{code} {http.HTTPStatus(code).phrase}", payload)
        if fault:
            status, payload = _FAULT_BODIES[fault]
            self.log.add(**entry, status=int(status.split()[0]), error=payload["__type"], fault=fault)
            return _json_response(start_response, status, payload)
        chunks, served_status = serve(self.app, environ, start_response)
        self.log.add(**entry, status=served_status, error=_error_code(b"".join(chunks)) if served_status >= 400 else None, fault=None)
        return chunks
