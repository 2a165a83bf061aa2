# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""SendCommand's input rules (command_rules.py): equal to botocore's SSM model, edges both sides, checks that name the problem."""

import re
import unicodedata

import botocore.session
import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import command_rules as r
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.checks import check_string
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError


@pytest.fixture(scope="module")
def send():
    return botocore.session.get_session().get_service_model("ssm").operation_model("SendCommand").input_shape.members


@pytest.mark.parametrize(
    "member, constraint",
    [
        ("DocumentName", r.DOCUMENT_NAME),
        ("DocumentVersion", r.DOCUMENT_VERSION),
        ("Comment", r.COMMENT),
        ("MaxConcurrency", r.MAX_CONCURRENCY),
        ("MaxErrors", r.MAX_ERRORS),
    ],
)
def test_string_rules_equal_the_model(send, member, constraint):
    metadata = send[member].metadata
    assert metadata.get("pattern") == constraint.pattern
    assert metadata.get("max") == constraint.max_len
    assert metadata.get("min") == constraint.min_len


def test_counts_and_ranges_equal_the_model(send):
    assert send["InstanceIds"].metadata["max"] == r.SEND_INSTANCE_IDS_MAX == 50
    assert send["Targets"].metadata["max"] == r.TARGETS_MAX == 5
    assert send["Targets"].member.members["Values"].metadata["max"] == r.TARGET_VALUES_MAX == 50
    timeout = send["TimeoutSeconds"].metadata
    assert (timeout["min"], timeout["max"]) == r.TIMEOUT_SECONDS == (30, 2592000)
    key = send["Targets"].member.members["Key"].metadata
    assert (key["min"], key["max"]) == (r.TARGET_KEY.min_len, r.TARGET_KEY.max_len) == (1, 163)


def _model_target_key(model_pattern, key):
    """The model's TargetKey pattern with \\p{L}\\p{Z}\\p{N} (which Python's re lacks) tested by Unicode category."""
    plain, *alternatives = model_pattern.split("|")
    assert plain == r"^[\p{L}\p{Z}\p{N}_.:/=\-@]*$", "the model's TargetKey pattern changed"
    if key in alternatives:
        return True
    return all(unicodedata.category(c)[0] in "LZN" or c in "_.:/=-@" for c in key)


KEYS = ["tag:env", "tag:Site Name", "tag:é", "tag-key", "InstanceIds", "resource-groups:Name", "resource-groups:ResourceTypeFilters"]
BAD_KEYS = ["tag:a+b", "tag:a#b", "tag:a*", "env", "tag:", "", "InstanceId"]


@pytest.mark.parametrize("key", KEYS + BAD_KEYS)
def test_a_target_key_taken_here_is_one_the_model_takes(send, key):
    model_pattern = send["Targets"].member.members["Key"].metadata["pattern"]
    try:
        r.check_targets("targets", [{"key": key, "values": ["lab"]}])
    except SSMValidationError:
        assert key in BAD_KEYS
    else:
        assert key in KEYS and _model_target_key(model_pattern, key) and 1 <= len(key) <= 163


def test_a_target_key_with_a_plus_is_refused_naming_it():
    # tag keys may hold '+', SSM's target keys may not
    with pytest.raises(SSMValidationError, match=r"targets\[0\]\.key: 'tag:a\+b' contains '\+', which SSM does not take in a target key"):
        r.check_targets("targets", [{"key": "tag:a+b", "values": ["x"]}])


@pytest.mark.parametrize(
    "rule, good, bad",
    [
        (r.DOCUMENT_NAME, ["AWS-RunShellScript", "abc", "arn:aws:ssm:us-east-1:123456789012:document/My_Doc.1", "d" * 128], ["ab", "my doc", "d" * 129]),
        (r.DOCUMENT_VERSION, ["$DEFAULT", "$LATEST", "1", "42"], ["0", "v2", "01", "latest"]),
        (r.MAX_CONCURRENCY, ["1", "50", "1%", "99%", "100%", "1000000"], ["0", "0%", "101%", "10000000", "5 %"]),
        (r.MAX_ERRORS, ["0", "1", "0%", "9%", "100%"], ["-1", "101%", "00", "ten"]),
        (r.IDEMPOTENCY_KEY, ["k", "release-2026.10.01", "a" * 40, "x:y/z=+@_."], ["", "my key", "a" * 41, "k#1"]),
    ],
)
def test_string_rules_edges(rule, good, bad):
    for value in good:
        assert check_string("option", value, rule) == value
    for value in bad:
        with pytest.raises(SSMValidationError, match=f"option: {re.escape(repr(value))}"):
            check_string("option", value, rule)


def test_a_comment_of_100_characters_passes_and_101_fails():
    assert check_string("comment", "c" * 100, r.COMMENT)
    with pytest.raises(SSMValidationError, match="at most 100 characters long, not 101"):
        check_string("comment", "c" * 101, r.COMMENT)


def test_parameters_become_lists_of_strings():
    assert r.check_parameters("parameters", None) == {}
    assert r.check_parameters("parameters", {"commands": "echo hi", "workingDirectory": ["/tmp"]}) == {"commands": ["echo hi"], "workingDirectory": ["/tmp"]}


@pytest.mark.parametrize(
    "value, words",
    [
        (["echo"], "parameters: ['echo'] (list) must be a dictionary"),
        ({"commands": [3, "ok", True]}, "parameters.commands: every item must be a string; [0] 3 (int), [2] True (bool) is not"),
        ({"commands": {"a": "b"}}, "parameters.commands: {'a': 'b'} (dict) must be a list of strings"),
        ({"": ["x"]}, "parameters: the parameter name '' must be a non-empty string"),
    ],
)
def test_bad_parameters_are_named(value, words):
    with pytest.raises(SSMValidationError) as raised:
        r.check_parameters("parameters", value)
    assert words in raised.value.message


def test_targets_become_ssm_targets():
    given = [{"key": "tag:env", "values": ["lab", "prod"]}, {"key": "InstanceIds", "values": "mi-0123456789abcdef0"}]
    assert r.check_targets("targets", given) == [{"Key": "tag:env", "Values": ["lab", "prod"]}, {"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}]


@pytest.mark.parametrize(
    "targets, words",
    [
        ([], "targets: [] (list) must be a list of 1 to 5"),
        ([{"key": "tag:env", "values": ["x"]}] * 6, "targets: 6 targets given, SSM takes at most 5"),
        ([{"key": "tag:env", "values": ["v"] * 51}], "targets[0].values: "),
        ([{"key": "tag:env", "values": [""]}], "targets[0].values: '' must be non-empty strings"),
        ([{"key": "tag:env", "values": ["x"], "other": 1}], "targets[0]: "),
        ([{"key": "x" * 164, "values": ["x"]}], "targets[0].key: "),
    ],
)
def test_bad_targets_are_named(targets, words):
    with pytest.raises(SSMValidationError) as raised:
        r.check_targets("targets", targets)
    assert words in raised.value.message
