"""Run Command with a status model: SendCommand, CancelCommand, the list calls, GetCommandInvocation.

moto's own commands never change status; here every invocation moves through
Pending -> InProgress -> outcome on clock steps, and CancelCommand moves it to Cancelling ->
Cancelled (or lets it finish first: the cancel race the collection must survive).

With ``offline_agents`` (realism.py) an invocation whose node is not Online does not progress: SSM delivers
commands and cancels through the agent (AWS user guide, "Understanding command statuses": In Progress until
the agent returns or the timeout passes; an undelivered one is Delayed, and Undeliverable once the node is gone;
invocations.py). When the command expires (``ExpiresAfter`` = request time +
TimeoutSeconds, default 3600 s, on the endpoint clock), Pending/Delayed/InProgress end TimedOut with
StatusDetails DeliveryTimedOut (API reference, Command.ExpiresAfter: "If a command expires, it changes status
to DeliveryTimedOut for all invocations that have the status InProgress, Pending, or Delayed"). What happens to
a Cancelling one is not documented: we pick the messier legal outcome, DeliveryTimedOut too (the cancel
never reached the agent). With ``command_visibility_lag_s`` a new command is invisible to the list calls and
GetCommandInvocation for a moment (aws-cli#3546, aws/aws-sdk#190: ListCommandInvocations answers an empty
list); CancelCommand in that window is accepted (not documented; the messier legal choice). With
``sparse_pages`` a listing with Filters filters one window of the unfiltered list per page, as
DescribeInstanceInformation does: short or empty pages with a NextToken (boto3#2643, boto3#3791).
"""

import dataclasses
import datetime
import uuid
from typing import Any
from typing import Callable

from .clock import CLOCK
from .consistency import after
from .consistency import due
from .errors import DuplicateInstanceId
from .errors import InvalidCommandId
from .errors import InvalidFilterKey
from .errors import InvalidInstanceId
from .errors import InvalidParameters
from .errors import InvalidPluginName
from .errors import InvocationDoesNotExist
from .errors import ValidationException
from .hosts import PLUGIN_OUTPUT_LIMIT
from .hosts import runner_for
from .invocations import DELIVERY_TIMED_OUT
from .invocations import DETAILS
from .invocations import INVOCATION_STATUSES
from .invocations import TERMINAL
from .invocations import UNDELIVERABLE
from .invocations import Invocation
from .invocations import aggregate_invocations
from .paging import page
from .paging import window
from .realism import REALISM

# Status filter values per call: the lists of the model's documentation of CommandFilter.value (the API
# reference). They are not the status enums: neither list has Cancelling, and ListCommands has no Delayed (a
# command is never Delayed). A value that is a status matches Status (TimedOut: delivery and execution
# timeouts alike); the others (DeliveryTimedOut, ExecutionTimedOut, AccessDenied, ...) match StatusDetails.
STATUS_FILTER_VALUES = {
    "ListCommands": (
        "Pending",
        "InProgress",
        "Success",
        "Cancelled",
        "Failed",
        "TimedOut",
        "AccessDenied",
        "DeliveryTimedOut",
        "ExecutionTimedOut",
        "Incomplete",
        "NoInstancesInTag",
        "LimitExceeded",
    ),
    "ListCommandInvocations": (
        "Pending",
        "InProgress",
        "Delayed",
        "Success",
        "Cancelled",
        "Failed",
        "TimedOut",
        "AccessDenied",
        "DeliveryTimedOut",
        "ExecutionTimedOut",
        "Undeliverable",
        "InvalidPlatform",
        "Terminated",
    ),
}
EXECUTION_STAGES = ("Executing", "Complete")
PENDING_WITH_INSTANCE = (
    "You can't specify a managed node ID in the same command that you specify Status = Pending. "
    "This is because the command hasn't reached the managed node yet."
)


