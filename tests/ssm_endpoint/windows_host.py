"""A simulated Windows hybrid node: AWS-RunPowerShellScript is parsed (powershell.py) and its effect modelled.

The state follows the documented Windows layout (AWS's Windows hybrid install page; amazon-ssm-agent source;
REFERENCE.md section 2): service ``AmazonSSMAgent`` (Running, Automatic), the registration file
``%ProgramData%\\Amazon\\SSM\\InstanceData\\registration``, the vault under ``...\\InstanceData\\Vault\\Store``, the agent
``%ProgramFiles%\\Amazon\\SSM\\amazon-ssm-agent.exe``. What the model recognises:

* ``Stop-Service``/``Set-Service -Status Stopped``/``sc.exe stop``/``net stop`` on AmazonSSMAgent (also piped from
  ``Get-Service``): the service stops. Done by the script itself, it kills the script: amazon-ssm-agent runs the
  script, and a script that stops the agent ends with it (REFERENCE.md section 2), so nothing after it runs and the
  agent never reports the invocation.
* ``Set-Service -StartupType``/``sc.exe config ... start= disabled``: the start type.
* ``Remove-Item`` (and its aliases; ``-Recurse``, wildcards in ``-Path``) on the modelled files.
* ``amazon-ssm-agent.exe`` called directly (``&``) or through ``Start-Process -ArgumentList``: the call is recorded;
  ``-register -clear`` removes the vault keys and keeps the registration file (it clears local keys only).
* ``Set-Content``/``Out-File``/``Add-Content``/``New-Item -Value``: a file written (so a later ``-File`` can be read).
* The hand-off: ``Register-ScheduledTask -Action (New-ScheduledTaskAction ...)`` or ``schtasks /create /tr``; the task
  runs on a later clock step when it has a trigger (``-Trigger``, ``schtasks /sc``) or is started
  (``Start-ScheduledTask``, ``schtasks /run``). Its action's ``powershell.exe -Command ...``, ``-EncodedCommand ...``
  or ``-File <a file the script wrote>`` is parsed and applied then, outside the agent (stopping the agent from
  there kills nothing).
"""

import base64
import fnmatch
import shlex
from typing import Any

from .powershell import Call
from .powershell import Evaluator
from .powershell import ParserError
from .powershell import parse

AGENT_SERVICE = "AmazonSSMAgent"
INSTANCE_DATA = r"C:\ProgramData\Amazon\SSM\InstanceData"
REGISTRATION = INSTANCE_DATA + r"\registration"
KEY_FILES = (INSTANCE_DATA + r"\Vault\Store\RegistrationKey", INSTANCE_DATA + r"\Vault\Store\InstanceFingerprint")
AGENT_EXE = r"C:\Program Files\Amazon\SSM\amazon-ssm-agent.exe"
USER_PROFILE = r"C:\Users\Administrator\.aws\credentials"
REMOVE = {"remove-item", "rm", "del", "erase", "ri", "rd", "rmdir"}
WRITE = {"set-content": False, "out-file": False, "add-content": True}


def norm(path: str) -> str:
    """A Windows path as a case-insensitive key: backslashes, no doubles, no trailing one."""
    path = str(path).replace("/", "\\")
    while "\\\\" in path:
        path = path.replace("\\\\", "\\")
    return path.rstrip("\\").lower()


class AgentStopped(Exception):
    """The script stopped the agent that runs it: it ends here and is never reported."""


