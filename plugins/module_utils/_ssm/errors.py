# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS error mapping for SSM: the one place where an error code becomes advice.

To map a new error code, add it to ``ERROR_ADVICE``. To teach a resource kind
that an error means "not there" (so describe returns a default and delete
counts as already done), set that kind's handler ``_is_missing``.
"""

from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from .limits import TAGS_PER_NODE_MAX

_CREDENTIALS_ADVICE = (
    "the credentials were rejected or have expired; temporary credentials also need their session token"
    " (session_token, AWS_SESSION_TOKEN or, as AWX passes it, AWS_SECURITY_TOKEN); or the region is an opt-in region"
    " the account has not enabled (AWS answers its calls there the same way)"
)

# error code (or botocore exception class name) -> what a person can do about it.
ERROR_ADVICE = {
    "InvalidInstanceId": (
        "the node is not registered in this account and region (already deregistered, a typo, or another region), or the credentials may not see it"
    ),
    "InvalidCommandId": "no command with this ID exists in this account and region; SSM keeps command history for 30 days",
    "DuplicateInstanceId": "a node ID was given more than once",
    "InvocationDoesNotExist": "the command did not run on this node",
    "InvalidResourceId": "the node is not a registered hybrid node (mi-...) in this account and region",
    "InvalidResourceType": "tags on nodes work only for hybrid nodes (mi-...), with resource type ManagedInstance",
    "TooManyTagsError": f"a node can carry at most {TAGS_PER_NODE_MAX} tags; purge some or tag fewer",
    "TooManyUpdates": "another update to this resource is in progress; run again shortly",
    "InvalidActivationId": (
        "no activation with this ID exists in this account and region (already deleted, a typo, or another region); list them with aws ssm describe-activations"
    ),
    "InvalidActivation": (
        "the activation is not valid: it was deleted, or (when registering) the activation code does not match, it expired"
        " or reached its registration limit; create a new activation for new registrations"
    ),
    "InvalidFilterKey": "SSM does not accept this filter key for this call",
    "InvalidFilter": "SSM does not accept this filter for this call",
    "InvalidInstanceInformationFilterValue": "SSM rejected a filter value (tag filters cannot be combined with other filters)",
    "InvalidNextToken": "the paging token expired while listing; run again",
    "ValidationException": "SSM rejected a parameter value; the AWS message says which",
    "ThrottlingException": (
        "SSM kept throttling the call for as long as the task allowed (its deadline, or five minutes without one);"
        " lower the concurrency or max_calls_per_second, give the task a longer deadline where it takes one, or run again later"
    ),
    "InternalServerError": "SSM kept failing on its side after every retry; run again later",
    "AccessDeniedException": "the credentials lack the IAM permission for this call; the README lists the actions each module needs",
    "UnrecognizedClientException": _CREDENTIALS_ADVICE,
    "InvalidClientTokenId": _CREDENTIALS_ADVICE,
    "InvalidSignatureException": _CREDENTIALS_ADVICE,
    "ExpiredTokenException": _CREDENTIALS_ADVICE,
    "NoCredentialsError": "no AWS credentials were found; set access_key/secret_key, a profile, or the AWS_* environment variables",
    "NoRegionError": "no region was given; set region or AWS_REGION",
    "EndpointConnectionError": "the SSM endpoint could not be reached; check region, endpoint_url and the network",
    "ConnectionClosedError": "the SSM endpoint closed the connection on every retry; check the network and run again",
    "ReadTimeoutError": "the SSM endpoint did not answer in time on every retry; run again later",
    # ECS (ecs_anywhere_instance)
    "ClusterNotFoundException": "the ECS cluster does not exist in this account and region (deleted meanwhile?); run again",
    "InvalidParameterException": (
        "ECS rejected a parameter (a container instance already deregistered, or tasks still running on it); the AWS message says which"
    ),
    "ClientException": "ECS refused the call for the caller (permissions or a bad identifier); the AWS message says which",
    "ServerException": "ECS failed on its side; run again later",
}


# The ``error_code`` of a module's failure when no region was found (the option, AWS_REGION, a profile): the
# role hybridops.ssm.decommission_hybrid_node tells its users which variable to set by this code, never by the message.
NO_REGION = "NoRegionError"


def error_code(exception):
    """The AWS error code of a botocore ClientError, else the exception's class name."""
    response = getattr(exception, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return code
    return type(exception).__name__ if exception is not None else None


class AnsibleSSMError(AnsibleAWSError):
    """An SSM failure whose message says what happened and what to do.

    ``code`` is the AWS error code (or the botocore exception class name) so
    callers can report per-node outcomes without parsing messages.
    """

    def __init__(self, message=None, exception=None, **kwargs):
        self.code = error_code(exception) if exception is not None else kwargs.pop("code", None)
        # why the retry layer stopped retrying (retry.py), where that is more than a count of attempts
        note = getattr(exception, "retry_note", None)
        if message and note:
            message = f"{message} ({note})"
        advice = ERROR_ADVICE.get(self.code)
        if message and advice:
            message = f"{message}: {advice}"
        super().__init__(message=message, exception=exception, **kwargs)


class SSMValidationError(AnsibleSSMError):
    """Bad input caught before any request: names the parameter, the value and the constraint."""

    def __init__(self, message, parameter=None, value=None):
        super().__init__(message=message, code="ValidationError")
        self.parameter = parameter
        self.value = value


def is_boto3_error_code(code):
    """amazon.aws's is_boto3_error_code, imported when a handler first asks: its module imports boto3 (0.1 s),
    which the controller's plugins, reading only this file's errors and advice, never need."""
    from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code as error_code_is

    return error_code_is(code)


class SSMErrorHandler(AWSErrorHandler):
    """Base for SSM handlers: raise AnsibleSSMError so every failure carries advice and a code."""

    _CUSTOM_EXCEPTION = AnsibleSSMError


class SSMInstanceErrorHandler(SSMErrorHandler):
    """Managed nodes: InvalidInstanceId means the node is not (or no longer) registered."""

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("InvalidInstanceId")


class SSMTaggingErrorHandler(SSMErrorHandler):
    """Tags on managed nodes: InvalidResourceId means the node is not registered."""

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("InvalidResourceId")


class SSMCommandErrorHandler(SSMErrorHandler):
    """Run Commands: InvalidCommandId means the command is unknown (or older than 30 days)."""

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("InvalidCommandId")


class SSMActivationErrorHandler(SSMErrorHandler):
    """Activations: InvalidActivationId or InvalidActivation means the activation is gone.

    DeleteActivation declares both: the API reference words InvalidActivation
    as "the activation might have been deleted", and a deleted or unknown ID
    comes back as InvalidActivationId (so does the test endpoint). A deletion
    call has no activation code, so neither can mean anything but "not there".
    """

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["InvalidActivationId", "InvalidActivation"])


class ECSErrorHandler(SSMErrorHandler):
    """ECS calls: ClusterNotFoundException means the cluster is gone (a listing of it is empty)."""

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ClusterNotFoundException")