@dataclasses.dataclass
class Command:
    """One SendCommand request."""

    command_id: str
    document_name: str
    requested: datetime.datetime
    params: dict[str, Any]
    invocations: dict[str, Invocation]
    visible_at: datetime.datetime | None = None

    @property
    def timeout(self) -> int:
        """TimeoutSeconds of the request (default 3600)."""
        return int(self.params.get("TimeoutSeconds") or 3600)

    @property
    def expires(self) -> datetime.datetime:
        """ExpiresAfter: request time plus TimeoutSeconds."""
        return self.requested + datetime.timedelta(seconds=self.timeout)

    def visible(self) -> bool:
        """Whether reads see this command yet (command_visibility_lag_s)."""
        return due(self.visible_at)

    @property
    def plugin(self) -> str:
        """The single plugin of the document (PowerShell documents differ)."""
        return "aws:runPowerShellScript" if "PowerShell" in self.document_name else "aws:runShellScript"

    def status(self) -> str:
        """Aggregated status (Success for a command with no targets)."""
        return aggregate_invocations(list(self.invocations.values()))

    def status_details(self) -> str:
        """StatusDetails: the status, or which timeout ended it (DeliveryTimedOut when no execution timed out)."""
        status = self.status()
        if status == "TimedOut" and "ExecutionTimedOut" not in [i.status_details for i in self.invocations.values()]:
            return DELIVERY_TIMED_OUT
        return DETAILS.get(status, status)

    def to_api(self) -> dict[str, Any]:
        """The Command structure of SendCommand / ListCommands."""
        statuses = [i.status for i in self.invocations.values()]
        status = self.status()
        details = [i.status_details for i in self.invocations.values()]
        delivery = sum(d == DELIVERY_TIMED_OUT for d in details)
        undeliverable = sum(d == UNDELIVERABLE for d in details)
        status_details = self.status_details()
        return {
            "CommandId": self.command_id,
            "DocumentName": self.document_name,
            "DocumentVersion": "$DEFAULT",
            "Comment": self.params.get("Comment", ""),
            "Parameters": self.params.get("Parameters") or {},
            "InstanceIds": list(self.params.get("InstanceIds") or []),
            "Targets": list(self.params.get("Targets") or []),
            "RequestedDateTime": self.requested,
            "ExpiresAfter": self.expires,
            "Status": status,
            "StatusDetails": status_details,
            "TargetCount": len(statuses),
            "CompletedCount": sum(s in TERMINAL for s in statuses),
            # Delivery timeouts and Undeliverable do not count against MaxErrors (user guide, command statuses): not in ErrorCount.
            "ErrorCount": sum(s in ("Failed", "TimedOut") for s in statuses) - delivery - undeliverable,
            "DeliveryTimedOutCount": delivery,
            "MaxConcurrency": self.params.get("MaxConcurrency", "50"),
            "MaxErrors": self.params.get("MaxErrors", "0"),
            "TimeoutSeconds": self.timeout,
        }

    def invocation_to_api(self, inv: Invocation, details: bool) -> dict[str, Any]:
        """The CommandInvocation structure of ListCommandInvocations."""
        item: dict[str, Any] = {
            "CommandId": self.command_id,
            "InstanceId": inv.instance_id,
            "InstanceName": inv.instance_name,
            "Comment": self.params.get("Comment", ""),
            "DocumentName": self.document_name,
            "DocumentVersion": "$DEFAULT",
            "RequestedDateTime": self.requested,
            "Status": inv.status,
            "StatusDetails": inv.status_details,
            "TraceOutput": "",
            "StandardOutputUrl": "",
            "StandardErrorUrl": "",
            "CommandPlugins": [],
        }
        if details:
            plugin = {
                "Name": self.plugin,
                "Status": inv.status,
                "StatusDetails": item["StatusDetails"],
                "ResponseCode": inv.response_code(),
                "Output": inv.stdout[:PLUGIN_OUTPUT_LIMIT],
                "StandardOutputUrl": "",
                "StandardErrorUrl": "",
            }
            if inv.started:
                plugin["ResponseStartDateTime"] = inv.started
            if inv.ended:
                plugin["ResponseFinishDateTime"] = inv.ended
            item["CommandPlugins"] = [plugin]
        return item


def _parse_time(value: str) -> datetime.datetime:
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationException(f"Invalid timestamp filter value '{value}'") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def _check_value(operation: str, key: str, value: str, allowed: tuple[str, ...]) -> None:
    """Refuse a filter value the API reference does not list for this key and call.

    Which code AWS answers is not documented; InvalidFilterKey is the only filter error the list calls declare.
    """
    if value not in allowed:
        raise InvalidFilterKey(f"The filter value {value} is not valid for key {key} in {operation}. Valid values: {', '.join(allowed)}.")


def _listed(scope: str, items: list[Any], keep: Callable[[Any], bool], params: dict[str, Any]) -> tuple[list[Any], str | None]:
    """One page: with Filters and sparse_pages, one window of the unfiltered list filtered (short or empty pages
    with a NextToken); otherwise the filtered list paged."""
    if params.get("Filters") and REALISM.sparse_pages:
        return window(scope, items, keep, params.get("MaxResults"), params.get("NextToken"))
    return page(scope, [item for item in items if keep(item)], params.get("MaxResults"), params.get("NextToken"))


