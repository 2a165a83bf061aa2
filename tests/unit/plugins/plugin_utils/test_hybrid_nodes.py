# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hybrid_nodes inventory's own logic (plugin_utils/hybrid_nodes.py).

Its configuration checked before any request, host names, host variables, the selection it builds.
"""

import datetime
import re

import botocore.session
import pytest
from ansible.vars.reserved import get_reserved_names

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.managed_instances import node_to_ansible
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import build_selection
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import select_nodes
from ansible_collections.hybridops.ssm.plugins.plugin_utils import hybrid_nodes as plugin

A = "mi-0000000000000000a"
B = "mi-0000000000000000b"
C = "mi-0000000000000000c"
D = "mi-0000000000000000d"
OPTIONS = {
    "plugin": "hybridops.ssm.hybrid_nodes",
    "regions": ["us-east-1"],
    "region": None,
    "hostnames": ["instance_id"],
    "include_tags": False,
    "filters": {},
    "hostvars_prefix": "",
    "hostvars_suffix": "",
    "compose": {},
    "groups": {},
    "keyed_groups": [],
    "strict": False,
}


def config(raw=None, **options):
    return plugin.check_config(raw or {}, {**OPTIONS, **options})


def test_accounts_with_their_own_regions_need_no_plugin_region():
    role = "arn:aws:iam::111111111111:role/reader"
    settings = config(regions=[], accounts=[{"role_arn": role, "regions": ["eu-west-1"]}])
    assert (settings["regions"], [a["regions"] for a in settings["accounts"]], settings["fail_on_account_errors"]) == ([], [["eu-west-1"]], False)
    assert config(accounts=[{"role_arn": role}])["accounts"][0]["regions"] == ["us-east-1"]  # the plugin's regions


def test_fail_on_account_errors_is_a_boolean_as_written():
    with pytest.raises(SSMValidationError) as info:
        config({"fail_on_account_errors": "maybe"}, fail_on_account_errors=False)
    assert info.value.message.startswith("fail_on_account_errors: 'maybe' is not a boolean")


def node(instance_id, **fields):
    return {"instance_id": instance_id, **fields}


class Pages:
    """describe_instance_information answering scripted pages; short and empty pages carry a NextToken."""

    def __init__(self, pages):
        self.pages = list(pages)
        self.calls = []

    def describe_instance_information(self, **kwargs):
        self.calls.append(kwargs)
        return self.pages.pop(0)


def test_hostnames_take_the_first_unique_preference():
    nodes = [
        node(A, name="edge", computer_name="a.local"),
        node(B, name="edge", computer_name="b.local"),
        node(C, computer_name="c.local"),
        node(D, name="", tags={"alias": "door"}),
    ]
    chosen, warnings = plugin.choose_hostnames(nodes, ["tag:alias", "name", "computer_name", "instance_id"])
    assert chosen == {A: "a.local", B: "b.local", C: "c.local", D: "door"}
    assert warnings == []  # every node has a name of its own: nothing to say


def test_hostnames_do_not_depend_on_the_listing_order():
    nodes = [node(A, name="edge"), node(B, name="edge"), node(C, name="solo")]
    first, warnings = plugin.choose_hostnames(nodes, ["name"])
    again, warnings_again = plugin.choose_hostnames(list(reversed(nodes)), ["name"])
    assert first == again == {A: A, B: B, C: "solo"}
    assert (
        sorted(warnings)
        == sorted(warnings_again)
        == [
            f"hybridops.ssm.hybrid_nodes: the node {A} is named by its instance ID: its name 'edge' is shared with another node.",
            f"hybridops.ssm.hybrid_nodes: the node {B} is named by its instance ID: its name 'edge' is shared with another node.",
        ]
    )


def test_a_value_shared_with_any_preference_of_another_node_is_not_used():
    # A's name is B's computer name: neither uses it
    nodes = [node(A, name="kiosk"), node(B, computer_name="kiosk", name="other")]
    chosen, warnings = plugin.choose_hostnames(nodes, ["name", "computer_name"])
    assert chosen == {A: A, B: "other"}
    assert warnings == [f"hybridops.ssm.hybrid_nodes: the node {A} is named by its instance ID: its name 'kiosk' is shared with another node."]


def test_no_node_takes_another_nodes_instance_id():
    nodes = [node(A, name=B), node(B)]
    chosen, warnings = plugin.choose_hostnames(nodes, ["name", "instance_id"])
    assert chosen == {A: A, B: B}
    assert warnings == [f"hybridops.ssm.hybrid_nodes: the node {A} is named by its instance ID: its name '{B}' is another node's instance ID."]


def test_a_node_without_the_preferred_values_is_named_by_its_id_and_said_so_unless_the_id_is_a_preference():
    nodes = [node(A), node(B, name="")]
    assert plugin.choose_hostnames(nodes, ["name", "instance_id"]) == ({A: A, B: B}, [])
    chosen, warnings = plugin.choose_hostnames(nodes, ["name", "tag:Name"])
    assert chosen == {A: A, B: B}
    assert warnings == [f"hybridops.ssm.hybrid_nodes: the node {i} is named by its instance ID: it has none of name, tag:Name." for i in (A, B)]


@pytest.mark.parametrize(
    "value, why",
    [
        ("   ", "its computer_name '   ' is blank"),
        ("\t", "its computer_name '\\t' is blank"),
        ("localhost", "its computer_name 'localhost' is a name Ansible reserves"),
        ("127.0.0.1", "its computer_name '127.0.0.1' is a name Ansible reserves"),
        ("all", "its computer_name 'all' is a name Ansible reserves"),
        ("ungrouped", "its computer_name 'ungrouped' is a name Ansible reserves"),
    ],
)
def test_blank_and_reserved_names_are_never_host_names(value, why):
    # a node named localhost would stand in for the controller wherever a task delegates to it
    chosen, warnings = plugin.choose_hostnames(
        [node(A, computer_name=value, ip_address="10.0.0.1"), node(B, computer_name="b")], ["computer_name", "instance_id"]
    )
    assert chosen == {A: A, B: "b"}
    assert warnings == [f"hybridops.ssm.hybrid_nodes: the node {A} is named by its instance ID: {why}."]


def test_the_next_preference_is_taken_when_one_is_refused():
    chosen, warnings = plugin.choose_hostnames([node(A, computer_name="localhost", ip_address="10.0.0.1")], ["computer_name", "ip_address", "instance_id"])
    assert (chosen, warnings) == ({A: "10.0.0.1"}, [])


def test_a_warning_quotes_values_escaped_and_cut():
    long_name = "\x1b[31m" + "x" * 5000
    _chosen, warnings = plugin.choose_hostnames([node(A, name=long_name), node(B, name=long_name)], ["name", "instance_id"])
    assert len(warnings) == 2 and all("'\\x1b[31m" + "x" * 55 + "...'" in w and "\x1b" not in w and len(w) < 200 for w in warnings)


HOSTILE = "{{ lookup('env', 'HOME') ~ 6 * 7 }}"


def render(template, **variables):
    """``template`` rendered as a playbook's template is, with ``variables``."""
    from ansible.parsing.dataloader import DataLoader  # pylint: disable=import-outside-toplevel
    from ansible.template import Templar  # pylint: disable=import-outside-toplevel

    try:
        from ansible.template import trust_as_template  # pylint: disable=import-outside-toplevel
    except ImportError:  # ansible-core before 2.19 trusts every string that is not marked unsafe
        trust_as_template = str
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(template))


