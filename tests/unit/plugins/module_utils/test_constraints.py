# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every input constraint: pinned to the API reference, checked against botocore, edges both sides."""

import re

import botocore.session
import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import constraints as c
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import SERVER_FILTERS

HEX17 = "0123456789abcdef0"
MI = "mi-" + HEX17


# --- pinned to the AWS Systems Manager API reference (DeregisterManagedInstance, CancelCommand,
# UpdateManagedInstanceRole, Tag, DescribeInstanceInformation, ListCommands; Understanding command statuses
# in the AWS Systems Manager user guide) ------------------------------------------------------------


def test_managed_instance_id_matches_the_deregister_reference_page():
    assert (c.MANAGED_INSTANCE_ID.min_len, c.MANAGED_INSTANCE_ID.max_len) == (20, 124)
    assert c.MANAGED_INSTANCE_ID.pattern == r"(^mi-[0-9a-f]{17}$)|(^eks_c:[0-9A-Za-z][A-Za-z0-9\-_]{0,99}_\w{17}$)"


def test_cancel_command_constraints_match_the_cancel_reference_page():
    assert (c.COMMAND_ID.min_len, c.COMMAND_ID.max_len) == (36, 36)
    assert c.COMMAND_INSTANCE_ID.pattern == r"(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)"
    assert c.CANCEL_INSTANCE_IDS_MAX == 50


def test_other_counts_match_the_reference_pages():
    assert c.IAM_ROLE.max_len == 64
    assert (c.TAG_KEY.min_len, c.TAG_KEY.max_len, c.TAG_VALUE.min_len, c.TAG_VALUE.max_len) == (1, 128, 0, 256)
    assert c.DESCRIBE_FILTER_VALUES_MAX == 100
    assert c.DESCRIBE_MAX_RESULTS == (5, 50)
    assert c.COMMAND_LIST_MAX_RESULTS == (1, 50)
    assert c.PLUGIN_NAME.min_len == 4
    assert c.TERMINAL_COMMAND_STATUSES == {"Success", "Cancelled", "Failed", "TimedOut"}
    assert c.IN_FLIGHT_COMMAND_STATUSES == {"Pending", "InProgress", "Delayed"}


# --- the same values in the installed botocore model: a drift fails here ------------------------


@pytest.fixture(scope="module")
def model():
    return botocore.session.get_session().get_service_model("ssm")


def _member(model, operation, member):
    return model.operation_model(operation).input_shape.members[member]


@pytest.mark.parametrize(
    "operation, member, constraint",
    [
        ("DeregisterManagedInstance", "InstanceId", c.MANAGED_INSTANCE_ID),
        ("UpdateManagedInstanceRole", "InstanceId", c.MANAGED_INSTANCE_ID),
        ("UpdateManagedInstanceRole", "IamRole", c.IAM_ROLE),
        ("CancelCommand", "CommandId", c.COMMAND_ID),
        ("ListCommands", "InstanceId", c.COMMAND_INSTANCE_ID),
        ("GetCommandInvocation", "PluginName", c.PLUGIN_NAME),
        ("DeleteActivation", "ActivationId", c.ACTIVATION_ID),
    ],
)
def test_string_constraint_equals_botocore_model(model, operation, member, constraint):
    metadata = _member(model, operation, member).metadata
    assert metadata.get("min") == constraint.min_len or (constraint.min_len is None and "min" not in metadata)
    assert metadata.get("max") == constraint.max_len
    assert metadata.get("pattern") == constraint.pattern


