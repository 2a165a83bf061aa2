# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The host steps of the decommission role through SSM Run Command: the scripts, as constants.

Each script works on its own host's paths and needs nothing from SSM: no node ID, region, name or tag is ever put
into it (node data is untrusted: a node reports its own name and addresses). The agent itself tells a script which
node runs it (``AWS_SSM_INSTANCE_ID``), and the script checks that the host's registration file names that node
before it touches anything. The only choice the role makes is which constant lines go in (package removal or not):
no template, no value.

A script run by the agent cannot stop the agent (that kills the script, and the agent never reports it): each
script checks, hands the work to a detached process - a transient systemd unit on Linux (``systemd-run
--on-active``), a scheduled task running as SYSTEM on Windows - and returns 0. The work then runs a few seconds
later, outside the agent's service: stop and disable the agent, ``amazon-ssm-agent -register -clear`` (clears the
vault key and fingerprint; agent v3 keeps the registration file), remove the registration file and any key left,
and optionally remove the package. A user's own AWS profiles are never touched.

tests/unit/plugins/plugin_utils/test_decommission_host_scripts.py lints the shell script with shellcheck and
parses the PowerShell with tree-sitter's grammar.
"""

LINUX_DOCUMENT = "AWS-RunShellScript"
WINDOWS_DOCUMENT = "AWS-RunPowerShellScript"
# The transient unit / scheduled task that does the work; the delay lets the agent report the script's success first.
HANDOFF_NAME = "hybridops-ssm-decommission"
HANDOFF_DELAY_SECONDS = 5
# The SendCommand comment (the idempotency marker, 26 characters, is appended: at most 100 in all).
COMMENT = "hybridops.ssm.decommission_hybrid_node host steps"
# executionTimeout of the scripts: they only check and hand off.
EXECUTION_TIMEOUT = 120

_LINUX_HEAD = r"""# hybridops.ssm.decommission_hybrid_node: the host steps through SSM (AWS-RunShellScript), on a Linux node.
# Stopping amazon-ssm-agent from a script it runs kills the script: the work goes to a transient unit that
# starts a few seconds later outside the agent's service, and this script returns first.
set -eu"""

_LINUX_REMOVE_PACKAGE = {False: "remove_package=no", True: "remove_package=yes"}

_LINUX_BODY = r"""registration=/var/lib/amazon/ssm/registration
if [ ! -f "$registration" ]; then
  echo "hybridops: no registration file at $registration on this host: nothing to clear, nothing handed off" >&2
  exit 1
fi
if [ -n "${AWS_SSM_INSTANCE_ID:-}" ] && ! grep -q "\"$AWS_SSM_INSTANCE_ID\"" "$registration"; then
  echo "hybridops: $registration does not name $AWS_SSM_INSTANCE_ID, the node this command was sent to: nothing handed off" >&2
  exit 1
fi
if ! command -v systemd-run >/dev/null 2>&1; then
  echo "hybridops: systemd-run is not installed: the agent cannot be stopped from a script it runs, nothing handed off" >&2
  exit 1
fi
agent=""
for candidate in /usr/bin/amazon-ssm-agent /snap/amazon-ssm-agent/current/amazon-ssm-agent; do
  if [ -x "$candidate" ]; then
    agent=$candidate
    break
  fi
done
# The work, run by the unit: $1 is the agent (empty when none is installed), $2 whether to remove the package.
# shellcheck disable=SC2016
work='for service in amazon-ssm-agent snap.amazon-ssm-agent.amazon-ssm-agent; do
  systemctl stop "$service" 2>/dev/null || true
  systemctl disable "$service" 2>/dev/null || true
