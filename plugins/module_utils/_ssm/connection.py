# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The connection options (amazon.aws's common ones), checked before the client is made."""

import os
from urllib.parse import urlsplit

try:
    from botocore.config import Config
except ImportError:
    # AnsibleAWSModule reports the missing botocore
    Config = None

from .constraints import REGION
from .constraints import check_string
from .errors import SSMValidationError

# Credentials given as options or through their environment variables (the options' fallbacks).
_KEY_OPTIONS = ("access_key", "secret_key", "session_token")


def check_connection(params):
    """Check the connection options (amazon.aws's common ones) before the client is made.

    Without this, a bad region or endpoint URL fails as "Couldn't connect to
    AWS: ..." without the option's name, a missing CA bundle only when a
    request is sent over HTTPS, and a profile given with keys as "Passing both
    a profile and access tokens is not supported." Credential values are never
    put into a message.
    """
    if params.get("region"):
        check_string("region", params["region"], REGION)
    endpoint_url = params.get("endpoint_url")
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SSMValidationError(
                f"endpoint_url: {endpoint_url!r} is not a valid endpoint URL: it must be http:// or https:// followed by a host name (also read from AWS_URL).",
                parameter="endpoint_url",
                value=endpoint_url,
            )
    keys = [name for name in _KEY_OPTIONS if params.get(name)]
    if params.get("profile") and keys:
        raise SSMValidationError(
            f"profile: {params['profile']!r} cannot be combined with {', '.join(keys)} (given as options or through AWS_ACCESS_KEY_ID,"
            " AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): use either the profile or the keys; set the keys to '' to ignore the environment.",
            parameter="profile",
            value=params["profile"],
        )
    if bool(params.get("access_key")) != bool(params.get("secret_key")):
        # The access key ID is no secret (amazon.aws does not mask it); the secret key is never shown.
        given = f"access_key: {params['access_key']!r} is given without secret_key" if params.get("access_key") else "secret_key: given without access_key"
        raise SSMValidationError(
            f"{given}: the two must be given together (as options, or as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).",
            parameter="access_key" if params.get("access_key") else "secret_key",
            value=params.get("access_key"),
        )
    ca_bundle = params.get("aws_ca_bundle")
    if ca_bundle and params.get("validate_certs", True) and not os.path.isfile(ca_bundle):
        raise SSMValidationError(
            f"aws_ca_bundle: {ca_bundle!r} is not a file: it must be the path of a PEM bundle of CA certificates (also read from AWS_CA_BUNDLE).",
            parameter="aws_ca_bundle",
            value=ca_bundle,
        )
    config = params.get("aws_config")
    if config and Config is not None:
        try:
            Config(**config)
        except (TypeError, ValueError, AttributeError, LookupError) as error:
            raise SSMValidationError(
                f"aws_config: {config!r} is not a valid botocore configuration: {type(error).__name__}: {error}.", parameter="aws_config", value=config
            ) from None