class CommandStore:
    """Commands of one account and region."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self.defaults = {"outcome": "Success", "duration_steps": 1}

    def send(self, params: dict[str, Any], fleet: Any) -> Command:
        """SendCommand against registered nodes (InstanceIds, or Targets by InstanceIds/tag)."""
        ids = list(params.get("InstanceIds") or [])
        if len(set(ids)) != len(ids):
            raise DuplicateInstanceId()
        for target in params.get("Targets") or []:
            ids += self._resolve_target(target, fleet)
        if not params.get("InstanceIds") and not params.get("Targets"):
            raise InvalidParameters("Specify InstanceIds or Targets.")
        unknown = [i for i in ids if i not in fleet.nodes]
        if unknown:
            raise InvalidInstanceId(f"Instances [{', '.join(unknown)}] not in a valid state for account")
        invocations = {}
        for instance_id in dict.fromkeys(ids):
            name = fleet.nodes[instance_id].name or ""
            invocations[instance_id] = Invocation(instance_id, name, self.defaults["outcome"], int(self.defaults["duration_steps"]))
        lag = REALISM.command_visibility_lag_s
        command = Command(str(uuid.uuid4()), params["DocumentName"], CLOCK.now(), params, invocations, after(lag) if lag > 0 else None)
        for instance_id, inv in invocations.items():
            inv.runner = runner_for(getattr(fleet.nodes[instance_id], "host", None), command.document_name, command.command_id, params)
        self.commands[command.command_id] = command
        return command

    @staticmethod
    def _resolve_target(target: dict[str, Any], fleet: Any) -> list[str]:
        key, values = target.get("Key", ""), set(target.get("Values") or [])
        if key == "InstanceIds":
            return list(values)
        if key.startswith("tag:"):
            return [n.instance_id for n in fleet.nodes.values() if n.visible_tags().get(key[4:]) in values]
        if key == "tag-key":
            return [n.instance_id for n in fleet.nodes.values() if values & set(n.visible_tags())]
        raise InvalidParameters(f"Target key {key} is not supported by this endpoint.")

    def get(self, command_id: str) -> Command:
        """A command or InvalidCommandId."""
        command = self.commands.get(command_id)
        if command is None:
            raise InvalidCommandId()
        return command

    def cancel(self, command_id: str, instance_ids: list[str] | None) -> None:
        """CancelCommand: accepted asynchronously; an invocation may still finish (finish_before_cancel)."""
        command = self.get(command_id)
        if instance_ids is not None and len(set(instance_ids)) != len(instance_ids):
            raise DuplicateInstanceId()
        targets = instance_ids if instance_ids else list(command.invocations)
        unknown = [i for i in targets if i not in command.invocations]
        if unknown:
            raise InvalidInstanceId(f"Command {command_id} was not sent to {', '.join(unknown)}")
        for instance_id in targets:
            inv = command.invocations[instance_id]
            if inv.status not in TERMINAL and inv.status != "Cancelling":
                if inv.finish_before_cancel:
                    inv.finish(inv.outcome)
                else:
                    inv.status = "Cancelling"

    def _filters(self, params: dict[str, Any], operation: str) -> list[Callable[[Command, str, str], bool]]:
        """The filters as tests of (command, status, status details); the values as the API reference lists them."""
        checks: list[Callable[[Command, str, str], bool]] = []
        for flt in params.get("Filters") or []:
            key, value = flt.get("key"), flt.get("value", "")
            if key == "InvokedAfter":
                after = _parse_time(value)
                checks.append(lambda c, s, d, t=after: c.requested >= t)
            elif key == "InvokedBefore":
                before = _parse_time(value)
                checks.append(lambda c, s, d, t=before: c.requested <= t)
            elif key == "Status":
                _check_value(operation, key, value, STATUS_FILTER_VALUES[operation])
                if value == "Pending" and params.get("InstanceId"):
                    raise InvalidFilterKey(PENDING_WITH_INSTANCE)
                if value in INVOCATION_STATUSES:
                    checks.append(lambda c, s, d, v=value: s == v)
                else:
                    checks.append(lambda c, s, d, v=value: d == v)
            elif key == "ExecutionStage" and operation == "ListCommands":
                _check_value(operation, key, value, EXECUTION_STAGES)
                checks.append(lambda c, s, d, v=value: (s in TERMINAL) == (v == "Complete"))
            elif key == "DocumentName":
                checks.append(lambda c, s, d, v=value: c.document_name == v)
            else:
                raise InvalidFilterKey(f"The filter key {key} is not valid for this operation.")
        return checks

    def _selected(self, params: dict[str, Any]) -> list[Command]:
        # A command inside its visibility lag lists as nothing, also when asked for by ID: AWS answers 200 with
        # an empty list there (aws-cli#3546), so a client must not read "empty" as "no such command".
        if params.get("CommandId"):
            command = self.get(params["CommandId"])
            return [command] if command.visible() else []
        return [c for c in reversed(self.commands.values()) if c.visible()]  # insertion order is request order

    def list_commands(self, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        """ListCommands, newest first."""
        checks = self._filters(params, "ListCommands")
        instance_id = params.get("InstanceId")
        found = [c for c in self._selected(params) if not instance_id or instance_id in c.invocations]
        chunk, token = _listed("ListCommands", found, lambda c: all(chk(c, c.status(), c.status_details()) for chk in checks), params)
        return [c.to_api() for c in chunk], token

    def list_invocations(self, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        """ListCommandInvocations, newest command first, then target order."""
        checks = self._filters(params, "ListCommandInvocations")
        instance_id = params.get("InstanceId")
        found = [(c, inv) for c in self._selected(params) for inv in c.invocations.values() if not instance_id or inv.instance_id == instance_id]
        chunk, token = _listed(
            "ListCommandInvocations", found, lambda pair: all(chk(pair[0], pair[1].status, pair[1].status_details) for chk in checks), params
        )
        return [c.invocation_to_api(inv, bool(params.get("Details"))) for c, inv in chunk], token

    def get_invocation(self, command_id: str, instance_id: str, plugin_name: str | None) -> dict[str, Any]:
        """GetCommandInvocation."""
        command = self.commands.get(command_id)
        if command is None or not command.visible() or instance_id not in command.invocations:
            raise InvocationDoesNotExist()
        if plugin_name and plugin_name != command.plugin:
            raise InvalidPluginName()
        inv = command.invocations[instance_id]
        elapsed = (inv.ended - inv.started).total_seconds() if inv.started and inv.ended else 0.0
        return {
            "CommandId": command_id,
            "InstanceId": instance_id,
            "Comment": command.params.get("Comment", ""),
            "DocumentName": command.document_name,
            "DocumentVersion": "$DEFAULT",
            "PluginName": command.plugin,
            "ResponseCode": inv.response_code(),
            "Status": inv.status,
            "StatusDetails": inv.status_details,
            "ExecutionStartDateTime": inv.started.isoformat() if inv.started else "",
            "ExecutionEndDateTime": inv.ended.isoformat() if inv.ended else "",
            "ExecutionElapsedTime": f"PT{elapsed:.3f}S" if inv.ended else "",
            "StandardOutputContent": inv.stdout,
            "StandardOutputUrl": "",
            "StandardErrorContent": inv.stderr,
            "StandardErrorUrl": "",
        }

    def step(self, fleet: Any = None) -> None:
        """Advance every invocation by one clock step (agents of nodes that are not Online stay put)."""
        now = CLOCK.now()
        for command in self.commands.values():
            expired = now >= command.expires
            for inv in command.invocations.values():
                online = fleet is None or fleet.is_online(inv.instance_id)
                inv.step(online=online, expired=expired, registered=fleet is None or inv.instance_id in fleet.nodes)

    def set_invocation(self, params: dict[str, Any]) -> None:
        """Test-only: script outcome/duration/race of one or all invocations, or force a status now."""
        command = self.get(params["command_id"])
        targets = [params["instance_id"]] if params.get("instance_id") else list(command.invocations)
        for instance_id in targets:
            if instance_id not in command.invocations:
                raise InvocationDoesNotExist()
            inv = command.invocations[instance_id]
            if params.get("outcome"):
                inv.outcome = params["outcome"]
            if params.get("duration_steps") is not None:
                inv.duration_steps = int(params["duration_steps"])
            if params.get("finish_before_cancel") is not None:
                inv.finish_before_cancel = bool(params["finish_before_cancel"])
            if params.get("status"):
                if params["status"] not in INVOCATION_STATUSES:
                    raise ValidationException(f"Unknown status {params['status']}")
                if params["status"] in TERMINAL:
                    inv.finish(params["status"])
                else:
                    inv.status = params["status"]
