# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the decommission role reports for each host: its outcome, its summary line, and the plan as a diff.

The host states are decommission_stages.py's. The outcome (the fact ``decommission_hybrid_node_result``, the
JSON report, set_stats) speaks the modules' words (module_utils/_ssm/outcomes.py), in check mode too: what
would be done. The summary line is for a person, and in check mode every verb says ``would``.
"""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import ALREADY_ABSENT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import CANCELLED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import DELETED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import DEREGISTERED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import HOST_STEPS_RAN
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import NOT_ATTEMPTED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import NOT_KNOWN
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import NOT_REQUESTED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import OUTCOME
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import WOULD_CANCEL
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import WOULD_DEREGISTER
from ansible_collections.hybridops.ssm.plugins.plugin_utils import decommission_host_ssm as host_ssm
from ansible_collections.hybridops.ssm.plugins.plugin_utils.cluster_stages import ECS
from ansible_collections.hybridops.ssm.plugins.plugin_utils.cluster_stages import cluster_plan_lines
from ansible_collections.hybridops.ssm.plugins.plugin_utils.cluster_stages import cluster_result
from ansible_collections.hybridops.ssm.plugins.plugin_utils.cluster_stages import cluster_words
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_stages import ACTIVATION
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_stages import CANCEL
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_stages import DEREGISTER
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_stages import HOST_SSM
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_stages import runs_host_steps
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import D

HOST_STEPS_NOT_RUN = "not run: the SSM side failed"


def deregistration(state):
    """The node's deregistration in the module's words: already_absent also for a host that holds no registration,
    not_attempted for a host that failed before its node was deregistered."""
    return state["deregistration"] or (NOT_ATTEMPTED if state["problem"] else ALREADY_ABSENT)


def activation(state):
    """The activation in ssm_activation's words, or why nothing was sent for it (outcomes.py)."""
    if not state["node"]["delete_activation"]:
        return NOT_REQUESTED
    if state["activation"]:
        return state["activation"]
    return NOT_ATTEMPTED if state["problem"] else NOT_KNOWN


def _host_note(state):
    """Why the host steps were skipped: the node is still registered where the host's file says."""
    return state["problem"].split(": ", 1)[1] if state["still_registered"] else ""


def host_steps(state):
    """What became of the host steps: ran, or why they did not."""
    node = state["node"]
    through_ssm = host_ssm.host_steps_word(state)
    if through_ssm:
        return through_ssm
    if not node["on_host"]:
        return node["host_note"]
    if state["still_registered"]:
        return _host_note(state)
    return HOST_STEPS_NOT_RUN if state["problem"] else HOST_STEPS_RAN


def host_result(state, check_mode):
    """The host's outcome: the fact decommission_hybrid_node_result, its report entry and its set_stats entry."""
    node = state["node"]
    return {
        "instance_id": node["id"],
        "region": node["region"],
        "source": node["id_source"],
        "check_mode": bool(check_mode),
        "host_steps": host_steps(state),
        # ssh (the host's Ansible connection), ssm (a Run Command), or empty (they did not reach the host)
        "host_steps_via": host_ssm.via(state),
        # why the host was not cleaned (host_not_cleaned, failed), else empty
        "host_steps_reason": host_ssm.ssm_host(state).get("reason", ""),
        # through SSM: the node's invocation (command_id, status, response_code, stdout and stderr tails), else {}
        "host_command": host_ssm.ssm_host(state).get("command") or {},
        "commands": state["commands"],
        "deregistration": deregistration(state),
        "activation": activation(state),
        "cluster": cluster_result(state),
        "error": state["problem"],
    }


def _command_words(command, check_mode):
    if check_mode and command.get("cancel_sent"):
        return f"{WOULD_CANCEL} {command['command_id']} ({command.get('status_before')})"
    node = f", node {command['ping_status']}" if command.get("ping_status") else ""
    return f"{command['command_id']} {command.get('status')} ({command[OUTCOME]}{node})"


def _host_steps_words(state, check_mode):
    node = state["node"]
    through_ssm = host_ssm.summary_words(state, check_mode)
    if through_ssm:
        return through_ssm
    if not node["on_host"]:
        return node["host_note"]
    if state["still_registered"]:
        return "host steps skipped"
    if runs_host_steps(state, "clean"):
        return "would run the host steps" if check_mode else "host steps ran"
    return "host steps not run"


