# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A host pattern against the inventory's groups (plugin_utils/host_patterns.py): matched as ansible-core matches
a play's hosts; when nothing matches, the groups closest first (equal but for case, then difflib's ratio)."""

from ansible_collections.hybridops.ssm.plugins.plugin_utils.host_patterns import SHOWN_GROUPS
from ansible_collections.hybridops.ssm.plugins.plugin_utils.host_patterns import closest_first
from ansible_collections.hybridops.ssm.plugins.plugin_utils.host_patterns import matching_hosts
from ansible_collections.hybridops.ssm.plugins.plugin_utils.host_patterns import terms
from ansible_collections.hybridops.ssm.plugins.plugin_utils.host_patterns import unmatched_problem

GROUPS = {
    "all": ["lost-1", "lost-2", "online-1", "stray"],
    "ungrouped": ["stray"],
    "ping_Online": ["online-1"],
    "ping_ConnectionLost": ["lost-1", "lost-2"],
    "region_eu_west_1": ["lost-1", "online-1"],
    "retired": [],
}


def test_a_name_equal_but_for_case_comes_first_then_the_closest_by_ratio():
    names = ["region_eu_west_1", "ping_Online", "ping_connectionLOST_old", "PING_CONNECTIONLOST", "ping_ConnectionLost"]
    assert closest_first("ping_connectionlost", names) == [
        "ping_ConnectionLost",  # equal but for case; the closer in exact case of the two
        "PING_CONNECTIONLOST",
        "ping_connectionLOST_old",
        "ping_Online",
        "region_eu_west_1",
    ]


def test_closeness_is_case_insensitive_and_ties_go_by_name():
    assert closest_first("WEB", ["db", "web_eu", "Web_us", "api"]) == ["Web_us", "web_eu", "db", "api"]
    assert closest_first("zzz", ["b", "a", "C"]) == ["a", "b", "C"]


def test_each_name_of_a_pattern_counts_without_its_operators():
    assert terms("ping_lost:&region_eu:!stray") == ["ping_lost", "region_eu", "stray"]
    assert terms("ping_lost,!stray") == ["ping_lost", "stray"]
    assert terms(["a", "b:c"]) == ["a", "b", "c"]
    assert closest_first("nothing:&region_eu_west_l", ["ping_Online", "region_eu_west_1"])[0] == "region_eu_west_1"


def test_patterns_match_as_a_play_matches_them():
    assert matching_hosts("ping_ConnectionLost", GROUPS) == ["lost-1", "lost-2"]
    assert matching_hosts("ping_connectionlost", GROUPS) == []  # groups are case-sensitive
    assert matching_hosts("lost-*:&region_eu_west_1", GROUPS) == ["lost-1"]
    assert matching_hosts("~online", GROUPS) == ["online-1"]
    assert matching_hosts("stray", GROUPS) == ["stray"]
    assert matching_hosts(["retired", "online-1"], GROUPS) == ["online-1"]
    assert matching_hosts("ping_ConnectionLost:!lost-*", GROUPS) == []
    # one term that matches nothing does not hide the others, whatever host_pattern_mismatch says
    assert matching_hosts("ping_Online,nowhere", GROUPS) == ["online-1"]


def test_a_pattern_that_matches_no_host_names_the_groups_with_hosts_closest_first():
    assert unmatched_problem("decommission_hosts", "ping_ConnectionLost", GROUPS) is None
    assert unmatched_problem("decommission_hosts", "ping_connectionlost", GROUPS) == (
        "decommission_hosts 'ping_connectionlost' matches no host of the inventory; groups: ping_ConnectionLost, ping_Online, region_eu_west_1"
    )
    # an empty group matches no host either, and is not offered
    assert unmatched_problem("decommission_hosts", "retired", GROUPS).endswith("groups: region_eu_west_1, ping_ConnectionLost, ping_Online")
    assert unmatched_problem("decommission_hosts", ["a", "b"], GROUPS).startswith("decommission_hosts 'a,b' matches no host")
    assert unmatched_problem("h", "x", {"all": [], "ungrouped": []}) == "h 'x' matches no host of the inventory; the inventory has no group with hosts"


def test_many_groups_show_the_closest_and_count_the_rest():
    groups = {"all": ["h"], **{f"tag_team_{n:03d}": ["h"] for n in range(40)}}
    problem = unmatched_problem("decommission_hosts", "tag_team_017x", groups)
    shown = problem.split("groups: ", 1)[1]
    assert shown.startswith("tag_team_017, ") and shown.endswith(f" and {40 - SHOWN_GROUPS} more")
    assert shown.count(", ") == SHOWN_GROUPS - 1


def test_a_pattern_ansible_cannot_read_says_why():
    problem = unmatched_problem("decommission_hosts", "~(", GROUPS)
    assert problem.startswith("decommission_hosts '~(' matches no host of the inventory (Invalid host list pattern: ~(); groups: ")
