# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The SSM client factory: options checked, controller credentials honoured, lost answers counted, calls paced.

Each concern lives in its own file (connection.py, credentials.py, served.py, pacing.py); this puts them
together on one client. The retry policy is per call (retry.py), not per client.
"""

import os
import threading

try:
    import boto3
    from botocore.config import Config
except ImportError:
    # AnsibleAWSModule reports the missing boto3 and botocore
    boto3 = Config = None

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info

from .bulk import MAX_CONCURRENCY
from .connection import check_connection
from .constraints import CALLS_PER_SECOND
from .constraints import check_number
from .credentials import security_token_fallback
from .errors import ERROR_ADVICE
from .errors import NO_REGION
from .pacing import attach as attach_pacer
from .served import count_unanswered


def ssm_client(module, region=None, credentials=None):
    """An SSM client for ``module`` (an AnsibleAWSModule), controller credentials honoured."""
    client = paced_client(module, "ssm", region, credentials)
    count_unanswered(client)
    return client


def ecs_client(module, region=None, credentials=None):
    """An ECS client for ``module``: the same checks, credentials and pace as the SSM client."""
    return paced_client(module, "ecs", region, credentials)


def paced_client(module, service, region=None, credentials=None):
    """A boto3 client of ``service`` for ``module``, its connection, region and pace checked, its calls paced.

    ``region`` (else the module's) and ``credentials`` (STS AssumeRole's ``Credentials``, else the module's) make a
    client of another account and region with the same endpoint, configuration and retries: each such client has
    a pace of its own, as SSM keeps a rate limit per account and region.
    """
    check_connection(module.params)
    max_rate = module.params.get("max_calls_per_second")
    if max_rate is not None:
        check_number("max_calls_per_second", max_rate, CALLS_PER_SECOND, "calls per second")
    # amazon.aws fails a missing region with a sentence alone; this failure carries its code for the callers
    # that act on it (the role hybridops.ssm.decommission_hybrid_node names its own variable).
    if not (region or module.region):
        module.fail_json(msg=f"{module._name}: {ERROR_ADVICE[NO_REGION]}", error_code=NO_REGION)
    token = security_token_fallback(module.params, os.environ)
    if token:
        module.params["session_token"] = token
        # The option is no_log, but values set after argument parsing are not
        # known to the masking: register it so it never reaches output.
        module.no_log_values.add(token)
    if region or credentials:
        client = _shared_session_client(module, service, region or module.region, credentials)
    else:
        # One pooled connection per concurrent per-node call (botocore's default pool is 10).
        client = module.client(service, config={"max_pool_connections": MAX_CONCURRENCY})
    # One pace for every thread of this run, capped by max_calls_per_second where the module has it.
    attach_pacer(client, max_rate, service=service)
    return client


_SHARED = threading.Lock()


def _shared_session_client(module, service, region, credentials):
    """A client of one boto3 session shared by the task's account-regions, made with the task's connection options.

    A new boto3 session loads the service's model afresh (about half a second of CPU each): a sweep of 20
    account-regions would spend many seconds on it. Sessions are not safe to share between threads, so the
    clients are made one at a time; the clients themselves are. ``credentials`` (STS AssumeRole's) take the place
    of the task's keys; they are registered with the task's masking first (set after argument parsing, it does not
    know them), so they never reach output.
    """
    with _SHARED:
        shared = getattr(module, "_hybridops_shared_session", None)
        if shared is None:
            _region, endpoint_url, params = get_aws_connection_info(module)
            params = dict(params)
            session = boto3.session.Session(profile_name=params.pop("profile_name", None))
            aws_config = params.pop("aws_config", None)
            config = Config(max_pool_connections=MAX_CONCURRENCY, user_agent_extra="hybridops.ssm")
            shared = module._hybridops_shared_session = (session, endpoint_url, params, aws_config.merge(config) if aws_config else config)
        session, endpoint_url, params, config = shared
        params = dict(params)
        if credentials:
            module.no_log_values.update((credentials["SecretAccessKey"], credentials["SessionToken"]))
            params.update(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )
        return session.client(service, region_name=region, endpoint_url=endpoint_url, config=config, **params)
