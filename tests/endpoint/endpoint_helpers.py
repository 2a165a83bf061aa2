"""Helpers of the endpoint tests: boto3 clients aimed at the endpoint, error and listing shorthands.

Not in conftest.py: tests/integration has a conftest.py too, and a test module's ``from conftest import``
finds whichever of the two pytest loaded last when both directories run in one pytest session.
"""

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
