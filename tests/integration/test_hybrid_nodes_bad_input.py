"""Bad configuration of the hybridops.ssm.hybrid_nodes inventory, one row per constraint, before any request.

The rows are in the style of test_bad_input.py: each is a configuration (added to a valid one) and the
fragments its failure must hold - the option, the value and the rule. Every row is a configuration file of
its own and ONE ansible-inventory run reads them all (one -i per row): Ansible reports each source's failure
with the source's path. The endpoint's request log must stay empty through the run. The last test keeps
the rows complete: every option of the plugin has a row or a reason in NO_CONSTRAINT.
"""

import json
import re

import pytest
import yaml

from conftest import run_cli

ACCOUNT_ROLE = "arn:aws:iam::111111111111:role/ssm-inventory-reader"

# Rows: (why, configuration added to a valid one, fragments the failure must hold).
ROWS = [
    ("unknown option", {"hostname": ["name"]}, ["'hostname' is not an option of hybridops.ssm.hybrid_nodes (a typo?)", "hostnames"]),
    ("region name with spaces", {"regions": ["eu west 1"]}, ["regions: 1 invalid AWS region name", "'eu west 1'", "must match"]),
    ("region that is a number", {"regions": [5]}, ["regions: 1 invalid AWS region name", "5 (int) must be a string"]),
    ("region listed twice", {"regions": ["eu-west-1", "eu-west-1"]}, ["regions: each AWS region name may appear once", "'eu-west-1'"]),
    ("no regions and no region", {"regions": [], "region": ""}, ["regions: [] is empty and no region is given", "name the regions to list"]),
    ("region option in capitals", {"region": "EU_WEST_1"}, ["region: 'EU_WEST_1' is not a valid AWS region name"]),
    (
        "endpoint URL without http",
        {"endpoint_url": "ftp://example.com"},
        ["endpoint_url: 'ftp://example.com' is not a valid endpoint URL", "http:// or https://"],
    ),
    (
        "profile with keys",
        {"profile": "ops", "access_key": "AKIDEXAMPLE", "secret_key": "x"},
        ["profile: 'ops' cannot be combined with access_key, secret_key"],
    ),
    ("access key without secret", {"access_key": "AKIDEXAMPLE", "secret_key": ""}, ["access_key: 'AKIDEXAMPLE' is given without secret_key"]),
    (
        "role to assume that is no ARN",
        {"assume_role_arn": "ssm-reader"},
        ["assume_role_arn: 'ssm-reader' is not a valid IAM role ARN", "arn:aws:iam::ACCOUNT:role/NAME"],
    ),
    (
        "account role that is no ARN",
        {"accounts": [{"role_arn": "ssm-reader"}]},
        ["accounts[0].role_arn: 'ssm-reader' is not a valid IAM role ARN", "arn:aws:iam::ACCOUNT:role/NAME"],
    ),
    ("account without a role", {"accounts": [{"regions": ["eu-west-1"]}]}, ["accounts[0]: role_arn is required"]),
    ("account key misspelt", {"accounts": [{"role_arn": ACCOUNT_ROLE, "externalid": "x"}]}, ["accounts[0]: 'externalid' is not a key of an account (a typo?)"]),
    (
        "accounts and a role to assume",
        {"accounts": [{"role_arn": ACCOUNT_ROLE}], "assume_role_arn": "arn:aws:iam::222222222222:role/r"},
        ["accounts: cannot be combined with assume_role_arn"],
    ),
    (
        "external ID too short, never shown",
        {"accounts": [{"role_arn": ACCOUNT_ROLE, "external_id": "Q"}]},
        ["accounts[0].external_id: a value of 1 characters (not shown) is not a valid external ID", "at least 2 characters"],
    ),
    (
        "session name with a colon",
        {"accounts": [{"role_arn": ACCOUNT_ROLE, "session_name": "ops:night"}]},
        ["accounts[0].session_name: 'ops:night' is not a valid role session name", "must match"],
    ),
    ("account region with spaces", {"accounts": [{"role_arn": ACCOUNT_ROLE, "regions": ["eu west 1"]}]}, ["accounts[0].regions: 1 invalid AWS region name"]),
    (
        "account given twice",
        {"accounts": [{"role_arn": ACCOUNT_ROLE}, {"role_arn": "arn:aws:iam::111111111111:role/other"}]},
        ["accounts[1]: account 111111111111 is already accounts[0]", "assumed once per run"],
    ),
    ("fail_on_account_errors not a boolean", {"fail_on_account_errors": "maybe"}, ["fail_on_account_errors: 'maybe' is not a boolean"]),
    ("include_tags not a boolean", {"include_tags": "maybe"}, ["include_tags: 'maybe' is not a boolean: give true or false"]),
    ("empty hostnames", {"hostnames": []}, ["hostnames: [] must be a non-empty list of name, computer_name, instance_id, ip_address or tag:KEY"]),
    (
        "hostname preference unknown",
        {"hostnames": ["hostname"]},
        ["hostnames: 'hostname' is not one of name, computer_name, instance_id, ip_address or tag:KEY"],
    ),
    ("hostname preference twice", {"hostnames": ["name", "name"]}, ["hostnames: each preference may appear once; duplicated: name"]),
    ("tag hostname without tags", {"hostnames": ["tag:Name"]}, ["hostnames: 'tag:Name' needs the nodes' tags", "include_tags: true"]),
    ("host variable as hostname", {"hostnames": ["node_name"]}, ["hostnames: 'node_name' is a host variable, not a field of the node: name the field 'name'"]),
    ("tag hostname without a key", {"hostnames": ["tag:"], "include_tags": True}, ["hostnames: 'tag:' names no valid tag key", "at least 1 characters"]),
    ("prefix with a dash", {"hostvars_prefix": "aws-"}, ["hostvars_prefix: 'aws-' is not a valid host variable prefix", "letters, digits and underscores"]),
    ("prefix starting with a digit", {"hostvars_prefix": "1_"}, ["hostvars_prefix: '1_' is not a valid host variable prefix", "not starting with a digit"]),
    ("suffix with a dot", {"hostvars_suffix": ".ssm"}, ["hostvars_suffix: '.ssm' is not a valid host variable suffix"]),
    ("filters not a dictionary", {"filters": ["ping_status"]}, ["Config 'filters'", "invalid value", "['ping_status']"]),
    ("unknown filter", {"filters": {"pingstatus": "Online"}}, ["filters: 'pingstatus' is not a filter (a typo?)", "ping_status, resource_type"]),
    ("ping status misspelt", {"filters": {"ping_status": "Onlin"}}, ["filters.ping_status: 'Onlin' is not one of Online, ConnectionLost, Inactive"]),
    ("ping status list with a bad value", {"filters": {"ping_status": ["Online", "Lost"]}}, ["filters.ping_status: 'Lost' is not one of Online"]),
    (
        "two resource types",
        {"filters": {"resource_type": ["ManagedInstance", "EC2Instance"]}},
        ["filters.resource_type:", "gives 2 values, but SSM's filter takes at most 1"],
    ),
    ("resource type unknown", {"filters": {"resource_type": "Server"}}, ["filters.resource_type: 'Server' is not one of ManagedInstance, EC2Instance"]),
    ("platform unknown", {"filters": {"platform_type": "Solaris"}}, ["filters.platform_type: 'Solaris' is not one of Linux, Windows, MacOS"]),
    ("activation ID not a UUID", {"filters": {"activation_ids": ["act-1"]}}, ["filters.activation_ids: 1 invalid activation ID", "'act-1'", "lower-case UUID"]),
    ("no activation IDs", {"filters": {"activation_ids": []}}, ["filters.activation_ids: the list is empty"]),
    ("IAM role too long", {"filters": {"iam_role": "r" * 65}}, ["filters.iam_role:", "at most 64 characters long, not 65"]),
    (
        "tag filter with six values",
        {"filters": {"tags": {"site": ["a", "b", "c", "d", "e", "f"]}}},
        ["filters.tags: key 'site' is given 6 values; a tag filter takes 1 to 5 values"],
    ),
    ("tag key reserved by AWS", {"filters": {"tags": {"aws:cloudformation": "x"}}}, ["filters.tags: key 'aws:cloudformation' uses the prefix 'aws:'"]),
    ("tag value with a forbidden character", {"filters": {"tags": {"site": "a;b"}}}, ["filters.tags: value 'a;b' of key 'site' contains ';'"]),
    ("tags not a dictionary", {"filters": {"tags": ["site"]}}, ["filters.tags: ['site'] (list) must be a dictionary of tag keys to values"]),
    ("name pattern not a string", {"filters": {"name": 5}}, ["filters.name: 5 must be a string, a shell-style pattern"]),
    ("computer name pattern a list", {"filters": {"computer_name": ["a"]}}, ["filters.computer_name: ['a'] must be a string"]),
    (
        "EKS Connector agents neither in nor out",
        {"filters": {"include_eks_connector_agents": "maybe"}},
        ["filters.include_eks_connector_agents: 'maybe' is not a boolean: give true or false"],
    ),
    ("last ping as words", {"filters": {"last_ping_before": "yesterday"}}, ["filters.last_ping_before: 'yesterday' is neither an age such as '30d'"]),
    (
        "registration date that does not exist",
        {"filters": {"registered_before": "2026-02-30"}},
        ["filters.registered_before: '2026-02-30' is neither an age", "ISO 8601 time"],
    ),
    ("strict not a boolean", {"strict": "maybe"}, ["strict: 'maybe' is not a boolean"]),
    ("compose not a dictionary", {"compose": ["ansible_host"]}, ["Config 'compose'", "invalid value", "['ansible_host']"]),
    ("groups not a dictionary", {"groups": ["lost"]}, ["Config 'groups'", "invalid value", "['lost']"]),
    ("keyed group without a key", {"keyed_groups": [{"prefix": "ping"}]}, ["keyed_groups: {'prefix': 'ping'} must be a dictionary with a key"]),
    ("keyed group as a string", {"keyed_groups": ["ping_status"]}, ["keyed_groups: 'ping_status' must be a dictionary with a key"]),
    ("use_extra_vars not a boolean", {"use_extra_vars": "maybe"}, ["use_extra_vars: 'maybe' is not a boolean"]),
    ("leading_separator not a boolean", {"leading_separator": "maybe"}, ["leading_separator: 'maybe' is not a boolean"]),
    ("cache not a boolean", {"cache": "maybe"}, ["cache: 'maybe' is not a boolean"]),
    ("cache plugin that does not exist", {"cache": True, "cache_plugin": "hybridops.ssm.nosuch"}, ["hybridops.ssm.nosuch"]),
    ("cache timeout not a number", {"cache": True, "cache_timeout": "soon"}, ["Config 'cache_timeout'", "invalid value", "soon"]),
    ("plugin named wrongly", {"plugin": "hybridops.ssm.hybrid_node"}, ["specifies unknown plugin 'hybridops.ssm.hybrid_node'"]),
]

