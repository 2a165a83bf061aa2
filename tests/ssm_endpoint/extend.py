"""Extend (not fork) moto's SSM backend and response classes with the operations it lacks.

moto dispatches ``X-Amz-Target: AmazonSSM.CancelCommand`` to ``SimpleSystemManagerResponse.cancel_command``,
so adding methods is enough for moto's server to answer them.  The backend's ``__init__`` is wrapped so
every account+region backend gets its own ``hybridops_fleet`` and ``hybridops_commands``, rebuilt whenever
moto resets (``/moto-api/reset`` re-runs ``__init__``).  SendCommand/ListCommands/GetCommandInvocation are
replaced because moto's commands have no status model; tagging is only taken over for ManagedInstance.
"""

import datetime
import functools
import json
import re
import threading
from typing import Any
from typing import Callable

from botocore.utils import parse_to_aware_datetime
from moto import backends as moto_backends
from moto.core.base_backend import backend_lock
from moto.core.responses import ActionResult
from moto.core.responses import EmptyResult
from moto.core.serialize import TimestampSerializer
from moto.ssm.models import SimpleSystemManagerBackend
from moto.ssm.models import ssm_backends
from moto.ssm.responses import SimpleSystemManagerResponse

from . import ecs
from .clock import CLOCK
from .commands import CommandStore
from .fleet import Fleet
from .validation import validate

STATE_LOCK = threading.RLock()
# The shape of every AWS region name: partition letters, one or more words, a number.
REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
_ORIGINALS: dict[str, Callable[..., Any]] = {}
# SSM's protocol: JSON 1.1 (the model's jsonVersion), as moto's serializer labels its bodies.
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"


def raw_params(response: Any) -> dict[str, Any]:
    """The request's JSON body as sent (moto's parsed params convert types we want raw)."""
    body = response.body
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return json.loads(body) if body else {}


def _json_time(value: Any) -> int | float:
    """A timestamp as moto's JSON serializer writes it (epoch seconds, milliseconds when there are any)."""
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return TimestampSerializer._timestamp_unixtimestamp(parse_to_aware_datetime(value))  # pylint: disable=protected-access


def _api(operation: str, handler: Callable[[Any, dict[str, Any]], dict[str, Any] | None], as_json: bool = False) -> Callable[[Any], Any]:
    """Build a response method: validate against the model, run the handler under the state lock.

    ``as_json``: the handler's result is already in the model's shape, and large; the body is written as moto's
    JSON serializer writes it, without walking the model for every value (a page of 50 nodes takes that walk
    about 18 ms of the endpoint's one CPU, and the organisation bench asks 80 such pages at once; test_extend.py
    checks the two bodies are the same).
    """

    def method(self: Any) -> Any:
        params = raw_params(self)
        validate(operation, params)
        with STATE_LOCK:
            result = handler(self.ssm_backend, params)
        if as_json:
            return 200, {"Content-Type": JSON_CONTENT_TYPE}, json.dumps(result, default=_json_time)
        return ActionResult(result) if result else EmptyResult()

    method.__name__ = operation
    method.__doc__ = f"{operation} served by the hybridops extension."
    return method


def _tagging(operation: str, original: str, handler: Callable[[Any, dict[str, Any]], dict[str, Any] | None]) -> Callable[[Any], Any]:
    """ManagedInstance tagging goes to our fleet; every other resource type stays with moto."""
    ours = _api(operation, handler)

    def method(self: Any) -> ActionResult:
        if raw_params(self).get("ResourceType") == "ManagedInstance":
            return ours(self)
        return _ORIGINALS[original](self)

    method.__name__ = original
    return method


def _paged(key: str, result: tuple[list[dict[str, Any]], str | None]) -> dict[str, Any]:
    items, token = result
    out: dict[str, Any] = {key: items}
    if token:
        out["NextToken"] = token
    return out


