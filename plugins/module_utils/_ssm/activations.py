# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One function per SSM call on hybrid activations (describe, delete).

Creating activations is left out on purpose: CreateActivation returns the
activation code, a secret that registers machines into the account.
"""

from .constraints import ACTIVATION_ID
from .constraints import DESCRIBE_ACTIVATIONS_MAX_RESULTS
from .constraints import check_list
from .constraints import check_string
from .errors import SSMActivationErrorHandler
from .paging import all_pages
from .retry import ssm_retry


@SSMActivationErrorHandler.list_error_handler("describe activations", default_value=[])
def describe_activations(client, activation_ids, page_size=DESCRIBE_ACTIVATIONS_MAX_RESULTS[1]):
    """The activations among ``activation_ids`` that exist, all pages (filter key ActivationIds).

    An unknown or deleted activation is simply not in the result.
    """
    check_list("ActivationIds", activation_ids, ACTIVATION_ID, min_items=1)
    kwargs = {"MaxResults": page_size, "Filters": [{"FilterKey": "ActivationIds", "FilterValues": list(activation_ids)}]}
    return all_pages(client.describe_activations, "ActivationList", kwargs)


@SSMActivationErrorHandler.deletion_error_handler("delete activation")
@ssm_retry
def delete_activation(client, activation_id):
    """Delete an activation; False when it was already gone (InvalidActivationId / InvalidActivation).

    Deleting an activation does not deregister the nodes registered with it.
    """
    check_string("ActivationId", activation_id, ACTIVATION_ID)
    client.delete_activation(ActivationId=activation_id)
    return True
