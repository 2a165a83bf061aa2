# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECS client factory: the same checks, credentials and pace as the SSM client (client.py)."""

import os

from .bulk import MAX_CONCURRENCY
from .connection import check_connection
from .constraints import CALLS_PER_SECOND
from .constraints import check_number
from .credentials import security_token_fallback
from .errors import ERROR_ADVICE
from .errors import NO_REGION
from .pacing import attach as attach_pacer


def ecs_client(module):
    """An ECS client for ``module`` (an AnsibleAWSModule), controller credentials honoured, calls paced."""
    check_connection(module.params)
    max_rate = module.params.get("max_calls_per_second")
    if max_rate is not None:
        check_number("max_calls_per_second", max_rate, CALLS_PER_SECOND, "calls per second")
    if not module.region:
        module.fail_json(msg=f"{module._name}: {ERROR_ADVICE[NO_REGION]}", error_code=NO_REGION)
    token = security_token_fallback(module.params, os.environ)
    if token:
        module.params["session_token"] = token
        module.no_log_values.add(token)
    client = module.client("ecs", config={"max_pool_connections": MAX_CONCURRENCY})
    attach_pacer(client, max_rate, service="ecs")
    return client