def summary(host, state, check_mode):
    """The host's one line at default verbosity; in check mode each thing that would be done says ``would``."""
    node = state["node"]
    if node["refusal"]:
        return f"FAILED: {node['refusal']}"
    if not node["id"]:
        return (
            f"{host}: no registration file at {node['registration_path']}, no {D}instance_id and no host variable instance_id:"
            " not a registered hybrid node, nothing to decommission"
        )
    outcome = deregistration(state)
    if check_mode and outcome == DEREGISTERED:
        outcome = WOULD_DEREGISTER
    cancels = ", ".join(_command_words(c, check_mode) for c in state["commands"] if c.get("command_id")) or "none in flight"
    deleted = activation(state)
    if check_mode and deleted == DELETED:
        deleted = f"would delete {state['listed'].get('activation_id', '')}"
    cluster = cluster_words(state, check_mode)
    line = (
        f"{host}: {_host_steps_words(state, check_mode)}; {node['id']} in {node['region'] or 'the default region'}: {outcome};"
        f" commands: {cancels}; activation: {deleted}" + (f"; cluster: {cluster}" if cluster else "")
    )
    return line + (f"; FAILED: {state['problem']}" if state["problem"] else "")


def _plan_lines(step, host, state, check_mode):
    """(before, after) lines of one host for the step's diff, or None where the step changed nothing for it.

    In check mode the after side is the state asked for (nothing was sent, so there is no status to show)."""
    node = state["node"]
    where = f"{node['id']} in {node['region'] or 'the default region'}"
    if step == ECS:
        return cluster_plan_lines(host, state, check_mode)
    if step == CANCEL:
        sent = [c for c in state["commands"] if c.get("cancel_sent")]
        if not sent:
            return None
        before = [f"{host}: command {c['command_id']} on {node['id']}: {c.get('status_before')}" for c in sent]
        now = [CANCELLED if check_mode else f"{c.get('status')} ({c[OUTCOME]})" for c in sent]
        after = [f"{host}: command {c['command_id']} on {node['id']}: {status}" for c, status in zip(sent, now)]
        return before, after
    if step == DEREGISTER and state["deregistration"] == DEREGISTERED:
        return [f"{host}: {where}: registered"], [f"{host}: {where}: absent"]
    if step == HOST_SSM:
        return host_ssm.plan_lines(host, state, check_mode)
    if step == ACTIVATION and state["activation"] == DELETED:
        activation_id = state["listed"].get("activation_id", "")
        return [f"{host}: activation {activation_id}: exists"], [f"{host}: activation {activation_id}: deleted"]
    return None


def stage_diff(steps, fleet, batch, check_mode):
    """The plan (in check mode) or the change of the stage's steps as one diff a person reads, or None.

    One line per host and thing changed: the nodes to deregister (registered, then absent), the commands to
    cancel, the activations to delete. The files each host loses show in the host steps' own diffs.
    """
    before, after = [], []
    for step in steps:
        for host in batch:
            state = fleet.get(host)
            lines = _plan_lines(step, host, state, check_mode) if state is not None and not state["problem"] else None
            if lines:
                before += lines[0]
                after += lines[1]
    if not before:
        return None
    label = "SSM now" if check_mode else "SSM before"
    return {
        "before_header": label,
        "after_header": "SSM after this run (check mode: nothing was changed)" if check_mode else "SSM after",
        "before": "\n".join(before) + "\n",
        "after": "\n".join(after) + "\n",
    }


def play_report(fleet, play_hosts_all, play_hosts, check_mode):
    """The JSON report of the play: every host of the play the fleet knows, and the hosts that failed.

    ``play_hosts``: the hosts still going; a host of ``play_hosts_all`` not among them failed before.
    """
    reported = {host: fleet[host] for host in play_hosts_all if host in fleet}
    failed = {host for host in play_hosts_all if host not in play_hosts} | {host for host, state in reported.items() if state["problem"]}
    return {
        "check_mode": bool(check_mode),
        "hosts": {host: host_result(state, check_mode) for host, state in reported.items()},
        "failed_hosts": sorted(failed),
    }
