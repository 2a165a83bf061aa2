"""ECS on the same endpoint: moto's ECS backend, extended for ECS Anywhere (external container instances).

The decommission role must find, drain and deregister the container instance of a hybrid node before it
deregisters the node. moto's ECS backend has the clusters, task definitions, services, tasks and container
instances, and its server answers ``X-Amz-Target: AmazonEC2ContainerServiceV20141113.*`` by itself. What it
lacks, and this module adds (each behaviour with its public source):

* **external instances**: moto's ContainerInstance looks its ``ec2InstanceId`` up in moto's EC2 backend; an
  ECS Anywhere instance has none, its ``ec2InstanceId`` is the ``mi-`` ID of its SSM registration (REFERENCE.md
  section 2, ECS Anywhere). RegisterContainerInstance
  with an identity document naming an ``mi-`` ID, and the control API's ``ecs/seed``, make such instances.
* **listing**: ListClusters, ListContainerInstances, ListTasks page with ``maxResults`` 1-100 (default 100) and
  ``nextToken`` (botocore's ECS model: documentation of ``maxResults``); ListContainerInstances takes a
  ``filter`` in the cluster query language (a subset: below) and leaves INACTIVE instances out (model docs of
  ``status``); ListTasks lists desiredStatus RUNNING unless told otherwise (model docs of ``desiredStatus``).
* **limits**: DescribeContainerInstances and DescribeTasks take at most 100 IDs, UpdateContainerInstancesState
  at most 10 (model docs of ``containerInstances``/``tasks``); beyond that ECS answers
  ``InvalidParameterException`` "instanceIds can have at most 100 items." (traefik/traefik#3625,
  mapbox/ecs-watchbot#81) / "... at most 10 items." (minamijoyo/myaws#25).
* **draining** (AWS docs, "Draining Amazon ECS container instances"; botocore's ECS model, documentation of
  UpdateContainerInstancesState): service tasks on a DRAINING instance are stopped by the service scheduler
  and replaced on other ACTIVE instances where there is room; with ``minimumHealthyPercent`` 100 (the default
  of a REPLICA service) a task is not stopped before its replacement runs, so with no room elsewhere it keeps
  running. Tasks that belong to no service (RunTask/StartTask) are not affected: they run until stopped.
  Modelled on the endpoint clock: a service task stops ``drain_steps`` clock steps (default 2) after its
  instance turned DRAINING (and its replacement, when needed, was placed).
* **DeregisterContainerInstance**: with tasks running and no ``force`` → ``InvalidParameterException``
  "Found running tasks on the instance." (the API refuses unless forced: aws/amazon-ecs-agent#125; the
  wording is moto's); with ``force`` the tasks are orphaned (no longer accounted for by ECS: left out of
  ListTasks) and the scheduler replaces the service ones where it can (model docs of ``force``); the instance
  turns INACTIVE, leaves ListContainerInstances and stays describable.
* DescribeTasks does not advance a task's status (moto's moves RUNNING on towards STOPPED on every describe).

Everything else about ECS is moto's, unchanged.
"""

import copy
import datetime
import json
import re
import threading
import uuid
from typing import Any
from typing import Callable

from moto.core.base_backend import backend_lock
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ecs.models import ContainerInstance
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.models import ecs_backends
from moto.ecs.responses import EC2ContainerServiceResponse

from .errors import InvalidNextToken
from .paging import page

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
MANAGED_INSTANCE = re.compile(r"^mi-[0-9a-f]{17}$")
# ECS Anywhere's default instance resources are the host's; a modest host, as moto's EC2 default.
_RESOURCES = [
    {"doubleValue": 0.0, "integerValue": 4096, "longValue": 0, "name": "CPU", "type": "INTEGER"},
    {"doubleValue": 0.0, "integerValue": 7482, "longValue": 0, "name": "MEMORY", "type": "INTEGER"},
    {"doubleValue": 0.0, "integerValue": 0, "longValue": 0, "name": "PORTS", "stringSetValue": ["22", "2376", "2375", "51678", "51679"], "type": "STRINGSET"},
    {"doubleValue": 0.0, "integerValue": 0, "longValue": 0, "name": "PORTS_UDP", "stringSetValue": [], "type": "STRINGSET"},
]
_ORIGINALS: dict[str, Callable[..., Any]] = {}
LOCK = threading.RLock()