def test_list_constraints_equal_botocore_model(model):
    cancel_ids = _member(model, "CancelCommand", "InstanceIds")
    assert cancel_ids.metadata["max"] == c.CANCEL_INSTANCE_IDS_MAX
    assert cancel_ids.member.metadata["pattern"] == c.COMMAND_INSTANCE_ID.pattern
    assert model.shape_for("InstanceInformationFilterValueSet").metadata["max"] == c.DESCRIBE_FILTER_VALUES_MAX
    max_results = _member(model, "DescribeInstanceInformation", "MaxResults").metadata
    assert (max_results["min"], max_results["max"]) == c.DESCRIBE_MAX_RESULTS
    command_max = _member(model, "ListCommands", "MaxResults").metadata
    assert (command_max["min"], command_max["max"]) == c.COMMAND_LIST_MAX_RESULTS
    assert model.shape_for("CommandFilterList").metadata["max"] == c.COMMAND_FILTERS_MAX
    filter_value = model.shape_for("CommandFilterValue").metadata
    assert (filter_value["min"], filter_value["max"]) == c.COMMAND_FILTER_VALUE_LEN == (c.DOCUMENT_NAME_FILTER.min_len, c.DOCUMENT_NAME_FILTER.max_len)
    for shape, constraint in (("TagKey", c.TAG_KEY), ("TagValue", c.TAG_VALUE)):
        metadata = model.shape_for(shape).metadata
        assert (metadata["min"], metadata["max"]) == (constraint.min_len, constraint.max_len)


@pytest.mark.parametrize(
    "operation, bounds",
    [
        ("DescribeInstanceInformation", c.DESCRIBE_MAX_RESULTS),
        ("ListCommands", c.COMMAND_LIST_MAX_RESULTS),
        ("ListCommandInvocations", c.COMMAND_LIST_MAX_RESULTS),
        ("DescribeActivations", c.DESCRIBE_ACTIVATIONS_MAX_RESULTS),
    ],
)
def test_max_results_equal_botocore_model(model, operation, bounds):
    metadata = _member(model, operation, "MaxResults").metadata
    assert (metadata["min"], metadata["max"]) == bounds


# --- edge values that pass ------------------------------------------------------------------------

EKS_LONGEST = "eks_c:" + "a" * 100 + "_" + "b" * 17  # 124 characters, the maximum


@pytest.mark.parametrize("value", [MI, "mi-" + "f" * 17, "eks_c:c_" + "x" * 17, EKS_LONGEST])
def test_managed_instance_id_edges_pass(value):
    assert c.check_string("instance_id", value, c.MANAGED_INSTANCE_ID) == value


def test_longest_eks_id_is_the_maximum_length():
    assert len(EKS_LONGEST) == 124


@pytest.mark.parametrize("value", [MI, "i-12345678", "i-" + "a" * 17, "mi-ABCDEF0123456789A"])
def test_command_instance_id_edges_pass(value):
    assert c.check_string("instance_ids", value, c.COMMAND_INSTANCE_ID) == value


def test_command_id_of_exactly_36_passes():
    value = "25173b39-c88d-4459-ba3d-8704a0000000"
    assert c.check_string("command_id", value, c.COMMAND_ID) == value


def test_fifty_instance_ids_pass_and_tags_at_their_limits_pass():
    ids = ["mi-" + format(n, "017x") for n in range(50)]
    assert c.check_list("instance_ids", ids, c.COMMAND_INSTANCE_ID, max_items=50) == ids
    tags = {"k" * 128: "v" * 256, "Env": "", "ünïcode key 1": "a_b.c:d/e=f+g-h@i"}
    assert c.check_tags("tags", tags) == tags
    assert c.check_string("iam_role", "r" * 64, c.IAM_ROLE) == "r" * 64


# --- values that fail, with the right message --------------------------------------------------------


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("mi-" + "0" * 16, "at least 20 characters long, not 19"),
        ("mi-" + "0" * 18, "must match"),
        ("mi-0123456789ABCDEF0", "must match"),
        ("i-0123456789abcdef0", "at least 20 characters long, not 19"),
        ("i-0123456789abcdef0123", "must match"),
        ("", "at least 20 characters long, not 0"),
        ("eks_c:" + "a" * 101 + "_" + "b" * 17, "at most 124 characters long, not 125"),
        (12345, "must be a string"),
    ],
)
def test_managed_instance_id_failures_name_parameter_value_and_constraint(value, fragment):
    with pytest.raises(SSMValidationError) as raised:
        c.check_string("instance_ids", value, c.MANAGED_INSTANCE_ID)
    message = str(raised.value)
    assert message.startswith("instance_ids: ")
    assert repr(value) in message
    assert fragment in message
    assert raised.value.parameter == "instance_ids"


