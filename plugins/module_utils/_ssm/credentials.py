# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller credentials: the session token AWX, Tower and AAP pass as AWS_SECURITY_TOKEN."""


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