class ECSSettings:
    """Knobs of the ECS model (control API ``ecs/settings``); ``reset`` restores the defaults."""

    DEFAULTS = {"drain_steps": 2}

    def __init__(self) -> None:
        self.values = dict(self.DEFAULTS)

    def reset(self) -> None:
        """Back to the defaults."""
        self.values = dict(self.DEFAULTS)

    def configure(self, body: dict[str, Any]) -> dict[str, Any]:
        """Set knobs; unknown names or negative steps are refused."""
        unknown = set(body) - set(self.DEFAULTS)
        if unknown:
            raise ValueError(f"unknown ECS settings: {sorted(unknown)}")
        for name, value in body.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, not {value!r}")
            self.values[name] = value
        return dict(self.values)


SETTINGS = ECSSettings()


class ECSError(ServiceException):
    """An ECS error, serialised with ECS's model (this module is not under a ``moto`` package)."""

    code = "ClientException"

    def __init__(self, message: str) -> None:
        super().__init__(self.code, message)


class InvalidParameterException(ECSError):
    """A parameter ECS refuses (limits, states); HTTP 400."""

    code = "InvalidParameterException"


class ClusterNotFoundException(ECSError):
    """The named cluster does not exist; the model's wording."""

    code = "ClusterNotFoundException"

    def __init__(self, message: str = "Cluster not found.") -> None:
        super().__init__(message)


def _params(response: Any) -> dict[str, Any]:
    body = response.body
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return json.loads(body) if body else {}


def backend(region: str = "us-east-1", account: str = "123456789012") -> EC2ContainerServiceBackend:
    """The ECS backend of one account and region, made on first use for any well-formed region (as for SSM)."""
    regions = ecs_backends[account]
    if region not in regions.keys():
        with backend_lock:
            if region not in regions.keys():
                regions[region] = EC2ContainerServiceBackend(region, account)
    return regions[region]


def _cluster(ecs: EC2ContainerServiceBackend, name: str | None) -> Any:
    cluster = ecs.clusters.get((name or "default").split("/")[-1])
    if cluster is None:
        raise ClusterNotFoundException()
    return cluster


def _limit(items: Any, most: int, what: str = "instanceIds") -> list[str]:
    items = list(items or [])
    if len(items) > most:
        raise InvalidParameterException(f"{what} can have at most {most} items.")
    return items


def _max_results(params: dict[str, Any]) -> int:
    value = params.get("maxResults")
    if value is None:
        return 100
    if not isinstance(value, int) or not 1 <= value <= 100:
        raise InvalidParameterException("maxResults must be between 1 and 100.")
    return value


def _paged(scope: str, key: str, items: list[Any], params: dict[str, Any]) -> dict[str, Any]:
    try:
        chunk, token = page(scope, items, _max_results(params), params.get("nextToken"), default=100)
    except InvalidNextToken:
        # ECS words a bad token as an invalid parameter; the endpoint's own paging error is not the client's business.
        raise InvalidParameterException("Invalid nextToken.") from None
    out: dict[str, Any] = {key: chunk}
    if token:
        out["nextToken"] = token
    return out


# --- external container instances ---------------------------------------------------------------------