@pytest.mark.parametrize("length", [0, 35, 37])
def test_command_id_of_wrong_length_fails(length):
    with pytest.raises(SSMValidationError, match=rf"command_id: .* must be exactly 36 characters long, not {length}"):
        c.check_string("command_id", "a" * length, c.COMMAND_ID)


def test_command_instance_id_pattern_failure():
    with pytest.raises(SSMValidationError, match=r"instance_ids: 1 invalid managed node ID: 'i-123' must match"):
        c.check_list("instance_ids", ["i-123"], c.COMMAND_INSTANCE_ID)


def test_empty_list_fails_when_items_are_required():
    with pytest.raises(SSMValidationError, match="instance_ids: the list is empty; give at least 1"):
        c.check_list("instance_ids", [], c.MANAGED_INSTANCE_ID, min_items=1)


def test_too_many_items_fails():
    ids = ["mi-" + format(n, "017x") for n in range(51)]
    with pytest.raises(SSMValidationError, match="instance_ids: 51 items given, at most 50"):
        c.check_list("instance_ids", ids, c.COMMAND_INSTANCE_ID, max_items=50)


def test_duplicates_are_named():
    with pytest.raises(SSMValidationError, match=rf"instance_ids: each hybrid managed node ID may appear once; duplicated: '{MI}'"):
        c.check_list("instance_ids", [MI, "mi-" + "1" * 17, MI], c.MANAGED_INSTANCE_ID)


def test_every_bad_item_is_named_in_one_message():
    with pytest.raises(SSMValidationError) as raised:
        c.check_list("instance_ids", ["bad-1", MI, "bad-2"], c.MANAGED_INSTANCE_ID)
    assert "2 invalid hybrid managed node IDs" in str(raised.value)
    assert "'bad-1'" in str(raised.value) and "'bad-2'" in str(raised.value)


def test_a_value_that_is_neither_list_nor_string_fails():
    with pytest.raises(SSMValidationError, match="instance_ids: .* must be a list"):
        c.check_list("instance_ids", {"id": MI}, c.MANAGED_INSTANCE_ID)


@pytest.mark.parametrize(
    "tags, fragment",
    [
        ({"k" * 129: "v"}, "at most 128 characters long, not 129"),
        ({"": "v"}, "at least 1 character(s) long"),
        ({"k": "v" * 257}, "at most 256 characters long, not 257"),
        ({"bad#key": "v"}, "contains '#'"),
        ({"k": "semi;colon"}, "contains ';'"),
        ({"aws:owner": "me"}, "prefix 'aws:'"),
        ({"k": 5}, "must be a string"),
    ],
)
def test_bad_tags_fail(tags, fragment):
    with pytest.raises(SSMValidationError) as raised:
        c.check_tags("tags", tags)
    assert str(raised.value).startswith("tags: ")
    assert fragment in str(raised.value)


def test_iam_role_over_64_fails():
    with pytest.raises(SSMValidationError, match="iam_role: .* at most 64 characters long, not 65"):
        c.check_string("iam_role", "r" * 65, c.IAM_ROLE)


@pytest.mark.parametrize("value", [4, 51, True, "10"])
def test_range_failures(value):
    with pytest.raises(SSMValidationError, match="page_size: .* must be an integer from 5 to 50"):
        c.check_range("page_size", value, c.DESCRIBE_MAX_RESULTS)


def test_range_edges_pass():
    assert c.check_range("page_size", 5, c.DESCRIBE_MAX_RESULTS) == 5
    assert c.check_range("page_size", 50, c.DESCRIBE_MAX_RESULTS) == 50