done
if [ -n "$1" ]; then "$1" -register -clear || true; fi
rm -f /var/lib/amazon/ssm/registration /var/lib/amazon/ssm/Vault/Store/RegistrationKey /var/lib/amazon/ssm/Vault/Store/InstanceFingerprint
if [ "$2" = yes ] && [ -n "$1" ]; then
  case "$1" in
    /snap/*) snap remove amazon-ssm-agent ;;
    *) if command -v apt-get >/dev/null 2>&1; then apt-get remove -y amazon-ssm-agent
       elif command -v dnf >/dev/null 2>&1; then dnf remove -y amazon-ssm-agent
       elif command -v yum >/dev/null 2>&1; then yum remove -y amazon-ssm-agent
       elif command -v zypper >/dev/null 2>&1; then zypper --non-interactive remove amazon-ssm-agent
       fi ;;
  esac
fi'
systemd-run --unit __HANDOFF_NAME__ --collect --on-active=__HANDOFF_DELAY__ /bin/sh -c "$work" sh "$agent" "$remove_package"
echo "hybridops: the host steps of ${AWS_SSM_INSTANCE_ID:-this node} were handed to the unit __HANDOFF_NAME__ (in __HANDOFF_DELAY__ s):"
echo "stop and disable the agent, ${agent:-no agent installed} -register -clear, remove the registration and keys, remove the package: $remove_package"
""".replace("__HANDOFF_NAME__", HANDOFF_NAME).replace("__HANDOFF_DELAY__", str(HANDOFF_DELAY_SECONDS))

_WINDOWS_HEAD = r"""# hybridops.ssm.decommission_hybrid_node: the host steps through SSM (AWS-RunPowerShellScript), on a Windows node.
# Stopping AmazonSSMAgent from a script it runs kills the script: the work goes to a scheduled task that runs as
# SYSTEM a few seconds later, outside the agent, and this script returns first.
$ErrorActionPreference = 'Stop'
$instanceData = Join-Path $env:ProgramData 'Amazon\SSM\InstanceData'
$registration = Join-Path $instanceData 'registration'
if (-not (Test-Path -Path $registration)) {
    [Console]::Error.WriteLine("hybridops: no registration file at $registration on this host: nothing to clear, nothing handed off")
    exit 1
}
if ($env:AWS_SSM_INSTANCE_ID -and -not ((Get-Content -Path $registration -Raw).Contains($env:AWS_SSM_INSTANCE_ID))) {
    [Console]::Error.WriteLine("hybridops: $registration does not name $env:AWS_SSM_INSTANCE_ID, the node this command was sent to: nothing handed off")
    exit 1
}
$agent = Join-Path $env:ProgramFiles 'Amazon\SSM\amazon-ssm-agent.exe'
$cleanup = @"
Stop-Service -Name AmazonSSMAgent -Force
Set-Service -Name AmazonSSMAgent -StartupType Disabled
& '$agent' -register -clear
Remove-Item -Path '$instanceData\registration' -Force -ErrorAction SilentlyContinue
Remove-Item -Path '$instanceData\Vault\Store\RegistrationKey' -Force -ErrorAction SilentlyContinue
Remove-Item -Path '$instanceData\Vault\Store\InstanceFingerprint' -Force -ErrorAction SilentlyContinue"""

_WINDOWS_REMOVE_PACKAGE = r"""Get-Package -Name 'Amazon SSM Agent' -ErrorAction SilentlyContinue | Uninstall-Package -Force"""

_WINDOWS_TAIL = r""""@
$script = Join-Path $env:ProgramData '__HANDOFF_NAME__.ps1'
Set-Content -Path $script -Value $cleanup -Encoding UTF8
$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument "-NoProfile -ExecutionPolicy Bypass -File `"$script`""
$trigger = New-ScheduledTaskTrigger -Once -At (Get-Date).AddSeconds(__HANDOFF_DELAY__)
Register-ScheduledTask -TaskName '__HANDOFF_NAME__' -Action $action -Trigger $trigger -User 'SYSTEM' -RunLevel Highest -Force | Out-Null
Write-Output "hybridops: the host steps of $env:AWS_SSM_INSTANCE_ID were handed to the scheduled task __HANDOFF_NAME__ (in __HANDOFF_DELAY__ s)"
""".replace("__HANDOFF_NAME__", HANDOFF_NAME).replace("__HANDOFF_DELAY__", str(HANDOFF_DELAY_SECONDS))

LINUX = "Linux"
WINDOWS = "Windows"
DOCUMENTS = {LINUX: LINUX_DOCUMENT, WINDOWS: WINDOWS_DOCUMENT}


def linux_script(remove_package=False):
    """The AWS-RunShellScript script, as one text (the role sends it as the document's ``commands``, one line each)."""
    return "\n".join((_LINUX_HEAD, _LINUX_REMOVE_PACKAGE[bool(remove_package)], _LINUX_BODY))


def windows_script(remove_package=False):
    """The AWS-RunPowerShellScript script; with ``remove_package`` the scheduled task also uninstalls the agent."""
    parts = [_WINDOWS_HEAD] + ([_WINDOWS_REMOVE_PACKAGE] if remove_package else []) + [_WINDOWS_TAIL]
    return "\n".join(parts)


def script(platform, remove_package=False):
    """The script of a platform (LINUX or WINDOWS)."""
    return windows_script(remove_package) if platform == WINDOWS else linux_script(remove_package)


def commands(platform, remove_package=False):
    """The document's ``commands`` parameter: the script's lines."""
    return script(platform, remove_package).splitlines()
