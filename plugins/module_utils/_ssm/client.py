# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The SSM client factory: options checked, controller credentials honoured, lost answers counted, calls paced.

Each concern lives in its own file (connection.py, credentials.py, served.py, pacing.py); this puts them
together on one client. The retry policy is per call (retry.py), not per client.
"""

import os

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
    extra = {"region": region} if region else {}
    if credentials:
        # Set after argument parsing, so unknown to the masking: registered, they never reach output.
        module.no_log_values.update((credentials["SecretAccessKey"], credentials["SessionToken"]))
        extra.update(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
    # One pooled connection per concurrent per-node call (botocore's default pool is 10).
    client = module.client(service, config={"max_pool_connections": MAX_CONCURRENCY}, **extra)
    # One pace for every thread of this run, capped by max_calls_per_second where the module has it.
    attach_pacer(client, max_rate, service=service)
    return client
