"""NextToken paging shared by the list/describe operations.

Tokens are opaque to clients but simply encode an offset into a stably ordered list; a token
this endpoint did not issue (or issued for another operation) is rejected as InvalidNextToken.
"""

import base64
import json
from typing import Any
from typing import Callable
from typing import Sequence

from .errors import InvalidNextToken


def _encode(scope: str, offset: int) -> str:
    raw = json.dumps({"scope": scope, "offset": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode(scope: str, token: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(data["offset"])
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidNextToken() from exc
    if data.get("scope") != scope or offset < 0:
        raise InvalidNextToken()
    return offset


def page(scope: str, items: Sequence[Any], max_results: int | None, next_token: str | None, default: int = 50) -> tuple[list[Any], str | None]:
    """Return one page of ``items`` and the token for the next page (None at the end)."""
    start = _decode(scope, next_token) if next_token else 0
    size = max_results or default
    chunk = list(items[start : start + size])
    following = start + size
    return chunk, (_encode(scope, following) if following < len(items) else None)


def window(
    scope: str, items: Sequence[Any], keep: Callable[[Any], bool], max_results: int | None, next_token: str | None, default: int = 50
) -> tuple[list[Any], str | None]:
    """Filter one window of the UNFILTERED ``items``: the page may be short or empty and still have a token."""
    start = _decode(scope, next_token) if next_token else 0
    size = max_results or default
    chunk = [item for item in items[start : start + size] if keep(item)]
    following = start + size
    return chunk, (_encode(scope, following) if following < len(items) else None)
