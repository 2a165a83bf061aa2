# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whether a host pattern matches a host of the inventory, and which groups come closest when it does not.

A play whose ``hosts`` match nothing is skipped with a warning and the run ends with rc 0, so a misspelt group
(``ping_connectionlost`` for ``ping_ConnectionLost``) would pass for a run with nothing to do. The pattern is
matched the way ansible-core matches a play's hosts (its InventoryManager, over the inventory's ``groups``, as
the ``inventory_hostnames`` lookup does), on the controller, before any play acts on a host.
"""

import difflib
from contextlib import contextmanager

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.inventory.manager import split_host_pattern
from ansible.parsing.dataloader import DataLoader

# Groups every inventory has: "all" matches every host, "ungrouped" is no group anyone named.
IMPLICIT_GROUPS = ("all", "ungrouped")
# A fleet's inventory can hold hundreds of keyed groups: the closest ones are what helps.
SHOWN_GROUPS = 15


def shown_pattern(pattern):
    """A pattern as the user wrote it (a list of patterns joined with commas, as a play reads them)."""
    return ",".join(map(str, pattern)) if isinstance(pattern, (list, tuple)) else str(pattern)


def terms(pattern):
    """The names in a pattern, without its operators: ``a:&b,!c`` -> a, b, c."""
    names = [term.lstrip("&!") for term in split_host_pattern(pattern)]
    return [name for name in names if name] or [shown_pattern(pattern)]


def _closeness(name, pattern_terms):
    """Sort key: a name equal to a term but for case first, then by difflib's ratio to the closest term
    (case-insensitive, then exact case), then by name."""
    lowered = name.lower()
    same = any(lowered == term.lower() for term in pattern_terms)
    folded = max(difflib.SequenceMatcher(None, term.lower(), lowered).ratio() for term in pattern_terms)
    exact = max(difflib.SequenceMatcher(None, term, name).ratio() for term in pattern_terms)
    return (not same, -folded, -exact, lowered, name)


def closest_first(pattern, names):
    """``names`` ordered by closeness to the pattern's names, closest first."""
    pattern_terms = terms(pattern)
    return sorted(names, key=lambda name: _closeness(name, pattern_terms))


@contextmanager
def _mismatch_ignored():
    """ansible-core warns of each term that matches nothing, or fails on it with host_pattern_mismatch=error:
    whether the whole pattern matches a host is the question here, answered the same under any setting."""
    saved = C.HOST_PATTERN_MISMATCH
    C.HOST_PATTERN_MISMATCH = "ignore"
    try:
        yield
    finally:
        C.HOST_PATTERN_MISMATCH = saved


def matching_hosts(pattern, groups):
    """The hosts ``pattern`` matches in an inventory given as ``groups`` (group name -> host names, the
    ``groups`` variable); raises AnsibleError for a pattern ansible-core cannot read."""
    manager = InventoryManager(DataLoader(), parse=False)
    for group, hosts in groups.items():
        manager.add_group(group)
        for host in hosts:
            manager.add_host(host, group=group)
    with _mismatch_ignored():
        return [host.name for host in manager.get_hosts(pattern=pattern)]


def unmatched_problem(name, pattern, groups):
    """None when ``pattern`` (the value of the variable ``name``) matches a host of ``groups``; else one
    sentence naming the variable, the pattern and the inventory's groups, closest first."""
    try:
        if matching_hosts(pattern, groups):
            return None
        why = ""
    except AnsibleError as error:  # a pattern ansible-core cannot read (a broken regular expression)
        why = f" ({str(error).strip()})"
    named = [group for group, hosts in groups.items() if group not in IMPLICIT_GROUPS and hosts]
    ordered = closest_first(pattern, named)
    shown = ", ".join(ordered[:SHOWN_GROUPS]) + (f" and {len(ordered) - SHOWN_GROUPS} more" if len(ordered) > SHOWN_GROUPS else "")
    return f"{name} '{shown_pattern(pattern)}' matches no host of the inventory{why}; " + (
        f"groups: {shown}" if ordered else "the inventory has no group with hosts"
    )