def test_ec2_ids_are_recognised():
    assert c.is_ec2_instance_id("i-0123456789abcdef0")
    assert not c.is_ec2_instance_id(MI)


def test_tags_count_is_capped_where_the_caller_says():
    tags = {f"k{i}": "v" for i in range(c.TAGS_PER_NODE_MAX + 1)}
    assert c.check_tags("tags", dict(list(tags.items())[: c.TAGS_PER_NODE_MAX]), max_items=c.TAGS_PER_NODE_MAX)
    assert c.check_tags("tags", tags) == tags  # a filter has no such cap
    with pytest.raises(SSMValidationError, match=r"tags: 51 tags given \('k0', 'k1', .*, 'k9' and 41 more\), a node can carry at most 50"):
        c.check_tags("tags", tags, max_items=c.TAGS_PER_NODE_MAX)


def test_every_class_of_bad_item_is_named_in_one_message_with_counts_past_ten():
    bad = [f"mi-{n:02d}" + "g" * 15 for n in range(12)]  # the right length, not hex
    ids = ["i-0123456789abcdef0", *bad, MI, MI, "MI-" + HEX17]
    with pytest.raises(SSMValidationError) as raised:
        c.check_list("instance_ids", ids, c.MANAGED_INSTANCE_ID, refuse_ec2=True)
    message = str(raised.value)
    assert message.startswith("instance_ids: 'i-0123456789abcdef0' is an EC2 instance, which SSM cannot deregister;")
    assert "13 invalid hybrid managed node IDs: 'mi-00ggggggggggggggg', " in message
    assert "'mi-09ggggggggggggggg' and 3 more each must match" in message
    assert f"duplicated: '{MI}'" in message


def test_comma_separated_strings_are_split_and_stripped():
    other = "mi-" + "1" * 17
    assert c.check_list("instance_ids", f"{MI}, {other}", c.MANAGED_INSTANCE_ID) == [MI, other]
    assert c.check_list("instance_ids", [MI, f" {other} "], c.MANAGED_INSTANCE_ID) == [MI, other]


def test_an_empty_list_is_allowed_unless_items_are_required():
    assert c.check_list("instance_ids", [], c.MANAGED_INSTANCE_ID) == []


# --- rules the roles share with the modules ---------------------------------------------------------


def _botocore_regions():
    import json
    import os

    import botocore

    with open(os.path.join(os.path.dirname(botocore.__file__), "data", "endpoints.json"), encoding="utf-8") as handle:
        return sorted({region for partition in json.load(handle)["partitions"] for region in partition["regions"]})


def test_every_region_botocore_knows_is_an_aws_region_name():
    regions = _botocore_regions()
    assert len(regions) > 30
    assert [r for r in regions if c.string_problem(c.AWS_REGION_NAME, r) or c.string_problem(c.REGION, r)] == []


@pytest.mark.parametrize("value", ["EU-WEST-1", "eu west 1", "nowhere", "eu-west", "-eu-west-1", "eu-west-1 ", "eu_west_1", ""])
def test_what_is_no_aws_region_name_is_refused(value):
    assert c.string_problem(c.AWS_REGION_NAME, value)


@pytest.mark.parametrize(
    "value, problem", [(MI, None), ("mi-" + HEX17.upper(), "must match"), ("i-" + HEX17, "exactly 20"), ("eks_c:cluster_" + "a" * 17, "exactly 20")]
)
def test_a_hybrid_node_id_is_the_mi_form_only(value, problem):
    found = c.string_problem(c.HYBRID_NODE_ID, value)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize(
    "value, absolute, problem",
    [
        ("/", True, None),
        ("srv", True, "relative"),
        ("", True, "empty"),
        ("var/lib/x", False, None),
        ("/etc/shadow", False, "absolute"),
        ("var/../../etc", False, "climbs"),
        ("..", False, "climbs"),
        ("var/..x/y", False, None),
        ("", False, "empty"),
        (None, False, "empty"),
    ],
)
def test_path_problems(value, absolute, problem):
    assert c.path_problem(value, absolute) == problem


