# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Selecting nodes (selection.py): what goes to SSM, what is filtered here, IDs in batches."""

import datetime

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import build_selection
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import select_nodes
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import selection_criteria

from .doubles import ScriptedClient
from .doubles import rejecting_describe as _rejects

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.timezone.utc)
A, B, C = "mi-0000000000000000a", "mi-0000000000000000b", "mi-0000000000000000c"


def test_selection_without_tags_goes_to_ssm():
    server, predicates = build_selection({"ping_status": "ConnectionLost", "activation_ids": ["x"], "iam_role": None})
    assert server == [{"Key": "PingStatus", "Values": ["ConnectionLost"]}, {"Key": "ActivationIds", "Values": ["x"]}]
    # the ping status is checked again on the answer; the activation is left to SSM
    assert [p({"PingStatus": "ConnectionLost", "ActivationId": "y"}) for p in predicates] == [True]
    assert [p({"PingStatus": "Online", "ActivationId": "x"}) for p in predicates] == [False]


def test_an_ec2_instance_or_online_node_ssm_returns_is_dropped():
    # What a sweep deregisters: no EC2 instance and no Online node, whatever SSM answered to its filters.
    ec2 = {"InstanceId": "i-0123456789abcdef0", "ResourceType": "EC2Instance", "PingStatus": "ConnectionLost"}
    online = {"InstanceId": B, "ResourceType": "ManagedInstance", "PingStatus": "Online"}
    stale = {"InstanceId": A, "ResourceType": "ManagedInstance", "PingStatus": "ConnectionLost"}
    client = ScriptedClient(describe_instance_information=[{"InstanceInformationList": [ec2, online, stale]}])
    nodes = select_nodes(client, {"resource_type": "ManagedInstance", "ping_status": "ConnectionLost"})
    assert [n["InstanceId"] for n in nodes] == [A]
    assert client.calls[0][1]["Filters"] == [{"Key": "PingStatus", "Values": ["ConnectionLost"]}, {"Key": "ResourceType", "Values": ["ManagedInstance"]}]


def test_selection_with_tags_sends_only_tags_and_filters_the_rest_here():
    server, predicates = build_selection({"tags": {"Site": "lab"}, "ping_status": "ConnectionLost"})
    assert server == [{"Key": "tag:Site", "Values": ["lab"]}]
    assert [p({"PingStatus": "ConnectionLost"}) for p in predicates] == [True]
    assert [p({"PingStatus": "Online"}) for p in predicates] == [False]


def test_selection_globs_and_ages_are_client_side():
    cutoff = NOW - datetime.timedelta(days=30)
    _server, predicates = build_selection({"name": "edge-*", "last_ping_before": cutoff})
    old = {"Name": "edge-7", "LastPingDateTime": NOW - datetime.timedelta(days=31)}
    recent = {"Name": "edge-8", "LastPingDateTime": NOW - datetime.timedelta(days=29)}
    other = {"Name": "core-1", "LastPingDateTime": NOW - datetime.timedelta(days=31)}
    never = {"Name": "edge-9"}
    assert [all(p(n) for p in predicates) for n in (old, recent, other, never)] == [True, False, False, False]


def test_info_by_id_fails_naming_the_rejected_ids():
    client = ScriptedClient(describe_instance_information=[_rejects(B, {A, B, C})])
    with pytest.raises(AnsibleSSMError) as raised:
        select_nodes(client, {}, [A, B, C])
    assert B in raised.value.message and raised.value.code == "ValidationException"


def test_info_by_id_keeps_the_order_and_the_other_criteria():
    client = ScriptedClient(describe_instance_information=[_rejects("none", {A, C})])
    nodes = select_nodes(client, {"name": None, "iam_role": "Old"}, [C, B, A])
    assert [n["InstanceId"] for n in nodes] == [C, A]
    assert client.calls[0][1]["Filters"] == [{"Key": "IamRole", "Values": ["Old"]}, {"Key": "InstanceIds", "Values": [C, B, A]}]


EKS = "eks_c:prod-east_0123456789abcdefg"  # an EKS Connector agent: registered with an activation, ManagedInstance


def _lost(instance_id):
    return {"InstanceId": instance_id, "ResourceType": "ManagedInstance", "PingStatus": "ConnectionLost", "Name": "edge-1"}


@pytest.mark.parametrize("include, expected", [(False, [A]), (True, [A, EKS]), (None, [A, EKS])])
def test_eks_connector_agents_are_dropped_only_when_left_out(include, expected):
    # SSM lists an EKS Connector agent beside a hybrid node, both matching every other criterion.
    client = ScriptedClient(describe_instance_information=[{"InstanceInformationList": [_lost(A), _lost(EKS)]}])
    criteria = {"resource_type": "ManagedInstance", "ping_status": "ConnectionLost", "name": "edge-*", "include_eks_connector_agents": include}
    nodes = select_nodes(client, criteria)
    assert [n["InstanceId"] for n in nodes] == expected
    # SSM has no filter for it: what is sent is the same either way
    assert client.calls[0][1]["Filters"] == [{"Key": "PingStatus", "Values": ["ConnectionLost"]}, {"Key": "ResourceType", "Values": ["ManagedInstance"]}]


@pytest.mark.parametrize("by_id", [True, False])
def test_eks_connector_agents_are_left_out_also_with_tags_and_by_id(by_id):
    # With tags, every criterion is applied to SSM's answer; with IDs, the IDs are sent in batches.
    answer = {"InstanceInformationList": [_lost(EKS), _lost(A)]}
    client = ScriptedClient(describe_instance_information=[answer])
    criteria = {"include_eks_connector_agents": False} if by_id else {"tags": {"Site": "lab"}, "include_eks_connector_agents": False}
    nodes = select_nodes(client, criteria, [EKS, A] if by_id else None)
    assert [n["InstanceId"] for n in nodes] == [A]


@pytest.mark.parametrize("given, criterion", [(None, None), (True, True), ("no", False), ("false", False), ("yes", True)])
def test_include_eks_connector_agents_is_read_as_a_boolean(given, criterion):
    assert selection_criteria({"include_eks_connector_agents": given})["include_eks_connector_agents"] is criterion


def test_include_eks_connector_agents_that_is_no_boolean_is_refused_naming_it():
    with pytest.raises(SSMValidationError) as raised:
        selection_criteria({"include_eks_connector_agents": "maybe"}, prefix="filters.")
    assert raised.value.message == "filters.include_eks_connector_agents: 'maybe' is not a boolean: give true or false."
    assert raised.value.parameter == "filters.include_eks_connector_agents"