class ExternalContainerInstance(ContainerInstance):
    """An ECS Anywhere container instance: ``ec2InstanceId`` is the node's ``mi-`` ID, no EC2 lookup."""

    def __init__(  # pylint: disable=super-init-not-called
        self, managed_instance_id: str, cluster_name: str, ecs: EC2ContainerServiceBackend, attributes: dict[str, str] | None = None
    ) -> None:
        # moto's __init__ reads the instance from EC2 (an external instance has none); the same fields, set here.
        self.ec2_instance_id = managed_instance_id
        self.agent_connected = True
        self.status = "ACTIVE"
        self.registered_resources = copy.deepcopy(_RESOURCES)
        self.remaining_resources = copy.deepcopy(_RESOURCES)
        self.pending_tasks_count = 0
        self.running_tasks_count = 0
        self.version_info = {"agentVersion": "1.0.0", "agentHash": "4023248", "dockerVersion": "DockerVersion: 1.5.0"}
        self.attributes = {"ecs.os-type": "linux", **(attributes or {})}
        self.registered_at = datetime.datetime.now(datetime.timezone.utc)
        self.region_name = ecs.region_name
        self.id = str(uuid.uuid4())
        self.cluster_name = cluster_name
        self._account_id = ecs.account_id
        self._backend = ecs


def register_external(ecs: EC2ContainerServiceBackend, cluster_name: str, managed_instance_id: str, attributes: dict[str, str] | None = None) -> Any:
    """Register an external instance in a cluster (what the ECS agent does on an ECS Anywhere host)."""
    cluster = _cluster(ecs, cluster_name)
    instance = ExternalContainerInstance(managed_instance_id, cluster.name, ecs, attributes)
    ecs.container_instances.setdefault(cluster.name, {})[instance.id] = instance
    cluster.registered_container_instances_count += 1
    return instance


def _instance(ecs: EC2ContainerServiceBackend, cluster: Any, ref: str) -> Any:
    return ecs.container_instances.get(cluster.name, {}).get(ref.split("/")[-1])


def _inactive(ecs: EC2ContainerServiceBackend) -> dict[str, Any]:
    if not hasattr(ecs, "hybridops_inactive"):
        ecs.hybridops_inactive = {}
    return ecs.hybridops_inactive


def _tasks_on(ecs: EC2ContainerServiceBackend, cluster: Any, instance: Any, running_only: bool = True) -> list[Any]:
    arn = instance.container_instance_arn
    return [
        t
        for t in ecs.tasks.get(cluster.name, {}).values()
        if t.container_instance_arn == arn and not getattr(t, "hybridops_orphaned", False) and (not running_only or t.desired_status == "RUNNING")
    ]


# --- cluster query language (a subset) -------------------------------------------------------------------

_EXPR = re.compile(r"^\s*(?P<subject>[A-Za-z][\w:.\-]*)\s*(?P<op>==|!=|!in|in|>=|<=|>|<|exists|!exists)\s*(?P<arg>.*?)\s*$")
_SUBJECTS = {"ec2InstanceId", "agentConnected", "runningTasksCount", "agentVersion"}


def _values(arg: str) -> list[str]:
    arg = arg.strip()
    if arg.startswith("[") and arg.endswith("]"):
        return [v.strip().strip("'\"") for v in arg[1:-1].split(",") if v.strip()]
    return [arg.strip("'\"")]


def _subject_value(instance: Any, subject: str) -> Any:
    if subject.startswith("attribute:"):
        return instance.attributes.get(subject.split(":", 1)[1])
    return {
        "ec2InstanceId": instance.ec2_instance_id,
        "agentConnected": str(instance.agent_connected).lower(),
        "runningTasksCount": instance.running_tasks_count,
        "agentVersion": instance.version_info.get("agentVersion"),
    }[subject]


def _matches(instance: Any, expression: str) -> bool:
    """Evaluate ``A and B or C`` (and binds tighter) of ``subject op argument`` terms."""
    return any(all(_term(instance, term) for term in re.split(r"\s+and\s+", part)) for part in re.split(r"\s+or\s+", expression.strip()))


