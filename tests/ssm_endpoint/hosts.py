"""Nodes seeded with a host: what runs their commands, and how their agent's pings follow from the host's state.

A node seeded with a host (``seed_nodes(..., host=True)`` or ``seed_host``) has a LinuxHost (linux_host.py: its
AWS-RunShellScript commands really run, in its own mount namespace over overlays) or a WindowsHost
(windows_host.py: its AWS-RunPowerShellScript is parsed and its effect modelled). Every other node keeps the
scripted outcome model (``set_invocation``, ``set_command_defaults``). Which document runs where:

* AWS-RunShellScript on a Linux host: executed. On a Windows host: Failed with StatusDetails ``InvalidPlatform``
  (the document's platformTypes are Linux and MacOS; user guide, "Understanding command statuses": Invalid Platform).
* AWS-RunPowerShellScript on a Windows host: parsed and modelled. On a Linux host the real agent would need
  PowerShell installed, which these hosts do not model: the scripted outcome model answers.
* Any other document: the scripted outcome model.

The script is the document's ``commands`` joined by newlines, as the agent writes them to ``_script.sh`` /
``_script.ps1``. ``executionTimeout`` (seconds, default 3600: the documents' default) is measured on the endpoint
clock from the step that started the script; when it passes the process group is killed and the invocation ends
``TimedOut`` with StatusDetails ``ExecutionTimedOut`` (ResponseCode -1, as the model answers for TimedOut; the
agent's own code for it is not documented). StandardOutputContent is the first 24,000 characters and
StandardErrorContent the first 8,000 (API reference, GetCommandInvocation, as botocore's service model documents
both shapes); ``Output`` of ListCommandInvocations' plugin details the first 2,500 (API reference,
CommandPlugin.Output).
"""

import dataclasses
import datetime
from typing import Any

from .clock import CLOCK
from .linux_host import LinuxHost
from .linux_host import NamespaceError
from .linux_host import teardown_all
from .windows_host import WindowsHost

OUTPUT_LIMIT = 24000
ERROR_LIMIT = 8000
PLUGIN_OUTPUT_LIMIT = 2500
DEFAULT_EXECUTION_TIMEOUT = 3600
# The agent reports its health (UpdateInstanceInformation, which sets PingStatus and LastPingDateTime) every
# Ssm.HealthFrequencyMinutes, 5 by default (amazon-ssm-agent's amazon-ssm-agent.json.template). An agent that
# stopped, or that lost its keys (amazon-ssm-agent -register -clear; it can no longer sign a request), sends no
# more pings; SSM turns such a node ConnectionLost once a ping is overdue, not at once.
PING_INTERVAL_S = 300.0
ALL_HOSTS: list[Any] = []


@dataclasses.dataclass
class Result:
    """How an invocation ends: status, status details, ResponseCode, outputs; ``reported`` False when the agent
    died with its script and never reports it."""

    status: str
    code: int
    stdout: str = ""
    stderr: str = ""
    details: str | None = None
    reported: bool = True


def script_of(params: dict[str, Any]) -> str:
    """The document's ``commands`` as the agent writes them to its script file."""
    commands = (params.get("Parameters") or {}).get("commands") or []
    return "\n".join(commands if isinstance(commands, list) else [str(commands)]) + "\n"


def execution_timeout(params: dict[str, Any]) -> float:
    """``executionTimeout`` of the document (a string list in Parameters), default 3600 s."""
    value = (params.get("Parameters") or {}).get("executionTimeout") or [DEFAULT_EXECUTION_TIMEOUT]
    try:
        return float(value[0] if isinstance(value, list) else value)
    except (TypeError, ValueError):
        return float(DEFAULT_EXECUTION_TIMEOUT)


def _seconds(now: datetime.datetime) -> float:
    return now.timestamp()


class FixedRunner:
    """An invocation whose end is known before it starts (InvalidPlatform)."""

    def __init__(self, result: Result) -> None:
        self.result = result

    def deliverable(self) -> bool:
        """Always picked up."""
        return True

    def start(self) -> None:
        """Nothing to start."""

    def poll(self) -> Result | None:
        """The fixed result."""
        return self.result

    def cancel(self) -> None:
        """Nothing to stop."""