# Options whose every value is valid, or whose constraint belongs to another row.
NO_CONSTRAINT = {
    "secret_key": "any string; given without access_key it is the access_key row's rule, worded for both",
    "session_token": "any string",
    "cache_prefix": "any string",
    "cache_connection": "any path; the cache plugin makes the directory",
}


def _failures(stderr):
    """{source path: the text of its failure} from ansible-inventory's warnings."""
    failures = {}
    for chunk in stderr.split("[WARNING]: Failed to parse inventory with 'auto' plugin:")[1:]:
        source = re.search(r"with source '([^']+)'", chunk)
        if source:
            failures[source.group(1)] = " ".join(chunk.split())
    return failures


@pytest.fixture(scope="module")
def bad_input(endpoint, tmp_path_factory):
    """Run every row in one ansible-inventory; ({row index: failure text}, the request log)."""
    from conftest import controller_env  # pylint: disable=import-outside-toplevel
    from ssm_endpoint import EndpointControl  # pylint: disable=import-outside-toplevel

    tmp = tmp_path_factory.mktemp("hybrid-nodes-bad-input")
    env = dict(controller_env(endpoint.url, tmp), ANSIBLE_INVENTORY_ENABLED="auto")
    control = EndpointControl(endpoint.url)
    control.reset()
    control.seed_nodes(3)
    control.clear_log()
    args = ["ansible-inventory", "--list"]
    paths = {}
    for index, (_why, config, _expect) in enumerate(ROWS):
        path = tmp / f"row{index:02d}.hybrid_nodes.yml"
        path.write_text(yaml.safe_dump({"plugin": "hybridops.ssm.hybrid_nodes", "regions": ["us-east-1"], **config}), encoding="utf-8")
        paths[index] = str(path)
        args += ["-i", str(path)]
    result = run_cli(args, env)
    failures = _failures(result.stderr)
    return {index: failures.get(path, "") for index, path in paths.items()}, control.log(), json.loads(result.stdout)