def _term(instance: Any, term: str) -> bool:
    match = _EXPR.match(term)
    if not match or (match["subject"] not in _SUBJECTS and not match["subject"].startswith("attribute:")):
        raise InvalidParameterException(f"Invalid filter expression: {term.strip()!r}.")
    subject, op, arg = match["subject"], match["op"], match["arg"]
    value = _subject_value(instance, subject)
    if op in ("exists", "!exists"):
        return (value is not None) == (op == "exists")
    if op in (">", "<", ">=", "<="):
        if subject != "runningTasksCount":
            raise InvalidParameterException(f"Operator {op} is not supported for {subject} here.")
        number = int(_values(arg)[0])
        return {">": value > number, "<": value < number, ">=": value >= number, "<=": value <= number}[op]
    wanted = _values(arg)
    found = str(value) in wanted if value is not None else False
    return found if op in ("==", "in") else not found


# --- the API handlers --------------------------------------------------------------------------------------


def _list_clusters(ecs: EC2ContainerServiceBackend, params: dict[str, Any]) -> dict[str, Any]:
    return _paged("ecs:ListClusters", "clusterArns", sorted(c.arn for c in ecs.clusters.values()), params)


def _list_container_instances(ecs: EC2ContainerServiceBackend, params: dict[str, Any]) -> dict[str, Any]:
    cluster = _cluster(ecs, params.get("cluster"))
    status = params.get("status")
    if status is not None and status not in ("ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"):
        raise InvalidParameterException(f"Invalid status: {status}.")
    instances = sorted(ecs.container_instances.get(cluster.name, {}).values(), key=lambda i: i.container_instance_arn)
    expression = params.get("filter")
    keep = [i for i in instances if (status is None or i.status == status) and (not expression or _matches(i, expression))]
    return _paged(f"ecs:ListContainerInstances:{cluster.name}", "containerInstanceArns", [i.container_instance_arn for i in keep], params)


def _describe_container_instances(ecs: EC2ContainerServiceBackend, params: dict[str, Any]) -> dict[str, Any]:
    cluster = _cluster(ecs, params.get("cluster"))
    refs = _limit(params.get("containerInstances"), 100)
    if not refs:
        raise InvalidParameterException("Container Instances cannot be empty.")
    found, failures = [], []
    for ref in refs:
        instance = _instance(ecs, cluster, ref) or _inactive(ecs).get((cluster.name, ref.split("/")[-1]))
        if instance is None:
            failures.append({"arn": ref, "reason": "MISSING"})
        else:
            found.append(instance)
    return {"containerInstances": found, "failures": failures}


def _update_container_instances_state(ecs: EC2ContainerServiceBackend, params: dict[str, Any]) -> dict[str, Any]:
    cluster = _cluster(ecs, params.get("cluster"))
    refs = _limit(params.get("containerInstances"), 10)
    status = params.get("status")
    if status not in ("ACTIVE", "DRAINING"):
        # Model docs of `status`: "The only valid values for this action are ACTIVE and DRAINING."
        raise InvalidParameterException("Container instance status should be one of [ACTIVE, DRAINING]")
    found, failures = [], []
    for ref in refs:
        instance = _instance(ecs, cluster, ref)
        if instance is None:
            failures.append({"arn": ref, "reason": "MISSING"})
            continue
        if instance.status != status:
            instance.status = status
            for task in _tasks_on(ecs, cluster, instance):
                # Service tasks count down on the clock from here; ACTIVE again cancels the drain.
                task.hybridops_drain_left = SETTINGS.values["drain_steps"] if status == "DRAINING" else None
                task.hybridops_replaced = False
        found.append(instance)
    return {"containerInstances": found, "failures": failures}