class ShellRunner:
    """AWS-RunShellScript really run in a Linux host's namespace."""

    def __init__(self, host: LinuxHost, command_id: str, params: dict[str, Any]) -> None:
        self.host = host
        self.command_id = command_id
        self.script = script_of(params)
        self.timeout = execution_timeout(params)
        self.folder = f"/var/lib/amazon/ssm/{host.instance_id}/document/orchestration/{command_id}/awsrunShellScript/0.awsrunShellScript"
        self.process: Any = None
        self.outputs: tuple[Any, Any] | None = None
        self.started = 0.0
        self.result: Result | None = None

    def deliverable(self) -> bool:
        """Only a running agent with its keys picks a command up."""
        return self.host.agent_running()

    def start(self) -> None:
        """Write the script into the node and start it there; refuse (Failed) when the node cannot be isolated."""
        self.started = _seconds(CLOCK.now())
        try:
            self.host.write(f"{self.folder}/_script.sh", self.script)
            self.process, out, err = self.host.run(["/bin/sh", "-c", 'cd "$1" && exec /bin/sh _script.sh', "sh", self.folder], self.command_id, self.command_id)
            self.outputs = (out, err)
        except (NamespaceError, OSError) as error:
            message = f"The endpoint refused to execute this script: {error}. Nothing ran, and nothing on the machine's real paths changed.\n"
            self.result = Result("Failed", -1, "", message)

    def _read(self) -> tuple[str, str]:
        assert self.outputs is not None
        out, err = (p.read_bytes().decode("utf-8", errors="replace") for p in self.outputs)
        return out[:OUTPUT_LIMIT], err[:ERROR_LIMIT]

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                import os  # pylint: disable=import-outside-toplevel
                import signal  # pylint: disable=import-outside-toplevel

                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
            self.process.wait(timeout=5)

    def poll(self) -> Result | None:
        """The result once the script ended (or timed out); None while it runs."""
        if self.result is not None:
            return self.result
        if self.process.poll() is None:
            if _seconds(CLOCK.now()) - self.started < self.timeout:
                return None
            self._kill()
            stdout, stderr = self._read()
            self.result = Result("TimedOut", -1, stdout, stderr, "ExecutionTimedOut")
            return self.result
        stdout, stderr = self._read()
        if self.host.killed_by_agent_stop(self.command_id):
            self.result = Result("InProgress", -1, reported=False)
        else:
            code = self.process.returncode
            self.result = Result("Success" if code == 0 else "Failed", code, stdout, stderr)
        return self.result

    def cancel(self) -> None:
        """CancelCommand reached the agent: it kills the script."""
        self._kill()


class PowerShellRunner:
    """AWS-RunPowerShellScript on a Windows host: parsed and modelled when it starts, reported on the next step."""

    def __init__(self, host: WindowsHost, params: dict[str, Any]) -> None:
        self.host = host
        self.script = script_of(params)
        self.result: Result | None = None

    def deliverable(self) -> bool:
        """Only a running agent with its keys picks a command up."""
        return self.host.agent_running()

    def start(self) -> None:
        """Parse and apply the script's effect on the modelled node."""
        code, stdout, stderr, reported = self.host.run_script(self.script)
        if not reported:
            self.result = Result("InProgress", -1, reported=False)
        else:
            self.result = Result("Success" if code == 0 else "Failed", code, stdout[:OUTPUT_LIMIT], stderr[:ERROR_LIMIT])

    def poll(self) -> Result | None:
        """The result made at start."""
        return self.result

    def cancel(self) -> None:
        """Nothing runs in the background."""


def runner_for(host: Any, document: str, command_id: str, params: dict[str, Any]) -> Any:
    """The runner of ``document`` on ``host``, or None (the scripted outcome model answers)."""
    if host is None:
        return None
    if document == "AWS-RunShellScript":
        if isinstance(host, LinuxHost):
            return ShellRunner(host, command_id, params)
        return FixedRunner(Result("Failed", -1, details="InvalidPlatform"))
    if document == "AWS-RunPowerShellScript" and isinstance(host, WindowsHost):
        return PowerShellRunner(host, params)
    return None


def make_host(instance_id: str, region: str, platform: str, agent: bool = True, registered: bool = True) -> Any:
    """A Linux or Windows host for a node, remembered for teardown."""
    if platform == "Windows":
        host: Any = WindowsHost(instance_id, region, agent=agent, registered=registered)
    elif platform == "Linux":
        host = LinuxHost(instance_id, region, agent=agent, registered=registered)
    else:
        raise ValueError(f"a host is Linux or Windows, not {platform!r}")
    ALL_HOSTS.append(host)
    return host


def step_host(node: Any, now: datetime.datetime) -> None:
    """One clock step of a node's host: detached work runs, and the agent pings or falls silent.

    Only the turn to ConnectionLost is modelled here: a node a test set offline by hand stays as it was set.
    """
    host = node.host
    host.step(_seconds(now))
    if host.agent_running():
        node.silent_since = None
        if node.ping_status == "Online" and (now - node.last_ping).total_seconds() >= node.ping_interval_s:
            node.last_ping = now
        return
    if node.silent_since is None:
        node.silent_since = now
    elif node.ping_status == "Online" and (now - node.silent_since).total_seconds() >= node.ping_interval_s:
        node.ping_status = "ConnectionLost"


def reset() -> None:
    """Tear down every host (processes, namespaces, layers)."""
    hosts = list(ALL_HOSTS)
    ALL_HOSTS.clear()
    teardown_all(hosts)
