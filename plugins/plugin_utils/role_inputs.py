# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which rule checks which variable of the collection's roles and playbooks, and in what words.

The rules themselves live in module_utils/_ssm/constraints.py (and timeparse.py for points in time),
shared with the modules; this file only says which variable gets which rule and how a broken value is
worded for the role's user (the words the roles have always used). The action plugin
hybridops.ssm.check_role_inputs gathers the variables and calls check().

A scope is a role (its types come from its meta/argument_specs.yml) or a playbook (its types are given
here). Every variable named PREFIX + a letter or digit that the scope does not declare is a typo.
"""

import re
from collections import namedtuple

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import constraints as rules
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.accounts import account_problems
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.bulk import MAX_CONCURRENCY
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.timeparse import parse_point_in_time
from ansible_collections.hybridops.ssm.plugins.plugin_utils.host_patterns import unmatched_problem
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import HOST_STEPS_MODES
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import host_steps_mode

# prefix: the scope's variables start with it; spec: their argument spec (None: the role's
# meta/argument_specs.yml); outputs: variables the scope sets itself; ignore: prefixes of another scope's
# variables; checks: variable -> rule; as_string: the words for a list or dictionary given as a string;
# unknown: the words for an undeclared variable; patterns: host pattern variable -> the variable that lets it
# match no host (checked when the inventory's groups are given).
Scope = namedtuple("Scope", ["prefix", "spec", "outputs", "ignore", "checks", "as_string", "unknown", "patterns"], defaults=((),))

# A variable's value may be a secret only by its name (nothing in these scopes is): such values are not shown.
_SECRET_NAME = re.compile(r"(?i)(password|passphrase|secret|token|credential|private)")
NOT_SHOWN = "(value not shown)"


def _shown(value):
    """A value as the roles' messages have always shown it: a string in single quotes, anything else as is."""
    return f"'{value}'"


# --- rules, in the roles' words: each takes (variable, value as given, value as typed, source) and returns problems.
# source, when given, says where an explicit value came from ("the registration file ... names ...").


def _optional(constraint, from_source, explicit):
    """A rule for a value that may be left empty (then found elsewhere): a value ``source`` names breaks it as
    "SOURCE, which FROM_SOURCE"; one given in the variable as ``explicit(name, value)`` words it."""

    def rule(name, raw, value, source):
        if value == "" or rules.string_problem(constraint, value) is None:
            return []
        return [f"{source}, which {from_source}" if source else explicit(name, value)]

    return rule


def node_id(empty_means):
    def explicit(name, value):
        ec2 = "; EC2 instances (i-...) cannot be deregistered" if rules.is_ec2_instance_id(value) else ""
        return f"{name}: '{value}' is not a hybrid managed node ID: it must be {rules.HYBRID_NODE_ID.hint} ({empty_means}){ec2}"

    return _optional(
        rules.HYBRID_NODE_ID, "is not a hybrid managed node ID (mi- followed by 17 lower-case hex digits; EC2 instances cannot be deregistered)", explicit
    )


def region(empty_means):
    return _optional(
        rules.AWS_REGION_NAME,
        "is not an AWS region name such as eu-west-1",
        lambda name, value: f"{name}: '{value}' is not an AWS region name such as eu-west-1 ({empty_means})",
    )


def seconds(bounds):
    def rule(name, raw, value, source):
        return [] if rules.in_bounds(value, bounds) else [f"{name}: {raw} is out of range: {bounds[0]:g} to {bounds[1]:g} seconds"]

    return rule


def count(bounds):
    def rule(name, raw, value, source):
        return [] if rules.in_bounds(value, bounds) else [f"{name}: {raw} is out of range: it must be from {bounds[0]} to {bounds[1]}"]

    return rule


def at_least(low, words):
    def rule(name, raw, value, source):
        return [] if rules.in_bounds(value, (low, float("inf"))) else [f"{name}: {raw} {words}"]

    return rule


def absolute_path(or_empty):
    def rule(name, raw, value, source):
        if value == "" and or_empty:
            return []
        if rules.path_problem(value, absolute=True) is None:
            return []
        return [f"{name}: '{value}' must be an absolute path" + (" on the controller (or empty, to write no report)" if or_empty else "")]

    return rule


_REPORT_RULE = (
    "the report is written on the controller after the changes, so it must name a file in a folder that exists and"
    " is writable there (or be empty, to write no report)"
)


def report_path(name, raw, value, source):
    """A report file on the controller: checked before any change, since a report that fails after it is a lost
    record of what was changed. The rule runs where the report is written (the action plugins run on the controller)."""
    problems = absolute_path(or_empty=True)(name, raw, value, source)
    if problems or value == "":
        return problems
    problem = rules.file_target_problem(value)
    if problem is None:
        return []
    kind, detail = problem
    what = {
        "folder": "is a folder",
        "missing": f"cannot be written: its folder '{detail}' does not exist",
        "not_a_folder": f"cannot be written: '{detail}' is not a folder",
        "not_writable": f"cannot be written: no file can be created in its folder ({detail})",
    }[kind]
    return [f"{name}: '{value}' {what}: {_REPORT_RULE}"]


