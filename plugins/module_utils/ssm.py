# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Public facade of hybridops.ssm's module_utils: import from here in other content.

The implementation lives in ``_ssm/`` (private, may change):
``constraints`` (the API's input constraints), ``errors`` (AWS error mapping),
``client`` (retries, credentials), ``instances``, ``commands`` and
``activations`` (one function per API call), ``activation_cleanup`` (deleting
activations only when no node uses them).
"""

from ._ssm.activation_cleanup import ensure_activations_absent
from ._ssm.activations import delete_activation
from ._ssm.activations import describe_activations
from ._ssm.client import ssm_client
from ._ssm.credentials import security_token_fallback
from ._ssm.retry import SSM_RETRY_CODES
from ._ssm.retry import ssm_retry
from ._ssm.constraints import ACTIVATION_ID
from ._ssm.constraints import COMMAND_ID
from ._ssm.constraints import COMMAND_INSTANCE_ID
from ._ssm.constraints import MANAGED_INSTANCE_ID
from ._ssm.constraints import TERMINAL_COMMAND_STATUSES
from ._ssm.constraints import check_list
from ._ssm.constraints import check_string
from ._ssm.constraints import check_tags
from ._ssm.errors import ERROR_ADVICE
from ._ssm.errors import AnsibleSSMError
from ._ssm.errors import SSMActivationErrorHandler
from ._ssm.errors import SSMCommandErrorHandler
from ._ssm.errors import SSMInstanceErrorHandler
from ._ssm.errors import SSMValidationError

__all__ = (
    "SSM_RETRY_CODES",
    "security_token_fallback",
    "ssm_client",
    "ssm_retry",
    "COMMAND_ID",
    "COMMAND_INSTANCE_ID",
    "MANAGED_INSTANCE_ID",
    "TERMINAL_COMMAND_STATUSES",
    "check_list",
    "check_string",
    "check_tags",
    "ERROR_ADVICE",
    "AnsibleSSMError",
    "SSMCommandErrorHandler",
    "SSMInstanceErrorHandler",
    "SSMValidationError",
    "ACTIVATION_ID",
    "SSMActivationErrorHandler",
    "describe_activations",
    "delete_activation",
    "ensure_activations_absent",
)
