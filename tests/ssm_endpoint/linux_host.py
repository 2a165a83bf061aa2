"""A simulated Linux hybrid node whose AWS-RunShellScript commands really run, in a mount namespace of its own.

Each node gets a holder process started with ``unshare -m --propagation private`` (root only, which CI is).
Inside that namespace, and only there:

* ``/etc``, ``/var``, ``/usr``, ``/root``, ``/opt``, ``/home`` and ``/srv`` are overlay mounts: the machine's
  folder below, the node's own layer (``upper/<path>`` in the node's folder under the endpoint's state dir) on
  top, so whatever a script writes or deletes lands in that layer;
* ``/tmp``, ``/run`` and ``/dev/shm`` are private tmpfs mounts;
* ``/`` itself (and ``/sys``) is remounted read-only, after the overlays took their writable layers;
* scripts run through ``nsenter`` into that namespace and ``setpriv --bounding-set -sys_admin``, so they cannot
  mount or unmount anything (a script cannot take an overlay away and write the real path below).

Nothing on the machine's real paths can change. Before every execution the endpoint checks that the holder is
alive, that its mount namespace is not ours and that the node's marker file (which only the node's layer has) is
visible through ``/proc/PID/root``; if any of that fails, or a namespace cannot be made (not root, no
``unshare``/``nsenter``, no overlayfs, a state dir inside an overlaid path), the invocation fails with a message
saying so and nothing runs.

The node's layer is laid out as tests/hostroot.py lays a host root: the registration file, the vault keys, the
stand-in ``amazon-ssm-agent`` (records its arguments; ``-register -clear`` removes the vault keys and leaves the
registration file, as agent v3 does: REFERENCE.md section 2), plus ``/etc/amazon/ssm/amazon-ssm-agent.json``
and two stand-ins for the service manager in ``/usr/bin``:

* ``systemctl``: stop/start/restart/enable/disable (``--now``)/is-active/is-enabled/status on the unit files of
  ``/var/lib/hybridops-node/services``; exit 3 for an inactive unit and exit 5 for an unknown one, as systemctl.
  Stopping or restarting ``amazon-ssm-agent`` from a script the agent runs kills that script (its whole process
  group) and the agent never reports it: a script run by the agent that stops the agent kills itself
  (REFERENCE.md section 2; amazon-ssm-agent runs documents as children of its service). The invocation then stays
  InProgress until the command expires, as for any agent that went away (invocations.py).
* ``systemd-run``: queues its command (``--on-active`` honoured, ``--scope`` runs it at once outside the agent's
  reach) and returns, printing ``Running as unit: …`` like the real one; the endpoint starts queued units on a
  later clock step, detached (a session of their own), in the node's namespace: a transient unit lives outside the
  agent's service, so it survives the agent stopping.
"""

import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import hostroot  # noqa: E402  pylint: disable=wrong-import-position

OVERLAID = ("/etc", "/var", "/usr", "/root", "/opt", "/home", "/srv")
PRIVATE_TMPFS = ("/tmp", "/run", "/dev/shm")
READ_ONLY = ("/", "/sys")
NODE_DIR = "var/lib/hybridops-node"  # the stand-ins' records, inside the node's /var layer
CALLS = f"{NODE_DIR}/calls.log"
AGENT_CALLS = f"{NODE_DIR}/agent-calls.log"
MARKER = f"{NODE_DIR}/namespace"
KILLED = f"{NODE_DIR}/killed"
UNITS = f"{NODE_DIR}/units"
SERVICES = f"{NODE_DIR}/services"
AGENT_SERVICE = "amazon-ssm-agent"
AGENT_CONFIG = "etc/amazon/ssm/amazon-ssm-agent.json"
# What a node's files() shows by default: the agent's registration, its vault and its configuration.
WATCHED = (hostroot.REGISTRATION, *hostroot.KEY_FILES, AGENT_CONFIG, hostroot.USER_PROFILE)
# The environment amazon-ssm-agent gives a shell script: root's, its PATH; AWS_SSM_INSTANCE_ID and
# AWS_SSM_REGION_NAME as the agent sets them for Run Command scripts. HYBRIDOPS_AGENT_CHILD marks a process the
# agent runs (the stand-in systemctl kills it when it stops the agent); detached units do not have it.
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

