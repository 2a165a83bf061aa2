# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Deleting hybrid activations safely: only those that exist, and by default only when no node uses them.

Everything is read first: the activations (DescribeActivations, one paged
call for all IDs) and, for each one that exists, the nodes still registered
with it (DescribeInstanceInformation with the filter ActivationIds=[id]).
A DeleteActivation is sent only for an activation that exists and, with
``only_if_unused``, has no registered node. Deleting an activation does not
deregister its nodes; it only stops new registrations with it.

Every activation gets an outcome; a failure on one never stops or hides the
others.
"""

from .activations import delete_activation
from .activations import describe_activations
from .constraints import ACTIVATION_ID
from .constraints import check_list
from .errors import AnsibleSSMError
from .instances import describe_instance_information
from .outcomes import ALREADY_ABSENT
from .outcomes import DELETED
from .outcomes import ERROR_ALIAS
from .outcomes import FAILED
from .outcomes import IDS_SHOWN
from .outcomes import KEPT_IN_USE
from .outcomes import MSG
from .outcomes import OUTCOME
from .outcomes import error_message


def registered_nodes(client, activation_id):
    """The IDs of the nodes still registered with ``activation_id`` (every page)."""
    return [node["InstanceId"] for node in describe_instance_information(client, [{"Key": "ActivationIds", "Values": [activation_id]}])]


def _outcome(activation_id, outcome, node_ids=None):
    record = {"activation_id": activation_id, OUTCOME: outcome, "registered_nodes": None if node_ids is None else len(node_ids)}
    if node_ids:
        record["node_ids"] = node_ids[:IDS_SHOWN]
    return record


def _failure(activation_id, error, node_ids=None):
    record = _outcome(activation_id, FAILED, node_ids)
    # msg, as in every module's per-item outcomes; error is kept as its deprecated alias (outcomes.ERROR_ALIAS).
    message = error_message(error)
    record.update({MSG: message, ERROR_ALIAS: message, "error_code": error.code})
    return record


def _handle_one(client, activation_id, check_mode, only_if_unused):
    """The outcome of one activation known to exist; AnsibleSSMError is reported, not raised."""
    node_ids = None
    try:
        node_ids = registered_nodes(client, activation_id)
        if only_if_unused and node_ids:
            return _outcome(activation_id, KEPT_IN_USE, node_ids)
        if check_mode:
            return _outcome(activation_id, DELETED, node_ids)
        # False: it vanished between the describe and the delete - gone all the same.
        return _outcome(activation_id, DELETED if delete_activation(client, activation_id) else ALREADY_ABSENT, node_ids)
    except AnsibleSSMError as error:
        return _failure(activation_id, error, node_ids)


def ensure_activations_absent(client, activation_ids, check_mode, only_if_unused=True):
    """Delete the activations among ``activation_ids`` that exist (and, with ``only_if_unused``, have no node).

    Returns (changed, outcomes): one outcome per ID, in the order given, each
    ``{activation_id, outcome, registered_nodes}`` plus ``node_ids`` (at most
    IDS_SHOWN of the nodes still registered) when there are any, and
    ``msg`` (alias ``error``) / ``error_code`` for a failed one. ``registered_nodes`` is None
    for an activation that does not exist (its nodes are not looked up).
    Check mode reads only and predicts ``deleted``. Bad IDs raise
    SSMValidationError before any request; a failing DescribeActivations
    raises, since nothing can be decided without it.
    """
    check_list("activation_ids", activation_ids, ACTIVATION_ID, min_items=1)
    existing = {a["ActivationId"] for a in describe_activations(client, activation_ids)}
    outcomes = []
    for activation_id in activation_ids:
        if activation_id not in existing:
            outcomes.append(_outcome(activation_id, ALREADY_ABSENT))
        else:
            outcomes.append(_handle_one(client, activation_id, check_mode, only_if_unused))
    changed = any(o[OUTCOME] == DELETED for o in outcomes)
    return changed, outcomes


def present_before_after(outcomes):
    """(IDs that existed before, IDs that exist after) - after as predicted in check mode - for a diff."""
    before = [o["activation_id"] for o in outcomes if o[OUTCOME] in (DELETED, KEPT_IN_USE, FAILED)]
    after = [o["activation_id"] for o in outcomes if o[OUTCOME] in (KEPT_IN_USE, FAILED)]
    return before, after
