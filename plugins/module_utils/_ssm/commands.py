# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One function per SSM Run Command call (list, invocations, cancel, send, one invocation's output)."""

from .constraints import CANCEL_INSTANCE_IDS_MAX
from .constraints import COMMAND_ID
from .constraints import COMMAND_INSTANCE_ID
from .constraints import COMMAND_LIST_MAX_RESULTS
from .constraints import COMMENT
from .constraints import DOCUMENT_NAME
from .constraints import SEND_INSTANCE_IDS_MAX
from .constraints import check_list
from .constraints import check_string
from .errors import SSMCommandErrorHandler
from .errors import error_code
from .paging import all_pages
from .retry import ssm_retry
from .retry import ssm_retry_throttled


def _command_listing(list_call, result_key, command_id, instance_id, filters, kwargs):
    """Every page of a ListCommands or ListCommandInvocations call narrowed by the arguments."""
    if command_id:
        kwargs["CommandId"] = check_string("CommandId", command_id, COMMAND_ID)
    if instance_id:
        kwargs["InstanceId"] = check_string("InstanceId", instance_id, COMMAND_INSTANCE_ID)
    if filters:
        kwargs["Filters"] = filters
    return all_pages(list_call, result_key, kwargs)


@SSMCommandErrorHandler.list_error_handler("list commands", default_value=[])
def list_commands(client, command_id=None, instance_id=None, filters=None, page_size=COMMAND_LIST_MAX_RESULTS[1]):
    """Every command matching the arguments, all pages; [] for an unknown command ID."""
    return _command_listing(client.list_commands, "Commands", command_id, instance_id, filters, {"MaxResults": page_size})


@SSMCommandErrorHandler.list_error_handler("list command invocations", default_value=[])
def list_command_invocations(client, command_id=None, instance_id=None, filters=None, details=False, page_size=COMMAND_LIST_MAX_RESULTS[1]):
    """Every invocation matching the arguments, all pages; [] for an unknown command ID."""
    kwargs = {"MaxResults": page_size, "Details": bool(details)}
    return _command_listing(client.list_command_invocations, "CommandInvocations", command_id, instance_id, filters, kwargs)


@SSMCommandErrorHandler.deletion_error_handler("cancel command")
@ssm_retry
def cancel_command(client, command_id, instance_ids=None):
    """Ask SSM to cancel a command (asynchronous); False for an unknown command ID.

    ``instance_ids`` None cancels on every node the command targeted; callers
    split longer lists into API-sized chunks (CANCEL_INSTANCE_IDS_MAX).
    """
    check_string("CommandId", command_id, COMMAND_ID)
    check_list("InstanceIds", instance_ids, COMMAND_INSTANCE_ID, max_items=CANCEL_INSTANCE_IDS_MAX)
    kwargs = {"CommandId": command_id}
    if instance_ids:
        kwargs["InstanceIds"] = list(instance_ids)
    client.cancel_command(**kwargs)
    return True


@SSMCommandErrorHandler.common_error_handler("send command")
@ssm_retry_throttled
def send_command(client, request, attempts):
    """SendCommand (``request``: its parameters, at most 50 InstanceIds or the Targets); the Command SSM returned.

    Retried only while throttled (retry.ssm_retry_throttled): SendCommand has no idempotency token, so a
    request whose answer was lost is never sent again here. ``attempts`` (served.Attempts) counts the
    HTTP attempts SSM may have served without an answer, botocore's own retries included.
    """
    check_string("DocumentName", request["DocumentName"], DOCUMENT_NAME)
    check_list("InstanceIds", request.get("InstanceIds"), COMMAND_INSTANCE_ID, max_items=SEND_INSTANCE_IDS_MAX)
    if request.get("Comment") is not None:
        check_string("Comment", request["Comment"], COMMENT)
    return client.send_command(**request, **attempts.params())["Command"]


@SSMCommandErrorHandler.list_error_handler("get command invocation", default_value=None)
@ssm_retry
def get_command_invocation(client, command_id, instance_id):
    """GetCommandInvocation of the document's first plugin: status, response code, output (SSM truncates it); None when there is none."""
    check_string("CommandId", command_id, COMMAND_ID)
    check_string("InstanceId", instance_id, COMMAND_INSTANCE_ID)
    try:
        return client.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
    except Exception as error:  # pylint: disable=broad-exception-caught  # botocore's ClientError; re-raised unless InvocationDoesNotExist
        if error_code(error) == "InvocationDoesNotExist":
            return None
        raise