SYSTEMCTL = r"""#!/bin/sh
# stands in for systemctl on a simulated node (tests/ssm_endpoint/linux_host.py): units are files under __SERVICES__
echo "systemctl $*" >> /__CALLS__
verb=""; now=""; units=""
for arg in "$@"; do
  case "$arg" in
    --now) now=1 ;;
    -*) ;;
    *) if [ -z "$verb" ]; then verb="$arg"; else units="$units ${arg%.service}"; fi ;;
  esac
done
rc=0
for unit in $units; do
  state=/__SERVICES__/$unit
  if [ ! -f "$state.active" ]; then
    case "$verb" in
      is-active) echo inactive; rc=3; continue ;;
      is-enabled) echo "Failed to get unit file state for $unit.service: No such file or directory" >&2; rc=1; continue ;;
      *) echo "Failed to $verb $unit.service: Unit $unit.service not loaded." >&2; rc=5; continue ;;
    esac
  fi
  case "$verb" in
    stop|kill) echo inactive > "$state.active" ;;
    start) echo active > "$state.active" ;;
    restart|try-restart|reload-or-restart) echo active > "$state.active" ;;
    enable) echo enabled > "$state.enabled"; [ -n "$now" ] && echo active > "$state.active" ;;
    disable) echo disabled > "$state.enabled"; [ -n "$now" ] && echo inactive > "$state.active" ;;
    mask) echo masked > "$state.enabled"; [ -n "$now" ] && echo inactive > "$state.active" ;;
    unmask) echo disabled > "$state.enabled" ;;
    is-active) cat "$state.active"; [ "$(cat "$state.active")" = active ] || rc=3 ;;
    is-enabled) cat "$state.enabled"; [ "$(cat "$state.enabled")" = enabled ] || rc=1 ;;
    status) echo "* $unit.service"; echo "     Active: $(cat "$state.active")"; [ "$(cat "$state.active")" = active ] || rc=3 ;;
    *) ;;
  esac
  # The agent runs this script as its own child: stopping the agent ends the script with it.
  if [ "$unit" = __AGENT__ ] && [ -n "$HYBRIDOPS_AGENT_CHILD" ]; then
    case "$verb" in
      stop|kill|restart|try-restart|reload-or-restart) : > "/__KILLED__/$HYBRIDOPS_AGENT_CHILD"; kill -KILL 0 ;;
      disable|mask) if [ -n "$now" ]; then : > "/__KILLED__/$HYBRIDOPS_AGENT_CHILD"; kill -KILL 0; fi ;;
    esac
  fi
done
[ -z "$units" ] && [ "$verb" = daemon-reload ] && rc=0
exit $rc
"""

SYSTEMD_RUN = r"""#!/bin/sh
# stands in for systemd-run on a simulated node: queues the command as a transient unit the endpoint starts later
echo "systemd-run $*" >> /__CALLS__
unit=""; delay=0; scope=""
while [ $# -gt 0 ]; do
  case "$1" in
    --unit=*) unit="${1#--unit=}" ;;
    --unit|-u) shift; unit="$1" ;;
    --on-active=*) delay="${1#--on-active=}" ;;
    --on-active) shift; delay="$1" ;;
    --scope) scope=1 ;;
    -p|--property|--setenv|-E|--description|--slice|--uid|--gid|--working-directory|--nice|--service-type) shift ;;
    --) shift; break ;;
    -*) ;;
    *) break ;;
  esac
  shift
done
if [ $# -eq 0 ]; then echo "systemd-run: a command line to run is required" >&2; exit 1; fi
n=$(ls /__UNITS__ | wc -l)
[ -n "$unit" ] || unit="run-u$((n + 1))"
unit="${unit%.service}"
if [ -n "$scope" ]; then
  echo "Running scope as unit: $unit.scope" >&2
  exec env -u HYBRIDOPS_AGENT_CHILD "$@"
fi
job=/__UNITS__/$(printf '%04d' "$n")
printf '%s\0' "$@" > "$job.argv"
printf '%s\n%s\n' "$unit" "${delay%s}" > "$job.unit"
echo "Running as unit: $unit.service" >&2
"""


def _render(text: str) -> str:
    return (
        text.replace("__SERVICES__", SERVICES)
        .replace("__CALLS__", CALLS)
        .replace("__KILLED__", KILLED)
        .replace("__UNITS__", UNITS)
        .replace("__AGENT__", AGENT_SERVICE)
    )


