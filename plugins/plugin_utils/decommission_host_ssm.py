# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The decommission role's host steps through SSM Run Command: which node takes which path, the batched calls, and
what each node's result means.

A host whose ``decommission_hybrid_node_host_steps`` is ``ssm`` (or ``auto`` and the host cannot be reached over
its Ansible connection, or is a Windows host) has ``via_ssm`` (plugin_utils/node_sources.py). Once SSM listed its
node (the read step) the path is decided, kept in the host's state under ``ssm_host``:

* Online: the host steps go through SSM, AWS-RunShellScript on Linux, AWS-RunPowerShellScript on Windows
  (plugin_utils/decommission_host_scripts.py); the step ``host_ssm`` sends them, one hybridops.ssm.ssm_command call
  per region, platform and script variant (it sends at most 50 nodes per SendCommand), waits for each node's result,
  and the node is deregistered only once its script succeeded;
* listed but not Online: no command can reach its agent; the node is deregistered and the host reported
  ``host_not_cleaned``, with the reason;
* not listed: nothing can reach it through SSM (already deregistered): no command, the node is ``already_absent``.

A script that fails on the node leaves it registered and fails its host (the exit code and the output's tail in
its outcome), unless ``decommission_hybrid_node_deregister_on_host_failure``: then it is deregistered and reported
``host_not_cleaned``.
"""

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import ALREADY_SENT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import FAILED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import HOST_NOT_CLEANED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import HOST_STEPS_RAN
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import MSG
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import OFFLINE_PENDING
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import OUTCOME
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import RUN_FAILED
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import SENT
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import SKIPPED_OFFLINE
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import SUCCEEDED
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_host_scripts import COMMENT
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_host_scripts import DOCUMENTS
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_host_scripts import EXECUTION_TIMEOUT
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_host_scripts import LINUX
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_host_scripts import WINDOWS
from ansible_collections.hybridops.ssm.plugins.plugin_utils.decommission_host_scripts import commands
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import D
from ansible_collections.hybridops.ssm.plugins.plugin_utils.node_sources import is_windows

ONLINE = "Online"
# How much of a script's output an outcome keeps (SSM keeps 24,000 characters of stdout).
OUTPUT_TAIL = 1000
# SSM's smallest delivery timeout (TimeoutSeconds).
MIN_DELIVERY_TIMEOUT = 30


def ssm_host(state):
    """The host's SSM path so far: {} when its host steps do not go through SSM."""
    return state.get("ssm_host") or {}


def platform_of(listed):
    return WINDOWS if is_windows(platform_type=listed.get("platform_type", "")) else LINUX


def decide(state, listed):
    """The read step's decision for a host whose host steps go through SSM: the changes to its state.

    ``listed``: its node as SSM lists it ({} when not listed).
    """
    node_id = state["node"]["id"]
    if not listed:
        return {"ssm_host": {"path": "", "word": "", "reason": f"{node_id} is not registered (SSM does not list it): no command can reach its host"}}
    ping = listed.get("ping_status") or "not Online"
    platform = platform_of(listed)
    if ping != ONLINE:
        return {
            "ssm_host": {
                "path": "",
                "platform": platform,
                "word": HOST_NOT_CLEANED,
                "reason": f"{node_id} is {ping}: no command can reach its agent, so nothing was sent and the host keeps its registration and keys"
                " (clean it by hand, or run again while the host is reachable)",
            }
        }
    return {"ssm_host": {"path": DOCUMENTS[platform], "platform": platform, "word": "", "reason": ""}}


def takes_part(state):
    """Whether the host's node goes into the host_ssm step's calls."""
    return not state["problem"] and bool(state["node"]["id"]) and bool(ssm_host(state).get("path"))


def call_key(state):
    """The host_ssm call a node goes into: its region, platform and script variant."""
    return (state["node"]["region"], ssm_host(state)["platform"], bool(state["node"].get("remove_package")))


def call_args(key, instance_ids, options):
    """The hybridops.ssm.ssm_command arguments of one host_ssm call."""
    region, platform, remove_package = key
    wait_timeout = int(options.get("command_wait_timeout", 300))
    args = {
        "state": "present",
        "document_name": DOCUMENTS[platform],
        # Constant lines: nothing from SSM or the inventory is ever put into the script.
        "parameters": {"commands": commands(platform, remove_package)},
        "execution_timeout": EXECUTION_TIMEOUT,
        # SSM gives up delivering about when the role stops waiting: a late delivery must not clean a host whose node stays.
        "timeout_seconds": max(MIN_DELIVERY_TIMEOUT, wait_timeout),
        "comment": COMMENT,
        "instance_ids": instance_ids,
        "wait": True,
        "wait_timeout": wait_timeout,
        "poll_interval": options.get("command_poll_interval", 5),
        # The role decides per node; the module reports each node's end without failing the task.
        "fail_on_failed": False,
    }
    if region:
        args["region"] = region
    return args


def _tail(text):
    text = str(text or "")
    return text if len(text) <= OUTPUT_TAIL else "..." + text[-OUTPUT_TAIL:]


