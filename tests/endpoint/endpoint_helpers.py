"""Helpers of the endpoint tests: boto3 clients aimed at the endpoint, error and listing shorthands.

Not in conftest.py: tests/integration has a conftest.py too, and a test module's ``from conftest import``
finds whichever of the two pytest loaded last when both directories run in one pytest session.
"""

import os
import time

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

CREDS = {"aws_access_key_id": "AKIDTESTTESTTEST0000", "aws_secret_access_key": "test-secret"}


def make_client(endpoint, region="us-east-1", **config):
    """An SSM client for the endpoint; ``config`` goes to botocore's Config."""
    config.setdefault("retries", {"max_attempts": 0})
    return boto3.client("ssm", endpoint_url=endpoint.url, region_name=region, config=Config(**config), **CREDS)


def client_error(call, **kwargs):
    """Run an API call that must fail; return (code, http status, message)."""
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    err = info.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Message"]


def nodes(ssm_client, **kwargs):
    """All InstanceInformationList items through the paginator."""
    pages = ssm_client.get_paginator("describe_instance_information").paginate(**kwargs)
    return [item for page in pages for item in page["InstanceInformationList"]]


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
TERMINAL = ("Success", "Failed", "TimedOut", "Cancelled")


def fixture_lines(name):
    """A fixture script as a document's ``commands`` (one line each)."""
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read().splitlines()


def run_command(ssm_client, control, instance_id, commands, document="AWS-RunShellScript", max_steps=40, wall_s=20.0, **parameters):
    """SendCommand to one node, then step the clock until its invocation ends (bounded); the last
    GetCommandInvocation answer. ``parameters`` are more document parameters (string values)."""
    params = {"commands": commands, **{k: [str(v)] for k, v in parameters.items()}}
    command_id = ssm_client.send_command(InstanceIds=[instance_id], DocumentName=document, Parameters=params)["Command"]["CommandId"]
    return wait_invocation(ssm_client, control, command_id, instance_id, max_steps, wall_s)


def wait_invocation(ssm_client, control, command_id, instance_id, max_steps=40, wall_s=20.0):
    """Step the clock until the invocation ends, at most ``max_steps`` steps or ``wall_s`` seconds."""
    deadline = time.monotonic() + wall_s
    answer = None
    for _unused in range(max_steps):
        control.step()
        try:
            answer = ssm_client.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        except botocore.exceptions.ClientError as error:
            if error.response["Error"]["Code"] != "InvocationDoesNotExist":  # the command's visibility lag
                raise
            continue
        if answer["Status"] in TERMINAL or time.monotonic() > deadline:
            return answer
        time.sleep(0.02)  # a real process runs in wall time
    return answer


def make_ecs_client(endpoint, region="us-east-1", **config):
    """An ECS client for the endpoint (same port as SSM); ``config`` goes to botocore's Config."""
    config.setdefault("retries", {"max_attempts": 0})
    return boto3.client("ecs", endpoint_url=endpoint.url, region_name=region, config=Config(**config), **CREDS)
