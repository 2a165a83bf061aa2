# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where the role hybridops.ssm.decommission_hybrid_node finds a host's node, and when it refuses the host.

The node's ID and region can come from three sources, in this order of precedence: the role's variables,
the host variables instance_id and region (set by the hybridops.ssm.hybrid_nodes inventory), and the
host's registration file. Every source present must agree with the first on the ID and on the region: a
region taken from one source and an ID from another would act on a node in the wrong region (the
deregistration finds nothing there while the host is wiped).

Whether an ID or a region is well formed is not decided here: the action plugin hybridops.ssm.find_hybrid_node
checks what is found by the rules of plugin_utils/role_inputs.py, worded by the source (``id_says``).
"""

import os

D = "decommission_hybrid_node_"

# How Ansible reaches a Windows host, and how SSM names a Windows node: the host steps over the Ansible connection are
# not written for Windows (through SSM they are: AWS-RunPowerShellScript).
WINDOWS_CONNECTIONS = ("winrm", "psrp")
WINDOWS_SHELLS = ("powershell", "cmd")
WINDOWS_PLATFORM = "Windows"


# decommission_hybrid_node_host_steps: where the host steps run. ``true``/``false`` stay accepted (ssh and none).
SSH = "ssh"  # over the host's Ansible connection (the tasks stop_agent.yml and clean_host.yml)
SSM = "ssm"  # through SSM Run Command: AWS-RunShellScript (Linux) or AWS-RunPowerShellScript (Windows)
AUTO = "auto"  # the Ansible connection when the host answers, else SSM when the node is Online, else none
NONE = "none"  # no host steps: the node is decommissioned by ID alone
HOST_STEPS_MODES = (SSH, SSM, AUTO, NONE)
_TRUE = ("true", "yes", "on", "1", "y", "t")
_FALSE = ("false", "no", "off", "0", "n", "f")


def host_steps_mode(value):
    """The mode a value of decommission_hybrid_node_host_steps names, or None when it names none.

    A boolean (or a boolean given as a string, as -e and surveys give it) keeps its old meaning: true is ssh,
    false is none.
    """
    if isinstance(value, bool):
        return SSH if value else NONE
    if isinstance(value, int) and value in (0, 1):
        return SSH if value else NONE
    if not isinstance(value, str):
        return None
    word = value.strip().lower()
    if word in HOST_STEPS_MODES:
        return word
    if word in _TRUE:
        return SSH
    if word in _FALSE:
        return NONE
    return None


def is_windows(connection="", shell_type="", platform_type=""):
    """Whether a host is a Windows host: by its connection or shell (before it is reached), or by the platform SSM lists."""
    return connection in WINDOWS_CONNECTIONS or shell_type in WINDOWS_SHELLS or platform_type == WINDOWS_PLATFORM


def windows_refusal(host, instance_id="", region="", seen_as=""):
    """Why a Windows host is refused before any change, and what to set to decommission its node by ID alone.

    ``seen_as``: how it was told (its connection, or SSM's platform); ``instance_id``: the node, when known.
    """
    by_id = f"{D}host_steps=false and {D}instance_id={instance_id}" if instance_id else f"{D}host_steps=false (and {D}instance_id)"
    return (
        f"{host}{f' ({instance_id})' if instance_id else ''} is a Windows {'node' if instance_id else 'host'}"
        f"{f' ({seen_as})' if seen_as else ''}: {D}host_steps is ssh, but the host steps of hybridops.ssm.decommission_hybrid_node"
        f" over the Ansible connection are not written for Windows; nothing was changed. To run them through SSM (AWS-RunPowerShellScript),"
        f" set {D}host_steps=ssm or auto; to decommission it by ID alone, set {by_id}"
        f"{f' (and {D}region={region})' if region else ''}; without host steps the host's registration file is not read."
    )


def registration_path(root, registration_file):
    """The registration file on the host, as the role's tasks name it (ansible.builtin.path_join)."""
    return os.path.join(str(root), str(registration_file))


def _sources(variables, host_vars, registration, path):
    """Each source that gives the node's ID or region, in order of precedence, with the words naming it."""
    host_id, host_region = (str(host_vars.get("instance_id", "")), str(host_vars.get("region", ""))) if host_vars is not None else ("", "")
    file_id, file_region = (str(registration.get("id", "")), str(registration.get("region", ""))) if registration else ("", "")
    var_id, var_region = str(variables.get(D + "instance_id", "")), str(variables.get(D + "region", ""))
    return [
        {
            "source": "variables",
            "id": var_id,
            "region": var_region,
            "id_says": f"{D}instance_id is {var_id}",
            "region_says": f"{D}region is {var_region}",
        },
        {
            "source": "host variables",
            "id": host_id,
            "region": host_region,
            "id_says": f"the host variable instance_id (from the inventory) is {host_id}",
            "region_says": f"the host variable region (from the inventory) is {host_region}",
        },
        {
            "source": "registration file",
            "id": file_id,
            "region": file_region,
            "id_says": f"the registration file {path} names {file_id}",
            "region_says": f"the registration file {path} names region {file_region}",
        },
    ]


def _conflicts(found, key):
    """Each later source whose value differs from the first source's, as 'FIRST but OTHER'."""
    if not found:
        return []
    first = found[0]
    return [f"{first[key + '_says']} but {other[key + '_says']}" for other in found if other[key] != first[key]]


def find_node(host, variables, host_vars=None, registration=None, unreachable="", windows_connection=False):
    """Where ``host``'s node is, or why the host is refused.

    ``variables``: the role's variables, typed (booleans as booleans); ``host_vars``: the host variables
    instance_id and region when the role reads them (None otherwise); ``registration``: the registration
    file's ``id`` and ``region`` (empty when the host holds none or was not read); ``unreachable``: why the
    host cannot be reached, empty when it can; ``windows_connection``: the host is reached over WinRM/PSRP (or a
    Windows shell), whose registration file is not read.

    ``decommission_hybrid_node_host_steps`` (ssh, ssm, auto, none, or a boolean) decides ``on_host`` (the steps run
    over the host's connection) and ``via_ssm`` (they may go through SSM Run Command: decided once SSM listed the node,
    plugin_utils/decommission_host_ssm.py).

    Returns the host's node as the role's stages take it (plugin_utils/decommission_stages.py): id, region, id_source, id_says, region_says,
    on_host, host_note, registered_region, registration_path, cancel_commands, delete_activation, cluster_checks, eks_node_drained and
    refusal (empty, or the sentence that fails the host at the end, after the report, without any SSM call).
    """
    given = variables[D + "host_steps"]
    mode = host_steps_mode(given)
    path = registration_path(variables[D + "root"], variables[D + "registration_file"])
    sources = _sources(variables, host_vars, registration, path)
    with_id = [s for s in sources if s["id"]]
    with_region = [s for s in sources if s["region"]]
    conflicts = _conflicts(with_id, "id") + _conflicts(with_region, "region")
    via_ssm = mode == SSM or (mode == AUTO and bool(unreachable or windows_connection))
    if mode == NONE:
        host_note = f"host steps skipped: {D}host_steps is {'false' if isinstance(given, bool) or str(given).strip().lower() != NONE else NONE}"
    elif mode == SSM:
        host_note = f"host steps through SSM ({D}host_steps is ssm)"
    elif mode == AUTO and unreachable:
        host_note = f"host steps through SSM: the host cannot be reached ({unreachable.strip()})"
    elif mode == AUTO and windows_connection:
        host_note = "host steps through SSM: a Windows host"
    elif unreachable:
        host_note = f"host steps skipped: the host cannot be reached ({unreachable.strip()})"
    else:
        host_note = ""
    on_host = mode in (SSH, AUTO) and not unreachable and not via_ssm
    if conflicts:
        refusal = f"{host}: {'; '.join(conflicts)}; the node's ID and region must come from one source or agree, so nothing was changed. Check the inventory."
    elif not with_id and not on_host:
        refusal = (
            f"{host}: {host_note}, and {D}instance_id is not set, nor the host variable instance_id, so the node cannot be"
            f" identified. Set {D}instance_id for this host, or list the host with the hybridops.ssm.hybrid_nodes inventory."
        )
    else:
        refusal = ""
    first_id = with_id[0] if with_id else {}
    first_region = with_region[0] if with_region else {}
    return {
        "id": first_id.get("id", ""),
        "id_source": first_id.get("source", ""),
        "id_says": first_id.get("id_says", ""),
        "region": first_region.get("region", ""),
        "region_says": first_region.get("region_says", ""),
        "on_host": on_host,
        "host_note": host_note,
        "host_steps_mode": mode,
        "via_ssm": via_ssm,
        # Only for the host steps through SSM: the script's variant, and whether a failed script still lets the node go.
        "remove_package": bool(variables.get(D + "remove_package", False)),
        "deregister_on_host_failure": bool(variables.get(D + "deregister_on_host_failure", False)),
        "registered_region": str(registration.get("region", "")) if registration else "",
        "registration_path": path,
        # The SSM steps run once for the whole batch: each host's own switches travel with it.
        "cancel_commands": bool(variables[D + "cancel_commands"]),
        "delete_activation": bool(variables[D + "delete_activation"]),
        # the cluster stage (cluster_stages.py): look the node up in ECS and its EKS tag; an EKS node stated drained
        "cluster_checks": bool(variables.get(D + "cluster_checks", True)),
        "eks_node_drained": bool(variables.get(D + "eks_node_drained", False)),
        "refusal": refusal,
    }


def no_region(host, state):
    """The one sentence for a node that no region reaches: it names the role's variable."""
    node = state["node"]
    file_says = "the registration file names none" if node["on_host"] else "the host was not read"
    return (
        f"{host}: no AWS region for {node['id']}: {D}region is empty, {file_says} and the controller has none"
        f" (AWS_REGION, a profile, module_defaults). Set {D}region; nothing was changed."
    )