@pytest.mark.parametrize("index", range(len(ROWS)), ids=[row[0] for row in ROWS])
def test_row_fails_naming_option_value_and_rule(bad_input, index):
    failures, _log, _listing = bad_input
    _why, _config, expect = ROWS[index]
    assert failures[index], f"row {index} did not fail"
    for fragment in expect:
        assert fragment in failures[index], failures[index]


def test_no_row_made_a_request_or_a_host(bad_input):
    _failures_by_row, log, listing = bad_input
    assert log == []
    assert not listing.get("_meta", {}).get("hostvars")


def test_every_option_has_a_row(ansible_env):
    result = run_cli(["ansible-doc", "-t", "inventory", "--json", "hybridops.ssm.hybrid_nodes"], ansible_env)
    assert result.returncode == 0, result.stderr
    options = set(json.loads(result.stdout)["hybridops.ssm.hybrid_nodes"]["doc"]["options"])
    covered = set()
    for _why, config, _expect in ROWS:
        covered.update(config)
    assert options - covered - set(NO_CONSTRAINT) == set()
    assert not (covered | set(NO_CONSTRAINT)) - options - {"hostname"}  # the one unknown option, on purpose


def test_ansible_doc_renders_with_examples(ansible_env):
    result = run_cli(["ansible-doc", "-t", "inventory", "hybridops.ssm.hybrid_nodes"], ansible_env)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "EXAMPLES:" in text and "plugin: hybridops.ssm.hybrid_nodes" in text
    assert "include_tags" in text and "ListTagsForResource" in text and "last_ping_before" in text
