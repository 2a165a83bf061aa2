"""Many accounts (accounts.py, sts.py): AssumeRole only into a role that trusts the caller, credentials that reach
the role's account and nothing else, rate-limit buckets per account, opt-in regions an account has not enabled."""

import boto3
import pytest
from botocore.config import Config
from endpoint_helpers import CREDS
from endpoint_helpers import client_error
from endpoint_helpers import make_client
from endpoint_helpers import nodes

from ssm_endpoint.accounts import trust_policy
from ssm_endpoint.accounts import trusts
from ssm_endpoint.control import ControlError

A, B = "111111111111", "222222222222"
CALLER = "arn:aws:iam::123456789012:user/moto"
NO_RETRY = Config(retries={"max_attempts": 0})


def sts_client(endpoint, region="us-east-1", **creds):
    return boto3.client("sts", endpoint_url=endpoint.url, region_name=region, config=NO_RETRY, **(creds or CREDS))


def assumed(endpoint, role_arn, service="ssm", region="us-east-1", **kwargs):
    """A client of ``service`` signed with the credentials of one AssumeRole into ``role_arn``."""
    creds = sts_client(endpoint).assume_role(RoleArn=role_arn, RoleSessionName="hybridops", **kwargs)["Credentials"]
    keys = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"], "aws_session_token": creds["SessionToken"]}
    return boto3.client(service, endpoint_url=endpoint.url, region_name=region, config=NO_RETRY, **keys)


def denied_message(role_arn):
    return f"User: {CALLER} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"


def test_assume_role_into_a_role_that_does_not_exist_is_access_denied(endpoint, control):
    arn = f"arn:aws:iam::{A}:role/missing"
    code, status, message = client_error(sts_client(endpoint).assume_role, RoleArn=arn, RoleSessionName="s1")
    assert (code, status, message) == ("AccessDenied", 403, denied_message(arn))
    assert [(e["service"], e["operation"], e["account"], e["status"], e["error"]) for e in control.log()] == [
        ("sts", "AssumeRole", "123456789012", 403, "AccessDenied")
    ]


@pytest.mark.parametrize("given", [None, "other-id", "ext-12"])
def test_a_role_made_with_an_external_id_wants_exactly_that_one(endpoint, control, given):
    arn = control.add_role(A, "ops", external_id="ext-1")
    extra = {"ExternalId": given} if given else {}
    assert client_error(sts_client(endpoint).assume_role, RoleArn=arn, RoleSessionName="s1", **extra) == ("AccessDenied", 403, denied_message(arn))
    assert (
        sts_client(endpoint).assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="ext-1")["AssumedRoleUser"]["Arn"]
        == f"arn:aws:sts::{A}:assumed-role/ops/s1"
    )


def test_a_role_that_trusts_another_account_refuses_the_caller(endpoint, control):
    arn = control.add_role(A, "ops", trusted_account=B)
    assert client_error(sts_client(endpoint).assume_role, RoleArn=arn, RoleSessionName="s1")[0] == "AccessDenied"


def test_the_request_log_never_holds_the_external_id(endpoint, control):
    arn = control.add_role(A, "ops", external_id="ext-secret-1")
    sts_client(endpoint).assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="ext-secret-1")
    (entry,) = control.log()
    assert entry["params"] == {"RoleArn": arn, "RoleSessionName": "s1", "ExternalId": "<redacted>"} and entry["status"] == 200
    assert "ext-secret-1" not in repr(control.log())


def test_assumed_credentials_see_their_account_only_and_each_account_its_own(endpoint, control):
    """A node seeded in B is invisible from A and from the default account, and the other way round."""
    in_a = control.seed_nodes(2, account=A)["instance_ids"]
    in_b = control.seed_nodes(1, account=B)["instance_ids"]
    home = control.seed_nodes(1)["instance_ids"]
    ssm_a = assumed(endpoint, control.add_role(A, "ops"))
    ssm_b = assumed(endpoint, control.add_role(B, "ops"))
    assert sorted(n["InstanceId"] for n in nodes(ssm_a)) == sorted(in_a)
    assert [n["InstanceId"] for n in nodes(ssm_b)] == in_b
    assert [n["InstanceId"] for n in nodes(make_client(endpoint))] == home
    assert client_error(ssm_a.deregister_managed_instance, InstanceId=in_b[0])[0] == "InvalidInstanceId"
    ssm_b.deregister_managed_instance(InstanceId=in_b[0])
    assert [(e["operation"], e["account"]) for e in control.log() if e["service"] == "ssm"][-2:] == [
        ("DeregisterManagedInstance", A),
        ("DeregisterManagedInstance", B),
    ]


def test_each_account_has_its_own_rate_limit_bucket(endpoint, control):
    control.set_rate_limit("DescribeInstanceInformation", rate=0.01, burst=2)
    ssm_a = assumed(endpoint, control.add_role(A, "ops"))
    ssm_b = assumed(endpoint, control.add_role(B, "ops"))
    for _unused in range(2):
        ssm_a.describe_instance_information()
    assert client_error(ssm_a.describe_instance_information)[0] == "ThrottlingException"
    ssm_b.describe_instance_information()  # B's bucket is still full
    ssm_b.describe_instance_information()
    assert client_error(ssm_b.describe_instance_information)[0] == "ThrottlingException"