def test_every_value_from_ssm_is_unsafe_for_templating():
    """A template that reads the nodes' values gets them back as they are, nested ones and tag keys too."""
    nodes = [node(A, computer_name=HOSTILE, ip_address=HOSTILE, tags={"site": HOSTILE, HOSTILE: "v"}, addresses=[HOSTILE])]
    marked = plugin.untrusted(nodes)
    assert marked == nodes  # the same values, only marked
    assert render("{{ node.computer_name }}", node=marked[0]) == HOSTILE
    assert render("{{ node.ip_address ~ '!' }}", node=marked[0]) == HOSTILE + "!"
    assert render("{{ node.tags.site }}", node=marked[0]) == HOSTILE
    assert render("{{ node.addresses[0] }}", node=marked[0]) == HOSTILE
    assert render("{{ node.tags | dict2items | map(attribute='key') | list }}", node=marked[0]) == ["site", HOSTILE]
    chosen, _warnings = plugin.choose_hostnames(marked, ["computer_name"])
    assert render("{{ name }}", name=chosen[A]) == HOSTILE


def test_render_runs_templates():
    """What makes the test above able to fail: render() really templates."""
    assert render("{{ 6 * 7 }}") in ("42", 42)


def test_host_variables_prefix_and_suffix():
    assert plugin.host_variables({"instance_id": A, "region": "eu-west-1"}, "aws_", "_ssm") == {"aws_instance_id_ssm": A, "aws_region_ssm": "eu-west-1"}
    assert plugin.host_variables({"instance_id": A}) == {"instance_id": A}