class NamespaceError(RuntimeError):
    """The node's namespace or overlays cannot be made or are not in place: nothing may run."""


_STATE: dict[str, Any] = {"root": None}
_STATE_LOCK = threading.Lock()


def state_root() -> Path:
    """The endpoint's state dir for node layers (made on first use, removed by ``teardown_all``)."""
    with _STATE_LOCK:
        if _STATE["root"] is None:
            _STATE["root"] = Path(tempfile.mkdtemp(prefix="ssm-endpoint-nodes-"))
        return _STATE["root"]


def _inside(path: Path, folder: str) -> bool:
    return path == Path(folder) or Path(folder) in path.parents


def refusal() -> str | None:
    """Why this machine cannot run a node's commands safely, or None."""
    if os.geteuid() != 0:
        return "the endpoint is not running as root, so it cannot make a mount namespace for the node"
    for tool in ("unshare", "nsenter", "setpriv", "mount"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    root = state_root().resolve()
    for folder in (*OVERLAID, *PRIVATE_TMPFS):
        if folder != "/tmp" and _inside(root, folder):
            return f"the state dir {root} is inside {folder}, which the node's overlay covers"
    return None


class LinuxHost:
    """One simulated Linux node: its layer, its namespace holder, its processes."""

    platform = "Linux"

    def __init__(self, instance_id: str, region: str, agent: bool = True, registered: bool = True) -> None:
        self.instance_id = instance_id
        self.region = region
        self.folder = state_root() / instance_id
        self.upper = self.folder / "upper"
        self.holder: subprocess.Popen | None = None
        self.units: list[dict[str, Any]] = []
        self._seen_units: set[str] = set()
        self._lay(agent, registered)

    # --- the node's layer -----------------------------------------------------------------
    def _lay(self, agent: bool, registered: bool) -> None:
        hostroot.make_host_root(self.upper, self.instance_id if registered else None, self.region, agent=agent, seen_as="", calls=AGENT_CALLS)
        for folder in OVERLAID:
            (self.upper / folder.lstrip("/")).mkdir(parents=True, exist_ok=True)
            (self.folder / "work" / folder.lstrip("/")).mkdir(parents=True, exist_ok=True)
        (self.folder / "out").mkdir()
        for sub in (SERVICES, KILLED, UNITS):
            (self.upper / sub).mkdir(parents=True, exist_ok=True)
        (self.upper / CALLS).touch()
        (self.upper / AGENT_CALLS).touch()
        (self.upper / MARKER).write_text(self.instance_id)
        config = self.upper / AGENT_CONFIG
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text('{"Agent": {"Region": "%s"}, "Ssm": {"HealthFrequencyMinutes": 5}}\n' % self.region)
        if agent:
            (self.upper / SERVICES / f"{AGENT_SERVICE}.active").write_text("active\n")
            (self.upper / SERVICES / f"{AGENT_SERVICE}.enabled").write_text("enabled\n")
        for name, text in (("systemctl", SYSTEMCTL), ("systemd-run", SYSTEMD_RUN)):
            tool = self.upper / "usr/bin" / name
            tool.write_text(_render(text))
            tool.chmod(tool.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        # The node's own /var/lib/amazon and /etc/amazon: nothing of the machine's shows through (overlay "opaque").
        for folder in ("var/lib/amazon", "etc/amazon"):
            try:
                os.setxattr(self.upper / folder, "trusted.overlay.opaque", b"y")
            except OSError:
                pass

    # --- the namespace ---------------------------------------------------------------------
    def _setup_script(self) -> str:
        lines = ["set -e"]
        for folder in OVERLAID:
            if os.path.isdir(folder) and not os.path.islink(folder):
                rel = folder.lstrip("/")
                upper, work = shlex.quote(str(self.upper / rel)), shlex.quote(str(self.folder / "work" / rel))
                lines.append(f"mount -t overlay hybridops-node -o lowerdir={folder},upperdir={upper},workdir={work} {folder}")
        for folder in READ_ONLY:
            lines.append(f"mount -o remount,bind,ro {folder}")
        for folder in PRIVATE_TMPFS:
            if os.path.isdir(folder):
                lines.append(f"mount -t tmpfs -o mode=1777 hybridops-tmp {folder}")
        lines += ["echo ready", "exec sleep 2147483647"]
        return "\n".join(lines)

    def alive(self) -> bool:
        """Whether the holder (and so the namespace) is there."""
        return self.holder is not None and self.holder.poll() is None

    def ensure_namespace(self) -> None:
        """Start the holder if needed and check that the namespace really is the node's; NamespaceError if not."""
        if not self.alive():
            reason = refusal()
            if reason:
                raise NamespaceError(reason)
            self.holder = subprocess.Popen(  # pylint: disable=consider-using-with
                ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", self._setup_script()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            assert self.holder.stdout is not None
            first = self.holder.stdout.readline().strip()
            if first != b"ready":
                self.holder.wait(timeout=5)
                error = self.holder.stderr.read().decode(errors="replace").strip() if self.holder.stderr else ""
                self.holder = None
                raise NamespaceError(f"the node's mount namespace could not be made: {error or 'no answer'}")
        self._check()

    def _check(self) -> None:
        assert self.holder is not None
        pid = self.holder.pid
        try:
            theirs = os.readlink(f"/proc/{pid}/ns/mnt")
            marker = Path(f"/proc/{pid}/root") / MARKER
            seen = marker.read_text() if marker.exists() else ""
            mounts = Path(f"/proc/{pid}/mountinfo").read_text()
        except OSError as error:
            raise NamespaceError(f"the node's namespace cannot be checked: {error}") from error
        if theirs == os.readlink("/proc/self/ns/mnt"):
            raise NamespaceError("the node's holder shares the endpoint's mount namespace")
        if seen != self.instance_id:
            raise NamespaceError("the node's overlay is not in place (its marker is not visible)")
        overlays = {line.split(" - ")[0].split()[4] for line in mounts.splitlines() if " - overlay " in line}
        missing = [f for f in OVERLAID if os.path.isdir(f) and not os.path.islink(f) and f not in overlays]
        if missing:
            raise NamespaceError(f"the node's overlay is missing on {', '.join(missing)}")

    def _root(self) -> Path:
        """The node's / as the endpoint reads it: the holder's root, or its layer while no namespace runs."""
        if self.alive():
            assert self.holder is not None
            return Path(f"/proc/{self.holder.pid}/root")
        return self.upper

    def read(self, path: str) -> str | None:
        """A file of the node (as the node sees it), or None when absent."""
        target = self._root() / path.lstrip("/")
        try:
            if not self.alive() and stat.S_ISCHR(target.lstat().st_mode):
                return None  # an overlay whiteout: deleted in the node
            return target.read_text(errors="replace")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def write(self, path: str, text: str) -> None:
        """Write a file inside the node (its layer)."""
        self.ensure_namespace()
        target = self._root() / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def run(self, argv: list[str], name: str, agent_child: str | None) -> tuple[subprocess.Popen, Path, Path]:
        """Start ``argv`` in the node's namespace without CAP_SYS_ADMIN; stdout/stderr into the node's out/ folder."""
        self.ensure_namespace()
        assert self.holder is not None
        out, err = self.folder / "out" / f"{name}.out", self.folder / "out" / f"{name}.err"
        env = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", "AWS_SSM_INSTANCE_ID": self.instance_id, "AWS_SSM_REGION_NAME": self.region}
        if agent_child:
            env["HYBRIDOPS_AGENT_CHILD"] = agent_child
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            process = subprocess.Popen(  # pylint: disable=consider-using-with
                ["nsenter", "-t", str(self.holder.pid), "-m", "--", "setpriv", "--bounding-set", "-sys_admin", "--", *argv],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                env=env,
                cwd="/",
                start_new_session=True,
            )
        return process, out, err

    def killed_by_agent_stop(self, key: str) -> bool:
        """Whether the script ``key`` was killed because it stopped the agent that ran it."""
        return self.read(f"{KILLED}/{key}") is not None

    # --- state -----------------------------------------------------------------------------
    def service(self, unit: str) -> dict[str, str | None]:
        """{"active", "enabled"} of a unit as the stand-in systemctl keeps it (None: no such unit)."""
        active, enabled = self.read(f"{SERVICES}/{unit}.active"), self.read(f"{SERVICES}/{unit}.enabled")
        return {"active": active.strip() if active else None, "enabled": enabled.strip() if enabled else None}

    def agent_running(self) -> bool:
        """The agent pings only while its service runs and it still has its keys to sign with."""
        return self.service(AGENT_SERVICE)["active"] == "active" and all(self.read(k) is not None for k in hostroot.KEY_FILES)

    def step(self, now: float) -> None:
        """One clock step: pick up units queued by systemd-run, start those that are due (detached)."""
        if not self.alive():
            return
        folder = self._root() / UNITS
        try:
            jobs = sorted(p.stem for p in folder.glob("*.unit"))
        except OSError:
            return
        for job in jobs:
            if job in self._seen_units:
                continue
            self._seen_units.add(job)
            unit_text = (folder / f"{job}.unit").read_text().split("\n")
            argv = [a for a in (folder / f"{job}.argv").read_bytes().decode(errors="replace").split("\0") if a]
            try:
                delay = float(unit_text[1] or 0)
            except (IndexError, ValueError):
                delay = 0.0
            self.units.append({"unit": unit_text[0], "argv": argv, "due": now + delay, "status": "queued", "exit_code": None, "_process": None})
        for unit in self.units:
            if unit["status"] == "queued" and now >= unit["due"]:
                try:
                    unit["_process"] = self.run(unit["argv"], f"unit-{unit['unit']}", agent_child=None)[0]
                    unit["status"] = "running"
                except (NamespaceError, OSError) as error:
                    unit["status"], unit["error"] = "failed", str(error)
            elif unit["status"] == "running" and unit["_process"].poll() is not None:
                unit["status"], unit["exit_code"] = "exited", unit["_process"].returncode

    def settle(self, seconds: float = 5.0) -> None:
        """Wait (wall time, bounded) for running units to finish: tests read the state they leave."""
        deadline = time.monotonic() + seconds
        for unit in self.units:
            process = unit["_process"]
            if process is not None and unit["status"] == "running":
                try:
                    process.wait(timeout=max(0.0, deadline - time.monotonic()))
                    unit["status"], unit["exit_code"] = "exited", process.returncode
                except subprocess.TimeoutExpired:
                    pass

    def state(self, paths: list[str] | None = None) -> dict[str, Any]:
        """What tests read: files, services, agent calls, service-manager calls, transient units."""
        self.settle(0)
        files = {("/" + p.lstrip("/")): self.read(p) for p in (paths or WATCHED)}
        agent_calls = [line.split() for line in (self.read(AGENT_CALLS) or "").splitlines() if line.strip()]
        calls = [line for line in (self.read(CALLS) or "").splitlines() if line.strip()]
        return {
            "platform": self.platform,
            "instance_id": self.instance_id,
            "executed": True,
            "namespace": self.alive(),
            "files": files,
            "services": {AGENT_SERVICE: self.service(AGENT_SERVICE)},
            "agent_calls": agent_calls,
            "calls": calls,
            "units": [{k: v for k, v in u.items() if not k.startswith("_")} for u in self.units],
            "agent_running": self.agent_running(),
        }

    # --- teardown --------------------------------------------------------------------------
    def teardown(self) -> None:
        """Kill every process in the node's namespace (the holder, scripts, units), then remove its folder."""
        if self.holder is not None:
            try:
                namespace = os.readlink(f"/proc/{self.holder.pid}/ns/mnt")
            except OSError:
                namespace = None
            if namespace and namespace != os.readlink("/proc/self/ns/mnt"):
                for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
                    try:
                        if os.readlink(f"/proc/{pid}/ns/mnt") == namespace:
                            os.kill(int(pid), signal.SIGKILL)
                    except (OSError, ProcessLookupError):
                        pass
            self.holder.kill()
            self.holder.wait(timeout=5)
            for stream in (self.holder.stdout, self.holder.stderr):
                if stream is not None:
                    stream.close()
            self.holder = None
        for unit in self.units:
            if unit["_process"] is not None:
                unit["_process"].poll()
        shutil.rmtree(self.folder, ignore_errors=True)


def teardown_all(hosts: list[Any]) -> None:
    """Tear every node down and remove the state dir."""
    for host in hosts:
        teardown = getattr(host, "teardown", None)
        if teardown:
            teardown()
    with _STATE_LOCK:
        if _STATE["root"] is not None:
            shutil.rmtree(_STATE["root"], ignore_errors=True)
            _STATE["root"] = None