def _command(record):
    """What the outcome keeps of the node's invocation."""
    return {
        "command_id": record.get("command_id"),
        "status": record.get("status"),
        "response_code": record.get("response_code"),
        "stdout": _tail(record.get("stdout")),
        "stderr": _tail(record.get("stderr")),
        "outcome": record.get(OUTCOME),
        "sent": bool(record.get("sent")),
    }


def apply(host, state, answer, check_mode):
    """The changes to a host's state from its call's answer (a hybridops.ssm.ssm_command result, failed or not)."""
    node = state["node"]
    current = ssm_host(state)
    document = current["path"]
    records = {o.get("instance_id"): o for o in answer.get("outcomes") or []}
    record = records.get(node["id"])
    late = {o.get("instance_id") for o in answer.get("timed_out") or []}
    sentence = f"{host}: the host steps through SSM ({document}) on {node['id']}"
    if record is None:
        reason = answer.get("msg") or "no answer"
        return {
            "ssm_host": {**current, "word": FAILED, "reason": reason},
            "problem": f"{sentence} could not be sent, so the node was not deregistered: {reason}",
        }
    command = _command(record)
    outcome = record.get(OUTCOME)
    done = {**current, "command": command}
    if outcome == SUCCEEDED or (check_mode and outcome in (SENT, ALREADY_SENT)):
        return {"ssm_host": {**done, "word": HOST_STEPS_RAN, "reason": ""}}
    if outcome in (SKIPPED_OFFLINE, OFFLINE_PENDING):
        why = record.get(MSG) or "the node is not Online"
        return {
            "ssm_host": {
                **done,
                "word": HOST_NOT_CLEANED,
                "reason": f"{node['id']} went {record.get('ping_status') or 'offline'} before its script ran ({why}); the host keeps its registration and keys",
            }
        }
    if outcome == RUN_FAILED:
        code = command["response_code"]
        output = (command["stderr"] or command["stdout"] or "no output").strip()
        reason = f"the script ended {command['status']} with exit code {code} (command {command['command_id']}): {output}"
        if node.get("deregister_on_host_failure"):
            return {"ssm_host": {**done, "word": HOST_NOT_CLEANED, "reason": f"{reason}; deregistered anyway ({D}deregister_on_host_failure is true)"}}
        return {
            "ssm_host": {**done, "word": FAILED, "reason": reason},
            "problem": f"{sentence} failed, so the node was not deregistered and keeps its registration: {reason}. Fix the host and run again,"
            f" or set {D}deregister_on_host_failure=true to deregister it anyway",
        }
    if node["id"] in late or outcome in (SENT, ALREADY_SENT):
        reason = f"the script had not finished ({command['status']}) when {D}command_wait_timeout ran out"
        return {"ssm_host": {**done, "word": FAILED, "reason": reason}, "problem": f"{sentence}: {reason}, so the node was not deregistered"}
    reason = f"{record.get(MSG) or answer.get('msg') or 'no answer'}" + (f" ({record['error_code']})" if record.get("error_code") else "")
    return {"ssm_host": {**done, "word": FAILED, "reason": reason}, "problem": f"{sentence} could not be sent, so the node was not deregistered: {reason}"}


def via(state):
    """How the host steps reached the host: ssh (its Ansible connection), ssm (a Run Command), or '' (they did not)."""
    if state["node"]["on_host"]:
        return "ssh"
    return "ssm" if ssm_host(state).get("command") else ""


def changed(state):
    """Whether this run sent (in check mode: would send) the host steps through SSM."""
    return bool((ssm_host(state).get("command") or {}).get("sent"))


def host_steps_word(state):
    """The outcome's ``host_steps`` for a host whose host steps went (or were to go) through SSM, or '' for another."""
    current = ssm_host(state)
    if not state["node"].get("via_ssm") or not current:
        return ""
    if current.get("word"):
        return current["word"]
    if current.get("reason"):
        return f"host steps skipped: {current['reason']}"
    return ""


def summary_words(state, check_mode):
    """The summary line's host steps part for a host whose host steps go through SSM, or '' for another."""
    current = ssm_host(state)
    if not state["node"].get("via_ssm") or not current:
        return ""
    word, reason, document = current.get("word"), current.get("reason"), current.get("path")
    command = current.get("command") or {}
    if word == HOST_STEPS_RAN:
        if check_mode:
            return f"would run the host steps through SSM ({document})"
        return f"host steps ran through SSM ({document}, command {command.get('command_id')})"
    if word == HOST_NOT_CLEANED:
        return f"{HOST_NOT_CLEANED}: {reason}"
    if word == FAILED:
        return f"host steps through SSM failed: {reason}"
    if reason:
        return f"host steps skipped: {reason}"
    return f"would run the host steps through SSM ({document})" if check_mode else "host steps through SSM not run"


def plan_lines(host, state, check_mode):
    """(before, after) lines of the host_ssm step's diff for one host, or None."""
    current = ssm_host(state)
    if current.get("word") != HOST_STEPS_RAN or not changed(state):
        return None
    node_id = state["node"]["id"]
    after = "cleared through SSM" + (" (check mode: nothing was sent)" if check_mode else f" (command {current['command'].get('command_id')})")
    return (
        [f"{host}: {node_id}: host holds its registration and keys, agent running"],
        [f"{host}: {node_id}: {current['path']} hands off: agent stopped and disabled, -register -clear, registration and keys removed: {after}"],
    )