def relative_paths(root_variable, what_if_none=None):
    def rule(name, raw, value, source):
        paths = [value] if isinstance(value, str) else list(value)
        if not paths and what_if_none:
            return [f"{name}: [] is empty: {what_if_none}"]
        words = {
            "absolute": f"is absolute: paths must be relative to {root_variable} (an absolute path would escape it)",
            "climbs": f"climbs out of {root_variable} with '..': paths must stay below it",
            "empty": "is empty: paths must not be empty",
        }
        problems = [(rules.path_problem(path, absolute=False), path) for path in paths]
        return [f"{name}: '{path}' {words[problem]}" for problem, path in problems if problem]

    return rule


def service_names(name, raw, value, source):
    return [
        f"{name}: '{service}' is not a service name: letters, digits and :_.@- only, not empty"
        for service in value
        if rules.string_problem(rules.SERVICE_NAME, service)
    ]


def host_steps(name, raw, value, source):
    """Where the host steps run: one of the modes, or a boolean as the variable used to be (true: ssh, false: none)."""
    if host_steps_mode(value) is not None:
        return []
    return [
        f"{name}: {_shown(value) if isinstance(value, str) else repr(value)} is not one of {', '.join(HOST_STEPS_MODES)}"
        " (true and false are still accepted: true means ssh, false none)"
    ]


def point_in_time(name, raw, value, source):
    try:
        parse_point_in_time(name, value)
    except SSMValidationError as error:
        return [(getattr(error, "message", None) or str(error)).rstrip(".")]
    return []


def activation_ids(name, raw, value, source):
    problems = [
        f"{name}: '{activation}' is not an activation ID: it must be a lower-case UUID"
        for activation in value
        if rules.string_problem(rules.ACTIVATION_ID, activation)
    ]
    if len(set(map(str, value))) != len(value):
        problems.append(f"{name}: {list(value)} names an activation more than once: each activation ID may appear once")
    return problems


_TAG_TEXT = "may hold only letters, digits, spaces and _.:/=+-@"


def tag_values(name, raw, value, source):
    """Tags a node must carry, key to one value (a string)."""
    problems = []
    for key, text in value.items():
        key = str(key)
        key_problem = rules.tag_text_problem(key, rules.TAG_KEY)
        if rules.tag_key_reserved(key) or (key_problem and key_problem[0] == "length"):
            problems.append(
                f"{name}: key '{key}' must be {rules.TAG_KEY.min_len}-{rules.TAG_KEY.max_len} characters long"
                " and must not start with 'aws:', which AWS reserves"
            )
        if key_problem and key_problem[0] == "character":
            problems.append(f"{name}: key '{key}' {_TAG_TEXT}")
        value_problem = rules.tag_text_problem(text, rules.TAG_VALUE)
        if value_problem and value_problem[0] == "type":
            problems.append(f"{name}: the value of key '{key}' is {text}, not a string: quote it")
        elif value_problem and value_problem[0] == "length":
            problems.append(f"{name}: the value of key '{key}': '{text}' is longer than {rules.TAG_VALUE.max_len} characters")
        elif value_problem:
            problems.append(f"{name}: the value of key '{key}': '{text}' {_TAG_TEXT}")
    return problems


def account_targets(name, raw, value, source):
    """The sweep's accounts by the rules the sweep and the inventory share (module_utils/_ssm/accounts.py), each
    bad entry named under the variable's own name; an external ID's value is never shown. An empty regions list is
    the role's default, "the role's region": not given."""
    del raw, source
    given = [dict(account, regions=account.get("regions") or None) if isinstance(account, dict) else account for account in value or []]
    return account_problems(name, given)


def _role_unknown(name, value, known):
    return f"{name}: {value} is not a variable of this role (a typo?); its variables are {', '.join(known)}"


D = "decommission_hybrid_node_"
S = "sweep_stale_hybrid_nodes_"