def _list_tasks(ecs: EC2ContainerServiceBackend, params: dict[str, Any]) -> dict[str, Any]:
    cluster = _cluster(ecs, params.get("cluster"))
    desired = params.get("desiredStatus") or "RUNNING"
    tasks = [t for t in ecs.tasks.get(cluster.name, {}).values() if not getattr(t, "hybridops_orphaned", False)]
    if params.get("containerInstance"):
        ref = params["containerInstance"].split("/")[-1]
        tasks = [t for t in tasks if (t.container_instance_arn or "").split("/")[-1] == ref]
    if params.get("family"):
        tasks = [t for t in tasks if t.task_definition_arn.split("/")[-1].rsplit(":", 1)[0] == params["family"]]
    if params.get("startedBy"):
        tasks = [t for t in tasks if t.started_by == params["startedBy"]]
    if params.get("serviceName"):
        tasks = [t for t in tasks if getattr(t, "hybridops_service", None) == params["serviceName"].split("/")[-1]]
    if params.get("launchType"):
        tasks = [t for t in tasks if t.launch_type == params["launchType"]]
    tasks = [t for t in tasks if t.desired_status == desired]
    return _paged(f"ecs:ListTasks:{cluster.name}", "taskArns", [t.task_arn for t in tasks], params)


def _describe_tasks(ecs: EC2ContainerServiceBackend, params: dict[str, Any]) -> dict[str, Any]:
    cluster = _cluster(ecs, params.get("cluster"))
    refs = _limit(params.get("tasks"), 100, "tasks")
    if not refs:
        raise InvalidParameterException("Tasks cannot be empty.")
    by_id = {t.id: t for t in ecs.tasks.get(cluster.name, {}).values()}
    found, failures = [], []
    for ref in refs:
        task = by_id.get(ref.split("/")[-1])
        if task is None:
            failures.append({"arn": ref, "reason": "MISSING"})
        else:
            found.append(task)
    return {"tasks": found, "failures": failures}


def _deregister_container_instance(ecs: EC2ContainerServiceBackend, params: dict[str, Any]) -> dict[str, Any]:
    cluster = _cluster(ecs, params.get("cluster"))
    ref = params.get("containerInstance") or ""
    instance = _instance(ecs, cluster, ref)
    if instance is None:
        # Not documented which error AWS answers for an unknown instance: the declared InvalidParameterException.
        raise InvalidParameterException("The referenced container instance was not found.")
    running = _tasks_on(ecs, cluster, instance)
    if running and not params.get("force"):
        raise InvalidParameterException("Found running tasks on the instance.")
    for task in running:
        # Orphaned: no longer accounted for by ECS; the scheduler replaces service tasks where it can.
        task.hybridops_orphaned = True
        if getattr(task, "hybridops_service", None):
            _place_replacement(ecs, cluster, task, exclude=instance)
    del ecs.container_instances[cluster.name][instance.id]
    instance.status = "INACTIVE"
    instance.agent_connected = False
    _inactive(ecs)[(cluster.name, instance.id)] = instance
    cluster.registered_container_instances_count -= 1
    return {"containerInstance": instance}


def _register_container_instance(response: Any) -> ActionResult:
    params = _params(response)
    document = params.get("instanceIdentityDocument")
    instance_id = (json.loads(document) if document else {}).get("instanceId", "")
    if not MANAGED_INSTANCE.match(instance_id):
        return _ORIGINALS["register_container_instance"](response)
    with LOCK:
        instance = register_external(response.ecs_backend, params.get("cluster") or "default", instance_id)
    return ActionResult({"containerInstance": instance})


# --- the scheduler on the endpoint clock --------------------------------------------------------------------