def _create_activation(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    activation = backend.hybridops_fleet.activations.create(params)
    return {"ActivationId": activation.activation_id, "ActivationCode": activation.activation_code}


def _send_command(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    return {"Command": backend.hybridops_commands.send(params, backend.hybridops_fleet).to_api()}


HANDLERS: dict[str, Callable[[Any], Any]] = {
    "create_activation": _api("CreateActivation", _create_activation),
    "describe_activations": _api("DescribeActivations", lambda b, p: _paged("ActivationList", b.hybridops_fleet.activations.describe(p))),
    "delete_activation": _api("DeleteActivation", lambda b, p: b.hybridops_fleet.activations.delete(p["ActivationId"])),
    "describe_instance_information": _api(
        "DescribeInstanceInformation", lambda b, p: _paged("InstanceInformationList", b.hybridops_fleet.describe(p)), as_json=True
    ),
    "deregister_managed_instance": _api("DeregisterManagedInstance", lambda b, p: b.hybridops_fleet.deregister(p["InstanceId"])),
    "update_managed_instance_role": _api("UpdateManagedInstanceRole", lambda b, p: b.hybridops_fleet.update_role(p["InstanceId"], p["IamRole"])),
    "send_command": _api("SendCommand", _send_command),
    "cancel_command": _api("CancelCommand", lambda b, p: b.hybridops_commands.cancel(p["CommandId"], p.get("InstanceIds"))),
    "list_commands": _api("ListCommands", lambda b, p: _paged("Commands", b.hybridops_commands.list_commands(p))),
    "list_command_invocations": _api("ListCommandInvocations", lambda b, p: _paged("CommandInvocations", b.hybridops_commands.list_invocations(p))),
    "get_command_invocation": _api(
        "GetCommandInvocation", lambda b, p: b.hybridops_commands.get_invocation(p["CommandId"], p["InstanceId"], p.get("PluginName"))
    ),
    "add_tags_to_resource": _tagging("AddTagsToResource", "add_tags_to_resource", lambda b, p: b.hybridops_fleet.add_tags(p["ResourceId"], p["Tags"])),
    "remove_tags_from_resource": _tagging(
        "RemoveTagsFromResource", "remove_tags_from_resource", lambda b, p: b.hybridops_fleet.remove_tags(p["ResourceId"], p["TagKeys"])
    ),
    "list_tags_for_resource": _tagging("ListTagsForResource", "list_tags_for_resource", lambda b, p: {"TagList": b.hybridops_fleet.list_tags(p["ResourceId"])}),
}


def _wrap_init(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def __init__(self: Any, region_name: str, account_id: str) -> None:
        original(self, region_name, account_id)
        self.hybridops_fleet = Fleet(region_name)
        self.hybridops_commands = CommandStore()

    return __init__


def well_formed_region(region: str) -> bool:
    """Whether ``region`` has the shape of an AWS region name (``us-east-1``, ``us-gov-west-1``, ``xx-test-9``)."""
    return bool(REGION_NAME.match(region))


def backend(region: str = "us-east-1", account: str = "123456789012") -> Any:
    """The (extended) SSM backend of one account and region, made on first use for any well-formed region.

    moto only makes backends for the regions its own list names (any other answers a KeyError, a 500 HTML
    page): AWS adds regions, and a region opted in later is still a region, so every well-formed name is served.
    """
    if not well_formed_region(region):
        raise ValueError(f"region {region!r} is not a region name")
    regions = ssm_backends[account]
    if region not in regions.keys():
        with backend_lock:
            if region not in regions.keys():
                regions[region] = SimpleSystemManagerBackend(region, account)
    return regions[region]


def all_backends() -> list[Any]:
    """Every SSM backend instantiated so far."""
    return [b for _account, _region, b in ssm_backends.iter_backends()]


def step_all(steps: int = 1) -> None:
    """Advance every command invocation of every backend (the clock's stepper)."""
    with STATE_LOCK:
        for _unused in range(steps):
            for ssm in all_backends():
                ssm.hybridops_commands.step(ssm.hybridops_fleet)
                ssm.hybridops_fleet.step_hosts()
            ecs.step_all()  # the ECS service scheduler: draining


def _list_moto_modules_once() -> None:
    """moto's server looks up the backend of every request in a fresh listing of its own package directory
    (a listdir plus a stat per entry, under a global lock): about 40% of a DeregisterManagedInstance's CPU
    here (docs/performance.md). The listing cannot change while the server runs, so take it once. Nothing else changes."""
    modules = tuple(moto_backends.list_of_moto_modules())
    moto_backends.list_of_moto_modules = lambda: modules


def install() -> None:
    """Patch moto once per process; safe to call repeatedly."""
    if _ORIGINALS:
        return
    _list_moto_modules_once()
    ecs.install()
    for name in HANDLERS:
        original = getattr(SimpleSystemManagerResponse, name, None)
        if original is not None:
            _ORIGINALS[name] = original
    _ORIGINALS["__init__"] = SimpleSystemManagerBackend.__init__
    SimpleSystemManagerBackend.__init__ = _wrap_init(SimpleSystemManagerBackend.__init__)  # type: ignore[method-assign]
    for name, method in HANDLERS.items():
        setattr(SimpleSystemManagerResponse, name, method)
    # Backends created before install() lack our stores.
    for ssm in all_backends():
        if not hasattr(ssm, "hybridops_fleet"):
            ssm.hybridops_fleet, ssm.hybridops_commands = Fleet(ssm.region_name), CommandStore()
    CLOCK.set_stepper(step_all)