@pytest.mark.parametrize(
    "value, valid",
    [
        ("amazon-ssm-agent", True),
        ("snap.amazon-ssm-agent.amazon-ssm-agent", True),
        ("getty@tty1", True),
        ("amazon ssm agent", False),
        ("", False),
        ("a;b", False),
    ],
)
def test_service_names(value, valid):
    assert (c.string_problem(c.SERVICE_NAME, value) is None) is valid


@pytest.mark.parametrize(
    "value, bounds, inside",
    [
        (1, c.WAIT_SECONDS, True),
        (86401, c.WAIT_SECONDS, False),
        (0.1, c.POLL_SECONDS, True),
        (0.05, c.POLL_SECONDS, False),
        (True, c.WAIT_SECONDS, False),
        (float("nan"), c.POLL_SECONDS, False),
        ("5", c.POLL_SECONDS, False),
    ],
)
def test_in_bounds(value, bounds, inside):
    assert c.in_bounds(value, bounds) is inside


@pytest.mark.parametrize(
    "text, constraint, kind", [("a\tb", c.TAG_VALUE, "character"), ("k" * 129, c.TAG_KEY, "length"), (7, c.TAG_VALUE, "type"), ("Größe 1:2", c.TAG_VALUE, None)]
)
def test_tag_text_problem_kinds(text, constraint, kind):
    found = c.tag_text_problem(text, constraint)
    assert (found is None) if kind is None else (found[0] == kind)


@pytest.mark.parametrize(
    "value, eks_connector",
    [
        ("eks_c:prod_" + "a" * 17, True),
        ("eks_c:" + "a" * 101 + "_" + "b" * 17, True),  # longer than the pattern allows: still an EKS Connector agent's
        ("eks_c:", True),
        (MI, False),
        ("i-" + HEX17, False),
        ("EKS_C:prod_" + "a" * 17, False),
        ("mi-eks_c:x", False),
        (None, False),
    ],
)
def test_an_eks_connector_id_is_told_by_its_prefix(value, eks_connector):
    assert c.is_eks_connector_id(value) is eks_connector


def test_the_eks_connector_prefix_is_the_deregister_patterns_eks_branch():
    # The prefix is where the DeregisterManagedInstance pattern (pinned above) tells the two kinds of node apart.
    hybrid_branch, eks_branch = c.MANAGED_INSTANCE_ID.pattern.split("|")
    assert eks_branch.startswith("(^" + c.EKS_CONNECTOR_ID_PREFIX)
    assert hybrid_branch == "(" + c.HYBRID_NODE_ID.pattern + ")"
    assert c.string_problem(c.MANAGED_INSTANCE_ID, "eks_c:prod_" + "a" * 17) is None


# --- filter keys and values the service takes, as botocore's model documents them ----------------------


def _documented_describe_filter_keys(model):
    """DescribeInstanceInformation Filters keys, as the documentation of InstanceInformationStringFilter.Key lists them."""
    documentation = model.shape_for("InstanceInformationStringFilter").members["Key"].documentation
    listed = re.search(r"Valid filter key values: ([^<]*)", documentation).group(1)
    return {key.strip().strip('"') for key in listed.split("|")}


def test_every_describe_filter_the_selection_sends_is_a_key_ssm_takes(model):
    documented = _documented_describe_filter_keys(model)
    assert "PlatformTypes" in documented and "PlatformType" not in documented
    sent = {key for key, _field in SERVER_FILTERS.values()}
    assert sent <= documented, sorted(sent - documented)
    # The legacy filter list holds its keys to an enum: the same names.
    assert sent <= set(model.shape_for("InstanceInformationFilterKey").enum)