def test_a_region_the_account_has_not_enabled_does_not_know_its_credentials(endpoint, control):
    control.seed_nodes(1, account=A, region="ap-east-1")
    arn = control.add_role(A, "ops")
    assert control.disable_region(A, "ap-east-1") == {"disabled_regions": [{"account": A, "region": "ap-east-1"}]}
    far = assumed(endpoint, arn, region="ap-east-1")
    expected = ("UnrecognizedClientException", 400, "The security token included in the request is invalid")
    assert client_error(far.describe_instance_information) == expected
    assert client_error(assumed(endpoint, arn, service="ecs", region="ap-east-1").list_clusters) == expected
    assert nodes(assumed(endpoint, arn, region="us-east-1")) == []  # its other regions answer
    assert len(nodes(make_client(endpoint, region="ap-east-1"))) == 0  # and other accounts use the region
    control.enable_region(A, "ap-east-1")
    assert len(nodes(far)) == 1


def test_sts_in_a_region_the_caller_has_not_enabled_is_invalid_client_token(endpoint, control):
    arn = control.add_role(A, "ops")
    control.disable_region("123456789012", "eu-south-1")
    code, status, message = client_error(sts_client(endpoint, region="eu-south-1").assume_role, RoleArn=arn, RoleSessionName="s1")
    assert (code, status, message) == ("InvalidClientTokenId", 403, "The security token included in the request is invalid.")


def test_reset_enables_every_region_and_removes_the_roles(endpoint, control):
    arn = control.add_role(A, "ops")
    control.disable_region(A, "ap-east-1")
    control.reset()
    assert control.accounts() == {"disabled_regions": []}
    assert client_error(sts_client(endpoint).assume_role, RoleArn=arn, RoleSessionName="s1")[0] == "AccessDenied"


@pytest.mark.parametrize(
    ("call", "kwargs", "words"),
    [
        ("add_role", {"account": "1234", "name": "ops"}, "12-digit account ID"),
        ("add_role", {"account": A, "name": "no spaces"}, "IAM role name"),
        ("disable_region", {"account": A, "region": "Bad_Region!"}, "not a region name"),
        ("add_role", {"account": "123456789012", "name": "taken"}, "already exists"),
    ],
)
def test_control_refuses_bad_account_values(control, call, kwargs, words):
    control.add_role("123456789012", "taken")
    with pytest.raises(ControlError) as info:
        getattr(control, call)(**kwargs)
    assert info.value.code == "BadRequest" and words in str(info.value)


@pytest.mark.parametrize(
    ("statement", "external_id", "expected"),
    [
        ({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}, None, True),
        ({"Effect": "Allow", "Principal": {"AWS": ["123456789012"]}, "Action": ["sts:*"]}, None, True),
        ({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}, None, False),
        ({"Effect": "Allow", "Principal": {"AWS": CALLER}, "Action": "sts:TagSession"}, None, False),
        ({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"StringLike": {"sts:ExternalId": "*"}}}, "x", False),
    ],
)
def test_trust_policy_statements(statement, external_id, expected):
    assert trusts({"Statement": [statement]}, "123456789012", CALLER, external_id) is expected


def test_a_deny_statement_wins_over_an_allow():
    policy = trust_policy("123456789012")
    policy["Statement"].append({"Effect": "Deny", "Principal": {"AWS": CALLER}, "Action": "sts:AssumeRole"})
    assert trusts(trust_policy("123456789012"), "123456789012", CALLER, None) and not trusts(policy, "123456789012", CALLER, None)


def test_a_role_made_through_iam_with_its_own_trust_policy_is_honoured(endpoint, control):
    """IAM CreateRole in account A (signed with A's credentials) writes the trust policy the check reads."""
    iam = assumed(endpoint, control.add_role(A, "admin"), service="iam")
    document = (
        '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole",'
        ' "Condition": {"StringEquals": {"sts:ExternalId": "a+b=c"}}}]}'
    )
    arn = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=document)["Role"]["Arn"]
    assert arn == f"arn:aws:iam::{A}:role/reader"
    assert client_error(sts_client(endpoint).assume_role, RoleArn=arn, RoleSessionName="s1")[0] == "AccessDenied"
    assert sts_client(endpoint).assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="a+b=c")["Credentials"]["AccessKeyId"]


def test_a_fault_rule_naming_assume_role_applies_to_it_and_a_star_rule_does_not(endpoint, control):
    arn = control.add_role(A, "reader")
    control.set_faults(operation="*", throttle_rate=1.0)  # SSM's and ECS's
    control.set_faults(operation="AssumeRole", throttle_next=1, server_error_next=1)
    client = sts_client(endpoint)
    answers = [client_error(client.assume_role, RoleArn=arn, RoleSessionName="s1")[:2], client_error(client.assume_role, RoleArn=arn, RoleSessionName="s1")[:2]]
    assert answers == [("Throttling", 400), ("InternalFailure", 500)]  # the rule's counters, throttles first
    assert client.assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]["AccessKeyId"]
    assert [(e["operation"], e["status"], e["error"], e["fault"]) for e in control.log()] == [
        ("AssumeRole", 400, "Throttling", "throttle"),
        ("AssumeRole", 500, "InternalFailure", "server_error"),
        ("AssumeRole", 200, None, None),
    ]
    # botocore's standard retry mode takes STS's Throttling for throttling, as the collection's retry does
    retried = boto3.client("sts", endpoint_url=endpoint.url, region_name="us-east-1", config=Config(retries={"mode": "standard", "max_attempts": 3}), **CREDS)
    control.set_faults(operation="AssumeRole", throttle_next=2)
    assert retried.assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]["AccessKeyId"]