def test_the_name_and_the_tags_take_names_ansible_does_not_reserve():
    tags = {"site": "lyon"}
    assert plugin.host_variables(node(A, name="kiosk-1", tags=tags)) == {"instance_id": A, "node_name": "kiosk-1", "node_tags": tags}
    assert plugin.host_variables(node(A, name="kiosk-1", tags=tags), "ssm_", "_v") == {
        "ssm_instance_id_v": A,
        "ssm_name_v": "kiosk-1",
        "ssm_tags_v": tags,
    }


def every_field_of_a_node():
    """A node with every member of SSM's InstanceInformation (as this botocore knows it), in its ansible form."""
    model = botocore.session.get_session().get_service_model("ssm").shape_for("InstanceInformation")
    sample = {"string": "x", "boolean": True, "timestamp": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)}
    described = {
        member: sample.get(shape.type_name, {"DetailedStatus": "Success", "InstanceAssociationStatusAggregatedCount": {"Success": 1}})
        for member, shape in model.members.items()
    }
    return {**node_to_ansible(described, tags={"site": "lyon"}), "region": "us-east-1"}


def test_no_host_variable_is_a_name_ansible_reserves():
    """Every field the plugin sets, unprefixed: ansible-core warns on every run about a reserved name."""
    fields = every_field_of_a_node()
    assert {"name", "tags", "computer_name", "platform_type", "ip_address", "region"} <= set(fields)
    assert not set(plugin.host_variables(fields)) & get_reserved_names()
    # only the fields that need it are renamed: the others keep the names ssm_managed_instance_info gives them
    assert {field for field in fields if field in get_reserved_names()} == set(plugin.RENAMED_HOST_VARIABLES)


@pytest.mark.parametrize(
    "entry, words",
    [
        ("node_name", "hostnames: 'node_name' is a host variable, not a field of the node: name the field 'name'."),
        ("node_tags", "hostnames: 'node_tags' is a host variable, not a field of the node: use tag:KEY."),
    ],
)
def test_the_renamed_host_variables_are_no_hostnames(entry, words):
    with pytest.raises(SSMValidationError, match=re.escape(words)):
        config(hostnames=[entry, "instance_id"], include_tags=True)


def test_regions_fall_back_to_the_region_option():
    assert config(regions=[], region="eu-west-1")["regions"] == ["eu-west-1"]
    assert config(regions=["us-east-1", "eu-west-1"], region="ap-south-1")["regions"] == ["us-east-1", "eu-west-1"]
    with pytest.raises(SSMValidationError, match=r"regions: \[\] is empty and no region is given"):
        config(regions=[], region=None)


@pytest.mark.parametrize(
    "hostnames, words",
    [
        ([], "must be a non-empty list"),
        (["fqdn"], "'fqdn' is not one of name, computer_name, instance_id, ip_address or tag:KEY"),
        (["name", "name"], "duplicated: name"),
        (["tag:Name"], "needs the nodes' tags"),
    ],
)
def test_bad_hostnames(hostnames, words):
    with pytest.raises(SSMValidationError, match=words.replace("(", r"\(")):
        config(hostnames=hostnames)


def test_tag_hostnames_with_tags_read():
    assert config(hostnames=["tag:Name", "instance_id"], include_tags=True)["hostnames"] == ["tag:Name", "instance_id"]


def test_unknown_option_and_words_that_are_no_boolean_are_refused():
    with pytest.raises(SSMValidationError, match="'regoins' is not an option of hybridops.ssm.hybrid_nodes"):
        config({"regoins": ["us-east-1"]})
    with pytest.raises(SSMValidationError, match="include_tags: 'sometimes' is not a boolean"):
        config({"include_tags": "sometimes"})
    assert config({"include_tags": "yes"}, include_tags=True)["include_tags"] is True


