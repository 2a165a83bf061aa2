# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where every host of the decommission role stands after each batched SSM step, from the modules' results.

The role hybridops.ssm.decommission_hybrid_node makes its SSM calls once for the hosts of the play batch, on the
controller (the action hybridops.ssm.decommission_stage, one task per stage). For each step, ``calls`` says which
module calls to make - one per region, with the IDs of that region - and ``apply`` works out every host's new
state from their results. A host takes part in a step only while it has no problem; its first problem is kept
and fails that host alone at the end, after the report (decommission_report.py words each host's outcome). A
call that failed as a whole gives each of its hosts a problem, never an absence.

A host's state is a plain dictionary (it travels through Ansible as a registered variable):
``node`` is what hybridops.ssm.find_hybrid_node found (plugin_utils/node_sources.py); ``problem`` the sentence
that fails the host, empty while it has none; ``listed`` the node as SSM lists it; ``commands`` its cancel
outcomes; ``deregistration`` and ``activation`` the modules' outcome words; ``looked_in`` the region whose
answer ``deregistration`` is; ``still_registered`` whether the node is still listed in the region of the
host's registration file.
"""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import NO_REGION
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import ALREADY_ABSENT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import DELETED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import DEREGISTERED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import FAILED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import MSG
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import NOT_ATTEMPTED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import OUTCOME
from ansible_collections.hybridops.ssm.plugins.plugin_utils import decommission_host_ssm as host_ssm
from ansible_collections.hybridops.ssm.plugins.plugin_utils.cluster_stages import CLUSTER
from ansible_collections.hybridops.ssm.plugins.plugin_utils.cluster_stages import CLUSTER_APPLY
from ansible_collections.hybridops.ssm.plugins.plugin_utils.cluster_stages import CLUSTER_MODULES
from ansible_collections.hybridops.ssm.plugins.plugin_utils.cluster_stages import CLUSTER_STEPS
from ansible_collections.hybridops.ssm.plugins.plugin_utils.cluster_stages import cluster_args
from ansible_collections.hybridops.ssm.plugins.plugin_utils.cluster_stages import cluster_takes_part
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import D
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import is_windows
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import no_region
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import windows_refusal

# The steps, in the order of the role (tasks/main.yml): the commands are cancelled while the agent still runs,
# the agent stops before the node is deregistered, and the host keeps its registration until SSM forgot the node.
READ = "read"  # the nodes whose host steps run, as SSM lists them (their platform decides before any change)
CANCEL = "cancel"  # every in-flight command of the nodes, cancelled and waited for
DEREGISTER = "deregister"  # the nodes deregistered, and waited for until they no longer list where it matters
FILE_REGION = "file_region"  # the nodes found already absent, looked for in the region of their host's file
ACTIVATION = "activation"  # the nodes' activations, deleted once no node uses them
HOST_SSM = "host_ssm"  # the host steps through SSM Run Command, for the nodes that take them (decommission_host_ssm.py)

# The role's tasks, each the steps it runs: one task per stage between the host steps.
# The cluster stage (cluster_stages.py) runs between read and cancel: nothing is changed before it. The host steps
# through SSM go with the cancel stage: after the in-flight commands are cancelled (the new command is not one of
# them), before the agent stops and the nodes are deregistered; no task of their own (a task costs a worker).
STAGES = {
    "read": (READ,),
    CLUSTER: CLUSTER_STEPS,
    "cancel": (CANCEL, HOST_SSM),
    "deregister": (DEREGISTER, FILE_REGION),
    "activation": (ACTIVATION,),
}

# The module each step calls, one call per region.
MODULES = {
    READ: "hybridops.ssm.ssm_managed_instance_info",
    CANCEL: "hybridops.ssm.ssm_command",
    DEREGISTER: "hybridops.ssm.ssm_managed_instance",
    FILE_REGION: "hybridops.ssm.ssm_managed_instance_info",
    ACTIVATION: "hybridops.ssm.ssm_activation",
    HOST_SSM: "hybridops.ssm.ssm_command",
    **CLUSTER_MODULES,
}


def first_state(node):
    """A host's state before any SSM call: the node hybridops.ssm.find_hybrid_node found, and its refusal if any."""
    return {
        "node": node,
        "problem": node.get("refusal", ""),
        "listed": {},
        "commands": [],
        "deregistration": "",
        "looked_in": node.get("region", ""),
        "still_registered": False,
        "activation": "",
    }


def start(batch, checks, previous):
    """The fleet at the start of a play batch: ``{host: state}``.

    ``checks``: each batch host's hybridops.ssm.find_hybrid_node result. A host takes part only when its check
    passed in this run: a host rescued after a failed check (a block/rescue around the role) stays in the play
    batch but must never reach a call. Hosts of earlier serial batches stay in ``previous``, for the report.
    """
    fleet = {host: state for host, state in previous.items() if host not in batch}
    for host in batch:
        check = checks.get(host) or {}
        if check.get("found") and not check.get("failed"):
            fleet[host] = first_state(check["node"])
    return fleet


def region_of(state):
    """The region the host's calls go to; empty for the controller's default."""
    return state["node"]["region"]


def _where(state):
    node = state["node"]
    return node["id"] + (f" in {node['region']}" if node["region"] else "")


def look_elsewhere(state):
    """Whether a node found already absent is looked for in the (other) region of its host's registration file.

    Absent is absent only in the region looked in; the host is cleaned only once SSM has forgotten the node its
    registration file names, so that a wrong region never leaves a registered node behind a host that no longer knows it.
    """
    node = state["node"]
    file_region = node.get("registered_region", "")
    return not state["problem"] and node["on_host"] and state["deregistration"] == ALREADY_ABSENT and bool(file_region) and file_region != state["looked_in"]


def takes_part(step, state):
    """Whether the host's node goes into the step's calls."""
    node = state["node"]
    if state["problem"] or not node["id"]:
        return False
    if step == READ:
        return node["on_host"] or bool(node.get("via_ssm"))
    if step == HOST_SSM:
        return host_ssm.takes_part(state)
    if step in CLUSTER_STEPS:
        return cluster_takes_part(step, state)
    if step == CANCEL:
        return node["cancel_commands"]
    if step == DEREGISTER:
        return True
    if step == FILE_REGION:
        return look_elsewhere(state)
    if step == ACTIVATION:
        return node["delete_activation"] and bool(state["listed"].get("activation_id"))
    raise ValueError(f"unknown step {step!r}")


def _call_region(step, state):
    """The key of the call the node goes into: its region (the file's for FILE_REGION); region, platform and script
    variant for HOST_SSM."""
    if step == HOST_SSM:
        return host_ssm.call_key(state)
    return state["node"]["registered_region"] if step == FILE_REGION else region_of(state)


def waits_for_deregistration(state):
    """Whether the host's deregistration is waited for until SSM no longer lists the node.

    A deregistered node keeps listing for a while (up to minutes). The host is cleaned only once SSM has forgotten
    the node, and an activation is deleted only once no listed node uses it: those hosts wait. A node decommissioned
    by ID alone does not: its wait would cost a listing per 50 nodes and the lag itself, for nothing; a rerun inside
    the lag finds the node still listed and SSM answers InvalidInstanceId, which is already absent, no change.
    """
    node = state["node"]
    return bool(node["on_host"] or node["delete_activation"])


def _item(step, state):
    return state["listed"]["activation_id"] if step == ACTIVATION else state["node"]["id"]


def calls(step, fleet, batch, options=None):
    """The step's module calls, in the order of the batch: ``[(region, module args)]``, one per region.

    ``options``: the batch's waits (``command_wait_timeout``, ``command_poll_interval``,
    ``deregister_wait_timeout``); a batched call takes one value for all its hosts.
    """
    options = options or {}
    grouped = {}
    waited = set()
    for host in batch:
        state = fleet.get(host)
        if state is not None and takes_part(step, state):
            items = grouped.setdefault(_call_region(step, state), [])
            if _item(step, state) not in items:
                items.append(_item(step, state))
            if step == DEREGISTER and waits_for_deregistration(state):
                waited.add(_call_region(step, state))
    made = []
    for region, items in grouped.items():
        if step == HOST_SSM:
            made.append((region, host_ssm.call_args(region, items, options)))
            continue
        if step in (READ, FILE_REGION):
            args = {"instance_ids": items}
        elif step in CLUSTER_STEPS:
            args = cluster_args(step, items, options)
        elif step == CANCEL:
            args = {
                "instance_ids": items,
                "state": "cancelled",
                "wait": True,
                "wait_timeout": options.get("command_wait_timeout", 300),
                "poll_interval": options.get("command_poll_interval", 5),
            }
        elif step == DEREGISTER:
            args = {"instance_ids": items, "state": "absent"}
            if region in waited:
                args.update(wait=True, wait_timeout=options.get("deregister_wait_timeout", 300))
        else:
            args = {"activation_ids": items, "state": "absent", "only_if_unused": True}
        if region:
            args["region"] = region
        made.append((region, args))
    return made


def _by(items, key):
    return {item[key]: item for item in items or []}


def _failed_call(host, state, answer, key, sentence):
    """A host's problem when its region's call returned no ``key``: no region for it, or the call's failure."""
    if answer.get("error_code") == NO_REGION and not region_of(state):
        return no_region(host, state)
    if key not in answer:
        return f"{sentence}: {answer.get('msg') or 'no answer'}"
    return ""


def _read(host, state, answer):
    node = state["node"]
    problem = _failed_call(host, state, answer, "instances", f"{host}: reading {_where(state)} from SSM failed, nothing was changed")
    if problem:
        return {"problem": problem}
    listed = _by(answer["instances"], "instance_id").get(node["id"], {})
    if node.get("via_ssm"):
        return {"listed": listed, **host_ssm.decide(state, listed)}
    if is_windows(platform_type=listed.get("platform_type", "")):
        if node.get("host_steps_mode") == "auto":
            # reached over a Linux connection, yet SSM lists a Windows node: its host steps go through SSM
            moved = {**node, "on_host": False, "via_ssm": True, "host_note": "host steps through SSM: SSM lists a Windows node"}
            return {"node": moved, "listed": listed, **host_ssm.decide({**state, "node": moved}, listed)}
        return {"listed": listed, "problem": windows_refusal(host, node["id"], node["region"])}
    return {"listed": listed}


def _cancel(host, state, answer):
    node_id = state["node"]["id"]
    sentence = f"{host}: cancelling the in-flight commands of {_where(state)} failed, so the agent was not stopped and the node not deregistered"
    problem = _failed_call(host, state, answer, "outcomes", sentence)
    if problem:
        return {"problem": problem}
    commands = [o for o in answer["outcomes"] if o.get("instance_id") == node_id]
    bad = [o for o in commands if o.get(OUTCOME) in (FAILED, NOT_ATTEMPTED)]
    bad += [o for o in answer.get("timed_out") or [] if o.get("instance_id") == node_id]
    if not commands or bad:
        reason = next((o[MSG] for o in bad if o.get(MSG)), answer.get("msg") or "no answer")
        return {"commands": commands, "problem": f"{sentence}: {reason}"}
    return {"commands": commands}


def _deregister(host, state, answer):
    node_id = state["node"]["id"]
    sentence = f"{host}: deregistering {_where(state)} failed, so the host keeps its registration"
    problem = _failed_call(host, state, answer, "outcomes", sentence)
    if problem:
        return {"problem": problem}
    record = _by(answer["outcomes"], "instance_id").get(node_id, {})
    outcome = record.get(OUTCOME, "")
    change = {
        "listed": state["listed"] or _by(answer.get("instances"), "instance_id").get(node_id, {}),
        "deregistration": outcome,
        "looked_in": record.get("region") or region_of(state),
    }
    late = node_id in _by(answer.get("timed_out"), "instance_id")
    if late and outcome == DEREGISTERED:
        change["problem"] = f"{sentence}: still listed when {D}deregister_wait_timeout ran out"
    elif outcome not in (DEREGISTERED, ALREADY_ABSENT):
        code = f" ({record['error_code']})" if record.get("error_code") else ""
        change["problem"] = f"{sentence}: {record.get(MSG) or answer.get('msg') or 'no answer'}{code}"
    return change


def _file_region(host, state, answer):
    node = state["node"]
    file_region = node["registered_region"]
    if "instances" not in answer:
        return {
            "problem": f"{host}: looking for {node['id']} in {file_region} (the region of the host's registration file) failed, so the host keeps"
            f" its registration: {answer.get('msg') or 'no answer'}"
        }
    if node["id"] not in _by(answer["instances"], "instance_id"):
        return {}
    return {
        "still_registered": True,
        "problem": f"{host}: host steps skipped: {node['id']} is still registered in {file_region} (the region of the host's registration file"
        f" {node['registration_path']}), while this run looked in {state['looked_in'] or 'the default region'} ({D}region) and found it"
        f" already absent there; the host still holds its registration. Run again with {D}region={file_region}",
    }


def _activation(host, state, answer):
    activation_id = state["listed"]["activation_id"]
    record = _by(answer.get("activations"), "activation_id").get(activation_id, {})
    outcome = record.get(OUTCOME) or FAILED
    if outcome in (FAILED, NOT_ATTEMPTED):
        reason = record.get(MSG) or answer.get("msg") or "no answer"
        return {"activation": outcome, "problem": f"{host}: deleting the activation {activation_id} failed (the node was deregistered): {reason}"}
    return {"activation": outcome}


_APPLY = {READ: _read, CANCEL: _cancel, DEREGISTER: _deregister, FILE_REGION: _file_region, ACTIVATION: _activation, **CLUSTER_APPLY}


def apply(step, fleet, batch, answers, check_mode=False):
    """The fleet after the step: each batch host that took part takes its node's share of its region's answer.

    ``answers``: ``{region: module result}`` for each call of ``calls(step, ...)``, a failed one included (its
    ``msg``, and ``error_code`` when it has one). A host whose region has no answer at all has a problem.
    """
    fleet = dict(fleet)
    for host in batch:
        state = fleet.get(host)
        if state is None or not takes_part(step, state):
            continue
        answer = answers.get(_call_region(step, state)) or {"msg": "no answer"}
        if step == HOST_SSM:
            fleet[host] = {**state, **host_ssm.apply(host, state, answer, check_mode)}
            continue
        fleet[host] = {**state, **_APPLY[step](host, state, answer)}
    return fleet


def runs_host_steps(state, when):
    """Whether the host steps ``when`` (``stop_agent`` or ``clean``) run on the host.

    The agent stops once the commands are cancelled; the host is cleaned once SSM has forgotten the node its
    registration file names (deregistered, or already absent where the file says).
    """
    node = state["node"]
    ready = node["on_host"] and bool(node["id"]) and not state["problem"]
    if when == "stop_agent":
        return ready
    return ready and state["deregistration"] in (DEREGISTERED, ALREADY_ABSENT)


def changed(state):
    """Whether this host's node was changed (in check mode: would be): deregistered, a cancel sent, its activation deleted."""
    return (
        state["deregistration"] == DEREGISTERED
        or any(c.get("cancel_sent") for c in state["commands"])
        or state["activation"] == DELETED
        or host_ssm.changed(state)
    )