SCOPES = {
    "decommission_hybrid_node": Scope(
        prefix=D,
        spec=None,
        outputs=(D + "result", D + "report_error"),
        ignore=(),
        checks={
            D + "instance_id": node_id("or empty, to read it from the host"),
            D + "region": region("or empty, to take it from the registration file or the controller"),
            D + "command_wait_timeout": seconds(rules.WAIT_SECONDS),
            D + "deregister_wait_timeout": seconds(rules.WAIT_SECONDS),
            D + "command_poll_interval": seconds(rules.POLL_SECONDS),
            D + "drain_timeout": seconds(rules.DRAIN_SECONDS),
            D + "root": absolute_path(or_empty=False),
            D + "report_path": report_path,
            D + "registration_file": relative_paths(D + "root"),
            D + "key_files": relative_paths(D + "root", "it must name the agent's registration key and fingerprint (relative paths)"),
            D + "agent_binaries": relative_paths(D + "root"),
            D + "services": service_names,
            D + "host_steps": host_steps,
        },
        as_string="is a string, not a list: give a YAML or JSON list (with -e, pass the variables as JSON)",
        unknown=_role_unknown,
    ),
    "sweep_stale_hybrid_nodes": Scope(
        prefix=S,
        spec=None,
        outputs=(S + "report", S + "summary"),
        ignore=(),
        checks={
            S + "older_than": point_in_time,
            S + "max_nodes": count(rules.SWEEP_NODES),
            S + "concurrency": count((1, MAX_CONCURRENCY)),
            S + "drain_timeout": seconds(rules.DRAIN_SECONDS),
            S + "report_path": report_path,
            S + "region": region("or empty"),
            S + "activation_ids": activation_ids,
            S + "tags": tag_values,
            S + "accounts": account_targets,
        },
        as_string="is a string, not a dictionary or list: give it in YAML or JSON (with -e, pass the variables as JSON)",
        unknown=_role_unknown,
    ),
    # The playbook hybridops.ssm.decommission: its own variables, beside the role's decommission_hybrid_node_*.
    "decommission": Scope(
        prefix="decommission_",
        spec={
            "decommission_hosts": {"type": "str"},
            "decommission_max_hosts": {"type": "int"},
            "decommission_allow_no_hosts": {"type": "bool"},
        },
        outputs=(),
        ignore=(D,),
        checks={"decommission_max_hosts": at_least(0, "is not a number of hosts: give a whole number, 0 or more")},
        as_string="",
        unknown=lambda name, value, known: f"{name}: not a variable of this playbook (a typo?); its variables are {', '.join(known)} and the role's {D}*",
        # A play whose hosts match nothing is skipped and the run succeeds: a misspelt group would look like a
        # run with nothing to do.
        patterns=(("decommission_hosts", "decommission_allow_no_hosts"),),
    ),
}


def declared(scope, spec):
    """The variables a scope declares, in the order of its spec."""
    return list(scope.spec or spec)


def unknown_names(scope, spec, names):
    """The names among ``names`` that look like the scope's variables but are not declared (typos), sorted."""
    known = set(declared(scope, spec)) | set(scope.outputs)
    pattern = re.compile("^" + re.escape(scope.prefix) + "[^_]")
    return sorted(n for n in names if pattern.match(n) and n not in known and not n.startswith(scope.ignore or ("\0",)))


def _pattern_problems(scope, variables, typed, errors, groups):
    """A host pattern variable that matches no host of ``groups``, unless its allowing variable is true. An empty
    or omitted pattern is left to the playbook (it asks for hosts itself), as is one of the wrong type."""
    problems = []
    for name, allowing in scope.patterns:
        raw = variables.get(name)
        if not raw or typed.get(allowing) or any(f"'{n}'" in message for message in errors for n in (name, allowing)):
            continue
        # a list of patterns is what a play takes too; the spec's str would turn it into its repr
        problem = unmatched_problem(name, raw if isinstance(raw, (list, tuple)) else typed.get(name), groups)
        if problem:
            problems.append(f"{problem}; where matching no host is nothing to do, set {allowing}=true")
    return problems


def check(scope, spec, variables, unknown=(), sources=None, groups=None):
    """Every problem with ``variables`` (name -> value as given) under ``scope``, each a sentence naming the
    variable, its value and the rule; ``unknown`` (name -> value) are undeclared variables; ``sources``
    (name -> words) says where an explicit value came from; ``groups`` (the inventory's ``groups`` variable),
    when given, is where the scope's host patterns must match a host."""
    spec = scope.spec or spec
    sources = sources or {}
    problems = []
    typed_spec = {name: spec[name] for name in variables if name in spec}
    result = ArgumentSpecValidator(typed_spec).validate(dict(variables), validate_role_argument_spec=True)
    for message in result.error_messages:
        # ansible-core before 2.19 leaves the value out of a type error: name it, as every other problem does
        name = next((n for n in variables if f"'{n}'" in message), None)
        if name is not None and repr(variables[name]) not in message:
            message = f"{message} (given: {variables[name]!r})"
        problems.append(message)
    typed = result.validated_parameters
    for name, raw in variables.items():
        # a value of the wrong type is named by the validator's message; its rules cannot be read
        if name not in spec or any(f"'{name}'" in message for message in result.error_messages):
            continue
        if isinstance(raw, str) and spec[name].get("type") in ("list", "dict"):
            problems.append(f"{name}: '{raw}' {scope.as_string}")
            continue
        rule = scope.checks.get(name)
        if rule is not None:
            problems.extend(rule(name, raw, typed.get(name), sources.get(name)))
    if groups is not None:
        problems.extend(_pattern_problems(scope, variables, typed, result.error_messages, groups))
    known = [n for n in declared(scope, spec) if n not in scope.outputs]
    for name, value in sorted(unknown.items() if isinstance(unknown, dict) else ((n, None) for n in unknown)):
        problems.append(scope.unknown(name, NOT_SHOWN if value is NOT_SHOWN or _SECRET_NAME.search(name) else _shown(value), known))
    return problems
