# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The SSM client: retries that know SSM's own error codes, and controller credentials."""

import os

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from .bulk import MAX_CONCURRENCY

# AWSRetry retries Throttling and the EC2-style codes but not SSM's own
# ThrottlingException nor InternalServerError (HTTP 500): add them.
SSM_RETRY_CODES = ("ThrottlingException", "InternalServerError")

# Jittered exponential backoff: sleep a random 0..min(max_delay, delay * 2**attempt)
# seconds. botocore already retries each call a few times before this layer
# sees an error, so these retries are for sustained throttling.
ssm_retry = AWSRetry.jittered_backoff(retries=8, delay=1, max_delay=20, catch_extra_error_codes=list(SSM_RETRY_CODES))


def security_token_fallback(params, environ):
    """The session token to use when only AWS_SECURITY_TOKEN carries it, else None.

    AWX / Tower / AAP pass temporary credentials as AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY and AWS_SECURITY_TOKEN. amazon.aws 10 reads the key
    pair from the environment but no longer AWS_SECURITY_TOKEN, and then hands
    boto3 explicit keys without a token: the call fails as unsigned for STS
    credentials. Only fill the gap; never override a token or profile given.
    """
    if params.get("session_token") or params.get("profile"):
        return None
    if not (params.get("access_key") and params.get("secret_key")):
        return None  # boto3's own credential chain reads AWS_SECURITY_TOKEN itself
    if environ.get("AWS_SESSION_TOKEN"):
        return None
    return environ.get("AWS_SECURITY_TOKEN") or None


def ssm_client(module):
    """An SSM client for ``module`` (an AnsibleAWSModule), controller credentials honoured."""
    token = security_token_fallback(module.params, os.environ)
    if token:
        module.params["session_token"] = token
        # The option is no_log, but values set after argument parsing are not
        # known to the masking: register it so it never reaches output.
        module.no_log_values.add(token)
    # One pooled connection per concurrent per-node call (botocore's default pool is 10).
    return module.client("ssm", config={"max_pool_connections": MAX_CONCURRENCY})
