"""Eventual-consistency bookkeeping: values whose writes are durable at once but read stale for a while.

SSM's reads lag its writes: a new command's invocations list empty for about a second (aws-cli#3546,
aws/aws-sdk#190), a deregistered node keeps listing (aws/eks-hybrid polls for minutes). ``Lagged`` keeps
each written version with the endpoint time from which reads see it.
"""

import datetime
from typing import Generic
from typing import TypeVar

from .clock import CLOCK

T = TypeVar("T")


def after(seconds: float) -> datetime.datetime:
    """Endpoint time ``seconds`` from now."""
    return CLOCK.now() + datetime.timedelta(seconds=seconds)


def due(moment: datetime.datetime | None) -> bool:
    """True when ``moment`` (None = always) is not in the future on the endpoint clock."""
    return moment is None or CLOCK.now() >= moment


class Lagged(Generic[T]):
    """A value with versions: ``latest()`` is what was written, ``visible()`` what reads see now."""

    def __init__(self, value: T) -> None:
        self._versions: list[tuple[datetime.datetime | None, T]] = [(None, value)]

    def latest(self) -> T:
        """The last written version (writes build on it)."""
        return self._versions[-1][1]

    def write(self, value: T, lag_s: float) -> None:
        """Store a new version, visible to reads after ``lag_s`` seconds."""
        self._versions.append((after(lag_s) if lag_s > 0 else None, value))
        self._compact()

    def visible(self) -> T:
        """The newest version reads may see now."""
        self._compact()
        for moment, value in reversed(self._versions):
            if due(moment):
                return value
        return self._versions[0][1]

    def _compact(self) -> None:
        # Versions older than the newest visible one can never be read again.
        for index in range(len(self._versions) - 1, 0, -1):
            if due(self._versions[index][0]):
                del self._versions[:index]
                return
