"""ecs.py: ECS on the endpoint's port, through boto3's ECS client: external container instances of hybrid
nodes, draining on the endpoint clock, deregistration, ECS's limits, one request log with SSM."""

import json

import pytest
from endpoint_helpers import client_error
from endpoint_helpers import make_ecs_client
from endpoint_helpers import nodes

from ssm_endpoint.control import ControlError


@pytest.fixture(name="ecs")
def fixture_ecs(endpoint, control):
    """ECS client without retries."""
    del control
    return make_ecs_client(endpoint)


def _instance_arn(ecs, cluster, managed_id):
    """The container instance of a managed node, found as the role will: a cluster query on ec2InstanceId."""
    arns = ecs.list_container_instances(cluster=cluster, filter=f"ec2InstanceId == {managed_id}")["containerInstanceArns"]
    assert len(arns) == 1
    return arns[0]


def _running(ecs, cluster, arn):
    return ecs.list_tasks(cluster=cluster, containerInstance=arn)["taskArns"]


def test_finds_the_container_instance_of_a_managed_node_in_any_cluster(control, ecs):
    ids = control.seed_nodes(4)["instance_ids"]
    control.seed_ecs(ids[:2], cluster="edge", service_tasks=1)
    control.seed_ecs(ids[2:3], cluster="lab")
    pages = list(ecs.get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": 1}))
    clusters = [arn for p in pages for arn in p["clusterArns"]]
    assert [a.split("/")[-1] for a in clusters] == ["edge", "lab"] and len(pages) == 2
    found = {c.split("/")[-1]: ecs.list_container_instances(cluster=c, filter=f"ec2InstanceId == {ids[2]}")["containerInstanceArns"] for c in clusters}
    assert not found["edge"] and len(found["lab"]) == 1
    both = ecs.list_container_instances(cluster="edge", filter=f"ec2InstanceId in [{ids[0]}, {ids[1]}]")["containerInstanceArns"]
    described = ecs.describe_container_instances(cluster="edge", containerInstances=both)["containerInstances"]
    assert sorted(i["ec2InstanceId"] for i in described) == sorted(ids[:2])
    assert {i["status"] for i in described} == {"ACTIVE"} and {i["runningTasksCount"] for i in described} == {1}
    assert not ecs.list_container_instances(cluster="edge", filter=f"ec2InstanceId == {ids[3]}")["containerInstanceArns"]  # a node without ECS
    assert client_error(ecs.list_container_instances, cluster="nope")[0] == "ClusterNotFoundException"
    assert client_error(ecs.list_container_instances, cluster="edge", filter="color == blue")[0] == "InvalidParameterException"


def test_the_agent_registers_an_external_instance_under_the_node_id(control, ecs):
    (managed_id,) = control.seed_nodes(1)["instance_ids"]
    ecs.create_cluster(clusterName="anywhere")
    document = json.dumps({"instanceId": managed_id, "region": "us-east-1"})
    instance = ecs.register_container_instance(cluster="anywhere", instanceIdentityDocument=document)["containerInstance"]
    assert instance["ec2InstanceId"] == managed_id and instance["status"] == "ACTIVE"
    assert _instance_arn(ecs, "anywhere", managed_id) == instance["containerInstanceArn"]


def test_draining_stops_service_tasks_after_clock_steps_and_replaces_them_elsewhere(control, ecs):
    ids = control.seed_nodes(2)["instance_ids"]
    control.seed_ecs(ids, cluster="edge", service_tasks=2)
    arn = _instance_arn(ecs, "edge", ids[0])
    answer = ecs.update_container_instances_state(cluster="edge", containerInstances=[arn], status="DRAINING")
    assert answer["containerInstances"][0]["status"] == "DRAINING" and not answer["failures"]
    assert ecs.list_container_instances(cluster="edge", status="DRAINING")["containerInstanceArns"] == [arn]
    control.step(2)  # drain_steps (2) not passed yet: the replacements are placed, the old tasks still run
    assert len(_running(ecs, "edge", arn)) == 2
    control.step()
    assert not _running(ecs, "edge", arn)
    stopped = ecs.list_tasks(cluster="edge", containerInstance=arn, desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster="edge", tasks=stopped)["tasks"]
    assert {(t["lastStatus"], t["desiredStatus"], t["stopCode"]) for t in tasks} == {("STOPPED", "STOPPED", "ServiceSchedulerInitiated")}
    other = _instance_arn(ecs, "edge", ids[1])
    assert len(_running(ecs, "edge", other)) == 4  # its own two and the two replacements
    assert ecs.describe_container_instances(cluster="edge", containerInstances=[arn])["containerInstances"][0]["runningTasksCount"] == 0


def test_standalone_tasks_keep_running_and_a_lone_instance_keeps_its_service_tasks(control, ecs):
    ids = control.seed_nodes(2)["instance_ids"]
    control.seed_ecs(ids[:1], cluster="jobs", standalone_tasks=2)
    control.seed_ecs(ids[1:], cluster="solo", service_tasks=1)  # minimumHealthyPercent 100, nowhere to go
    control.set_ecs(drain_steps=0)
    for cluster, managed_id in (("jobs", ids[0]), ("solo", ids[1])):
        ecs.update_container_instances_state(cluster=cluster, containerInstances=[_instance_arn(ecs, cluster, managed_id)], status="DRAINING")
    control.step(5)
    assert len(_running(ecs, "jobs", _instance_arn(ecs, "jobs", ids[0]))) == 2
    assert len(_running(ecs, "solo", _instance_arn(ecs, "solo", ids[1]))) == 1
    (state,) = control.ecs_instance(ids[0])
    assert state["status"] == "DRAINING" and [t["service"] for t in state["tasks"]] == [None, None]


def test_a_service_below_full_health_may_stop_its_task_without_a_replacement(control, ecs):
    (managed_id,) = control.seed_nodes(1)["instance_ids"]
    control.seed_ecs([managed_id], cluster="solo", service_tasks=1, minimum_healthy_percent=50)
    arn = _instance_arn(ecs, "solo", managed_id)
    ecs.update_container_instances_state(cluster="solo", containerInstances=[arn], status="DRAINING")
    control.step(3)
    assert not _running(ecs, "solo", arn)


def test_deregister_is_refused_with_running_tasks_and_accepted_forced_or_once_empty(control, ecs):
    ids = control.seed_nodes(3)["instance_ids"]
    control.seed_ecs(ids[:1], cluster="edge", standalone_tasks=1)
    control.seed_ecs(ids[1:2], cluster="edge")
    busy, empty = _instance_arn(ecs, "edge", ids[0]), _instance_arn(ecs, "edge", ids[1])
    code, status, message = client_error(ecs.deregister_container_instance, cluster="edge", containerInstance=busy)
    assert (code, status, message) == ("InvalidParameterException", 400, "Found running tasks on the instance.")
    assert ecs.deregister_container_instance(cluster="edge", containerInstance=empty)["containerInstance"]["status"] == "INACTIVE"
    forced = ecs.deregister_container_instance(cluster="edge", containerInstance=busy, force=True)["containerInstance"]
    assert forced["status"] == "INACTIVE" and forced["ec2InstanceId"] == ids[0]
    assert not ecs.list_container_instances(cluster="edge")["containerInstanceArns"]  # INACTIVE ones are not listed
    assert not _running(ecs, "edge", busy)  # orphaned: no longer accounted for
    assert ecs.describe_container_instances(cluster="edge", containerInstances=[busy])["containerInstances"][0]["status"] == "INACTIVE"
    assert [s["status"] for s in control.ecs_instance(ids[0])] == ["INACTIVE"] and control.ecs_instance(ids[0])[0]["tasks"][0]["orphaned"]
    assert client_error(ecs.deregister_container_instance, cluster="edge", containerInstance=busy)[0] == "InvalidParameterException"


def test_ecs_limits_and_paging(control, ecs):
    ids = control.seed_nodes(12)["instance_ids"]
    control.seed_ecs(ids, cluster="big")
    arns = ecs.list_container_instances(cluster="big")["containerInstanceArns"]
    assert client_error(ecs.update_container_instances_state, cluster="big", containerInstances=arns[:11], status="DRAINING") == (
        "InvalidParameterException",
        400,
        "instanceIds can have at most 10 items.",
    )
    assert not ecs.list_container_instances(cluster="big", status="DRAINING")["containerInstanceArns"]  # nothing changed
    assert len(ecs.update_container_instances_state(cluster="big", containerInstances=arns[:10], status="DRAINING")["containerInstances"]) == 10
    too_many = arns + [a.replace(a.split("/")[-1], f"00000000-0000-0000-0000-{n:012d}") for n, a in enumerate(arns * 8)]
    assert client_error(ecs.describe_container_instances, cluster="big", containerInstances=too_many[:101])[2] == "instanceIds can have at most 100 items."
    assert len(ecs.describe_container_instances(cluster="big", containerInstances=too_many[:100])["failures"]) == 88
    assert (
        client_error(ecs.update_container_instances_state, cluster="big", containerInstances=arns[:1], status="REGISTERING")[0] == "InvalidParameterException"
    )
    pages = list(ecs.get_paginator("list_container_instances").paginate(cluster="big", PaginationConfig={"PageSize": 5}))
    assert [len(p["containerInstanceArns"]) for p in pages] == [5, 5, 2]
    assert client_error(ecs.list_container_instances, cluster="big", maxResults=101)[0] == "InvalidParameterException"


def test_one_request_log_for_ssm_and_ecs_with_ecs_faults_and_buckets_of_its_own(control, ecs, ssm):
    (managed_id,) = control.seed_nodes(1)["instance_ids"]
    control.seed_ecs([managed_id], cluster="edge")
    arn = _instance_arn(ecs, "edge", managed_id)
    ecs.deregister_container_instance(cluster="edge", containerInstance=arn)
    ssm.deregister_managed_instance(InstanceId=managed_id)
    log = [(e["service"], e["operation"], e["status"]) for e in control.log()]
    assert log == [("ecs", "ListContainerInstances", 200), ("ecs", "DeregisterContainerInstance", 200), ("ssm", "DeregisterManagedInstance", 200)]
    control.set_faults(operation="ListClusters", throttle_next=1)
    assert client_error(ecs.list_clusters)[:2] == ("ThrottlingException", 400)
    control.set_rate_limit("*", rate=0.001, burst=1)
    ecs.list_clusters()
    nodes(ssm)  # DescribeInstanceInformation: a bucket of its own
    assert client_error(ecs.list_clusters)[0] == "ThrottlingException"
    assert control.log()[-1]["fault"] == "rate_limit" and control.log()[-1]["service"] == "ecs"


def test_nodes_of_an_eks_hybrid_cluster_carry_the_activation_tag(control, ssm):
    arn = "arn:aws:eks:us-east-1:123456789012:cluster/hybrid"
    act = ssm.create_activation(IamRole="AmazonEKSHybridNodesRole", RegistrationLimit=2, Tags=[{"Key": "EKSClusterARN", "Value": arn}])
    ids = control.seed_nodes(2, activation_id=act["ActivationId"])["instance_ids"]
    control.seed_nodes(1)
    listed = nodes(ssm, Filters=[{"Key": "tag:EKSClusterARN", "Values": [arn]}])
    assert sorted(n["InstanceId"] for n in listed) == sorted(ids)
    tags = ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=ids[0])["TagList"]
    assert {"Key": "EKSClusterARN", "Value": arn} in tags


def test_control_refuses_bad_ecs_seeds_and_knobs(control):
    with pytest.raises(ControlError) as info:
        control.seed_ecs(["i-0123456789abcdef0"])
    assert info.value.code == "BadRequest"
    with pytest.raises(ControlError):
        control.set_ecs(drain_steps=-1)
    assert control.set_ecs(drain_steps=4) == {"drain_steps": 4}
    control.reset()
    assert control.set_ecs() == {"drain_steps": 2}
