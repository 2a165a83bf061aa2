"""ratelimit.py: token buckets per operation, per account and region, answering ThrottlingException like AWS."""

import json
import os
import subprocess
import sys
import time

import pytest
from endpoint_helpers import client_error
from endpoint_helpers import make_client
from endpoint_helpers import nodes
from test_cli import CLIENT_ERROR_RC  # noqa: F401  pylint: disable=unused-import
from test_cli import TESTS  # noqa: F401  pylint: disable=unused-import
from test_cli import aws  # noqa: F401  pylint: disable=unused-import
from test_cli import endpoint_process  # noqa: F401  pylint: disable=unused-import
from test_cli import fixture_aws_cli  # noqa: F401  pylint: disable=unused-import

from ssm_endpoint.control import ControlError
from ssm_endpoint.ratelimit import RateLimits
from ssm_endpoint.ratelimit import parse_rule

# A bucket that does not refill during a test: exactly `burst` calls get through.
NO_REFILL = 0.001
THROTTLED = ("ThrottlingException", 400, "Rate exceeded")


class FakeClock:
    """Seconds that move only when the test says so."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_bucket_starts_full_refills_at_rate_and_never_past_burst():
    clock = FakeClock()
    limits = RateLimits(clock=clock)
    limits.set_rule({"operation": "DeregisterManagedInstance", "rate": 2, "burst": 3})
    assert [limits.allow("a", "r", "DeregisterManagedInstance") for _round in range(4)] == [True, True, True, False]
    clock.now += 0.5  # one token back
    assert [limits.allow("a", "r", "DeregisterManagedInstance") for _round in range(2)] == [True, False]
    clock.now += 60  # refilled, but only up to burst
    assert [limits.allow("a", "r", "DeregisterManagedInstance") for _round in range(4)] == [True, True, True, False]
    assert limits.allow("a", "r", "DescribeInstanceInformation")  # no rule for it


def test_star_gives_every_other_operation_its_own_bucket_and_a_named_rule_wins():
    clock = FakeClock()
    limits = RateLimits(clock=clock)
    limits.set_rule({"operation": "*", "rate": 1, "burst": 1})
    limits.set_rule({"operation": "CancelCommand", "rate": 1, "burst": 2})
    assert [limits.allow("a", "r", "ListCommands"), limits.allow("a", "r", "ListCommands")] == [True, False]
    assert limits.allow("a", "r", "GetCommandInvocation")  # its own bucket, not ListCommands'
    assert [limits.allow("a", "r", "CancelCommand") for _round in range(3)] == [True, True, False]
    assert limits.allow("b", "r", "ListCommands") and limits.allow("a", "eu-west-1", "ListCommands")  # per account and region
    assert limits.settings() == {"limits": {"*": {"rate": 1.0, "burst": 1.0}, "CancelCommand": {"rate": 1.0, "burst": 2.0}}}


def test_changing_a_rule_refills_only_its_buckets():
    limits = RateLimits(clock=FakeClock())
    limits.set_rule({"operation": "*", "rate": NO_REFILL, "burst": 1})
    limits.set_rule({"operation": "CancelCommand", "rate": NO_REFILL, "burst": 1})
    assert limits.allow("a", "r", "CancelCommand") and limits.allow("a", "r", "ListCommands")
    limits.set_rule({"operation": "*", "rate": NO_REFILL, "burst": 1})
    assert limits.allow("a", "r", "ListCommands") and not limits.allow("a", "r", "CancelCommand")


@pytest.mark.parametrize(
    "text, rule",
    [
        ("DeregisterManagedInstance=20:20", {"operation": "DeregisterManagedInstance", "rate": 20.0, "burst": 20.0}),
        ("*=2.5", {"operation": "*", "rate": 2.5, "burst": None}),
    ],
)
def test_parse_rule(text, rule):
    assert parse_rule(text) == rule


@pytest.mark.parametrize("text", ["20:20", "=20", "X=fast"])
def test_parse_rule_refuses(text):
    with pytest.raises(ValueError):
        parse_rule(text)


def test_throttled_call_answers_like_aws_changes_nothing_and_is_logged(ssm, control):
    ids = control.seed_nodes(3)["instance_ids"]
    assert control.set_rate_limit("DeregisterManagedInstance", rate=NO_REFILL, burst=2) == {
        "limits": {"DeregisterManagedInstance": {"rate": NO_REFILL, "burst": 2.0}}
    }
    ssm.deregister_managed_instance(InstanceId=ids[0])
    ssm.deregister_managed_instance(InstanceId=ids[1])
    assert client_error(ssm.deregister_managed_instance, InstanceId=ids[2]) == THROTTLED
    control.advance(5)  # past the deregistration lag: only the throttled node is left
    assert [n["InstanceId"] for n in nodes(ssm)] == [ids[2]]  # describes have no limit
    log = [e for e in control.log() if e["operation"] == "DeregisterManagedInstance"]
    assert [(e["status"], e["error"], e["fault"]) for e in log] == [(200, None, None)] * 2 + [(400, "ThrottlingException", "rate_limit")]


def test_buckets_are_per_account_and_region(endpoint, control):
    control.set_rate_limit("*", rate=NO_REFILL, burst=1)
    east, west = make_client(endpoint), make_client(endpoint, region="eu-west-1")
    east.describe_instance_information()
    west.describe_instance_information()
    east.list_commands()  # another operation: its own bucket
    assert client_error(east.describe_instance_information) == THROTTLED
    assert client_error(west.describe_instance_information) == THROTTLED
    assert [e["region"] for e in control.log() if e["fault"] == "rate_limit"] == ["us-east-1", "eu-west-1"]


def test_latency_fault_holds_throttled_and_served_calls(ssm, control):
    control.set_faults(operation="*", latency_ms=150)
    control.set_rate_limit("DescribeInstanceInformation", rate=NO_REFILL, burst=1)
    started = time.monotonic()
    ssm.describe_instance_information()
    assert client_error(ssm.describe_instance_information) == THROTTLED
    assert time.monotonic() - started >= 0.3  # both held 150 ms
    # the rate limit decides before the fault rule: a throttled call spends no fault counter
    control.set_faults(operation="*", server_error_next=1)
    assert client_error(ssm.describe_instance_information) == THROTTLED
    control.clear_rate_limits()
    assert client_error(ssm.describe_instance_information)[0] == "InternalServerError"


def test_reset_and_delete_clear_the_limits(ssm, control):
    control.set_rate_limit("DescribeInstanceInformation", rate=NO_REFILL, burst=1)
    ssm.describe_instance_information()
    control.reset()
    assert control.rate_limits() == {"limits": {}}
    for _round in range(3):
        ssm.describe_instance_information()
    control.set_rate_limit(rate=NO_REFILL)  # operation "*", burst defaults to max(1, rate)
    assert control.rate_limits() == {"limits": {"*": {"rate": NO_REFILL, "burst": 1.0}}}
    assert control.clear_rate_limits() == {"limits": {}}


@pytest.mark.parametrize(
    "body, code",
    [
        ({"rate": 0}, "BadRequest"),
        ({"rate": -1}, "BadRequest"),
        ({"rate": 5, "burst": 0.5}, "BadRequest"),
        ({"rate": "fast"}, "BadRequest"),
        ({"burst": 5}, "MissingParameter"),
    ],
)
def test_bad_limits_are_refused(control, body, code):
    with pytest.raises(ControlError) as info:
        control._call("POST", "ratelimit", body)  # pylint: disable=protected-access
    assert info.value.code == code
    assert control.rate_limits() == {"limits": {}}


def test_unknown_field_is_refused(control):
    with pytest.raises(ControlError) as info:
        control._call("POST", "ratelimit", {"rate": 1, "per_account": True})  # pylint: disable=protected-access
    assert info.value.code == "BadRequest" and "per_account" in str(info.value)


def test_aws_cli_sees_throttling(aws_cli, endpoint, control):
    del aws_cli
    control.seed_nodes(1)
    control.set_rate_limit("DescribeInstanceInformation", rate=NO_REFILL, burst=1)
    first = aws(endpoint, "describe-instance-information")
    assert first.returncode == 0, first.stderr
    assert len(json.loads(first.stdout)["InstanceInformationList"]) == 1
    second = aws(endpoint, "describe-instance-information")
    assert second.returncode == CLIENT_ERROR_RC
    assert "ThrottlingException" in second.stderr and "Rate exceeded" in second.stderr
    assert [e["fault"] for e in control.log()] == [None, "rate_limit"]


def test_process_rate_limit_option_survives_reset(tmp_path):
    with endpoint_process("--manual-clock", "--rate-limit", f"DescribeInstanceInformation={NO_REFILL}:1", "--rate-limit", "CancelCommand=5") as run:
        from ssm_endpoint import EndpointControl  # pylint: disable=import-outside-toplevel

        ctl = EndpointControl(run.url)
        expected = {"limits": {"CancelCommand": {"rate": 5.0, "burst": 5.0}, "DescribeInstanceInformation": {"rate": NO_REFILL, "burst": 1.0}}}
        assert ctl.rate_limits() == expected
        client = make_client(run)
        client.describe_instance_information()
        assert client_error(client.describe_instance_information) == THROTTLED
        ctl.reset()  # the start limits come back, with full buckets
        assert ctl.rate_limits() == expected
        client.describe_instance_information()
    assert run.returncode == 0


def test_process_refuses_a_bad_rate_limit():
    bad = subprocess.run(
        [sys.executable, "-m", "ssm_endpoint", "--port", "0", "--rate-limit", "Deregister=0:1"],
        env=dict(os.environ, PYTHONPATH=TESTS),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "--rate-limit" in bad.stderr and "rate must be > 0" in bad.stderr