class WindowsHost:
    """One simulated Windows node (modelled, nothing runs)."""

    platform = "Windows"

    def __init__(self, instance_id: str, region: str, agent: bool = True, registered: bool = True) -> None:
        self.instance_id = instance_id
        self.region = region
        self.files: dict[str, tuple[str, str]] = {}
        if registered:
            self._put(REGISTRATION, '{"ManagedInstanceID": "%s", "Region": "%s"}' % (instance_id, region))
            for key in KEY_FILES:
                self._put(key, "key-material")
        if agent:
            self._put(AGENT_EXE, "")
        self._put(USER_PROFILE, "[default]\naws_access_key_id = AKIDUSERSOWN\n")
        self.services = {AGENT_SERVICE: {"status": "Running" if agent else "Stopped", "start_type": "Automatic"}}
        self.agent_calls: list[list[str]] = []
        self.calls: list[str] = []
        self.tasks: dict[str, dict[str, Any]] = {}

    def _put(self, path: str, content: str, append: bool = False) -> None:
        old = self.files.get(norm(path), (path, ""))[1] if append else ""
        self.files[norm(path)] = (path, old + content)

    # --- running a script ------------------------------------------------------------------
    def run_script(self, script: str, by_agent: bool = True) -> tuple[int, str, str, bool]:
        """(exit code, stdout, stderr, reported) of a script as the model sees it; ParserError → 1, as PowerShell."""
        try:
            tree = parse(script)
        except ParserError as error:
            return 1, "", str(error), True
        errors: list[str] = []
        try:
            evaluator = Evaluator()
            for _node, call in evaluator.walk(tree.root_node):
                self._apply(call, by_agent, errors)
        except AgentStopped:
            return -1, "", "", False
        return 0, "", "".join(errors), True

    def _service_of(self, call: Call) -> str | None:
        name = call.arg("name", "displayname", position=0)
        if name is None and isinstance(call.piped, dict):
            name = call.piped.get("service")
        return str(name) if name is not None else None

    def _stop(self, service: str | None, by_agent: bool) -> None:
        if service is None or service.lower() != AGENT_SERVICE.lower():
            return
        self.services[AGENT_SERVICE]["status"] = "Stopped"
        if by_agent:
            raise AgentStopped()

    def _apply(self, call: Call, by_agent: bool, errors: list[str]) -> None:  # noqa: C901 - one branch per cmdlet
        name = call.name.lower().rsplit("\\", 1)[-1]
        if name in ("stop-service", "set-service", "remove-item", "set-content", "out-file", "add-content", "new-item"):
            self.calls.append(call.text)
        if name == "stop-service":
            self._stop(self._service_of(call), by_agent)
        elif name == "set-service":
            service = self._service_of(call)
            if service and service.lower() == AGENT_SERVICE.lower():
                if call.arg("startuptype"):
                    self.services[AGENT_SERVICE]["start_type"] = str(call.arg("startuptype"))
                if str(call.arg("status") or "").lower() == "stopped":
                    self._stop(service, by_agent)
        elif name in ("sc.exe", "sc", "net", "net.exe") and len(call.positional) >= 2:
            self.calls.append(call.text)
            verb, service = str(call.positional[0]).lower(), str(call.positional[1])
            if verb == "stop":
                self._stop(service, by_agent)
            elif verb == "config" and service.lower() == AGENT_SERVICE.lower():
                words = [str(p).lower() for p in call.positional[2:]]
                if "start=" in words and words.index("start=") + 1 < len(words):
                    self.services[AGENT_SERVICE]["start_type"] = {"disabled": "Disabled", "auto": "Automatic", "demand": "Manual"}.get(
                        words[words.index("start=") + 1], words[words.index("start=") + 1]
                    )
        elif name in REMOVE:
            literal = call.arg("literalpath")
            targets = literal if literal is not None else call.arg("path", position=0)
            if targets is None and isinstance(call.piped, dict):
                targets = call.piped.get("path")
            for target in targets if isinstance(targets, list) else [targets]:
                if target is not None:
                    self._remove(str(target), "recurse" in call.switches, literal is None, call, errors)
        elif name.endswith("amazon-ssm-agent.exe") or name.endswith("amazon-ssm-agent"):
            self.calls.append(call.text)
            self._agent([str(a) for a in call.positional] + ["-" + s for s in call.named if call.named[s] is True])
        elif name == "start-process":
            program = str(call.arg("filepath", position=0) or "")
            self.calls.append(call.text)
            if program.lower().endswith("amazon-ssm-agent.exe"):
                arguments = call.arg("argumentlist", position=1)
                args = [str(a) for a in arguments] if isinstance(arguments, list) else shlex.split(str(arguments or ""))
                self._agent(args)
        elif name in WRITE:
            path, value = call.arg("path", "filepath", "literalpath", position=0), call.arg("value", position=1)
            if value is None:
                value = call.piped if isinstance(call.piped, str) else call.arg("inputobject")
            if path is not None:
                self._put(str(path), "" if value is None else str(value), append=WRITE[name])
        elif name == "new-item":
            path, value = call.arg("path", position=0), call.arg("value")
            if path is not None and str(call.arg("itemtype") or "file").lower() == "file":
                self._put(str(path), "" if value is None else str(value))
        elif name == "register-scheduledtask":
            self.calls.append(call.text)
            task = str(call.arg("taskname", position=0) or "task")
            action = call.arg("action", position=1)
            actions = action if isinstance(action, list) else [action]
            command = next((a for a in actions if isinstance(a, dict)), {}) or {}
            self._task(task, f"{command.get('execute') or ''} {command.get('argument') or ''}".strip(), bool(call.arg("trigger")))
        elif name == "start-scheduledtask":
            self.calls.append(call.text)
            self._start_task(str(call.arg("taskname", position=0) or ""))
        elif name in ("schtasks", "schtasks.exe"):
            self.calls.append(call.text)
            words = [str(p) for p in call.positional]
            lowered = [w.lower() for w in words]

            def after(flag: str) -> str | None:
                return words[lowered.index(flag) + 1] if flag in lowered and lowered.index(flag) + 1 < len(words) else None

            if "/create" in lowered:
                self._task(after("/tn") or "task", after("/tr") or "", (after("/sc") or "").lower() not in ("", "onevent"))
            elif "/run" in lowered:
                self._start_task(after("/tn") or "")

    def _remove(self, target: str, recurse: bool, wildcards: bool, call: Call, errors: list[str]) -> None:
        key = norm(target)
        matched = [k for k in self.files if (fnmatch.fnmatchcase(k, key) if wildcards and any(c in key for c in "*?[") else k == key)]
        below = [k for k in self.files if k.startswith(key + "\\")]
        if below and not recurse and not matched:
            errors.append(
                f"Remove-Item : The item at {target} has children and the Recurse parameter was not specified.\n"
                "    + CategoryInfo          : InvalidOperation: (:) [Remove-Item], PSInvalidOperationException\n"
            )
            return
        if not matched and not below:
            if str(call.arg("erroraction") or "").lower() not in ("silentlycontinue", "ignore"):
                errors.append(
                    f"Remove-Item : Cannot find path '{target}' because it does not exist.\n"
                    "    + CategoryInfo          : ObjectNotFound: (:) [Remove-Item], ItemNotFoundException\n"
                )
            return
        for k in matched + below:
            self.files.pop(k, None)

    def _agent(self, args: list[str]) -> None:
        self.agent_calls.append(args)
        lowered = [a.lower() for a in args]
        # -clear works only with -register, and clears the local keys only (REFERENCE.md section 2).
        if "-register" in lowered and "-clear" in lowered:
            for key in KEY_FILES:
                self.files.pop(norm(key), None)

    def _task(self, name: str, action: str, triggered: bool) -> None:
        # "fresh": queued during this clock step; it runs on a later one, after the script that queued it returned.
        self.tasks[name.lower()] = {
            "name": name,
            "action": action,
            "state": "Queued" if triggered else "Ready",
            "script": self._task_script(action),
            "fresh": True,
        }

    def _start_task(self, name: str) -> None:
        task = self.tasks.get(name.lower())
        if task is not None and task["state"] == "Ready":
            task["state"] = "Queued"

    def _task_script(self, action: str) -> str | None:
        """The PowerShell a task's action runs: -Command text, -EncodedCommand, or -File of a file the script wrote."""
        try:
            words = shlex.split(action.replace("\\", "\\\\"), posix=True)
        except ValueError:
            words = action.split()
        lowered = [w.lower() for w in words]
        for flag in ("-command", "-c"):
            if flag in lowered:
                return " ".join(words[lowered.index(flag) + 1 :])
        for flag in ("-encodedcommand", "-enc", "-e"):
            if flag in lowered and lowered.index(flag) + 1 < len(words):
                try:
                    return base64.b64decode(words[lowered.index(flag) + 1]).decode("utf-16-le")
                except ValueError:
                    return None
        if "-file" in lowered and lowered.index("-file") + 1 < len(words):
            written = self.files.get(norm(words[lowered.index("-file") + 1]))
            return written[1] if written else None
        return None

    def step(self, now: float) -> None:
        """One clock step: queued scheduled tasks run (outside the agent)."""
        del now
        for task in self.tasks.values():
            if task.pop("fresh", False):
                continue
            if task["state"] == "Queued":
                task["state"] = "Ran"
                if task["script"]:
                    code, _out, err, _reported = self.run_script(task["script"], by_agent=False)
                    task["result"] = {"exit_code": code, "stderr": err}
                else:
                    task["result"] = {"exit_code": None, "stderr": "the model could not read what this task runs"}

    def settle(self, seconds: float = 0.0) -> None:
        """Nothing runs in the background here."""
        del seconds

    def read(self, path: str) -> str | None:
        """A modelled file, or None."""
        found = self.files.get(norm(path))
        return found[1] if found else None

    def agent_running(self) -> bool:
        """The agent pings only while its service runs and it still has its keys."""
        return self.services[AGENT_SERVICE]["status"] == "Running" and all(norm(k) in self.files for k in KEY_FILES)

    def state(self, paths: list[str] | None = None) -> dict[str, Any]:
        """What tests read: files, services, agent calls, recognised commands, scheduled tasks."""
        watched = paths or [REGISTRATION, *KEY_FILES, AGENT_EXE, USER_PROFILE]
        return {
            "platform": self.platform,
            "instance_id": self.instance_id,
            "executed": False,
            "files": {p: self.read(p) for p in watched},
            "all_files": sorted(display for display, _content in self.files.values()),
            "services": {k: dict(v) for k, v in self.services.items()},
            "agent_calls": [list(c) for c in self.agent_calls],
            "calls": list(self.calls),
            "tasks": [{k: v for k, v in t.items() if k != "fresh"} for t in self.tasks.values()],
            "agent_running": self.agent_running(),
        }

    def teardown(self) -> None:
        """Nothing to release."""