def _place_replacement(ecs: EC2ContainerServiceBackend, cluster: Any, task: Any, exclude: Any) -> bool:
    """Start a copy of a service task on another ACTIVE instance with room; False when there is none."""
    for other in sorted(ecs.container_instances.get(cluster.name, {}).values(), key=lambda i: i.registered_at):
        if other is exclude or other.status != "ACTIVE" or not ecs._can_be_placed(other, task.resource_requirements):  # pylint: disable=protected-access
            continue
        definition = ecs.describe_task_definition(task.task_definition_arn)
        (copy_task,) = ecs.start_task(cluster.name, definition.arn, [other.container_instance_arn], {}, task.started_by, None, task.group)
        copy_task.launch_type = task.launch_type
        copy_task.hybridops_service = task.hybridops_service
        copy_task.hybridops_min_healthy = getattr(task, "hybridops_min_healthy", 100)
        return True
    return False


def step(ecs: EC2ContainerServiceBackend) -> None:
    """One clock step of the service scheduler: drain service tasks off DRAINING instances."""
    for cluster in list(ecs.clusters.values()):
        for instance in list(ecs.container_instances.get(cluster.name, {}).values()):
            if instance.status != "DRAINING":
                continue
            for task in _tasks_on(ecs, cluster, instance):
                if not getattr(task, "hybridops_service", None) or getattr(task, "hybridops_drain_left", None) is None:
                    continue  # standalone tasks are not affected by draining
                if not getattr(task, "hybridops_replaced", False):
                    task.hybridops_replaced = _place_replacement(ecs, cluster, task, exclude=instance)
                    if not task.hybridops_replaced and getattr(task, "hybridops_min_healthy", 100) >= 100:
                        continue  # minimumHealthyPercent 100: not stopped before a replacement runs
                if task.hybridops_drain_left > 0:
                    task.hybridops_drain_left -= 1
                    continue
                ecs.stop_task(cluster.name, task.task_arn, "Container instance is draining.")
                task.stop_code = "ServiceSchedulerInitiated"
                task.hybridops_drain_left = None


def step_all() -> None:
    """One scheduler step in every ECS backend."""
    with LOCK:
        for _account, _region, ecs in ecs_backends.iter_backends():
            step(ecs)


# --- seeding (control API) ----------------------------------------------------------------------------------


def _task_definition(ecs: EC2ContainerServiceBackend, family: str) -> Any:
    if family in ecs.task_definitions:
        return ecs.describe_task_definition(family)
    definition = ecs.register_task_definition(
        family, [{"name": "app", "image": "public.ecr.aws/docker/library/busybox:latest", "cpu": 16, "memory": 32}], [], network_mode="bridge"
    )
    # moto reads any compatibility other than EC2 as Fargate (awsvpc); an ECS Anywhere definition is EXTERNAL, bridge.
    definition.compatibilities = ["EC2", "EXTERNAL"]
    definition.requires_compatibilities = ["EXTERNAL"]
    return definition


def seed(ecs: EC2ContainerServiceBackend, body: dict[str, Any]) -> dict[str, Any]:
    """A cluster (made if missing) with one external instance per ``instance_ids`` (``mi-`` IDs), each running
    ``service_tasks`` tasks of a service and ``standalone_tasks`` tasks of no service."""
    name = body.get("cluster") or "default"
    ids = body["instance_ids"]
    if not isinstance(ids, list) or not all(isinstance(i, str) and MANAGED_INSTANCE.match(i) for i in ids):
        raise ValueError("instance_ids must be a list of mi- IDs (mi- and 17 hex digits)")
    service_tasks = int(body.get("service_tasks", 0))
    standalone_tasks = int(body.get("standalone_tasks", 0))
    min_healthy = int(body.get("minimum_healthy_percent", 100))
    if service_tasks < 0 or standalone_tasks < 0 or not 0 <= min_healthy <= 100:
        raise ValueError("service_tasks and standalone_tasks must be >= 0, minimum_healthy_percent 0-100")
    with LOCK:
        if name not in ecs.clusters:
            ecs.create_cluster(name, None, None, None, None, None)
        cluster = ecs.clusters[name]
        definition = _task_definition(ecs, body.get("family") or "hybridops-app")
        service_name = body.get("service") or f"{name}-svc"
        out: dict[str, Any] = {"cluster_arn": cluster.arn, "container_instances": {}, "service_arn": None}
        service = None
        if service_tasks:
            key = f"{name}:{service_name}"
            service = ecs.services.get(key) or ecs.create_service(name, service_name, 0, definition.arn, launch_type="EC2")
            service.launch_type = "EXTERNAL"
            service.desired_count += service_tasks * len(ids)
            service.running_count = service.desired_count
            service.pending_count = 0
            out["service_arn"] = service.arn
        for managed_id in ids:
            instance = register_external(ecs, name, managed_id, body.get("attributes"))
            arn = instance.container_instance_arn
            for index in range(service_tasks + standalone_tasks):
                in_service = index < service_tasks
                started_by = (
                    service.deployments[0]["id"] if in_service and service is not None and service.deployments else (body.get("started_by") or "hybridops-seed")
                )
                group = f"service:{service_name}" if in_service else f"family:{definition.family}"
                (task,) = ecs.start_task(name, definition.arn, [arn], {}, started_by, None, group)
                task.launch_type = "EXTERNAL"
                task.hybridops_service = service_name if in_service else None
                task.hybridops_min_healthy = min_healthy
            out["container_instances"][managed_id] = arn
        return out


