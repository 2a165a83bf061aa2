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


def _error(code, doc, message=None):
    """An SSMError subclass named after its code, as the SSM API reference names it."""
    attrs = {"__doc__": doc, "code": code}
    if message is not None:
        attrs["message"] = message
    return type(code, (SSMError,), attrs)


# code, what it means here, the default message (the API reference's wording), or moto's generic one.
ValidationException = _error("ValidationException", "A member violated a length, pattern, range, enum or count constraint.")
InvalidInstanceId = _error("InvalidInstanceId", "Unknown, deregistered or malformed managed node ID.", "Instance Id is not valid or is not registered.")
InvalidCommandId = _error("InvalidCommandId", "Unknown command ID.", "The specified command ID isn't valid.")
DuplicateInstanceId = _error("DuplicateInstanceId", "The same node ID appears twice in one request.", "Instance ids must be unique.")
InvalidFilterKey = _error("InvalidFilterKey", "A filter key the operation does not support.")
InvalidFilter = _error("InvalidFilter", "DescribeActivations filter problems.")
InvalidInstanceInformationFilterValue = _error("InvalidInstanceInformationFilterValue", "A DescribeInstanceInformation filter value that cannot be used.")
InvalidNextToken = _error("InvalidNextToken", "A NextToken this endpoint never issued.", "The specified token isn't valid.")
InvalidActivationId = _error("InvalidActivationId", "Unknown or deleted activation.", "The activation ID isn't valid.")
InvalidActivation = _error("InvalidActivation", "Activation that cannot register a node (expired, used up, wrong code).")
InvalidParameters = _error("InvalidParameters", "Parameter values the service rejects beyond the model's constraints.")
InvocationDoesNotExist = _error(
    "InvocationDoesNotExist", "No invocation for this command ID and node ID.", "The command ID and managed node ID you specified didn't match any invocations."
)
InvalidResourceId = _error("InvalidResourceId", "Tagging a node that is not registered.", "The resource ID isn't valid.")
TooManyTagsError = _error("TooManyTagsError", "More than 50 tags on one resource.", "The Targets parameter includes too many tags.")
InvalidPluginName = _error("InvalidPluginName", "A plugin name the command's document does not have.", "The plugin name isn't valid.")
