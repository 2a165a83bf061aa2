"""A boto3 SSM client for a running endpoint, with test credentials: one place for the client the tests and the
bench scripts build around it."""

import boto3
from botocore.config import Config


def endpoint_client(url, region="us-east-1", access_key="AKIDHYBRIDOPSTEST", secret_key="x", **config):
    """An SSM client for the endpoint at ``url``; ``config``: botocore Config options (retries, pool size)."""
    return boto3.client(
        "ssm",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(**config) if config else None,
    )
