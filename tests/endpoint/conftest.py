"""Fixtures: one in-process endpoint per session, reset before every test, boto3 clients aimed at it."""
import os
import sys

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

from ssm_endpoint import EndpointControl, start_in_process  # noqa: E402  pylint: disable=wrong-import-position

CREDS = {"aws_access_key_id": "AKIDTESTTESTTEST0000", "aws_secret_access_key": "test-secret"}


@pytest.fixture(name="endpoint", scope="session")
def fixture_endpoint():
    """The running endpoint (URL in ``endpoint.url``)."""
    running = start_in_process(port=0)
    yield running
    running.stop()


@pytest.fixture(name="control")
def fixture_control(endpoint):
    """Control client; the endpoint is reset before each test."""
    ctl = EndpointControl(endpoint.url)
    ctl.reset()
    return ctl


def make_client(endpoint, region="us-east-1", **config):
    """An SSM client for the endpoint; ``config`` goes to botocore's Config."""
    config.setdefault("retries", {"max_attempts": 0})
    return boto3.client("ssm", endpoint_url=endpoint.url, region_name=region, config=Config(**config), **CREDS)


@pytest.fixture(name="ssm")
def fixture_ssm(endpoint, control):
    """SSM client without retries (faults surface immediately)."""
    del control
    return make_client(endpoint)


@pytest.fixture(name="raw_ssm")
def fixture_raw_ssm(endpoint, control):
    """SSM client that skips botocore's client-side validation, to reach the server's."""
    del control
    return make_client(endpoint, parameter_validation=False)


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


@pytest.fixture(name="activation")
def fixture_activation(ssm):
    """A fresh activation allowing 5 registrations."""
    return ssm.create_activation(IamRole="SSMServiceRole", RegistrationLimit=5, DefaultInstanceName="edge")
