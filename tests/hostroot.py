"""A throwaway directory that stands in for `/` on a hybrid node, for the role's host steps.

It holds what a registered node holds: the agent's registration file, its vault key and
fingerprint, optionally an `amazon-ssm-agent` (a stand-in script that records its arguments and, on
`-register -clear`, clears the keys like agent v3 does, leaving the registration file), and a user's own
AWS profile that a decommission must never touch. Used by the role tests and `make demo`.

The local SSM endpoint lays the same host into a node's overlay layer (tests/ssm_endpoint/linux_host.py): there
the agent runs inside the node, so its paths are written as the node sees them (``seen_as=""``) and its calls
go to ``calls`` under a folder the node's overlay covers.
"""

import json
import stat

REGISTRATION = "var/lib/amazon/ssm/registration"
KEY_FILES = ("var/lib/amazon/ssm/Vault/Store/RegistrationKey", "var/lib/amazon/ssm/Vault/Store/InstanceFingerprint")
AGENT = "usr/bin/amazon-ssm-agent"
AGENT_CALLS = "agent-calls.log"
USER_PROFILE = "root/.aws/credentials"
USER_PROFILE_TEXT = "[default]\naws_access_key_id = AKIDUSERSOWN\n"
FAKE_AGENT = """#!/bin/sh
# stands in for amazon-ssm-agent: records its arguments; -register -clear clears the vault keys
echo "$@" >> "{root}/{calls}"
if [ "$1 $2" = "-register -clear" ]; then rm -f "{root}/{key0}" "{root}/{key1}"; fi
"""


def make_host_root(root, instance_id=None, region="us-east-1", agent=True, seen_as=None, calls=AGENT_CALLS, exist_ok=False):
    """Create the directory `root` as a node registered as `instance_id` (None: never registered).

    ``seen_as``: the path the stand-in agent sees as the root when it runs (default `root` itself; "" for a node
    whose `root` becomes `/` at run time); ``calls``: where, under that root, it records its arguments.
    """
    root.mkdir(parents=True, exist_ok=exist_ok)
    seen = root if seen_as is None else seen_as
    if instance_id:
        (root / REGISTRATION).parent.mkdir(parents=True)
        (root / REGISTRATION).write_text(json.dumps({"ManagedInstanceID": instance_id, "Region": region}))
        for key in KEY_FILES:
            (root / key).parent.mkdir(parents=True, exist_ok=True)
            (root / key).write_text("key-material")
    if agent:
        binary = root / AGENT
        binary.parent.mkdir(parents=True, exist_ok=exist_ok)
        binary.write_text(FAKE_AGENT.format(root=seen, calls=calls, key0=KEY_FILES[0], key1=KEY_FILES[1]))
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    profile = root / USER_PROFILE
    profile.parent.mkdir(parents=True, exist_ok=exist_ok)
    profile.write_text(USER_PROFILE_TEXT)
    return root


NODEADM = "usr/local/bin/nodeadm"
NODEADM_CALLS = "nodeadm-calls.log"
FAKE_NODEADM = """#!{python}
# stands in for nodeadm: records its arguments and how many requests the endpoint had logged when it ran
import json, sys, urllib.request
count = -1
if {url!r}:
    with urllib.request.urlopen({url!r} + "/_hybridops/log") as answer:
        count = len(json.load(answer)["entries"])
with open({calls!r}, "a", encoding="utf-8") as calls:
    calls.write(" ".join(sys.argv[1:]) + f" requests_before={{count}}\\n")
"""


def add_nodeadm(root, python, endpoint_url=""):
    """A stand-in ``nodeadm`` at ``root``/usr/local/bin/nodeadm (an EKS Hybrid Node) that records its calls in
    ``root``/nodeadm-calls.log with the number of requests the endpoint had logged by then."""
    binary = root / NODEADM
    binary.parent.mkdir(parents=True, exist_ok=True)
    binary.write_text(FAKE_NODEADM.format(python=python, url=endpoint_url, calls=str(root / NODEADM_CALLS)))
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary
