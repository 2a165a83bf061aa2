# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hybrid_nodes inventory's own logic: its configuration checked before any request, host names, host variables.

Plain values in, plain values out (no plugin object), so the unit tests drive it directly. The rules
themselves (patterns, counts, choices) live in module_utils/_ssm/constraints.py and selection.py, shared
with ssm_managed_instance_info.
"""

from collections import Counter

from ansible import constants as C
from ansible.utils.unsafe_proxy import wrap_var

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
from ansible_collections.hybridops.ssm.plugins.plugin_utils.hybrid_nodes_accounts import check_accounts

HOSTNAME_FIELDS = ("name", "computer_name", "instance_id", "ip_address")
TAG_HOSTNAME = "tag:"

# The node's fields whose own names Ansible reserves (play keywords, ansible.vars.reserved): ansible-core warns on
# every run about a host variable so named. Without hostvars_prefix and hostvars_suffix their host variables take
# these names; a prefix or suffix already keeps every name clear of the reserved ones. compose, groups and
# keyed_groups also see each field under its own name.
RENAMED_HOST_VARIABLES = {"name": "node_name", "tags": "node_tags"}


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
        elif entry in RENAMED_HOST_VARIABLES.values():
            # The preferences name the node's fields, as filters does, not the host variables made of them.
            field = next(field for field, variable in RENAMED_HOST_VARIABLES.items() if variable == entry)
            hint = f"name the field {field!r}" if field in HOSTNAME_FIELDS else "use tag:KEY"
            _fail(f"hostnames: {entry!r} is a host variable, not a field of the node: {hint}.", "hostnames", hostnames)
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
    for name in ("include_tags", "strict", "cache", "use_extra_vars", "leading_separator", "fail_on_account_errors"):
        if name in raw:
            check_boolean(name, raw[name])
    check_connection(options)
    if options.get("assume_role_arn"):
        check_string("assume_role_arn", options["assume_role_arn"], ROLE_ARN)
    check_constructed(options)
    regions = check_list("regions", options.get("regions") or [], REGION)
    if not regions and options.get("region"):
        regions = [options["region"]]
    accounts = check_accounts(options.get("accounts"), regions, options.get("assume_role_arn"))
    if not regions and not accounts:
        _fail("regions: [] is empty and no region is given (region or AWS_REGION): name the regions to list.", "regions", [])
    include_tags = bool(options.get("include_tags"))
    settings = {
        "regions": regions,
        "accounts": accounts,
        "fail_on_account_errors": bool(options.get("fail_on_account_errors")),
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


def untrusted(nodes):
    """The nodes with every string in them, keys and nested values too, marked unsafe for Ansible's templating.

    A node reports its own computer name, IP address and platform, and its name and tags are whatever whoever
    may tag it wrote: a value holding Jinja would otherwise run on the controller wherever ansible-core before
    2.19 templates a host variable, a host name or an expression of compose, groups or keyed_groups. Applied to
    what is read from SSM and to what is read back from the cache alike.
    """
    return wrap_var(nodes)


# Names Ansible gives a meaning of its own: a node named after the controller would stand in for it wherever
# a task runs on or delegates to localhost, and one named after a built-in group would shadow it in patterns.
RESERVED_HOSTNAMES = frozenset((*C.LOCALHOST, "all", "ungrouped"))


def _shown(value, limit=60):
    """A value quoted for a message: escaped (no control characters reach the terminal), long ones cut."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


def _candidates(hostvars, hostnames):
    """(preference, value) for each preference the node has a value for, in preference order, each value once."""
    found = []
    for preference in hostnames:
        if preference.startswith(TAG_HOSTNAME):
            value = (hostvars.get("tags") or {}).get(preference[len(TAG_HOSTNAME) :])
        else:
            value = hostvars.get(preference)
        if value in (None, ""):
            continue
        # str() of a string would drop its unsafe mark: strings are kept as they are.
        value = value if isinstance(value, str) else str(value)
        if all(value != seen for _preference, seen in found):
            found.append((preference, value))
    return found


def choose_hostnames(nodes, hostnames):
    """({instance_id: host name}, [warning, ...]): each node's first usable preference, else its instance_id.

    A value is usable when it is not blank, not a name Ansible reserves, not another node's instance ID, and no
    other node has it under any preference: independent of the order SSM lists the nodes in, a value two nodes
    share names neither. Every node gets a name; one named by its instance ID although it has a value for a
    preference, or although instance_id is not among the preferences, gets a warning that says why.
    """
    candidates = {node["instance_id"]: _candidates(node, hostnames) for node in nodes}
    owners = Counter(value for found in candidates.values() for _preference, value in found)
    chosen = {}
    warnings = []
    for instance_id, found in candidates.items():
        refused = []
        for preference, value in found:
            if value == instance_id:
                chosen[instance_id] = value
                break
            if not value.strip():
                refused.append(f"its {preference} {_shown(value)} is blank")
            elif value in RESERVED_HOSTNAMES:
                refused.append(f"its {preference} {_shown(value)} is a name Ansible reserves")
            elif value in candidates:
                refused.append(f"its {preference} {_shown(value)} is another node's instance ID")
            elif owners[value] > 1:
                refused.append(f"its {preference} {_shown(value)} is shared with another node")
            else:
                chosen[instance_id] = value
                break
        else:
            chosen[instance_id] = instance_id
            if not found:
                refused.append(f"it has none of {', '.join(hostnames)}")
        if chosen[instance_id] == instance_id and refused:
            warnings.append(f"hybridops.ssm.hybrid_nodes: the node {instance_id} is named by its instance ID: {'; '.join(refused)}.")
    return chosen, warnings


def host_variable_name(field, prefix="", suffix=""):
    """The host variable of one field of a node: prefixed and suffixed, or, bare, a name Ansible does not reserve."""
    if prefix or suffix:
        return f"{prefix}{field}{suffix}"
    return RENAMED_HOST_VARIABLES.get(field, field)


def host_variables(node, prefix="", suffix=""):
    """The host variables of one node (its ansible form, region and tags included), names prefixed and suffixed."""
    return {host_variable_name(field, prefix, suffix): value for field, value in node.items()}