def describe(ecs: EC2ContainerServiceBackend, body: dict[str, Any]) -> dict[str, Any]:
    """A node's container instances in every cluster of the region: status, tasks (running, stopped, orphaned)."""
    managed_id = body["instance_id"]
    with LOCK:
        found = []
        pools = [((cn, i.id), i) for cn, members in ecs.container_instances.items() for i in members.values()]
        for (cluster_name, _unused), instance in [*pools, *_inactive(ecs).items()]:
            if instance.ec2_instance_id != managed_id:
                continue
            arn = instance.container_instance_arn
            tasks = [t for t in ecs.tasks.get(cluster_name, {}).values() if t.container_instance_arn == arn]
            found.append(
                {
                    "cluster": cluster_name,
                    "container_instance_arn": arn,
                    "status": instance.status,
                    "running_tasks_count": instance.running_tasks_count,
                    "tasks": [
                        {
                            "task_arn": t.task_arn,
                            "service": getattr(t, "hybridops_service", None),
                            "desired_status": t.desired_status,
                            "last_status": t.last_status,
                            "orphaned": bool(getattr(t, "hybridops_orphaned", False)),
                        }
                        for t in tasks
                    ],
                }
            )
        return {"container_instances": found}


# --- install ------------------------------------------------------------------------------------------------


def _api(handler: Callable[[EC2ContainerServiceBackend, dict[str, Any]], dict[str, Any]]) -> Callable[[Any], ActionResult]:
    def method(self: Any) -> ActionResult:
        params = _params(self)
        with LOCK:
            return ActionResult(handler(self.ecs_backend, params))

    method.__name__ = handler.__name__.lstrip("_")
    return method


HANDLERS: dict[str, Callable[[Any], ActionResult]] = {
    "list_clusters": _api(_list_clusters),
    "list_container_instances": _api(_list_container_instances),
    "describe_container_instances": _api(_describe_container_instances),
    "update_container_instances_state": _api(_update_container_instances_state),
    "list_tasks": _api(_list_tasks),
    "describe_tasks": _api(_describe_tasks),
    "deregister_container_instance": _api(_deregister_container_instance),
    "register_container_instance": _register_container_instance,
}


def reset() -> None:
    """Knobs back to their defaults (moto's ECS state goes with every moto backend at reset)."""
    SETTINGS.reset()


def install() -> None:
    """Patch moto's ECS response class once per process."""
    if _ORIGINALS:
        return
    for name in HANDLERS:
        _ORIGINALS[name] = getattr(EC2ContainerServiceResponse, name)
    for name, method in HANDLERS.items():
        setattr(EC2ContainerServiceResponse, name, method)
