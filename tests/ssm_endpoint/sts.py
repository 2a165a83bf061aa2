"""STS on the endpoint's port: moto's STS backend behind the trust check, opt-in regions and the request log.

STS speaks the query protocol (form-encoded ``Action=AssumeRole&…``, XML answers), so its errors are
written here in AWS's XML error shape (STS API reference, "Common Errors"; botocore parses ``Code`` and
``Message`` from it). A fault rule that names an STS operation (``set_faults(operation="AssumeRole", ...)``)
applies to it: throttled (``Throttling``, "Rate exceeded", as STS answers past its request quota: IAM user guide,
"IAM and AWS STS quotas"), a server error (``InternalFailure``, 500), a rejection, latency; a ``*`` rule does not
(it is SSM's and ECS's), nor do dropped connections or rate limits (not modelled).
"""

import http
import io
import re
import time
import urllib.parse
import uuid
from typing import Any
from typing import Callable
from typing import Iterable
from typing import NamedTuple
from xml.sax.saxutils import escape

from .accounts import INVALID_TOKEN
from .accounts import Accounts
from .faults import Faults
from .requestlog import RequestLog
from .requestlog import serve as served

# Never logged: a request's external ID works like a shared secret between the two accounts' owners.
REDACTED = ("ExternalId",)
_CODE = re.compile(rb"<Code>([^<]+)</Code>")
_FAULTS = {
    "throttle": ("400 Bad Request", "Throttling", "Rate exceeded"),
    "server_error": ("500 Internal Server Error", "InternalFailure", "The request processing has failed because of an unknown error."),
}


class Caller(NamedTuple):
    """Who signed the call: its access key ID, the scope's region, and the account the key belongs to."""

    access_key: str
    region: str
    account: str


def _xml_error(start_response: Callable[..., Any], status: str, code: str, message: str) -> list[bytes]:
    kind = "Receiver" if status.startswith("5") else "Sender"
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>{kind}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()
    start_response(status, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


def _params(environ: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    text = raw.decode("utf-8", "replace") or environ.get("QUERY_STRING", "")
    return raw, dict(urllib.parse.parse_qsl(text, keep_blank_values=True))


def serve(
    app: Callable[..., Iterable[bytes]],
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    caller: Caller,
    log: RequestLog,
    accounts: Accounts,
    faults: Faults | None = None,
) -> Iterable[bytes]:
    """Answer one STS call: refused as AWS would (disabled region, untrusted AssumeRole), a fault its rule decides,
    else moto's answer; logged."""
    raw, params = _params(environ)
    environ["wsgi.input"] = io.BytesIO(raw)
    environ["CONTENT_LENGTH"] = str(len(raw))
    operation = params.get("Action", "")
    logged = {k: ("<redacted>" if k in REDACTED else v) for k, v in params.items() if k not in ("Action", "Version")}
    entry = {
        "service": "sts",
        "operation": operation,
        "region": caller.region,
        "account": caller.account,
        "params": logged,
        "session_token_sent": bool(environ.get("HTTP_X_AMZ_SECURITY_TOKEN")),
    }
    refusal = None
    if not accounts.enabled(caller.account, caller.region):
        refusal = ("403 Forbidden", "InvalidClientTokenId", INVALID_TOKEN + ".")
    elif operation == "AssumeRole":
        denied = accounts.denial(caller.account, caller.access_key, caller.region, params)
        if denied:
            refusal = ("403 Forbidden", "AccessDenied", denied)
    fault = None
    if refusal is None and faults is not None:
        latency, fault, rule = faults.decide_named(operation)
        if latency:
            time.sleep(latency)
        if fault == "reject" and rule is not None:
            code = int(rule.reject_status)
            refusal = (f"{code} {http.HTTPStatus(code).phrase}", rule.reject_code, rule.reject_message)
        elif fault in _FAULTS:
            refusal = _FAULTS[fault]
        else:
            fault = None  # dropped connections are not modelled for STS
    if refusal:
        status, code, message = refusal
        log.add(**entry, status=int(status.split()[0]), error=code, fault=fault)
        return _xml_error(start_response, status, code, message)
    chunks, status_code = served(app, environ, start_response)
    match = _CODE.search(b"".join(chunks)) if status_code >= 400 else None
    log.add(**entry, status=status_code, error=match.group(1).decode() if match else None, fault=None)
    return chunks
