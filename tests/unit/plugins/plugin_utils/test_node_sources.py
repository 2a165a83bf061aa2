# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where the decommission role finds a host's node (plugin_utils/node_sources.py): the three sources in their
order, sources that disagree, a host without ID that cannot be read."""

from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import find_node

D = "decommission_hybrid_node_"
A = "mi-0000000000000000a"
B = "mi-0000000000000000b"
FILE = "/srv/node/var/lib/amazon/ssm/registration"


def variables(**given):
    base = {
        D + "instance_id": "",
        D + "region": "",
        D + "host_steps": True,
        D + "root": "/srv/node",
        D + "registration_file": "var/lib/amazon/ssm/registration",
        D + "cancel_commands": True,
        D + "delete_activation": False,
    }
    return {**base, **{D + name: value for name, value in given.items()}}


def test_the_variables_come_first_and_the_file_gives_what_they_leave_out():
    node = find_node("web-1", variables(instance_id=A), registration={"id": A, "region": "eu-west-1"})
    assert (node["id"], node["id_source"], node["region"], node["region_says"]) == (
        A,
        "variables",
        "eu-west-1",
        f"the registration file {FILE} names region eu-west-1",
    )
    assert node["refusal"] == "" and node["on_host"] is True and node["host_note"] == ""
    assert node["registered_region"] == "eu-west-1" and node["registration_path"] == FILE


def test_the_host_variables_come_before_the_file():
    node = find_node("web-1", variables(), host_vars={"instance_id": A, "region": "us-east-1"}, registration={"id": A, "region": "us-east-1"})
    assert (node["id"], node["id_source"], node["id_says"]) == (A, "host variables", f"the host variable instance_id (from the inventory) is {A}")


def test_every_source_that_disagrees_with_the_first_is_named():
    node = find_node(
        "web-1",
        variables(instance_id=A, region="eu-west-1"),
        host_vars={"instance_id": A, "region": "us-east-1"},
        registration={"id": B, "region": "eu-west-1"},
    )
    assert node["refusal"] == (
        f"web-1: {D}instance_id is {A} but the registration file {FILE} names {B}; {D}region is eu-west-1 but the host variable region"
        " (from the inventory) is us-east-1; the node's ID and region must come from one source or agree, so nothing was changed. Check the inventory."
    )


def test_a_host_without_host_steps_and_without_an_id_is_refused():
    node = find_node("web-1", variables(host_steps=False))
    assert node["on_host"] is False and node["host_note"] == f"host steps skipped: {D}host_steps is false"
    assert node["refusal"].startswith(f"web-1: host steps skipped: {D}host_steps is false, and {D}instance_id is not set, nor the host variable")


def test_an_unreachable_host_is_decommissioned_by_id_or_refused():
    gone = find_node("web-1", variables(), registration={}, unreachable=" Failed to connect \n")
    assert gone["host_note"] == "host steps skipped: the host cannot be reached (Failed to connect)" and gone["on_host"] is False
    assert "so the node cannot be identified" in gone["refusal"]
    by_id = find_node("web-1", variables(instance_id=A), unreachable="timed out")
    assert by_id["refusal"] == "" and by_id["id"] == A and by_id["on_host"] is False


def test_a_reachable_host_without_registration_is_no_refusal():
    """No ID anywhere on a host that was read: not a registered node, nothing to decommission (the report says so)."""
    node = find_node("web-1", variables(), registration={})
    assert node["id"] == "" and node["refusal"] == ""


def test_the_host_variables_are_not_read_when_not_given():
    node = find_node("web-1", variables(host_steps=False, instance_id=A), host_vars=None)
    assert (node["id"], node["region"], node["refusal"]) == (A, "", "")
    assert (node["cancel_commands"], node["delete_activation"]) == (True, False)


def test_windows_is_told_by_the_connection_the_shell_or_ssm_platform_and_refused_with_one_advice():
    from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import is_windows
    from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import windows_refusal

    assert is_windows(connection="psrp") and is_windows(shell_type="powershell") and is_windows(platform_type="Windows")
    assert not is_windows(connection="ssh", shell_type="sh", platform_type="Linux")
    assert windows_refusal("w", A, "eu-west-1").startswith(f"w ({A}) is a Windows node: ")
    assert f"set {D}host_steps=false and {D}instance_id={A} (and {D}region=eu-west-1)" in windows_refusal("w", A, "eu-west-1")