def test_filters_are_checked_as_the_info_module_checks_them_and_named_as_filters():
    with pytest.raises(SSMValidationError, match=r"filters: 'ping' is not a filter \(a typo\?\)"):
        config(filters={"ping": "Online"})
    with pytest.raises(SSMValidationError, match="filters.resource_type: .* gives 2 values, but SSM's filter takes at most 1"):
        config(filters={"resource_type": ["ManagedInstance", "EC2Instance"]})
    with pytest.raises(SSMValidationError, match="filters.tags: key 'site' is given 6 values; a tag filter takes 1 to 5 values"):
        config(filters={"tags": {"site": list("abcdef")}})
    with pytest.raises(SSMValidationError, match="filters.last_ping_before: 'a while' is neither an age"):
        config(filters={"last_ping_before": "a while"})


def test_filters_without_tags_all_go_to_ssm():
    criteria = config(
        filters={"ping_status": ["Online", "ConnectionLost"], "platform_type": "Linux", "resource_type": "ManagedInstance", "last_ping_before": "40d"}
    )["criteria"]
    server, predicates = build_selection(criteria)
    assert server == [
        {"Key": "PingStatus", "Values": ["Online", "ConnectionLost"]},
        {"Key": "ResourceType", "Values": ["ManagedInstance"]},
        {"Key": "PlatformTypes", "Values": ["Linux"]},
    ]
    # the age, and the ping status and resource type checked again on the answer
    assert len(predicates) == 3
    node = {
        "PingStatus": "ConnectionLost",
        "ResourceType": "ManagedInstance",
        "PlatformType": "Linux",
        "LastPingDateTime": datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc),
    }
    assert all(p(node) for p in predicates)
    assert not all(p(dict(node, ResourceType="EC2Instance")) for p in predicates)


def test_with_tags_only_the_tag_filters_go_to_ssm():
    criteria = config(filters={"tags": {"site": ["lyon", "paris"], "role": "kiosk"}, "ping_status": "ConnectionLost"})["criteria"]
    server, predicates = build_selection(criteria)
    assert server == [{"Key": "tag:site", "Values": ["lyon", "paris"]}, {"Key": "tag:role", "Values": ["kiosk"]}]
    assert [p({"PingStatus": "ConnectionLost"}) for p in predicates] == [True]
    assert [p({"PingStatus": "Online"}) for p in predicates] == [False]


def test_the_eks_connector_filter_leaves_the_agents_out_of_what_ssm_returns():
    eks = {"InstanceId": "eks_c:prod_" + "a" * 17, "PingStatus": "Online"}
    pages = Pages([{"InstanceInformationList": [eks, {"InstanceId": A, "PingStatus": "Online"}]}] * 2)
    assert [n["InstanceId"] for n in select_nodes(pages, config(filters={"include_eks_connector_agents": False})["criteria"])] == [A]
    assert [n["InstanceId"] for n in select_nodes(pages, config()["criteria"])] == [eks["InstanceId"], A]
    assert pages.calls[0] == pages.calls[1]  # nothing about it is sent to SSM
    with pytest.raises(SSMValidationError, match="filters.include_eks_connector_agents: 'maybe' is not a boolean: give true or false"):
        config(filters={"include_eks_connector_agents": "maybe"})


def test_constructed_options_must_have_their_shapes():
    with pytest.raises(SSMValidationError, match="keyed_groups: 'ping_status' must be a dictionary with a key"):
        config(keyed_groups=["ping_status"])
    with pytest.raises(SSMValidationError, match="compose: .* must be a dictionary"):
        config(compose=["ansible_host"])


def test_every_page_is_followed_even_empty_ones():
    ssm_node = {"InstanceId": A, "PingStatus": "Online"}
    pages = Pages(
        [
            {"InstanceInformationList": [], "NextToken": "t1"},
            {"InstanceInformationList": [ssm_node], "NextToken": "t2"},
            {"InstanceInformationList": [], "NextToken": "t3"},
            {"InstanceInformationList": [dict(ssm_node, InstanceId=B)]},
        ]
    )
    nodes = select_nodes(pages, config()["criteria"])
    assert [n["InstanceId"] for n in nodes] == [A, B]
    assert [c.get("NextToken") for c in pages.calls] == [None, "t1", "t2", "t3"]
    assert all(c["MaxResults"] == 50 for c in pages.calls)
