# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hybrid_nodes inventory's own logic: its configuration checked before any request, host names, host variables.

Plain values in, plain values out (no plugin object), so the unit tests drive it directly. The rules
themselves (patterns, counts, choices) live in module_utils/_ssm/constraints.py and selection.py, shared
with ssm_managed_instance_info.
"""

from collections import Counter

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.connection import check_connection
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import HOSTVARS_PREFIX
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import HOSTVARS_SUFFIX
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import REGION
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import ROLE_ARN
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import TAG_KEY
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_boolean
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_list
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_string
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import string_problem
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import CRITERIA
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import selection_criteria

HOSTNAME_FIELDS = ("name", "computer_name", "instance_id", "ip_address")
TAG_HOSTNAME = "tag:"


def _fail(message, parameter, value):
    raise SSMValidationError(message, parameter=parameter, value=value)


def check_hostnames(hostnames, include_tags):
    """The hostnames preference list: known fields or tag:KEY (with include_tags), each once, at least one."""
    if not isinstance(hostnames, list) or not hostnames:
        _fail(f"hostnames: {hostnames!r} must be a non-empty list of {', '.join(HOSTNAME_FIELDS)} or tag:KEY.", "hostnames", hostnames)
    for entry in hostnames:
        if not isinstance(entry, str):
            _fail(f"hostnames: {entry!r} must be a string: one of {', '.join(HOSTNAME_FIELDS)} or tag:KEY.", "hostnames", hostnames)
        if entry.startswith(TAG_HOSTNAME):
            problem = string_problem(TAG_KEY, entry[len(TAG_HOSTNAME) :])
            if problem:
                _fail(f"hostnames: {entry!r} names no valid tag key: the key {problem}.", "hostnames", hostnames)
            if not include_tags:
                _fail(
                    f"hostnames: {entry!r} needs the nodes' tags, which are read only with include_tags: true (one ListTagsForResource call per node).",
                    "hostnames",
                    hostnames,
                )
        elif entry not in HOSTNAME_FIELDS:
            _fail(f"hostnames: {entry!r} is not one of {', '.join(HOSTNAME_FIELDS)} or tag:KEY.", "hostnames", hostnames)
    duplicates = sorted({entry for entry in hostnames if hostnames.count(entry) > 1})
    if duplicates:
        _fail(f"hostnames: each preference may appear once; duplicated: {', '.join(duplicates)}.", "hostnames", hostnames)
    return hostnames


def check_filters(filters):
    """The filters dictionary: known keys only, each checked as ssm_managed_instance_info checks its options."""
    if filters is None:
        filters = {}
    if not isinstance(filters, dict):
        _fail(f"filters: {filters!r} must be a dictionary of {', '.join(CRITERIA)}.", "filters", filters)
    unknown = sorted(str(key) for key in filters if key not in CRITERIA)
    if unknown:
        _fail(f"filters: {', '.join(repr(k) for k in unknown)} is not a filter (a typo?); the filters are {', '.join(CRITERIA)}.", "filters", filters)
    return selection_criteria(filters, prefix="filters.")


def check_config(raw, options, known=None):
    """Check the configuration before any request; return the settings the run uses.

    ``raw`` is the configuration file as written (Ansible's configuration reads any unknown word as a false
    boolean, so booleans are checked as written); ``options`` are the plugin's options as Ansible resolved
    them (defaults, environment, templates); ``known`` the option names and their aliases.
    """
    known = set(options) if known is None else set(known)
    unknown = sorted(str(key) for key in raw if key not in known)
    if unknown:
        _fail(
            f"{', '.join(repr(k) for k in unknown)} is not an option of hybridops.ssm.hybrid_nodes (a typo?); its options are {', '.join(sorted(options))}.",
            unknown[0],
            raw[unknown[0]],
        )
    for name in ("include_tags", "strict", "cache", "use_extra_vars", "leading_separator"):
        if name in raw:
            check_boolean(name, raw[name])
    check_connection(options)
    if options.get("assume_role_arn"):
        check_string("assume_role_arn", options["assume_role_arn"], ROLE_ARN)
    check_constructed(options)
    regions = check_list("regions", options.get("regions") or [], REGION)
    if not regions:
        if not options.get("region"):
            _fail("regions: [] is empty and no region is given (region or AWS_REGION): name the regions to list.", "regions", [])
        regions = [options["region"]]
    include_tags = bool(options.get("include_tags"))
    settings = {
        "regions": regions,
        "include_tags": include_tags,
        "hostnames": check_hostnames(options.get("hostnames"), include_tags),
        "criteria": check_filters(options.get("filters")),
        "hostvars_prefix": check_string("hostvars_prefix", options.get("hostvars_prefix") or "", HOSTVARS_PREFIX),
        "hostvars_suffix": check_string("hostvars_suffix", options.get("hostvars_suffix") or "", HOSTVARS_SUFFIX),
    }
    return settings


def check_constructed(options):
    """The shapes of compose, groups and keyed_groups, which Ansible would only report once hosts exist."""
    for name in ("compose", "groups"):
        value = options.get(name)
        if value is not None and not isinstance(value, dict):
            _fail(f"{name}: {value!r} must be a dictionary of names to Jinja2 expressions.", name, value)
    for entry in options.get("keyed_groups") or []:
        if not isinstance(entry, dict) or not entry.get("key"):
            _fail(
                f"keyed_groups: {entry!r} must be a dictionary with a key (a Jinja2 expression) and optionally prefix, separator,"
                " parent_group, default_value, trailing_separator.",
                "keyed_groups",
                options.get("keyed_groups"),
            )


def _candidates(hostvars, hostnames):
    values = []
    for preference in hostnames:
        if preference.startswith(TAG_HOSTNAME):
            value = (hostvars.get("tags") or {}).get(preference[len(TAG_HOSTNAME) :])
        else:
            value = hostvars.get(preference)
        if value not in (None, "") and str(value) not in values:
            values.append(str(value))
    return values


def choose_hostnames(nodes, hostnames):
    """{instance_id: host name}: each node's first preference that no other node has, else its instance_id.

    Independent of the order SSM lists the nodes in: a value two nodes share names neither, and no node
    takes another node's instance ID as its name.
    """
    candidates = {node["instance_id"]: _candidates(node, hostnames) for node in nodes}
    owners = Counter(value for values in candidates.values() for value in values)
    chosen = {}
    for instance_id, values in candidates.items():
        chosen[instance_id] = next((value for value in values if owners[value] == 1 and (value == instance_id or value not in candidates)), instance_id)
    return chosen


def host_variables(node, prefix="", suffix=""):
    """The host variables of one node (its ansible form, region and tags included), names prefixed and suffixed."""
    return {f"{prefix}{name}{suffix}": value for name, value in node.items()}
