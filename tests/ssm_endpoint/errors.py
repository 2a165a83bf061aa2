"""SSM error types raised by the endpoint's extension of moto.

They subclass moto's ServiceException so moto serialises them with the SSM service model
(``__type`` + HTTP status).  This module must not live under a ``moto`` package: moto would
then look the codes up in the wrong service model.
"""

from moto.core.exceptions import ServiceException


class SSMError(ServiceException):
    """Base class: ``code`` and ``message`` as in the SSM API reference."""

    def __init__(self, *args: str) -> None:
        super().__init__(self.code, args[0] if args and args[0] else self.message)


class ValidationException(SSMError):
    """A member violated a length, pattern, range, enum or count constraint."""

    code = "ValidationException"


class InvalidInstanceId(SSMError):
    """Unknown, deregistered or malformed managed node ID."""

    code = "InvalidInstanceId"
    message = "Instance Id is not valid or is not registered."


class InvalidCommandId(SSMError):
    """Unknown command ID."""

    code = "InvalidCommandId"
    message = "The specified command ID isn't valid."


class DuplicateInstanceId(SSMError):
    """The same node ID appears twice in one request."""

    code = "DuplicateInstanceId"
    message = "Instance ids must be unique."


class InvalidFilterKey(SSMError):
    """A filter key the operation does not support."""

    code = "InvalidFilterKey"


class InvalidFilter(SSMError):
    """DescribeActivations filter problems."""

    code = "InvalidFilter"


class InvalidInstanceInformationFilterValue(SSMError):
    """A DescribeInstanceInformation filter value that cannot be used."""

    code = "InvalidInstanceInformationFilterValue"


class InvalidNextToken(SSMError):
    """A NextToken this endpoint never issued."""

    code = "InvalidNextToken"
    message = "The specified token isn't valid."


class InvalidActivationId(SSMError):
    """Unknown or deleted activation."""

    code = "InvalidActivationId"
    message = "The activation ID isn't valid."


class InvalidActivation(SSMError):
    """Activation that cannot register a node (expired, used up, wrong code)."""

    code = "InvalidActivation"


class InvalidParameters(SSMError):
    """Parameter values the service rejects beyond the model's constraints."""

    code = "InvalidParameters"


class InvocationDoesNotExist(SSMError):
    """No invocation for this command ID and node ID."""

    code = "InvocationDoesNotExist"
    message = "The command ID and managed node ID you specified didn't match any invocations."


class InvalidResourceId(SSMError):
    """Tagging a node that is not registered."""

    code = "InvalidResourceId"
    message = "The resource ID isn't valid."


class TooManyTagsError(SSMError):
    """More than 50 tags on one resource."""

    code = "TooManyTagsError"
    message = "The Targets parameter includes too many tags."


class InvalidPluginName(SSMError):
    """A plugin name the command's document does not have."""

    code = "InvalidPluginName"
    message = "The plugin name isn't valid."