def _documented_status_values(model, operation):
    """The Status filter values the documentation of CommandFilter.value lists for ``operation``."""
    documentation = model.shape_for("CommandFilter").members["value"].documentation
    part = documentation.split(f"The status values you can specify for <code>{operation}</code> are:")[1].split("</ul>")[0]
    return tuple(re.findall(r"<code>(\w+)</code>", part))


@pytest.mark.parametrize(
    "operation, values",
    [("ListCommands", c.LIST_COMMANDS_STATUS_VALUES), ("ListCommandInvocations", c.LIST_COMMAND_INVOCATIONS_STATUS_VALUES)],
)
def test_command_status_filter_values_equal_the_models_documentation(model, operation, values):
    assert values == _documented_status_values(model, operation)
    # Cancelling is a status (enum CommandStatus) but no filter value of either call.
    assert "Cancelling" in model.shape_for("CommandStatus").enum and "Cancelling" not in values


def test_a_file_target_is_refused_when_it_is_a_folder_or_its_folder_is_missing_or_not_one(tmp_path):
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    assert c.file_target_problem(str(tmp_path)) == ("folder", str(tmp_path))
    assert c.file_target_problem(str(tmp_path / "missing" / "r.json")) == ("missing", str(tmp_path / "missing"))
    assert c.file_target_problem(str(tmp_path / "a-file" / "r.json")) == ("not_a_folder", str(tmp_path / "a-file"))


def test_a_file_target_is_writable_when_a_file_can_be_created_beside_it(tmp_path):
    """Tried, not read from permission bits (root may write anywhere the bits say no, but not in /proc)."""
    assert c.file_target_problem(str(tmp_path / "r.json")) is None
    assert list(tmp_path.iterdir()) == [], "the probe file was left behind"
    (tmp_path / "r.json").write_text("an older report", encoding="utf-8")
    assert c.file_target_problem(str(tmp_path / "r.json")) is None  # replaced when written
    kind, reason = c.file_target_problem("/proc/r.json")
    assert kind == "not_writable" and reason


# --- STS AssumeRole inputs (the inventory's accounts option) ------------------------------------------------


@pytest.mark.parametrize("member, constraint", [("ExternalId", c.EXTERNAL_ID), ("RoleSessionName", c.ROLE_SESSION_NAME)])
def test_assume_role_constraints_equal_botocore_sts_model(member, constraint):
    shape = botocore.session.get_session().get_service_model("sts").operation_model("AssumeRole").input_shape.members[member]
    assert (shape.metadata["min"], shape.metadata["max"]) == (constraint.min_len, constraint.max_len)
    # botocore's patterns are unanchored and escape the slash; ours are anchored (re.match alone would accept a tail)
    assert "^" + shape.metadata["pattern"].replace("\\/", "/") + "$" == constraint.pattern


@pytest.mark.parametrize(
    "constraint, good, bad",
    [
        (c.EXTERNAL_ID, ["ab", "x" * 1224, "a+b=c,d.e@f:g/h-i_j"], ["a", "x" * 1225, "a b", "ab!", "ab\n"]),
        (c.ROLE_SESSION_NAME, ["ab", "s" * 64, "a+b=c,d.e@f-g_h"], ["a", "s" * 65, "a:b", "a/b", "a b"]),
    ],
)
def test_assume_role_constraint_edges(constraint, good, bad):
    assert [c.string_problem(constraint, value) for value in good] == [None] * len(good)
    assert all(c.string_problem(constraint, value) for value in bad)


def test_a_dollar_in_a_character_class_is_a_dollar_sign_not_an_end_anchor():
    assert c.string_problem(c.DOCUMENT_VERSION, "$LATEST") is None and c.string_problem(c.DOCUMENT_VERSION, "3") is None
    assert "must match" in c.string_problem(c.DOCUMENT_VERSION, "v2")
    assert "must match" in c.string_problem(c.DOCUMENT_VERSION, "3\n")  # the end anchor still ends at the end
