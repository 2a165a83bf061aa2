"""The status model of one invocation (one command on one node) and how a command's status follows from them.

Every invocation moves Pending -> InProgress -> outcome on clock steps, and Cancelling -> Cancelled. With
``offline_agents`` (realism.py) SSM can only deliver through the agent (AWS user guide, "Understanding command
statuses"): on a node whose agent is not Online an undelivered invocation turns Delayed (delivery was tried and
is retried), a delivered one stays InProgress or Cancelling until the agent returns; on a deregistered node an
undelivered one ends Failed with StatusDetails Undeliverable (the node no longer exists); at ExpiresAfter every
non-terminal one ends TimedOut with StatusDetails DeliveryTimedOut.

An invocation on a node seeded with a host has a ``runner`` (hosts.py): the script really runs (Linux) or is
modelled (Windows) from the step that moves it to InProgress, and the runner's result ends it (exit code as
ResponseCode, outputs, execution timeout). A node whose agent is not running (stopped, or without its keys)
picks nothing up: the invocation waits as undelivered.
"""

import dataclasses
import datetime
from typing import Any

from .clock import CLOCK
from .realism import REALISM

TERMINAL = ("Success", "Cancelled", "Failed", "TimedOut")
INVOCATION_STATUSES = ("Pending", "InProgress", "Delayed", "Success", "Cancelled", "Failed", "TimedOut", "Cancelling")
DETAILS = {"TimedOut": "ExecutionTimedOut"}
DELIVERY_TIMED_OUT = "DeliveryTimedOut"
UNDELIVERABLE = "Undeliverable"
NOT_DELIVERED = ("Pending", "Delayed")


def aggregate_invocations(invocations: list["Invocation"]) -> str:
    """Command status from its invocations; Undeliverable ones do not decide it (API reference, command statuses),
    unless every invocation is Undeliverable."""
    counted = [i.status for i in invocations if i.details != UNDELIVERABLE]
    return aggregate(counted) if counted or not invocations else "Failed"


def aggregate(statuses: list[str]) -> str:
    """Command status from its invocations (see README for why this order)."""
    if any(s not in TERMINAL for s in statuses):
        if "Cancelling" in statuses:
            return "Cancelling"
        return "Pending" if all(s == "Pending" for s in statuses) else "InProgress"
    for status in ("Failed", "TimedOut", "Cancelled"):
        if status in statuses:
            return status
    return "Success"


@dataclasses.dataclass
class Invocation:
    """One command on one node."""

    instance_id: str
    instance_name: str
    outcome: str
    duration_steps: int
    status: str = "Pending"
    finish_before_cancel: bool = False
    steps_running: int = 0
    started: datetime.datetime | None = None
    ended: datetime.datetime | None = None
    details: str | None = None
    runner: Any = None
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None

    @property
    def status_details(self) -> str:
        """StatusDetails: the status, or why it ended (ExecutionTimedOut / DeliveryTimedOut / Undeliverable)."""
        return self.details or DETAILS.get(self.status, self.status)

    def finish(self, status: str, details: str | None = None) -> None:
        """Move to a terminal status now."""
        self.status = status
        self.details = details
        self.ended = CLOCK.now()

    def step(self, online: bool = True, expired: bool = False, registered: bool = True) -> None:
        """One clock step of the model; with offline_agents an agent that is not Online takes nothing."""
        if self.status in TERMINAL:
            return
        if REALISM.offline_agents and not online:
            if not registered and self.status in NOT_DELIVERED:
                # The node no longer exists: SSM gives up on delivering (terminal, not counted in MaxErrors).
                self.finish("Failed", UNDELIVERABLE)
            elif expired:
                self.finish("TimedOut", DELIVERY_TIMED_OUT)
            elif self.status == "Pending":
                self.status = "Delayed"  # delivery was tried and failed; SSM retries until the agent answers
            return
        if self.status in ("Pending", "Delayed"):
            if self.runner is not None and not self.runner.deliverable():
                return  # the node's agent is not running: nothing picks the command up
            self.status, self.started = "InProgress", CLOCK.now()
            if self.runner is not None:
                self.runner.start()
        elif self.status == "InProgress" and self.runner is not None:
            result = self.runner.poll()
            if result is not None and result.reported:
                self.stdout, self.stderr, self.exit_code = result.stdout, result.stderr, result.code
                self.finish(result.status, result.details)
        elif self.status == "InProgress":
            self.steps_running += 1
            if self.steps_running >= self.duration_steps:
                self.finish(self.outcome)
        elif self.status == "Cancelling":
            if self.runner is not None:
                self.runner.cancel()
            self.finish("Cancelled")

    def response_code(self) -> int:
        """Exit code of the script as SSM reports it."""
        if self.exit_code is not None and self.status in TERMINAL:
            return self.exit_code
        return {"Success": 0, "Failed": 1}.get(self.status, -1)
