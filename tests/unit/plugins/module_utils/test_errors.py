# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every mapped AWS error: its advice, its code, and what each resource kind's handler does with it."""

import pytest
from botocore.exceptions import ConnectionClosedError
from botocore.exceptions import EndpointConnectionError
from botocore.exceptions import NoCredentialsError

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import errors
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMActivationErrorHandler
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMCommandErrorHandler
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMInstanceErrorHandler
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMTaggingErrorHandler

from .doubles import client_error


@pytest.mark.parametrize("code", sorted(errors.ERROR_ADVICE))
def test_every_mapped_code_gives_its_advice_and_keeps_the_code(code):
    error = AnsibleSSMError(message="Failed to deregister managed node", exception=client_error(code))
    assert error.code == code
    assert error.message == f"Failed to deregister managed node: {errors.ERROR_ADVICE[code]}"
    assert error.exception.response["Error"]["Code"] == code


def test_an_unmapped_code_keeps_the_plain_message():
    error = AnsibleSSMError(message="Failed to cancel command", exception=client_error("SomethingNew"))
    assert error.code == "SomethingNew"
    assert error.message == "Failed to cancel command"


@pytest.mark.parametrize(
    "exception, code",
    [
        (EndpointConnectionError(endpoint_url="https://ssm.example"), "EndpointConnectionError"),
        (ConnectionClosedError(endpoint_url="https://ssm.example"), "ConnectionClosedError"),
        (NoCredentialsError(), "NoCredentialsError"),
    ],
)
def test_botocore_errors_without_a_code_map_by_class(exception, code):
    error = AnsibleSSMError(message="Failed to list commands", exception=exception)
    assert error.code == code
    assert errors.ERROR_ADVICE[code] in error.message


def test_credentials_advice_mentions_the_awx_token_variable():
    assert "AWS_SECURITY_TOKEN" in errors.ERROR_ADVICE["ExpiredTokenException"]


HANDLERS = [
    (SSMInstanceErrorHandler, "InvalidInstanceId"),
    (SSMCommandErrorHandler, "InvalidCommandId"),
    (SSMTaggingErrorHandler, "InvalidResourceId"),
    (SSMActivationErrorHandler, "InvalidActivationId"),
    (SSMActivationErrorHandler, "InvalidActivation"),  # DeleteActivation: "the activation might have been deleted"
]


def _raiser(exception):
    def api_call():
        raise exception

    return api_call


@pytest.mark.parametrize("handler, missing_code", HANDLERS)
def test_deletion_handler_treats_missing_as_already_gone(handler, missing_code):
    delete = handler.deletion_error_handler("delete it")(_raiser(client_error(missing_code)))
    assert delete() is False


@pytest.mark.parametrize("handler, missing_code", HANDLERS)
def test_list_handler_returns_the_default_for_missing(handler, missing_code):
    describe = handler.list_error_handler("describe it", default_value=[])(_raiser(client_error(missing_code)))
    assert describe() == []


@pytest.mark.parametrize("handler, missing_code", HANDLERS)
def test_other_errors_raise_ansible_ssm_error_with_advice(handler, missing_code):
    delete = handler.deletion_error_handler("delete it")(_raiser(client_error("AccessDeniedException")))
    with pytest.raises(AnsibleSSMError) as raised:
        delete()
    assert raised.value.code == "AccessDeniedException"
    assert raised.value.message == "Failed to delete it: " + errors.ERROR_ADVICE["AccessDeniedException"]
    assert missing_code != "AccessDeniedException"


def test_a_missing_code_of_another_kind_is_not_swallowed():
    delete = SSMCommandErrorHandler.deletion_error_handler("cancel command")(_raiser(client_error("InvalidInstanceId")))
    with pytest.raises(AnsibleSSMError) as raised:
        delete()
    assert raised.value.code == "InvalidInstanceId"
