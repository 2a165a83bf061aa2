"""The request log: which SSM operations reached the endpoint, with what, and how they ended.

Tests and demos assert on it (e.g. "no DeregisterManagedInstance in check mode").  Credentials are
never recorded: only whether a session token was sent.
"""

import threading
import time
from typing import Any
from typing import Callable
from typing import Iterable


class RequestLog:
    """Append-only, thread-safe list of SSM calls with increasing ``seq`` numbers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._seq = 0

    def add(self, **entry: Any) -> None:
        """Record one call (fields as documented in the README)."""
        with self._lock:
            self._seq += 1
            self._entries.append({"seq": self._seq, "time": time.time(), **entry})

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        """Entries with ``seq`` greater than the given one."""
        with self._lock:
            return [e for e in self._entries if e["seq"] > seq]

    def clear(self) -> None:
        """Forget all entries; sequence numbers keep increasing so ``since`` stays meaningful."""
        with self._lock:
            self._entries.clear()


def serve(app: Callable[..., Iterable[bytes]], environ: dict[str, Any], start_response: Callable[..., Any]) -> tuple[list[bytes], int]:
    """Pass a call on to moto; its answer (to return as it is) and the HTTP status it was served with (for the log)."""
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
        captured["status"] = int(status.split()[0])
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

    chunks = list(app(environ, capture))
    return chunks, captured.get("status", 500)
